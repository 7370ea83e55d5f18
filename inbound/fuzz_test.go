package inbound_test

import (
	"context"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

// FuzzProcess runs the whole pipeline on arbitrary raw mail: it must not
// panic, must return a decision with an action and at least one reason, and
// must never drop a mail without saying why, and no reason may carry a
// control character from the mail.
func FuzzProcess(f *testing.F) {
	w := newWorld(f, func(o *inbound.Options) { o.MaxBytes = 1 << 20 })
	rp, _ := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
	seeds := []string{
		mail("Hello", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Help"),
		mail("Thanks", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x [#1001]", "In-Reply-To: <"+w.ourID+">"),
		mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget"),
		dsn(rp, "gone@customer.example", "5.1.1", w.ourID),
		mail("x", "From: Gmail Team <forwarding-noreply@google.com>", "Subject: (#1234567) Gmail Forwarding Confirmation"),
		mail("x", "From: =?utf-8?b?5bGx55Sw?= <a@b.example>", "To: support@acme.example", "Subject: =?iso-2022-jp?b?GyRCJUYlOSVIGyhC?=", "Content-Type: multipart/mixed; boundary=z", "Auto-Submitted: auto-replied"),
		"From: a@b\n\n",
		"From: mary@customer.example\r\nEvil\x1b[2J\x00 no colon\r\n\r\n",
		mail("x", "From: "+hostileName+" <brad@acme.example>", "To: support@acme.example", "Subject: [#1001] "+hostileName),
		"\r\n\r\n",
		" folded: first\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add(s, "support@acme.desk.example", true)
		f.Add(s, rp, false)
	}
	f.Fuzz(func(t *testing.T, raw, rcpt string, withIP bool) {
		env := &deskmail.Envelope{To: []string{rcpt}, From: "mary@customer.example"}
		if withIP {
			env.ClientIP = customerIP
		}
		d, err := w.p.Process(context.Background(), env, []byte(raw))
		if err != nil {
			t.Fatalf("Process: %v", err)
		}
		if d.Action == "" || len(d.Reasons) == 0 {
			t.Fatalf("decision without action or reason: %+v", d)
		}
		checkSanitised(t, d)
	})
}
