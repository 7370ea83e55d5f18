package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/inbound"
)

// TestTour runs the whole example end to end — real SMTP on loopback in and
// out — and checks every step.
func TestTour(t *testing.T) {
	var out bytes.Buffer
	d, err := run(context.Background(), &out, options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	steps := []struct{ step, want string }{
		{"1 new mail opens a ticket (A2: via the customer-owned address)", "→ new ticket #1 for Mary <mary@customer.example>, SPF pass, DMARC pass"},
		{"2 reply through the customer's relay", "→ mary@customer.example: delivered via relay:acme-mx"},
		{"2 reply DKIM-signed with a VERP return path", "DKIM pass for acme.example; MAIL FROM b-"},
		{"3 second customer", "→ new ticket #2 for Bob <bob@customer.example>"},
		{"4 relay cap reached: the platform sends", "→ bob@customer.example: delivered via platform"},
		{"5 T1: the reply threads", "→ appended to ticket #1 as a public reply (matched by token)"},
		{"6 T4: a stranger's ticket number does not thread", "→ new ticket #3 for Eve <eve@customer.example>"},
		{"7 B6: the bounce lands on its ticket and blocks", "→ bounce shown on ticket #2: bob@customer.example is now hard_blocked (userunknown)"},
		{"8 B10: a forged bounce is ignored", "   Mary's address is still ok"},
		{"9 B2: the gate keeps mail from the blocked address", "→ bob@customer.example: dropped before sending (hard_blocked)"},
		{"10 A10: an agent with a non-ASCII name answers", "From: =?utf-8?"},
		{"10 the name decodes", "(Jürgen Müller <support@acme.example>)"},
		{"10 the subject decodes", "(Re: Ihre Bestellung — Rechnung Nr. 5521 (請求書) [#1])"},
		{"10 the attachment name decodes", "Attachment: Rechnung-5521 (請求書).pdf"},
		{"11 D4: a spoofed sender is suspended", "→ suspended for review (would be new_ticket)"},
		{"12 A6: a disabled address is refused at RCPT", "→ refused while the sender is connected: 550 5.1.1 <old@acme.desk.example>: this address does not accept mail"},
		{"13 A3: a Gmail confirmation is no ticket", "→ confirmation: a gmail forwarding confirmation (code 482913377)"},
		{"summary", "Tickets: 3, suspended for review: 1."},
	}
	for _, s := range steps {
		if !strings.Contains(got, s.want) {
			t.Errorf("step %s: transcript lacks %q", s.step, s.want)
		}
	}
	if t.Failed() {
		t.Logf("transcript:\n%s", got)
	}

	// The desk's state agrees with the transcript.
	ctx := context.Background()
	if n := len(d.tickets["1"].IDs); n != 4 {
		t.Errorf("ticket #1 holds %d messages, want Mary's, Brad's, Mary's reply and Jürgen's", n)
	}
	if notes := d.tickets["2"].Notes; len(notes) != 1 || !strings.Contains(notes[0], "hard_blocked") {
		t.Errorf("ticket #2 notes %q", notes)
	}
	if st, _ := d.tracker.Address(ctx, "acme", "bob@customer.example"); st.State != bounce.StateHardBlocked {
		t.Errorf("bob is %s", st.State)
	}
	if st, _ := d.tracker.Address(ctx, "acme", "mary@customer.example"); st.State != bounce.StateOK {
		t.Errorf("mary is %s after a forged bounce", st.State)
	}
	if len(d.suspended) != 1 || d.suspended[0].Held != inbound.ActionNewTicket || d.suspended[0].ContactAddr != "billing@bank.example" {
		t.Errorf("suspended %+v", d.suspended)
	}
}

// TestTourOut: with -out every mail sent is written as sent: DKIM-signed,
// byte for byte what the SMTP servers received.
func TestTourOut(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if _, err := run(context.Background(), &out, options{out: dir}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// Brad's two answers and Jürgen's; the reply to blocked Bob is never
	// sent.
	if len(files) != 3 {
		t.Fatalf("%d files written: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("DKIM-Signature:")) || !bytes.Contains(b, []byte("\r\nMessage-Id: <dm.demo.")) {
			t.Errorf("%s is not the signed mail:\n%.300s", f, b)
		}
	}
}

// TestTourOnPostgres runs the tour on PostgreSQL when DESKMAIL_POSTGRES_DSN
// names a database (CI sets it).
func TestTourOnPostgres(t *testing.T) {
	dsn := os.Getenv("DESKMAIL_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("DESKMAIL_POSTGRES_DSN not set")
	}
	var out bytes.Buffer
	if _, err := run(context.Background(), &out, options{postgres: dsn}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Tickets: 3, suspended for review: 1.") {
		t.Fatalf("transcript:\n%s", out.String())
	}
}
