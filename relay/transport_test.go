package relay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

func TestSecurity(t *testing.T) {
	for _, sec := range []smtptest.Security{smtptest.None, smtptest.StartTLS, smtptest.ImplicitTLS} {
		t.Run("R2/"+sec.String(), func(t *testing.T) {
			f := newFixture(t, &smtptest.Options{Security: sec}, nil)
			res, err := f.send("a@example.net")
			if err != nil || res.Recipients[0].Status != deskmail.StatusDelivered || res.Via != "relay:r1" {
				t.Fatalf("send = %s via %q, %v", statuses(res), res.Via, err)
			}
			m := f.srv.Messages()
			if len(m) != 1 || m[0].TLS != (sec != smtptest.None) {
				t.Fatalf("server got %+v", m)
			}
		})
	}
	t.Run("R2/wrong certificate is a TLS fault and falls back", func(t *testing.T) {
		f := newFixture(t, &smtptest.Options{Security: smtptest.StartTLS, Fault: smtptest.Fault{WrongCert: true}}, nil)
		res, err := f.send("a@example.net")
		if err != nil || res.Via != "platform" || len(f.srv.Messages()) != 0 || len(f.plat.recipients()) != 1 {
			t.Fatalf("send = %s via %q, %v", statuses(res), res.Via, err)
		}
	})
	t.Run("R2/verification off for one relay accepts the wrong certificate", func(t *testing.T) {
		f := newFixture(t, &smtptest.Options{Security: smtptest.ImplicitTLS, Fault: smtptest.Fault{WrongCert: true}},
			func(c *relay.Config) { c.Relays[0].InsecureSkipVerify = true })
		res, err := f.send("a@example.net")
		if err != nil || res.Via != "relay:r1" || len(f.srv.Messages()) != 1 {
			t.Fatalf("send = %s via %q, %v", statuses(res), res.Via, err)
		}
	})
}

func TestAuth(t *testing.T) {
	for _, mech := range []relay.AuthMechanism{relay.AuthPlain, relay.AuthLogin, relay.AuthXOAUTH2, relay.AuthOAuthBearer} {
		t.Run("R3/"+string(mech), func(t *testing.T) {
			f := newFixture(t, &smtptest.Options{Security: smtptest.StartTLS,
				Users:  map[string]string{"app@example.com": testPassword},
				Tokens: map[string]string{"app@example.com": testToken}},
				func(c *relay.Config) { c.Relays[0].Auth = mech; c.Relays[0].Username = "app@example.com" })
			res, err := f.send("a@example.net")
			if err != nil || res.Via != "relay:r1" {
				t.Fatalf("send = %s via %q, %v", statuses(res), res.Via, err)
			}
			if m := f.srv.Messages(); len(m) != 1 || m[0].User != "app@example.com" {
				t.Fatalf("server got %+v", m)
			}
		})
	}
	t.Run("R3/token source refreshes expired and rejected tokens", func(t *testing.T) {
		srv := smtptest.New(t, &smtptest.Options{Tokens: map[string]string{"u@example.com": "tok-2"}})
		clk := newClock()
		calls := 0
		d := relay.NewDialer(&relay.SMTPOptions{Now: clk.Now, Tokens: relay.TokenFunc(func(ctx context.Context, account, id string) (relay.Token, error) {
			calls++
			return relay.Token{AccessToken: fmt.Sprintf("tok-%d", calls), Expiry: clk.Now().Add(time.Hour)}, nil
		})})
		r := relayFor("r1", srv)
		r.Auth, r.Username = relay.AuthXOAUTH2, "u@example.com"
		ctx := context.Background()
		if p := d.Probe(ctx, "a", &r); p.OK || p.Stage != relay.StageAuth || p.Code != 535 {
			t.Fatalf("probe with tok-1 = %+v, want 535 at auth", p)
		}
		if p := d.Probe(ctx, "a", &r); !p.OK {
			t.Fatalf("probe after rejection = %+v, want a fresh token", p)
		}
		if p := d.Probe(ctx, "a", &r); !p.OK || calls != 2 {
			t.Fatalf("cached token not reused: calls = %d, %+v", calls, p)
		}
		clk.Add(2 * time.Hour)
		d.Probe(ctx, "a", &r)
		if calls != 3 {
			t.Fatalf("expired token not refreshed: calls = %d", calls)
		}
	})
}

func TestSecretsNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	srv := smtptest.New(t, &smtptest.Options{Security: smtptest.StartTLS,
		Users: map[string]string{"app": "other"}, Tokens: map[string]string{"app": "other"}})
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := relay.NewDialer(&relay.SMTPOptions{RootCAs: srv.CertPool(), Logger: logger,
		Passwords: relay.PasswordFunc(func(context.Context, string, string) (string, error) { return testPassword, nil }),
		Tokens: relay.TokenFunc(func(context.Context, string, string) (relay.Token, error) {
			return relay.Token{AccessToken: testToken}, nil
		})})
	var texts []string
	for _, mech := range []relay.AuthMechanism{relay.AuthPlain, relay.AuthLogin, relay.AuthXOAUTH2, relay.AuthOAuthBearer} {
		r := relayFor("r1", srv)
		r.Auth, r.Username = mech, "app"
		_, err := d.Transport(&r).Send(context.Background(), &deskmail.Envelope{Account: "a", From: "x@example.com", To: []string{"y@example.net"}}, testMsg("x@example.com"))
		if err == nil {
			t.Fatalf("%s: auth with a wrong secret succeeded", mech)
		}
		texts = append(texts, err.Error())
		p := d.Probe(context.Background(), "a", &r)
		texts = append(texts, p.Message)
	}
	texts = append(texts, logs.String())
	all := strings.Join(texts, "\n")
	if !strings.Contains(all, "535") {
		t.Fatalf("no AUTH failure recorded:\n%s", all)
	}
	for _, secret := range []string{testPassword, testToken, "czNjcjN0", "eWEyOS50"} { // and base64 prefixes
		if strings.Contains(all, secret) {
			t.Fatalf("secret %q leaked:\n%s", secret, all)
		}
	}
}

func TestContextBoundsEveryStage(t *testing.T) {
	// go-smtp would wait minutes at a silent greeting; the context ends it.
	srv := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{HangGreeting: true}})
	d := relay.NewDialer(&relay.SMTPOptions{CommandTimeout: time.Hour, DataTimeout: time.Hour})
	r := relayFor("r1", srv)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Transport(&r).Send(ctx, &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, testMsg("s@example.com"))
	var e *relay.Error
	if !errors.As(err, &e) || e.Stage != relay.StageGreeting || e.Class != relay.ClassFault {
		t.Fatalf("err = %#v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	// Cancelling (no deadline) also ends it.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	if _, err := d.Transport(&r).Send(ctx2, &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, nil); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("cancel took %v", time.Since(start))
	}
}

func TestProbe(t *testing.T) {
	ok := smtptest.New(t, &smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"u": testPassword}})
	hang := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{HangGreeting: true}})
	refused := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{Refuse: true}})
	wrong := smtptest.New(t, &smtptest.Options{Security: smtptest.ImplicitTLS, Fault: smtptest.Fault{WrongCert: true}})
	authFail := smtptest.New(t, &smtptest.Options{Users: map[string]string{"u": "other"}})
	pw := relay.PasswordFunc(func(context.Context, string, string) (string, error) { return testPassword, nil })
	roots := ok.CertPool()
	tests := []struct {
		name  string
		srv   *smtptest.Server
		auth  bool
		ok    bool
		stage relay.Stage
		code  int
		says  string
	}{
		{"R14/connect, STARTTLS and AUTH", ok, true, true, relay.StageDone, 0, "authenticated with PLAIN"},
		{"R14/refused", refused, false, false, relay.StageConnect, 0, "Could not connect"},
		{"R14/silent greeting", hang, false, false, relay.StageGreeting, 0, "did not greet"},
		{"R14/untrusted certificate", wrong, false, false, relay.StageTLS, 0, "certificate"},
		{"R14/bad password", authFail, true, false, relay.StageAuth, 535, "Authentication as u with PLAIN failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.srv == wrong {
				roots = wrong.CertPool()
			}
			d := relay.NewDialer(&relay.SMTPOptions{RootCAs: roots, Passwords: pw})
			r := relayFor("r1", tc.srv)
			if tc.auth {
				r.Auth, r.Username = relay.AuthPlain, "u"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			p := d.Probe(ctx, "a", &r)
			if p.OK != tc.ok || p.Stage != tc.stage || p.Code != tc.code || !strings.Contains(p.Message, tc.says) {
				t.Fatalf("probe = %+v", p)
			}
			if strings.Contains(p.Message, testPassword) {
				t.Fatal("password in message")
			}
		})
	}
}
