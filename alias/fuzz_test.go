package alias_test

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

// FuzzRoute routes arbitrary headers and envelope recipients against the
// fixture store: no panic, and a route names an address of its account that
// the store knows.
func FuzzRoute(f *testing.F) {
	f.Add(typicalHeader, "alias3@acct0421.desk.example")
	f.Add("To: support@acme.example\r\n\r\n", "")
	f.Add("X-Original-To: old@acme.example\r\nCc: sales@acme.desk.example\r\n\r\n", "old@acme.desk.example")
	f.Add("To: team: a@x, \"q,q\" <support+x@ACME.example> (c);\r\nX-Forwarded-To: =?utf-8?q?x?= <help@globex.example>\r\n\r\n", "<help@globex.desk.example>")
	f.Add("Delivered-To: \"a b\"@acme.example\r\nTo: <@route:support@acme.example>\r\n\r\n", "\"x\"@[127.0.0.1]")
	f.Add("To: 山田 <support@アクメ.example>\r\n\r\n", "support@xn--zck0ab7a.example")
	store := fixture(f)
	r, err := alias.NewRouter(store, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header, rcpt string) {
		if !strings.HasSuffix(header, "\r\n\r\n") {
			header += "\r\n\r\n"
		}
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(header)))
		if err != nil {
			return
		}
		var rcpts []string
		if rcpt != "" {
			rcpts = strings.Split(rcpt, "\n")
		}
		rt, err := r.Route(context.Background(), rcpts, &h)
		if err != nil {
			if !errors.Is(err, alias.ErrNoRoute) {
				t.Fatalf("Route: %v", err)
			}
			return
		}
		e, err := store.Lookup(context.Background(), rt.Key)
		if err != nil || e.Account != rt.Account || e.Address.Address != rt.Address {
			t.Fatalf("route %+v does not match the store: %+v %v", rt.Match, e, err)
		}
		if rt.Drop == alias.DropAddressDisabled && !rt.Disabled {
			t.Fatalf("dropped an enabled address: %+v", rt)
		}
	})
}

// FuzzParseConfirmation feeds arbitrary subjects and bodies from the Gmail
// sender: no panic, and a recognized confirmation always has a numeric code.
func FuzzParseConfirmation(f *testing.F) {
	f.Add("(#123456789) Gmail Forwarding Confirmation - Receive Mail from mary@gmail.com", "Confirmation code: 123456789\nhttps://mail-settings.google.com/mail/vf-abc")
	f.Add("=?UTF-8?B?KCM5ODc2NTQzMjEpIEdtYWlsIOOBrui7oumAgeOBrueiuuiqjQ==?=", "")
	f.Add("Gmail の転送の確認", "確認コード：12345678\r\nhttps://mail.google.com/mail/vf-%5B=\r\nx%5D")
	f.Add("（#4444）", "=?")
	f.Fuzz(func(t *testing.T, subject, body string) {
		h := textproto.Header{}
		h.Set("From", "forwarding-noreply@google.com")
		h.Set("Subject", subject)
		c, err := alias.ParseConfirmation(&h, []byte(body))
		if err != nil {
			return
		}
		if c.Code == "" || strings.Trim(c.Code, "0123456789") != "" {
			t.Fatalf("code %q", c.Code)
		}
		if c.Link != "" && !strings.HasPrefix(c.Link, "https://") {
			t.Fatalf("link %q", c.Link)
		}
	})
}

// FuzzTokens feeds arbitrary strings to the token checks: no panic, and
// nothing but a token this keyring issued is ever accepted.
func FuzzTokens(f *testing.F) {
	keys, _ := deskmail.NewKeyring([]byte("fuzz-secret-0123456789"))
	v := &alias.Verifier{Keyring: keys, Now: func() time.Time { return t0 }}
	fc := &alias.ForwardingCheck{Keyring: keys, Now: func() time.Time { return t0 }}
	a := &alias.Account{ID: "acme"}
	a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, t0)
	good, _ := v.Issue(a, "brad@acme.example")
	m, _ := fc.Mail("acme", alias.SupportAddress{Address: "s@acme.example", PlatformAddress: "s@acme.desk.example"})
	f.Add(good)
	f.Add(m.Token)
	f.Add("")
	f.Add(strings.ToUpper(good))
	f.Fuzz(func(t *testing.T, tok string) {
		b := a.Clone()
		if addr, err := v.Verify(b, tok); err == nil && addr != "brad@acme.example" {
			t.Fatalf("accepted %q for %q", tok, addr)
		}
		h := textproto.Header{}
		h.Set(alias.ForwardingCheckHeader, tok)
		if acct, addr, err := fc.Recognize(&h); err == nil && (acct != "acme" || addr != "s@acme.example") {
			t.Fatalf("forwarding token %q accepted for %q %q", tok, acct, addr)
		}
	})
}
