package smtpd_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

// TestNewRequires checks the sentinels of missing dependencies.
func TestNewRequires(t *testing.T) {
	st := testAliases(t)
	p, _ := inbound.New(&inbound.Options{Aliases: st, SkipAuth: true})
	h := inbound.HandlerFunc(func(context.Context, *inbound.Delivery) error { return nil })
	auth := func(context.Context, string, string) error { return nil }
	for _, tc := range []struct {
		name string
		o    *smtpd.Options
		want error
	}{
		{"nil", nil, smtpd.ErrNoPipeline},
		{"no pipeline", &smtpd.Options{Aliases: st, Handler: h}, smtpd.ErrNoPipeline},
		{"no aliases", &smtpd.Options{Pipeline: p, Handler: h}, smtpd.ErrNoAliases},
		{"no handler", &smtpd.Options{Pipeline: p, Aliases: st}, smtpd.ErrNoHandler},
		{"require auth without callback", &smtpd.Options{Pipeline: p, Aliases: st, Handler: h, RequireAuth: true}, smtpd.ErrNoAuthenticator},
		{"complete", &smtpd.Options{Pipeline: p, Aliases: st, Handler: h, Authenticate: auth, RequireAuth: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := smtpd.New(tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestA2A6RcptCheckedAtRcpt: the recipient is checked against the alias
// store when it is given, so unknown and disabled addresses are refused
// with 550 5.1.1 and never bounced later.
func TestA2A6RcptCheckedAtRcpt(t *testing.T) {
	r := newRig(t, nil)
	verp, err := testVERP(t).ReturnPath("acme", "bob@customer.example", "x@acme.desk.example")
	if err != nil {
		t.Fatal(err)
	}
	forged := "b-" + strings.Repeat("a", 40) + "@bounce.desk.example"
	for _, tc := range []struct {
		name, rcpt, want string
	}{
		{"A2 platform address", acmePlatform, "250 "},
		{"A2 customer-owned address", acmeSupport, "250 "},
		{"A16 sub-address", "support+orders@acme.desk.example", "250 "},
		{"second tenant", betaSupport, "250 "},
		{"unknown", "nobody@acme.desk.example", "550 5.1.1 "},
		{"A6 disabled", acmeOld, "550 5.1.1 "},
		{"B6 VERP return path", verp, "250 "},
		{"B10 forged VERP", forged, "550 5.1.1 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := dialLine(t, r.addr)
			expect(t, l.reply(), "220 ")
			expect(t, l.cmd("EHLO mx.customer.example"), "250 ")
			expect(t, l.cmd("MAIL FROM:<mary@customer.example>"), "250 ")
			expect(t, l.cmd("RCPT TO:<"+tc.rcpt+">"), tc.want)
		})
	}
}

// TestStoreErrorsAre451: a failing alias store at RCPT, and a pipeline
// error after DATA, answer 451 4.3.0 so the sender retries.
func TestStoreErrorsAre451(t *testing.T) {
	t.Run("rcpt", func(t *testing.T) {
		r := newRig(t, func(o *smtpd.Options) { o.Aliases = &failingStore{Store: o.Aliases, lookup: true} })
		l := dialLine(t, r.addr)
		l.reply()
		l.cmd("EHLO c.example")
		l.cmd("MAIL FROM:<a@c.example>")
		expect(t, l.cmd("RCPT TO:<"+acmePlatform+">"), "451 4.3.0 ")
	})
	t.Run("pipeline", func(t *testing.T) {
		st := &failingStore{Store: testAliases(t), account: true}
		p, err := inbound.New(&inbound.Options{Aliases: st, SkipAuth: true})
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, func(o *smtpd.Options) { o.Pipeline = p })
		err = send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(testMail))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
			t.Fatalf("SendMail: %v, want 451 4.3.0", err)
		}
		if n := len(r.deliveries()); n != 0 {
			t.Fatalf("%d deliveries after a pipeline error", n)
		}
	})
}

// TestDelivery: an accepted mail reaches the handler with its decision,
// its envelope and a Received field, and is acknowledged only then.
func TestDelivery(t *testing.T) {
	r := newRig(t, nil)
	if err := send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(testMail)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	d := got[0]
	if d.Decision.Action != inbound.ActionNewTicket || d.Decision.Account != "acme" {
		t.Errorf("decision %s for %q", d.Decision.Action, d.Decision.Account)
	}
	if d.Envelope.From != "mary@customer.example" || len(d.Envelope.To) != 1 || !d.Envelope.ClientIP.IsLoopback() || d.Envelope.HELO != "mx.customer.example" {
		t.Errorf("envelope %+v", d.Envelope)
	}
	raw := string(d.Raw)
	wantRecv := "Received: from mx.customer.example ([127.0.0.1])\r\n\tby mx.desk.example (deskmail) with ESMTP id " + d.ID +
		"\r\n\tfor <" + acmePlatform + ">;\r\n\tFri, 04 Dec 2026 12:00:00 +0000\r\n"
	if !strings.HasPrefix(raw, wantRecv) || !strings.HasSuffix(raw, testMail) {
		t.Errorf("raw:\n%s\nwant it to start with\n%s", raw, wantRecv)
	}
	if d.Protocol != "ESMTP" || d.TLS || d.Authenticated != "" {
		t.Errorf("protocol %s tls %v auth %q", d.Protocol, d.TLS, d.Authenticated)
	}
}

// TestHandlerErrorIs451: the mail is acknowledged only after the host took
// it; a handler error is a temporary failure.
func TestHandlerErrorIs451(t *testing.T) {
	r := newRig(t, nil)
	r.fail = func(*inbound.Delivery) error { return errors.New("database down: password=hunter2") }
	err := send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(testMail))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 || strings.Contains(se.Message, "hunter2") {
		t.Fatalf("SendMail: %v, want 451 without the handler's text", err)
	}
}

// TestLMTPPerRecipient: in LMTP mode each recipient gets its own reply:
// the pipeline runs once per account, and a handler failure for one
// account defers only that account's recipients.
func TestLMTPPerRecipient(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.LMTP = true })
	r.fail = func(d *inbound.Delivery) error {
		if d.Decision.Account == "beta" {
			return errors.New("beta's database is down")
		}
		return nil
	}
	nc, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(nc)
	defer c.Close()
	if err := c.Hello("mx.customer.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("mary@customer.example", nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{acmePlatform, betaSupport, "support+x@acme.desk.example"} {
		if err := c.Rcpt(to, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testMail))
	res, err := w.CloseWithLMTPResponse()
	if err == nil {
		t.Fatal("no error for beta's recipient")
	}
	_ = res
	var lerr smtp.LMTPDataError
	if !errors.As(err, &lerr) {
		t.Fatalf("error %T %v", err, err)
	}
	if len(lerr) != 1 || lerr[betaSupport] == nil || lerr[betaSupport].Code != 451 {
		t.Fatalf("per-recipient errors %v, want 451 for %s only", lerr, betaSupport)
	}
	got := r.deliveries()
	if len(got) != 1 || got[0].Decision.Account != "acme" || len(got[0].Envelope.To) != 2 {
		t.Fatalf("deliveries %+v", got)
	}
	if got[0].Protocol != "LMTP" || strings.Contains(string(got[0].Raw[:200]), "for <") {
		t.Errorf("protocol %s; two recipients must not be named in Received:\n%s", got[0].Protocol, got[0].Raw)
	}
}

// TestAuthPlain: AUTH PLAIN through the host's callback marks the mail as
// authenticated; wrong credentials get 535 and the password never reaches
// the log; RequireAuth refuses MAIL before AUTH.
func TestAuthPlain(t *testing.T) {
	var logs strings.Builder
	r := newRig(t, func(o *smtpd.Options) {
		o.AllowInsecureAuth, o.RequireAuth = true, true
		o.Authenticate = func(_ context.Context, user, pass string) error {
			if user == "agent" && pass == "s3cret-pass" {
				return nil
			}
			return smtpd.ErrBadCredentials
		}
		o.Logger = newTextLogger(&logs)
	})
	c, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Mail("brad@acme.example", nil); !errors.As(err, &se) || se.Code != 530 {
		t.Fatalf("MAIL before AUTH: %v, want 530", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "agent", "wrong-pass")); !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("bad AUTH: %v, want 535", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "agent", "s3cret-pass")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("brad@acme.example", []string{acmePlatform}, strings.NewReader(testMail)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 1 || got[0].Authenticated != "agent" || got[0].Protocol != "ESMTPA" {
		t.Fatalf("deliveries %+v", got)
	}
	if !strings.Contains(string(got[0].Raw), " with ESMTPA id ") || strings.Contains(string(got[0].Raw), "agent") {
		t.Errorf("Received must name ESMTPA and not the identity:\n%s", got[0].Raw[:300])
	}
	if strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "wrong-pass") {
		t.Errorf("a password reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "authentication failed") {
		t.Errorf("no log line for the failure:\n%s", logs.String())
	}
}

// TestSTARTTLS: STARTTLS with the host's configuration; the Received
// field names the TLS version and cipher and the protocol ESMTPS.
func TestSTARTTLS(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.TLSConfig = testTLS(t) })
	c, err := smtp.DialStartTLS(r.addr, insecureClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("mary@customer.example", []string{acmePlatform}, strings.NewReader(testMail)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 1 || !got[0].TLS || got[0].Protocol != "ESMTPS" {
		t.Fatalf("deliveries %+v", got)
	}
	if !strings.Contains(string(got[0].Raw), "(using TLS 1.3 with cipher TLS_") {
		t.Errorf("Received without TLS details:\n%s", got[0].Raw[:300])
	}
}

// TestShutdownDrains: Shutdown ends idle sessions, lets the mail being
// processed finish and be acknowledged, and then returns.
func TestShutdownDrains(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	r := newRig(t, nil)
	r.fail = func(*inbound.Delivery) error { close(entered); <-release; return nil }

	idle := dialLine(t, r.addr)
	expect(t, idle.reply(), "220 ")
	expect(t, idle.cmd("EHLO idle.example"), "250 ")

	sent := make(chan error, 1)
	go func() {
		sent <- send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(testMail))
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- r.srv.Shutdown(context.Background()) }()
	expect(t, idle.reply(), "421 ")
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a mail in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-sent; err != nil {
		t.Fatalf("the mail in flight: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", r.addr); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

// TestAuthenticatedSenderTrusted: with SenderCheck, an authenticated
// session may send only as the login's addresses (553 5.7.1 at MAIL, 550
// 5.7.1 for the From header), and its mail goes through the pipeline's
// trusted path, so the From counts as authenticated without SPF or DKIM.
func TestAuthenticatedSenderTrusted(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) {
		o.AllowInsecureAuth = true
		o.Authenticate = func(context.Context, string, string) error { return nil }
		o.SenderCheck = func(_ context.Context, user, addr string) error {
			if user == "brad" && addr == "brad@acme.example" {
				return nil
			}
			return smtpd.ErrSenderNotAllowed
		}
	})
	c, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "brad", "pw")); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Mail("eve@acme.example", nil); !errors.As(err, &se) || se.Code != 553 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("MAIL as another address: %v, want 553 5.7.1", err)
	}
	_ = c.Reset()
	spoof := strings.Replace(testMail, "From: Mary <mary@customer.example>", "From: Eve <eve@acme.example>", 1)
	if err := c.SendMail("brad@acme.example", []string{acmePlatform}, strings.NewReader(spoof)); !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("From header of another address: %v, want 550 5.7.1", err)
	}
	own := strings.Replace(testMail, "From: Mary <mary@customer.example>", "From: Brad <brad@acme.example>", 1)
	if err := c.SendMail("brad@acme.example", []string{acmePlatform}, strings.NewReader(own)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 1 || !got[0].Trusted || got[0].Authenticated != "brad" {
		t.Fatalf("deliveries %+v", got)
	}
	if _, ok := got[0].Decision.Why(inbound.CodeAuthTrusted); !ok || !got[0].Decision.Authenticated {
		t.Errorf("decision not on the trusted path: %+v", got[0].Decision.Reasons)
	}
}

// TestDeliveryJSON: the Delivery a host logs has snake_case keys and never
// the mail itself.
func TestDeliveryJSON(t *testing.T) {
	b, err := json.Marshal(&inbound.Delivery{ID: "X1", Raw: []byte("secret body"), Authenticated: "brad", Protocol: "ESMTPA"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"id":"X1"`, `"authenticated":"brad"`, `"protocol":"ESMTPA"`, `"trusted":false`, `"tls":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	if strings.Contains(s, "secret body") || strings.Contains(s, "Raw") {
		t.Errorf("JSON carries the mail: %s", s)
	}
}

// TestSMTPTwoAccounts: in SMTP mode a mail for two tenants is decided once
// per account and acknowledged once both took it; if one fails, the one
// reply is 451.
func TestSMTPTwoAccounts(t *testing.T) {
	r := newRig(t, nil)
	if err := send(r.addr, "mary@customer.example", []string{acmePlatform, betaSupport}, strings.NewReader(testMail)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 2 || got[0].Decision.Account != "acme" || got[1].Decision.Account != "beta" {
		t.Fatalf("deliveries %d", len(got))
	}
	if got[0].Envelope.To[0] != acmePlatform || got[1].Envelope.To[0] != betaSupport {
		t.Errorf("envelopes %v %v", got[0].Envelope.To, got[1].Envelope.To)
	}
	r.fail = func(d *inbound.Delivery) error {
		if d.Decision.Account == "beta" {
			return errors.New("down")
		}
		return nil
	}
	var se *smtp.SMTPError
	if err := send(r.addr, "mary@customer.example", []string{acmePlatform, betaSupport}, strings.NewReader(testMail)); !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("SendMail: %v, want 451", err)
	}
}
