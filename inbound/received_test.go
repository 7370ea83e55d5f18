package inbound_test

import (
	"context"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

// B3: mail received from a soft-bouncing address is evidence that it works
// again, but only when its sender authenticated; a spoof of the address
// changes nothing.
func TestB3_MailFromTheAddressResetsItsSoftCount(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	if _, err := w.tracker.Record(ctx, bounce.Outcome{Account: "acme", Address: "mary@customer.example", Reason: bounce.ReasonMailboxFull, Status: "4.2.2", MessageID: "m1@desk.example"}); err != nil {
		t.Fatal(err)
	}
	soft := func() int {
		st, err := w.tracker.Address(ctx, "acme", "mary@customer.example")
		if err != nil {
			t.Fatal(err)
		}
		return st.SoftCount
	}
	if soft() != 1 {
		t.Fatalf("soft count %d after one mailbox-full, want 1", soft())
	}
	raw := mail("Still there?", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: hello")

	spoof := &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.desk.example"}, ClientIP: spoofIP}
	if d := w.process(t, spoof, raw); d.Authenticated {
		t.Fatalf("spoof authenticated: %s", codes(d))
	}
	if soft() != 1 {
		t.Errorf("a spoofed mail from the address reset its soft count")
	}

	if d := w.process(t, fromCustomer("support@acme.desk.example"), raw); !d.Authenticated {
		t.Fatalf("customer's own mail not authenticated: %s", codes(d))
	}
	if soft() != 0 {
		t.Errorf("soft count %d after an authenticated mail from the address, want 0", soft())
	}
}
