package compose_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

type creds map[string]string

func (c creds) IdentityPassword(ctx context.Context, account, ref string) (string, error) {
	if p, ok := c[ref]; ok {
		return p, nil
	}
	return "", errors.New("no such secret")
}

func (c creds) IdentityToken(ctx context.Context, account, ref string) (relay.Token, error) {
	if p, ok := c[ref]; ok {
		return relay.Token{AccessToken: p}, nil
	}
	return relay.Token{}, errors.New("no such token")
}

// TestA8IdentityOwnServer: a verified identity with its own SMTP server
// sends through it with the password its CredentialRef names; when the
// server refuses the login (changed password) the identity is marked
// failed, needing re-authentication, and is not routed again.
func TestA8IdentityOwnServer(t *testing.T) {
	ctx := context.Background()
	const pw = "app-password-never-logged"
	srv := smtptest.New(t, &smtptest.Options{Users: map[string]string{"brad@brad.example": pw}})
	aliases := alias.NewMemoryStore()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	err := aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		if err := a.AddAddress(alias.SupportAddress{Address: "support@acme.example"}); err != nil {
			return err
		}
		x := alias.Identity{Address: "brad@brad.example", Name: "Brad", SMTP: &alias.SMTPServer{
			Host: srv.Host(), Port: srv.Port(), Security: "none", Auth: alias.AuthAppPassword, CredentialRef: "vault/brad", DailyLimit: 10}}
		if err := a.AddIdentity(x, now); err != nil {
			return err
		}
		return a.IdentityAuthenticated("brad@brad.example", now)
	})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := compose.NewIdentityRoutes(&compose.IdentityRoutesOptions{Accounts: aliases, Credentials: creds{"vault/brad": pw}})
	if err != nil {
		t.Fatal(err)
	}
	platform := &recorder{name: "platform"}
	s, err := compose.NewSender(&compose.SenderOptions{
		Composer: testComposer(t, nil), Transport: platform, ReturnPath: relay.ReturnPathFrom,
		Relay: &relay.Options{Configs: routes, AuthFailed: routes, SMTP: &relay.SMTPOptions{
			Passwords: routes, Tokens: routes, CommandTimeout: 2 * time.Second, DataTimeout: 2 * time.Second}},
	})
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := aliases.Account(ctx, "acme")
	draft := &compose.Draft{Account: acct, Ticket: "1", To: []deskmail.Address{addr(t, "", "mary@customer.example")}, Subject: "Hi", Text: "Hello"}
	sent, err := s.Send(ctx, draft)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Result.Via != "relay:identity:brad@brad.example" || len(srv.Messages()) != 1 || len(platform.sent) != 0 {
		t.Fatalf("via %q, server %d, platform %d", sent.Result.Via, len(srv.Messages()), len(platform.sent))
	}
	if m := srv.Messages()[0]; m.From != "brad@brad.example" {
		t.Errorf("MAIL FROM %q", m.From)
	}

	// The customer changes the password; the server refuses the login.
	srv.SetFault(smtptest.Fault{AuthFail: true})
	sent, err = s.Send(ctx, draft)
	if err == nil || sent.Result.Recipients[0].Status != deskmail.StatusDeferred || len(platform.sent) != 0 {
		t.Fatalf("refused login: %v %v, platform %d", err, sent.Result, len(platform.sent))
	}
	if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprint(sent.Result), pw) {
		t.Fatal("the password is in the error or the result")
	}
	acct, _ = aliases.Account(ctx, "acme")
	if x := acct.Identity("brad@brad.example"); x.Status != alias.StatusFailed {
		t.Fatalf("identity is %s, want failed (re-authentication needed)", x.Status)
	}
	// No longer routed, and no longer the From.
	if cfg, err := routes.RelayConfig(ctx, "acme"); !errors.Is(err, relay.ErrNoConfig) {
		t.Errorf("failed identity still routed: %+v %v", cfg, err)
	}
}

func TestIdentityRelayMapping(t *testing.T) {
	x := &alias.Identity{Address: "Brad@Brad.example", SMTP: &alias.SMTPServer{Host: "smtp.gmail.com", Security: "tls", Auth: alias.AuthOAuth2, DailyLimit: 2000}}
	r, err := compose.IdentityRelay(x)
	if err != nil {
		t.Fatal(err)
	}
	want := relay.Relay{ID: "identity:brad@brad.example", Domain: "brad.example", Host: "smtp.gmail.com", Security: relay.SecurityTLS,
		Auth: relay.AuthXOAUTH2, Username: "Brad@brad.example", DailyCap: 2000, Identity: "brad@brad.example"}
	if r.ID != want.ID || r.Domain != want.Domain || r.Security != want.Security || r.Auth != want.Auth || r.DailyCap != want.DailyCap || r.Identity != want.Identity || r.Username != want.Username {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	if _, err := compose.NewIdentityRoutes(nil); !errors.Is(err, compose.ErrNoAliasStore) {
		t.Error(err)
	}
	if _, err := compose.NewIdentityRoutes(&compose.IdentityRoutesOptions{Accounts: alias.NewMemoryStore()}); !errors.Is(err, compose.ErrNoCredentials) {
		t.Error(err)
	}
}

// TestA8IdentityOAuth: an identity on Gmail-style OAuth sends with
// XOAUTH2 and the token its CredentialRef names.
func TestA8IdentityOAuth(t *testing.T) {
	ctx := context.Background()
	const tok = "ya29.identity-token-never-logged"
	srv := smtptest.New(t, &smtptest.Options{Tokens: map[string]string{"brad@brad.example": tok}})
	aliases := alias.NewMemoryStore()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	if err := aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		x := alias.Identity{Address: "brad@brad.example", SMTP: &alias.SMTPServer{
			Host: srv.Host(), Port: srv.Port(), Security: "none", Auth: alias.AuthOAuth2, Provider: "gmail", CredentialRef: "vault/brad-oauth"}}
		if err := a.AddIdentity(x, now); err != nil {
			return err
		}
		return a.IdentityAuthenticated("brad@brad.example", now)
	}); err != nil {
		t.Fatal(err)
	}
	routes, err := compose.NewIdentityRoutes(&compose.IdentityRoutesOptions{Accounts: aliases, Credentials: creds{"vault/brad-oauth": tok}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := compose.NewSender(&compose.SenderOptions{
		Composer: testComposer(t, nil), Transport: &recorder{name: "platform"},
		Relay: &relay.Options{Configs: routes, AuthFailed: routes, SMTP: &relay.SMTPOptions{
			Passwords: routes, Tokens: routes, CommandTimeout: 2 * time.Second, DataTimeout: 2 * time.Second}},
	})
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := aliases.Account(ctx, "acme")
	sent, err := s.Send(ctx, &compose.Draft{Account: acct, To: []deskmail.Address{addr(t, "", "mary@customer.example")}, Subject: "Hi", Text: "Hello"})
	if err != nil || sent.Result.Via != "relay:identity:brad@brad.example" || len(srv.Messages()) != 1 {
		t.Fatalf("via %q, %v, server got %d", sent.Result.Via, err, len(srv.Messages()))
	}
}
