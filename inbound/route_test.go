package inbound_test

import (
	"context"
	"errors"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/inbound"
)

func TestNewRequiresAliases(t *testing.T) {
	if _, err := inbound.New(nil); !errors.Is(err, inbound.ErrNoAliases) {
		t.Fatalf("New(nil) = %v, want ErrNoAliases", err)
	}
	if _, err := inbound.New(&inbound.Options{Threader: nil, Allow: nil}); !errors.Is(err, inbound.ErrNoAliases) {
		t.Fatalf("New without Aliases = %v, want ErrNoAliases", err)
	}
}

func TestRouting(t *testing.T) {
	w := newWorld(t, nil)
	tests := []struct {
		name    string
		env     *deskmail.Envelope
		raw     string
		action  inbound.Action
		address string
		dept    string
		code    string
	}{
		{
			name:   "A2/customer-owned address forwarded to the platform",
			env:    fromCustomer("support@acme.desk.example"),
			raw:    mail("Hello", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Help", "Message-ID: <a1@customer.example>"),
			action: inbound.ActionNewTicket, address: "support@acme.example", dept: "support", code: inbound.CodeViaForward,
		},
		{
			name:   "A2/X-Original-To names the customer address without an envelope",
			env:    &deskmail.Envelope{},
			raw:    mail("Hello", "X-Original-To: support@acme.example", "From: Mary <mary@customer.example>", "To: Acme <support@acme.example>", "Subject: Help"),
			action: inbound.ActionNewTicket, address: "support@acme.example", dept: "support", code: inbound.CodeAuthSkipped,
		},
		{
			name:   "A4/second department's address",
			env:    fromCustomer("sales@acme.desk.example"),
			raw:    mail("Prices?", "From: mary@customer.example", "To: sales@acme.desk.example", "Subject: Prices"),
			action: inbound.ActionNewTicket, address: "sales@acme.desk.example", dept: "sales", code: inbound.CodeRouted,
		},
		{
			name:   "A6/mail to a disabled address is dropped with a reason",
			env:    fromCustomer("old@acme.desk.example"),
			raw:    mail("?", "From: mary@customer.example", "To: old@acme.example", "Subject: Anyone?"),
			action: inbound.ActionDrop, address: "old@acme.example", code: inbound.CodeAddressDisabled,
		},
		{
			name:   "no support address matches",
			env:    fromCustomer("nobody@elsewhere.example"),
			raw:    mail("?", "From: mary@customer.example", "To: nobody@elsewhere.example", "Subject: Hi"),
			action: inbound.ActionDrop, code: inbound.CodeNoRoute,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, tc.env, tc.raw)
			if d.Action != tc.action || d.Address != tc.address || (tc.dept != "" && d.Department != tc.dept) {
				t.Fatalf("got %s %q %q, want %s %q %q (%s)", d.Action, d.Address, d.Department, tc.action, tc.address, tc.dept, codes(d))
			}
			if _, ok := d.Why(tc.code); !ok {
				t.Fatalf("reason %s missing: %s", tc.code, codes(d))
			}
		})
	}
}

func TestForwardingConfirmations(t *testing.T) {
	w := newWorld(t, nil)
	t.Run("A3/Gmail confirmation is never a ticket", func(t *testing.T) {
		raw := mail("help@acme.example has requested to automatically forward mail to your email address support@acme.desk.example.\nConfirmation code: 482913377\n\nhttps://mail-settings.google.com/mail/vf-%5BANGjdJ9%5D-sample\n",
			"From: Gmail Team <forwarding-noreply@google.com>", "To: support@acme.desk.example",
			"Subject: (#482913377) Gmail Forwarding Confirmation - Receive Mail from support@acme.example")
		d := w.process(t, &deskmail.Envelope{From: "forwarding-noreply@google.com", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}, raw)
		if d.Action != inbound.ActionConfirmation || d.Confirmation == nil || d.Confirmation.Code != "482913377" {
			t.Fatalf("got %+v (%s)", d.Action, codes(d))
		}
		if d.Account != "acme" || d.ConfirmationTrusted {
			t.Fatalf("account %q trusted %v; an unsigned confirmation must not be trusted", d.Account, d.ConfirmationTrusted)
		}
		if !d.NoAutoResponse {
			t.Fatal("a confirmation must not be answered")
		}
	})
	t.Run("A3/platform forwarding check came back", func(t *testing.T) {
		acct, _ := w.aliases.Account(context.Background(), "acme")
		cm, err := w.fc.Mail("acme", *acct.Address("support@acme.example"))
		if err != nil {
			t.Fatal(err)
		}
		raw := mail("check", "From: Desk <noreply@acme.desk.example>", "To: "+cm.To, "Subject: "+cm.Subject, cm.Header+": "+cm.Token)
		d := w.process(t, &deskmail.Envelope{From: "noreply@acme.desk.example", To: []string{"support@acme.desk.example"}, ClientIP: customerIP}, raw)
		if d.Action != inbound.ActionConfirmation || d.Account != "acme" || d.Address != "support@acme.example" {
			t.Fatalf("got %s %s %s (%s)", d.Action, d.Account, d.Address, codes(d))
		}
	})
}

func TestOutgoingCopyAndContacts(t *testing.T) {
	w := newWorld(t, nil)
	t.Run("A14/BCC to self from another client is an outgoing copy", func(t *testing.T) {
		raw := mail("Here is the quote", "From: Acme Support <support@acme.example>", "To: Mary <mary@customer.example>", "Subject: Quote", "Message-ID: <x1@acme.example>")
		d := w.process(t, &deskmail.Envelope{From: "support@acme.example", To: []string{"support@acme.desk.example"}, ClientIP: acmeIP}, raw)
		if d.Action != inbound.ActionOutgoingCopy || d.ContactAddr != "mary@customer.example" {
			t.Fatalf("got %s contact %q (%s)", d.Action, d.ContactAddr, codes(d))
		}
	})
	t.Run("A15/participants are matched with the host's records", func(t *testing.T) {
		raw := mail("Hi", "From: Mary <mary@customer.example>", "To: support@acme.example", "Cc: joe@customer.example, support@acme.example", "Subject: Hi")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if len(d.Participants) != 2 || d.Participants[0].Address != "mary@customer.example" || len(d.Participants[0].Contacts) != 1 || d.Participants[0].Contacts[0].ID != "crm-42" {
			t.Fatalf("participants %+v", d.Participants)
		}
		if d.Participants[1].Address != "joe@customer.example" || len(d.Participants[1].Contacts) != 0 {
			t.Fatalf("participants %+v", d.Participants)
		}
	})
}

func TestProcessAll(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	err := w.aliases.UpdateAccount(ctx, "globex", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "help@globex.desk.example"})
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := mail("Hi both", "From: mary@customer.example", "To: support@acme.example, help@globex.desk.example", "Subject: Hi")
	env := fromCustomer("support@acme.desk.example", "help@globex.desk.example", "old@acme.desk.example")
	ds, err := w.p.ProcessAll(ctx, env, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Account != "acme" || ds[1].Account != "globex" {
		t.Fatalf("decisions %d: %+v", len(ds), ds)
	}
	if ds[0].Action != inbound.ActionNewTicket || ds[0].Address != "support@acme.example" || ds[1].Action != inbound.ActionNewTicket {
		t.Fatalf("acme %s %s, globex %s", ds[0].Action, ds[0].Address, ds[1].Action)
	}
	one, err := w.p.ProcessAll(ctx, fromCustomer("support@acme.desk.example"), []byte(raw))
	if err != nil || len(one) != 1 || one[0].Account != "acme" {
		t.Fatalf("one recipient: %v %+v", err, one)
	}
}
