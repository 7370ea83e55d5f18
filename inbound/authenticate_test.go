package inbound_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/threading"
)

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
