package inbound_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/inbound"
)

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
