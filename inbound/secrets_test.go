package inbound_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

// TestSecretsStayOut: the threading and VERP secrets never reach a log line,
// a reason or the JSON of a decision, whatever the mail.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	w := newWorld(t, func(o *inbound.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	rp, _ := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
	mails := []struct {
		env *deskmail.Envelope
		raw string
	}{
		{fromCustomer("support@acme.desk.example"), mail("x", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x", "In-Reply-To: <"+w.ourID+">")},
		{fromCustomer("support@acme.desk.example"), mail("x", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x", "In-Reply-To: <"+forge(w.ourID)+">")},
		{&deskmail.Envelope{To: []string{rp}, ClientIP: mtaIP}, dsn(rp, "gone@customer.example", "5.1.1", w.ourID)},
		{&deskmail.Envelope{To: []string{forge(rp)}, ClientIP: mtaIP}, dsn(forge(rp), "gone@customer.example", "5.1.1", "x@y")},
	}
	var out bytes.Buffer
	for _, m := range mails {
		d := w.process(t, m.env, m.raw)
		_ = json.NewEncoder(&out).Encode(d)
	}
	out.Write(logs.Bytes())
	for _, secret := range []string{"0123456789abcdef-threading", "0123456789abcdef-verp-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("secret %q leaked:\n%s", secret, out.String())
		}
	}
	if logs.Len() == 0 {
		t.Fatal("no debug line logged")
	}
}
