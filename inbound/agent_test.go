package inbound_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/inbound"
)

const agentForward = `Please take this one.

---------- Forwarded message ---------
From: Mary Major <mary@customer.example>
Date: Mon, 2 Nov 2026 at 08:00
Subject: Broken widget
To: Brad <brad@acme.example>

My widget is broken.
`

func TestAgents(t *testing.T) {
	w := newWorld(t, nil)
	agentEnv := &deskmail.Envelope{From: "brad@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: acmeIP}
	t.Run("A11/an agent's forward opens the ticket for the original sender", func(t *testing.T) {
		raw := mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget")
		d := w.process(t, agentEnv, raw)
		if d.Action != inbound.ActionNewTicket || d.ContactAddr != "mary@customer.example" || !d.Agent {
			t.Fatalf("got %s contact %q agent %v (%s)", d.Action, d.ContactAddr, d.Agent, codes(d))
		}
		if !d.Private || d.Forward == nil {
			t.Fatalf("A12: a forwarded thread is private; got private=%v", d.Private)
		}
	})
	t.Run("A11/setting off: the agent stays the contact", func(t *testing.T) {
		w2 := newWorld(t, nil)
		_ = w2.aliases.UpdateAccount(context.Background(), "acme", func(a *alias.Account) error { a.Settings.ForwardedSender = false; return nil })
		raw := mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget")
		d := w2.process(t, agentEnv, raw)
		if d.ContactAddr != "brad@acme.example" || d.Forward != nil {
			t.Fatalf("contact %q", d.ContactAddr)
		}
	})
	t.Run("A11/a customer's forward is not an agent's", func(t *testing.T) {
		raw := mail(strings.ReplaceAll(agentForward, "mary@customer.example", "other@else.example"), "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Fwd: Broken widget")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.ContactAddr != "mary@customer.example" {
			t.Fatalf("contact %q", d.ContactAddr)
		}
	})
	t.Run("A12/an agent's reply leaving out the customer is private", func(t *testing.T) {
		raw := mail("FYI", "From: Brad <brad@acme.example>", "To: boss@acme.example, support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">")
		d := w.process(t, agentEnv, raw)
		if d.Action != inbound.ActionAppend || d.Ticket != "1001" || !d.Private {
			t.Fatalf("got %s %s private=%v (%s)", d.Action, d.Ticket, d.Private, codes(d))
		}
	})
	t.Run("A12/an agent's reply to the customer is public", func(t *testing.T) {
		raw := mail("Done", "From: Brad <brad@acme.example>", "To: mary@customer.example", "Cc: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">")
		d := w.process(t, agentEnv, raw)
		if d.Action != inbound.ActionAppend || d.Private {
			t.Fatalf("got %s private=%v (%s)", d.Action, d.Private, codes(d))
		}
	})
}
