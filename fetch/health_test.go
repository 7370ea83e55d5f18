package fetch_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/fetch"
)

// TestA13AuthFailuresDisable: ten refused logins disable the source; it
// is not contacted again until its settings change.
func TestA13AuthFailuresDisable(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(src *fetch.Source)
		keyed  bool
	}{
		{"revision", func(src *fetch.Source) { src.Password, src.Revision = "secret-pass", "2" }, false},
		{"password with keyring", func(src *fetch.Source) { src.Password = "secret-pass" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newFakePOP3(t)
			p.add(mail("auth", 1))
			h := newHarness(t)
			o := &fetch.Options{}
			if tc.keyed {
				o.Keyring = deskmail.MustKeyring([]byte("another test secret, 16+"))
			}
			f := h.fetcher(t, o)
			src := p.source("pop")
			src.Password = "wrong-pass"
			for i := 1; i <= alias.DefaultAuthFailureLimit; i++ {
				res, err := f.Fetch(ctx, src)
				if !errors.Is(err, fetch.ErrAuth) || res.Outcome != alias.FetchAuthFailure {
					t.Fatalf("attempt %d: %+v, %v; want an authentication failure", i, res, err)
				}
				if disabled := res.Health.Disabled; disabled != (i == alias.DefaultAuthFailureLimit) {
					t.Fatalf("attempt %d: disabled = %v", i, disabled)
				}
			}
			conns := p.connections()
			if _, err := f.Fetch(ctx, src); !errors.Is(err, fetch.ErrDisabled) {
				t.Fatalf("Fetch of a disabled source: %v, want ErrDisabled", err)
			}
			if p.connections() != conns {
				t.Error("a disabled source was contacted")
			}
			tc.change(src)
			res, err := f.Fetch(ctx, src)
			if err != nil || res.Delivered != 1 || res.Health.Disabled || res.Health.AuthFailures != 0 {
				t.Fatalf("Fetch after the change = %+v, %v; want it enabled and read", res, err)
			}
		})
	}
}

// TestA13ConnFailuresDisable: fifty connection failures disable a source.
func TestA13ConnFailuresDisable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	h := newHarness(t)
	f := h.fetcher(t, nil)
	host, port := splitHostPort(addr)
	src := &fetch.Source{Account: "acme", ID: "gone", Protocol: fetch.IMAP, Host: host, Port: port, TLS: fetch.TLSNone, Username: "u", Password: "p"}
	var res *fetch.Result
	for i := 1; i <= alias.DefaultConnFailureLimit; i++ {
		res, err = f.Fetch(context.Background(), src)
		if !errors.Is(err, fetch.ErrConnection) || errors.Is(err, fetch.ErrAuth) {
			t.Fatalf("attempt %d: %v, want a connection failure", i, err)
		}
	}
	if !res.Health.Disabled || res.Health.DisabledReason != alias.FetchConnFailure {
		t.Errorf("health after %d failures = %+v, want disabled", alias.DefaultConnFailureLimit, res.Health)
	}
	if _, err := f.Fetch(context.Background(), src); !errors.Is(err, fetch.ErrDisabled) {
		t.Errorf("Fetch: %v, want ErrDisabled", err)
	}
}

// testCert returns the certificate of net/http/httptest (for 127.0.0.1
// and example.com) and a pool that trusts it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	s := httptest.NewUnstartedServer(nil)
	s.StartTLS()
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s.TLS.Certificates[0], pool
}

// TestA13CertificateErrors: an unverifiable certificate is a certificate
// failure, apart from connection failures; InsecureSkipVerify for the
// source, or its own roots, let it through.
func TestA13CertificateErrors(t *testing.T) {
	cert, pool := testCert(t)
	p := newFakePOP3S(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	for _, tc := range []struct {
		name    string
		set     func(*fetch.Source)
		outcome alias.FetchOutcome
	}{
		{"unknown authority", func(*fetch.Source) {}, alias.FetchCertFailure},
		{"wrong name", func(s *fetch.Source) { s.RootCAs, s.ServerName = pool, "mail.other.example" }, alias.FetchCertFailure},
		{"own roots", func(s *fetch.Source) { s.RootCAs = pool }, alias.FetchOK},
		{"insecure skip verify", func(s *fetch.Source) { s.InsecureSkipVerify = true }, alias.FetchOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			f := h.fetcher(t, nil)
			src := p.source("pops")
			src.TLS = fetch.TLSImplicit
			tc.set(src)
			res, err := f.Fetch(context.Background(), src)
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome %q (%v), want %q", res.Outcome, err, tc.outcome)
			}
			if tc.outcome == alias.FetchCertFailure {
				if !errors.Is(err, fetch.ErrCertificate) || errors.Is(err, fetch.ErrConnection) || !fetch.IsCertificateError(err) {
					t.Errorf("error %v: want ErrCertificate only", err)
				}
				if res.Health.CertFailures != 1 || res.Health.ConnFailures != 0 {
					t.Errorf("health = %+v, want one certificate failure", res.Health)
				}
			}
		})
	}
}

// TestA13DovecotTLS: implicit TLS and STARTTLS against Dovecot, for IMAP
// and POP3, verified with the server's certificate, refused without it.
func TestA13DovecotTLS(t *testing.T) {
	for _, tc := range []struct {
		key   string
		proto fetch.Protocol
		mode  fetch.TLSMode
	}{
		{"DESKMAIL_DOVECOT_IMAPS", fetch.IMAP, fetch.TLSImplicit},
		{"DESKMAIL_DOVECOT_IMAP", fetch.IMAP, fetch.TLSStartTLS},
		{"DESKMAIL_DOVECOT_POP3S", fetch.POP3, fetch.TLSImplicit},
		{"DESKMAIL_DOVECOT_POP3", fetch.POP3, fetch.TLSStartTLS},
	} {
		t.Run(string(tc.proto)+"/"+string(tc.mode), func(t *testing.T) {
			m := dovecot(t, tc.key, tc.mode)
			dovecotMailbox(t).reset(t, mail("tls-"+string(tc.proto)+string(tc.mode), 1))
			h := newHarness(t)
			f := h.fetcher(t, nil)
			src := m.source("tls")
			src.Protocol = tc.proto
			res, err := f.Fetch(context.Background(), src)
			if err != nil || res.Delivered != 1 {
				t.Fatalf("Fetch = %+v, %v; want the mail", res, err)
			}
			src.ID, src.RootCAs = "tls-untrusted", nil
			if _, err := f.Fetch(context.Background(), src); !errors.Is(err, fetch.ErrCertificate) {
				t.Errorf("Fetch without the server's root: %v, want ErrCertificate", err)
			}
		})
	}
}

// TestA13DovecotWrongPassword: Dovecot's refusal is an authentication
// failure, for IMAP and POP3.
func TestA13DovecotWrongPassword(t *testing.T) {
	for _, key := range []string{"DESKMAIL_DOVECOT_IMAP", "DESKMAIL_DOVECOT_POP3"} {
		t.Run(key, func(t *testing.T) {
			m := dovecot(t, key, fetch.TLSStartTLS)
			h := newHarness(t)
			f := h.fetcher(t, nil)
			src := m.source("wrong")
			if key == "DESKMAIL_DOVECOT_POP3" {
				src.Protocol = fetch.POP3
			}
			src.Password = "not-the-password"
			_, err := f.Fetch(context.Background(), src)
			if !errors.Is(err, fetch.ErrAuth) {
				t.Fatalf("Fetch: %v, want ErrAuth", err)
			}
		})
	}
}

// TestA13OAuth: XOAUTH2 and OAUTHBEARER with a token from the host.
func TestA13OAuth(t *testing.T) {
	const good = "ya29.good-token"
	tokens := func(tok string, err error) fetch.TokenSource {
		return fetch.TokenFunc(func(context.Context) (string, error) { return tok, err })
	}
	imapBox := fakeIMAP(t, good, false)
	imapBox.reset(t, mail("oauth-imap", 1))
	pop := newFakePOP3(t)
	pop.token = good
	pop.add(mail("oauth-pop", 1))
	for _, tc := range []struct {
		name  string
		src   func() *fetch.Source
		mech  fetch.Mechanism
		token fetch.TokenSource
		ok    bool
	}{
		{"imap xoauth2", func() *fetch.Source { return imapBox.source("o1") }, fetch.MechXOAUTH2, tokens(good, nil), true},
		{"imap xoauth2 bad token", func() *fetch.Source { return imapBox.source("o2") }, fetch.MechXOAUTH2, tokens("expired", nil), false},
		{"pop3 xoauth2", func() *fetch.Source { return pop.source("o3") }, fetch.MechXOAUTH2, tokens(good, nil), true},
		{"pop3 oauthbearer", func() *fetch.Source { return pop.source("o4") }, fetch.MechOAUTHBEARER, tokens(good, nil), true},
		{"pop3 xoauth2 bad token", func() *fetch.Source { return pop.source("o5") }, fetch.MechXOAUTH2, tokens("expired", nil), false},
		{"token source fails", func() *fetch.Source { return pop.source("o6") }, fetch.MechXOAUTH2, tokens("", errors.New("refresh token revoked")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			f := h.fetcher(t, nil)
			src := tc.src()
			src.Mechanism, src.Token, src.Password, src.After = tc.mech, tc.token, "", fetch.AfterLeave
			if src.Protocol == fetch.IMAP {
				src.Username = "username"
			}
			res, err := f.Fetch(context.Background(), src)
			if tc.ok {
				if err != nil || res.Delivered != 1 {
					t.Fatalf("Fetch = %+v, %v; want the mail", res, err)
				}
				return
			}
			if !errors.Is(err, fetch.ErrAuth) || res.Outcome != alias.FetchAuthFailure {
				t.Fatalf("Fetch = %+v, %v; want an authentication failure", res, err)
			}
		})
	}
}
