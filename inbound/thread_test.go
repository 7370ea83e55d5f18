package inbound_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

func TestThreading(t *testing.T) {
	w := newWorld(t, nil)
	otherID := w.sent(t, "1001", "m2")
	tests := []struct {
		name     string
		env      *deskmail.Envelope
		raw      string
		action   inbound.Action
		ticket   string
		private  bool
		method   string
		stranger bool
	}{
		{
			name:   "T1/reply through In-Reply-To",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("Thanks", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: Your order [#1001]", "In-Reply-To: <"+w.ourID+">", "Message-ID: <r1@customer.example>"),
			action: inbound.ActionAppend, ticket: "1001", method: "token",
		},
		{
			name:   "T1/reply through References only",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("Thanks", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: Your order", "References: <a@x> <"+otherID+">"),
			action: inbound.ActionAppend, ticket: "1001", method: "token",
		},
		{
			name:   "T2/T4/ticket number in the subject from the ticket's contact",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("One more thing", "From: mary@customer.example", "To: support@acme.example", "Subject: About [#1001]"),
			action: inbound.ActionAppend, ticket: "1001", method: "subject",
		},
		{
			name:   "T4/a stranger's ticket number does not attach",
			env:    &deskmail.Envelope{From: "spam@spam.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw:    mail("Buy now", "From: spam@spam.example", "To: support@acme.example", "Subject: Offer [#1001]"),
			action: inbound.ActionNewTicket, method: "new",
		},
		{
			name:   "T3/an active agent may attach by number",
			env:    &deskmail.Envelope{From: "brad@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: acmeIP},
			raw:    mail("note", "From: brad@acme.example", "To: support@acme.example, mary@customer.example", "Subject: [#1001] update"),
			action: inbound.ActionAppend, ticket: "1001", method: "subject",
		},
		{
			name:   "T3/a restricted agent may not attach by number",
			env:    &deskmail.Envelope{From: "lena@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: acmeIP},
			raw:    mail("note", "From: lena@acme.example", "To: support@acme.example", "Subject: [#1001] update"),
			action: inbound.ActionNewTicket, method: "new",
		},
		{
			name:   "T5/a new mail carrying our references joins its ticket",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("Another question", "From: mary@customer.example", "To: support@acme.example", "Subject: Different subject", "References: <"+w.ourID+">"),
			action: inbound.ActionAppend, ticket: "1001", method: "token",
		},
		{
			name:   "T1/a body marker joins its ticket",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("Quoted reply\r\n> "+bodyMarker(t, w), "From: mary@customer.example", "To: support@acme.example", "Subject: Different subject"),
			action: inbound.ActionAppend, ticket: "1001", method: "token",
		},
		{
			name:   "T1/a forged token never attaches",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("x", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x", "In-Reply-To: <"+forge(w.ourID)+">"),
			action: inbound.ActionNewTicket, method: "new",
		},
		{
			name:   "stranger replying with a real Message-ID joins privately",
			env:    &deskmail.Envelope{From: "colleague@else.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP},
			raw:    mail("I am Mary's colleague", "From: colleague@else.example", "To: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">"),
			action: inbound.ActionAppend, ticket: "1001", method: "token", private: true, stranger: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, tc.env, tc.raw)
			if d.Action != tc.action || d.Ticket != tc.ticket || d.Private != tc.private {
				t.Fatalf("got %s ticket %q private %v, want %s %q %v (%s)", d.Action, d.Ticket, d.Private, tc.action, tc.ticket, tc.private, codes(d))
			}
			if d.Thread == nil || d.Thread.Method != tc.method || d.Thread.Stranger != tc.stranger {
				t.Fatalf("thread %+v, want method %s", d.Thread, tc.method)
			}
		})
	}
}

// forge changes one character of a token so that it no longer verifies.
func forge(id string) string {
	b := []byte(id)
	i := strings.IndexByte(id, '@') - 3
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func TestLoopsAndDuplicates(t *testing.T) {
	w := newWorld(t, nil)
	t.Run("L2/our own Message-ID coming back is dropped", func(t *testing.T) {
		raw := mail("our reply", "From: Acme Support <support@acme.example>", "To: mary@customer.example", "Cc: support@acme.example", "Subject: Re: Your order", "Message-ID: <"+w.ourID+">")
		d := w.process(t, &deskmail.Envelope{From: "support@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: acmeIP}, raw)
		if d.Action != inbound.ActionDrop {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
		if _, ok := d.Why(inbound.CodeLoop); !ok {
			t.Fatalf("no loop reason: %s", codes(d))
		}
	})
	t.Run("L2/our X-Loop value is a loop", func(t *testing.T) {
		raw := mail("x", "From: someone@customer.example", "To: support@acme.example", "Subject: x", "X-Loop: acme.desk.example")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.Action != inbound.ActionDrop {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
	})
	t.Run("L1/an auto-reply becomes a ticket but gets no auto-response", func(t *testing.T) {
		raw := mail("I am away", "From: mary@customer.example", "To: support@acme.example", "Subject: Out of office", "Auto-Submitted: auto-replied")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.Action != inbound.ActionNewTicket || !d.NoAutoResponse || !d.AutoReply.Automatic() {
			t.Fatalf("got %s noauto=%v (%s)", d.Action, d.NoAutoResponse, codes(d))
		}
	})
	t.Run("L1/a person's mail may be answered", func(t *testing.T) {
		raw := mail("Hello", "From: mary@customer.example", "To: support@acme.example", "Subject: Hello")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.NoAutoResponse {
			t.Fatalf("NoAutoResponse set (%s)", codes(d))
		}
	})
	t.Run("the same mail delivered twice is a duplicate", func(t *testing.T) {
		if err := w.th.Remember(context.Background(), "acme", "1001", false, "dup@customer.example"); err != nil {
			t.Fatal(err)
		}
		raw := mail("again", "From: mary@customer.example", "To: support@acme.example", "Subject: again", "Message-ID: <dup@customer.example>")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.Action != inbound.ActionDrop || d.Ticket != "1001" {
			t.Fatalf("got %s %s (%s)", d.Action, d.Ticket, codes(d))
		}
	})
}

// bodyMarker is our body marker for ticket 1001, in upper case as a mail
// client might quote it.
func bodyMarker(t *testing.T, w *world) string {
	m, err := w.th.BodyMarker("acme", "1001")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(m[:7]) + m[7:]
}
