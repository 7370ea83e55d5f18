package compose

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/relay"
)

// IdentityRelayPrefix starts the relay ID of an identity's own server:
// "identity:" + the identity's address.
const IdentityRelayPrefix = "identity:"

// Errors of NewIdentityRoutes.
var (
	// ErrNoAliasStore: IdentityRoutesOptions.Accounts is missing.
	ErrNoAliasStore = errors.New("compose: IdentityRoutesOptions.Accounts is required")
	// ErrNoCredentials: IdentityRoutesOptions.Credentials is missing.
	ErrNoCredentials = errors.New("compose: IdentityRoutesOptions.Credentials is required")
)

// Credentials gives the secret an identity's SMTPServer.CredentialRef
// names in the host's secret store: a password or app password, or an
// OAuth access token (the host refreshes it). Implementations are safe for
// concurrent use; the secret is never logged or put in an error.
type Credentials interface {
	IdentityPassword(ctx context.Context, account, credentialRef string) (string, error)
	IdentityToken(ctx context.Context, account, credentialRef string) (relay.Token, error)
}

// IdentityRoutesOptions configure IdentityRoutes.
type IdentityRoutesOptions struct {
	// Accounts holds the identities. Required.
	Accounts alias.Store
	// Credentials resolves identities' credential references. Required.
	Credentials Credentials
	// Relays gives the accounts' other relays. Nil: none.
	Relays relay.ConfigSource
	// Passwords and Tokens give the other relays' secrets. Nil: those
	// relays fail AUTH with relay.ErrNoCredentials.
	Passwords relay.PasswordSource
	Tokens    relay.TokenSource
	// Now is the clock for status changes. Nil means time.Now.
	Now func() time.Time
}

// IdentityRoutes makes every verified identity with its own SMTP server
// (A8) a relay route of its own: give it to relay.Options as Configs, to
// relay.SMTPOptions as Passwords and Tokens, and to relay.Options as
// AuthFailed. A refused login (the customer changed the password) marks
// the identity failed in the alias store, so it needs re-authentication
// and is not routed again until the host reports a login
// (alias.Account.IdentityAuthenticated); changed settings
// (alias.Account.SetIdentitySMTP) make it pending, likewise unrouted.
// Safe for concurrent use.
type IdentityRoutes struct {
	o IdentityRoutesOptions
}

var (
	_ relay.ConfigSource   = (*IdentityRoutes)(nil)
	_ relay.PasswordSource = (*IdentityRoutes)(nil)
	_ relay.TokenSource    = (*IdentityRoutes)(nil)
	_ relay.AuthNotifier   = (*IdentityRoutes)(nil)
)

// NewIdentityRoutes returns IdentityRoutes. It fails with ErrNoAliasStore
// or ErrNoCredentials.
func NewIdentityRoutes(opts *IdentityRoutesOptions) (*IdentityRoutes, error) {
	if opts == nil || opts.Accounts == nil {
		return nil, ErrNoAliasStore
	}
	if opts.Credentials == nil {
		return nil, ErrNoCredentials
	}
	r := &IdentityRoutes{o: *opts}
	if r.o.Now == nil {
		r.o.Now = time.Now
	}
	return r, nil
}

// IdentityRelay returns the relay route of an identity's own server: ID
// IdentityRelayPrefix + address, the server's host, port and security,
// PLAIN with the password or app password or XOAUTH2 with the OAuth
// token, and the server's DailyLimit as its cap (R13).
func IdentityRelay(x *alias.Identity) (relay.Relay, error) {
	if x == nil || x.SMTP == nil {
		return relay.Relay{}, fmt.Errorf("compose: identity has no SMTP server")
	}
	a, err := deskmail.ParseAddress(x.Address)
	if err != nil {
		return relay.Relay{}, err
	}
	sec, err := relay.ParseSecurity(x.SMTP.Security)
	if err != nil {
		return relay.Relay{}, err
	}
	if x.SMTP.Security == "" {
		sec = relay.SecuritySTARTTLS
	}
	r := relay.Relay{
		ID: IdentityRelayPrefix + a.Key(), Domain: a.Domain, Host: x.SMTP.Host, Port: x.SMTP.Port, Security: sec,
		Auth: relay.AuthPlain, Username: x.SMTP.Username, DailyCap: x.SMTP.DailyLimit, Identity: a.Key(),
	}
	if r.Username == "" {
		r.Username = a.Addr()
	}
	if x.SMTP.Auth == alias.AuthOAuth2 {
		r.Auth = relay.AuthXOAUTH2
	}
	return r, nil
}

// RelayConfig returns the account's relays with its identities' servers
// first. It returns relay.ErrNoConfig when the account has neither.
func (r *IdentityRoutes) RelayConfig(ctx context.Context, account string) (*relay.Config, error) {
	var cfg relay.Config
	noBase := true
	if r.o.Relays != nil {
		c, err := r.o.Relays.RelayConfig(ctx, account)
		switch {
		case err == nil:
			cfg, noBase = *c, false
		case !errors.Is(err, relay.ErrNoConfig):
			return nil, err
		}
	}
	cfg.Account = account
	a, err := r.o.Accounts.Account(ctx, account)
	if err != nil && !errors.Is(err, alias.ErrNotFound) {
		return nil, err
	}
	var ids []relay.Relay
	if a != nil {
		for i := range a.Identities {
			x := &a.Identities[i]
			if x.Status != alias.StatusVerified || x.SMTP == nil {
				continue
			}
			rl, err := IdentityRelay(x)
			if err != nil {
				continue // unusable settings: the identity is not routed
			}
			ids = append(ids, rl)
		}
	}
	if len(ids) == 0 && noBase {
		return nil, relay.ErrNoConfig
	}
	cfg.Relays = append(ids, cfg.Relays...)
	return &cfg, nil
}

func (r *IdentityRoutes) identity(ctx context.Context, account, relayID string) (*alias.Identity, error) {
	a, err := r.o.Accounts.Account(ctx, account)
	if err != nil {
		return nil, err
	}
	x := a.Identity(strings.TrimPrefix(relayID, IdentityRelayPrefix))
	if x == nil || x.SMTP == nil {
		return nil, fmt.Errorf("compose: no identity server %q", deskmail.SanitizeN(relayID, 80))
	}
	return x, nil
}

// RelayPassword gives an identity's password through Credentials, and
// other relays' through Passwords.
func (r *IdentityRoutes) RelayPassword(ctx context.Context, account, relayID string) (string, error) {
	if !strings.HasPrefix(relayID, IdentityRelayPrefix) {
		if r.o.Passwords == nil {
			return "", relay.ErrNoCredentials
		}
		return r.o.Passwords.RelayPassword(ctx, account, relayID)
	}
	x, err := r.identity(ctx, account, relayID)
	if err != nil {
		return "", err
	}
	return r.o.Credentials.IdentityPassword(ctx, account, x.SMTP.CredentialRef)
}

// RelayToken gives an identity's OAuth token through Credentials, and
// other relays' through Tokens.
func (r *IdentityRoutes) RelayToken(ctx context.Context, account, relayID string) (relay.Token, error) {
	if !strings.HasPrefix(relayID, IdentityRelayPrefix) {
		if r.o.Tokens == nil {
			return relay.Token{}, relay.ErrNoCredentials
		}
		return r.o.Tokens.RelayToken(ctx, account, relayID)
	}
	x, err := r.identity(ctx, account, relayID)
	if err != nil {
		return relay.Token{}, err
	}
	return r.o.Credentials.IdentityToken(ctx, account, x.SMTP.CredentialRef)
}

// RelayAuthFailed marks the identity whose server refused the login as
// failed: re-authentication required (A8). Other relays are ignored.
func (r *IdentityRoutes) RelayAuthFailed(ctx context.Context, account string, rl relay.Relay, _ error) error {
	if rl.Identity == "" {
		return nil
	}
	return r.o.Accounts.UpdateAccount(ctx, account, func(a *alias.Account) error {
		return a.IdentityAuthFailed(rl.Identity, r.o.Now())
	})
}
