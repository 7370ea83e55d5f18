package inbound_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/threading"
)

func TestNewRequiresAliases(t *testing.T) {
	if _, err := inbound.New(nil); !errors.Is(err, inbound.ErrNoAliases) {
		t.Fatalf("New(nil) = %v, want ErrNoAliases", err)
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

func dsn(to, recipient, status, origID string) string {
	return mail(`--b
Content-Type: text/plain

Delivery to the following recipient failed permanently: `+recipient+`

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; `+recipient+`
Action: failed
Status: `+status+`
Diagnostic-Code: smtp; 550 5.1.1 <`+recipient+`>: Recipient address rejected: User unknown

--b
Content-Type: text/rfc822-headers

From: Acme Support <support@acme.example>
To: `+recipient+`
Subject: Your order
Message-ID: <`+origID+`>

--b--
`, "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>", "To: "+to, "Subject: Undelivered Mail Returned to Sender",
		"Auto-Submitted: auto-replied", "MIME-Version: 1.0", `Content-Type: multipart/report; report-type=delivery-status; boundary="b"`)
}

func TestBounces(t *testing.T) {
	ctx := context.Background()
	t.Run("B6/a bounce lands on the ticket of the message that bounced and blocks the address", func(t *testing.T) {
		w := newWorld(t, nil)
		rp, err := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
		if err != nil {
			t.Fatal(err)
		}
		if local := rp[:strings.LastIndexByte(rp, '@')]; len(local) > 64 {
			t.Errorf("VERP local part of %d octets for Message-ID %s: RFC 5321 allows 64", len(local), w.ourID)
		}
		d := w.process(t, &deskmail.Envelope{To: []string{rp}, ClientIP: mtaIP, HELO: "mta.example"}, dsn(rp, "gone@customer.example", "5.1.1", w.ourID))
		if d.Action != inbound.ActionBounce || d.Account != "acme" || d.Ticket != "1001" || d.ContactAddr != "gone@customer.example" {
			t.Fatalf("got %s %s ticket %q contact %q (%s)", d.Action, d.Account, d.Ticket, d.ContactAddr, codes(d))
		}
		st, err := w.tracker.Address(ctx, "acme", "gone@customer.example")
		if err != nil || st.State != bounce.StateHardBlocked {
			t.Fatalf("state %v %v", st.State, err)
		}
	})
	t.Run("B6/a VERP bounce that does not name the message still blocks the address", func(t *testing.T) {
		w := newWorld(t, nil)
		rp, _ := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
		d := w.process(t, &deskmail.Envelope{To: []string{rp}, ClientIP: mtaIP, HELO: "mta.example"}, dsn(rp, "gone@customer.example", "5.1.1", "rewritten@mta.example"))
		if d.Action != inbound.ActionBounce || d.Account != "acme" || d.Ticket != "" || d.Bounce.Attribution.MessageID != "" {
			t.Fatalf("got %s %s ticket %q (%s)", d.Action, d.Account, d.Ticket, codes(d))
		}
		if st, _ := w.tracker.Address(ctx, "acme", "gone@customer.example"); st.State != bounce.StateHardBlocked {
			t.Fatalf("state %v", st.State)
		}
	})
	t.Run("B6/attributed by our Message-ID without VERP", func(t *testing.T) {
		w := newWorld(t, nil)
		d := w.process(t, &deskmail.Envelope{To: []string{"support@acme.desk.example"}, ClientIP: mtaIP}, dsn("support@acme.example", "gone@customer.example", "5.1.1", w.ourID))
		if d.Action != inbound.ActionBounce || d.Ticket != "1001" {
			t.Fatalf("got %s %q (%s)", d.Action, d.Ticket, codes(d))
		}
	})
	t.Run("B10/a forged bounce changes nothing", func(t *testing.T) {
		w := newWorld(t, nil)
		d := w.process(t, &deskmail.Envelope{To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}, dsn("support@acme.example", "mary@customer.example", "5.1.1", "not-ours@spoof.example"))
		if d.Action != inbound.ActionDrop || d.Account != "acme" {
			t.Fatalf("got %s %q (%s)", d.Action, d.Account, codes(d))
		}
		if _, ok := d.Why(inbound.CodeBounceNotOurs); !ok {
			t.Fatalf("reasons %s", codes(d))
		}
		if st, _ := w.tracker.Address(ctx, "acme", "mary@customer.example"); st.State != bounce.StateOK {
			t.Fatalf("forged bounce changed state to %s", st.State)
		}
	})
	t.Run("B10/a forged VERP token changes nothing", func(t *testing.T) {
		w := newWorld(t, nil)
		rp, _ := w.verp.ReturnPath("acme", "mary@customer.example", w.ourID)
		bad := forge(rp)
		d := w.process(t, &deskmail.Envelope{To: []string{bad}, ClientIP: spoofIP}, dsn(bad, "mary@customer.example", "5.1.1", "x@spoof.example"))
		if d.Action != inbound.ActionDrop {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
		if st, _ := w.tracker.Address(ctx, "acme", "mary@customer.example"); st.State != bounce.StateOK {
			t.Fatalf("state %s", st.State)
		}
	})
	t.Run("a report without a tracker is dropped with a reason", func(t *testing.T) {
		w := newWorld(t, func(o *inbound.Options) { o.Bounces = nil })
		d := w.process(t, &deskmail.Envelope{To: []string{"support@acme.desk.example"}, ClientIP: mtaIP}, dsn("support@acme.example", "gone@customer.example", "5.1.1", w.ourID))
		if _, ok := d.Why(inbound.CodeBounceNoTracker); d.Action != inbound.ActionDrop || !ok {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
	})
}

func TestAuthentication(t *testing.T) {
	w := newWorld(t, nil)
	t.Run("D4/a spoofed sender is suspended with its reasons, not dropped", func(t *testing.T) {
		raw := mail("Send me the invoices", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Invoices")
		d := w.process(t, &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP, HELO: "evil"}, raw)
		if d.Action != inbound.ActionSuspend || d.Held != inbound.ActionNewTicket || d.Account != "acme" {
			t.Fatalf("got %s held %s (%s)", d.Action, d.Held, codes(d))
		}
		if _, ok := d.Why(inbound.CodeAuthFail); !ok || !strings.Contains(d.AuthenticationResults, "dmarc=fail") {
			t.Fatalf("reasons %s, A-R %q", codes(d), d.AuthenticationResults)
		}
		if !d.NoAutoResponse {
			t.Fatal("a suspended mail must not be answered")
		}
	})
	t.Run("D4/a spoofed reply into a ticket is suspended too", func(t *testing.T) {
		raw := mail("Change my address", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Re: Your order", "In-Reply-To: <"+w.ourID+">")
		d := w.process(t, &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}, raw)
		if d.Action != inbound.ActionSuspend || d.Held != inbound.ActionAppend || d.Ticket != "1001" {
			t.Fatalf("got %s held %s ticket %s (%s)", d.Action, d.Held, d.Ticket, codes(d))
		}
	})
	t.Run("D4/an authenticated sender passes", func(t *testing.T) {
		raw := mail("Hi", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Hi")
		d := w.process(t, fromCustomer("support@acme.desk.example"), raw)
		if d.Action != inbound.ActionNewTicket || !strings.Contains(d.AuthenticationResults, "spf=pass") {
			t.Fatalf("got %s %q (%s)", d.Action, d.AuthenticationResults, codes(d))
		}
		if _, ok := d.Why(inbound.CodeAuthPass); !ok {
			t.Fatalf("reasons %s", codes(d))
		}
	})
	t.Run("D4/a DNS failure holds the mail for review instead of trusting it", func(t *testing.T) {
		w2 := newWorld(t, nil)
		w2.zone.SetFault("_dmarc.customer.example", dnstest.ServFail, dnstest.TypeTXT)
		raw := mail("Hi", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Hi")
		d := w2.process(t, &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}, raw)
		if _, ok := d.Why(inbound.CodeAuthTempError); d.Action != inbound.ActionSuspend || d.Held != inbound.ActionNewTicket || !ok {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
	})
	t.Run("D4/SkipAuth trusts an upstream MTA", func(t *testing.T) {
		w2 := newWorld(t, func(o *inbound.Options) { o.SkipAuth = true })
		raw := mail("Hi", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Hi")
		d := w2.process(t, &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}, raw)
		if d.Action != inbound.ActionNewTicket || d.Auth != nil {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
	})
}

func TestHostileInput(t *testing.T) {
	w := newWorld(t, func(o *inbound.Options) { o.MaxBytes = 4096; o.MaxHeaderBytes = 1024 })
	tests := []struct {
		name string
		raw  string
		code string
	}{
		{"empty mail", "", inbound.CodeMalformed},
		{"no header", "\r\njust a body", inbound.CodeMalformed},
		{"header longer than the cap", "From: a@b.example\r\nX-Junk: " + strings.Repeat("x", 2000) + "\r\n\r\nbody", inbound.CodeMalformed},
		{"mail longer than the cap", "From: a@b.example\r\n\r\n" + strings.Repeat("x", 5000), inbound.CodeTooLarge},
		{"no sender", "To: support@acme.example\r\nSubject: x\r\n\r\nbody", inbound.CodeNoSender},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, &deskmail.Envelope{To: []string{"support@acme.desk.example"}}, tc.raw)
			if d.Action != inbound.ActionSuspend {
				t.Fatalf("got %s, want suspend (%s)", d.Action, codes(d))
			}
			if _, ok := d.Why(tc.code); !ok {
				t.Fatalf("reasons %s, want %s", codes(d), tc.code)
			}
			if d.Account != "acme" {
				t.Fatalf("account %q: a suspended mail still shows where it went", d.Account)
			}
		})
	}
	t.Run("header-only mail without a blank line", func(t *testing.T) {
		d := w.process(t, fromCustomer("support@acme.desk.example"), "From: mary@customer.example\r\nTo: support@acme.example\r\nSubject: x")
		if d.Action != inbound.ActionNewTicket {
			t.Fatalf("got %s (%s)", d.Action, codes(d))
		}
	})
}

func TestStoreErrorsAreReturned(t *testing.T) {
	boom := errors.New("db down")
	w := newWorld(t, func(o *inbound.Options) {
		o.Agents = threading.AgentsFunc(func(context.Context, string, string) (threading.Agent, error) { return threading.Agent{}, boom })
	})
	raw := mail("Hi", "From: mary@customer.example", "To: support@acme.example", "Subject: Hi")
	if _, err := w.p.Process(context.Background(), fromCustomer("support@acme.desk.example"), []byte(raw)); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the agent directory's error", err)
	}
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

// bodyMarker is our body marker for ticket 1001, in upper case as a mail
// client might quote it.
func bodyMarker(t *testing.T, w *world) string {
	m, err := w.th.BodyMarker("acme", "1001")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(m[:7]) + m[7:]
}
