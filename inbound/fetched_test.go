package inbound_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/inbound"
)

// signAcme DKIM-signs raw for acme.example and publishes the key in w's zone.
func signAcme(t *testing.T, w *world, raw string) string {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dkim.NewKeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	w.zone.AddTXT("sel._domainkey.acme.example", rec.TXTStrings()...)
	signed, err := dkim.Sign([]byte(raw), "acme.example", "sel", priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// TestFetchedMail: fetched mail (no client IP) is authenticated through
// DKIM alone and never suspended; an agent keeps its privileges only with
// a DKIM signature aligned with its From.
func TestFetchedMail(t *testing.T) {
	fetched := &deskmail.Envelope{To: []string{"support@acme.desk.example"}}
	raw := mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example, mary@customer.example", "Subject: [#1001] refund approved")
	t.Run("T3/fetched agent mail with aligned DKIM keeps the privileges", func(t *testing.T) {
		w := newWorld(t, nil)
		d := w.process(t, fetched, signAcme(t, w, raw))
		const want = "append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=auth_pass,routed,via_customer_fwd,threaded"
		if got := summary(d); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("T3/fetched agent mail without DKIM gets none", func(t *testing.T) {
		w := newWorld(t, nil)
		d := w.process(t, fetched, raw)
		const want = "new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_skipped,routed,via_customer_fwd,agent_unauthenticated,new_ticket"
		if got := summary(d); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("D4/fetched mail failing DMARC under p=reject is not suspended", func(t *testing.T) {
		w := newWorld(t, nil)
		d := w.process(t, fetched, mail("Hi", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Hi"))
		if d.Action != inbound.ActionNewTicket || d.Authenticated {
			t.Fatalf("got %s", summary(d))
		}
	})
}

// TestPipelineTrusted: Pipeline.Trusted is the same pipeline with
// Options.Trusted set, for a door serving both kinds of path.
func TestPipelineTrusted(t *testing.T) {
	w := newWorld(t, nil)
	env := &deskmail.Envelope{From: "brad@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}
	raw := []byte(mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example, mary@customer.example", "Subject: [#1001] refund approved"))
	d, err := w.p.Trusted().Process(t.Context(), env, raw)
	if err != nil || d.Action != inbound.ActionAppend || !d.Agent || !d.Authenticated {
		t.Fatalf("trusted: %s, %v", summary(d), err)
	}
	d, err = w.p.Process(t.Context(), env, raw)
	if err != nil || d.Action != inbound.ActionNewTicket || d.Agent {
		t.Fatalf("untrusted: %s, %v", summary(d), err)
	}
	if w.p.Trusted().Trusted() != w.p.Trusted() {
		t.Fatal("Trusted of a trusted pipeline is not itself")
	}
}
