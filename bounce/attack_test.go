package bounce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

// attackWorld is a tracker whose gate sent t42 to victim@example.com and
// colleague@example.com.
func attackWorld(t *testing.T) (*bounce.Tracker, *bounce.VERP) {
	tr, v, _ := attackWorldClock(t)
	return tr, v
}

func attackWorldClock(t *testing.T) (*bounce.Tracker, *bounce.VERP, *fakeClock) {
	t.Helper()
	v := mustVERP(t, "first-secret-0123456789")
	own := func(_ context.Context, id string) (bounce.OwnedMessage, error) {
		if id == "t42.sig@desk.example" {
			return bounce.OwnedMessage{Account: "acme", Ref: "ticket-42"}, nil
		}
		return bounce.OwnedMessage{}, nil
	}
	tr, clock := newTracker(t, &bounce.Options{VERP: v, OwnMessage: own})
	tp := tr.Middleware()(&recorder{})
	if _, err := tp.Send(context.Background(), &deskmail.Envelope{Account: "acme", Kind: deskmail.KindReply, MessageID: "<t42.sig@desk.example>",
		To: []string{"Victim@Example.com", "colleague@example.com"}}, nil); err != nil {
		t.Fatal(err)
	}
	return tr, v, clock
}

// report builds a failure report to rcptTo citing msgid that lists the
// given final recipients with status.
func report(t *testing.T, rcptTo, msgid, status string, finals ...string) *bounce.Report {
	t.Helper()
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example.org\r\nTo: " + rcptTo + "\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n")
	for _, f := range finals {
		b.WriteString("\r\nFinal-Recipient: rfc822; " + f + "\r\nAction: failed\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; 550 " + status + " <" + f + ">: rejected\r\n")
	}
	if msgid != "" {
		b.WriteString("--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@desk.example\r\nMessage-ID: <" + msgid + ">\r\n\r\n")
	}
	b.WriteString("--B--\r\n")
	rep, err := bounce.ParseBytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func state(t *testing.T, tr *bounce.Tracker, addr string) bounce.AddressState {
	t.Helper()
	st, err := tr.Address(context.Background(), "acme", addr)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestB10_ForgedBounceCitingOurMessageIDListingANonRecipientIsIgnored(t *testing.T) {
	tr, _ := attackWorld(t)
	ap, err := tr.Apply(context.Background(), report(t, "support@desk.example", "t42.sig@desk.example", "5.1.1", "ceo@example.com", "victim@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if st := state(t, tr, "ceo@example.com"); st.State != bounce.StateOK {
		t.Errorf("the non-recipient was changed: %s", st.State)
	}
	if st := state(t, tr, "victim@example.com"); st.State != bounce.StateHardBlocked {
		t.Errorf("the real recipient: %s, want hard_blocked", st.State)
	}
	if len(ap.Ignored) != 1 || ap.Ignored[0].Address != "ceo@example.com" || ap.Ignored[0].Reason.Code != bounce.CodeNotRecipient {
		t.Errorf("ignored %+v", ap.Ignored)
	}
}

func TestB10_ReplayedBounceIsCountedOnce(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, status string
		soft         bool
	}{{"hard", "5.1.1", false}, {"soft", "4.2.2", true}} {
		t.Run(c.name, func(t *testing.T) {
			tr, _ := attackWorld(t)
			rep := report(t, "support@desk.example", "t42.sig@desk.example", c.status, "victim@example.com")
			for i := 0; i < 5; i++ {
				ap, err := tr.Apply(ctx, rep)
				if err != nil {
					t.Fatal(err)
				}
				if i > 0 && (len(ap.States) != 0 || len(ap.Ignored) != 1 || ap.Ignored[0].Reason.Code != bounce.CodeDuplicate) {
					t.Fatalf("replay %d: states %d, ignored %+v", i, len(ap.States), ap.Ignored)
				}
			}
			st := state(t, tr, "victim@example.com")
			if c.soft && (st.State != bounce.StateSoftBlocked || st.SoftCount != 1) {
				t.Errorf("five copies of one soft bounce: %s, count %d; want soft_blocked, 1", st.State, st.SoftCount)
			}
			g, _ := tr.Gate(ctx, "acme")
			if want := map[bool]int{false: 1, true: 0}[c.soft]; g.HardBounces != want {
				t.Errorf("hard bounces counted %d, want %d", g.HardBounces, want)
			}
		})
	}
}

func TestB10_ReplayedVERPBounceWithoutTheMessageIsCountedOnce(t *testing.T) {
	ctx := context.Background()
	tr, v := attackWorld(t)
	rp, _ := v.ReturnPath("acme", "victim@example.com", "t42.sig@desk.example")
	rep := report(t, rp, "", "4.2.2", "victim@example.com")
	for i := 0; i < 3; i++ {
		if _, err := tr.Apply(ctx, rep); err != nil {
			t.Fatal(err)
		}
	}
	if st := state(t, tr, "victim@example.com"); st.SoftCount != 1 {
		t.Errorf("soft count %d, want 1", st.SoftCount)
	}
	// Another message's token is another outcome.
	rp2, _ := v.ReturnPath("acme", "victim@example.com", "t43.sig@desk.example")
	tr.Apply(ctx, report(t, rp2, "", "4.2.2", "victim@example.com"))
	if st := state(t, tr, "victim@example.com"); st.SoftCount != 2 {
		t.Errorf("soft count after a second message's bounce %d, want 2", st.SoftCount)
	}
}

func TestB10_BounceForAVERPTokenWithADifferentRecipientIsIgnored(t *testing.T) {
	tr, v := attackWorld(t)
	rp, _ := v.ReturnPath("acme", "colleague@example.com", "t42.sig@desk.example")
	ap, err := tr.Apply(context.Background(), report(t, rp, "t42.sig@desk.example", "5.1.1", "victim@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if st := state(t, tr, "victim@example.com"); st.State != bounce.StateOK {
		t.Errorf("victim: %s", st.State)
	}
	if len(ap.Ignored) != 1 || ap.Ignored[0].Reason.Code != bounce.CodeVERPRecipient {
		t.Errorf("ignored %+v", ap.Ignored)
	}
}

func TestB10_VERPTokenListingItsRecipientAndOthersChangesOnlyItsRecipient(t *testing.T) {
	tr, v := attackWorld(t)
	rp, _ := v.ReturnPath("acme", "victim@example.com", "t42.sig@desk.example")
	ap, err := tr.Apply(context.Background(), report(t, rp, "t42.sig@desk.example", "5.1.1", "colleague@example.com", "victim@example.com", "ceo@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if st := state(t, tr, "victim@example.com"); st.State != bounce.StateHardBlocked {
		t.Errorf("victim: %s", st.State)
	}
	for _, a := range []string{"colleague@example.com", "ceo@example.com"} {
		if st := state(t, tr, a); st.State != bounce.StateOK {
			t.Errorf("%s: %s", a, st.State)
		}
	}
	if len(ap.States) != 1 || len(ap.Ignored) != 2 {
		t.Errorf("states %d, ignored %+v", len(ap.States), ap.Ignored)
	}
}

func TestB10_BounceOfAMessageOlderThanTheRetentionChangesNothing(t *testing.T) {
	ctx := context.Background()
	tr, _, clock := attackWorldClock(t)
	clock.t = clock.t.Add(bounce.DefaultRetention - time.Minute)
	if n, err := tr.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("Prune within the retention = %d, %v", n, err)
	}
	clock.t = clock.t.Add(2 * time.Minute)
	if n, err := tr.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("PruneSent = %d, %v", n, err)
	}
	ap, err := tr.Apply(ctx, report(t, "support@desk.example", "t42.sig@desk.example", "5.1.1", "victim@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if st := state(t, tr, "victim@example.com"); st.State != bounce.StateOK || len(ap.Ignored) != 1 || ap.Ignored[0].Reason.Code != bounce.CodeNoSendRecord {
		t.Errorf("state %s, ignored %+v", st.State, ap.Ignored)
	}
}

func TestB10_ReasonTextsQuotingMailAreSanitised(t *testing.T) {
	tr, _ := attackWorld(t)
	rep := report(t, "support@desk.example", "t42.sig@desk.example", "5.1.1", "victim@example.com")
	rep.Recipients = append(rep.Recipients, bounce.Recipient{Address: "evil\x1b[31m\u202e@example.com", Action: "failed", Reason: bounce.ReasonUserUnknown})
	rep.Recipients[0].Diagnostic = "550 no such user\r\nX-Injected: yes\x1b[2J"
	ap, err := tr.Apply(context.Background(), rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, ig := range ap.Ignored {
		for _, s := range []string{ig.Address, ig.Reason.Text} {
			if strings.ContainsAny(s, "\x1b\r\n\u202e") {
				t.Errorf("unsanitised: %q", s)
			}
		}
	}
	st := state(t, tr, "victim@example.com")
	if d := st.Events[len(st.Events)-1].Detail; strings.ContainsAny(d, "\x1b\r\n") {
		t.Errorf("event detail unsanitised: %q", d)
	}
}

func TestB10_OwnMessageErrorSurfaces(t *testing.T) {
	boom := errors.New("index unavailable")
	tr, _ := newTracker(t, &bounce.Options{OwnMessage: func(context.Context, string) (bounce.OwnedMessage, error) {
		return bounce.OwnedMessage{}, boom
	}})
	_, err := tr.Apply(context.Background(), report(t, "support@desk.example", "t42.sig@desk.example", "5.1.1", "victim@example.com"))
	if !errors.Is(err, boom) || errors.Is(err, bounce.ErrNotOurs) {
		t.Errorf("Apply: %v; want the callback's error, not ErrNotOurs", err)
	}
}

// The same report delivered again under its own Message-ID is counted once,
// even when a relay rewrote its diagnostic so the status differs.
func TestB10_SameReportMessageIDIsCountedOnce(t *testing.T) {
	ctx := context.Background()
	tr, _ := attackWorld(t)
	first := report(t, "support@desk.example", "t42.sig@desk.example", "4.2.2", "victim@example.com")
	first.MessageID = "report-1@mx.example.com"
	again := report(t, "support@desk.example", "t42.sig@desk.example", "4.2.0", "victim@example.com")
	again.MessageID = "report-1@mx.example.com"
	if _, err := tr.Apply(ctx, first); err != nil {
		t.Fatal(err)
	}
	ap, err := tr.Apply(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if len(ap.States) != 0 || len(ap.Ignored) != 1 || ap.Ignored[0].Reason.Code != bounce.CodeDuplicate {
		t.Fatalf("second delivery of report-1: states %d, ignored %+v", len(ap.States), ap.Ignored)
	}
	if st := state(t, tr, "victim@example.com"); st.SoftCount != 1 {
		t.Errorf("soft count %d, want 1", st.SoftCount)
	}
}

// A failure report that names no recipient (a "No Message Collected" note,
// or a stranger's empty report citing our message) is a report, not mail,
// and changes no address.
func TestB10_RecipientlessFailureChangesNothing(t *testing.T) {
	tr, _ := attackWorld(t)
	rep := report(t, "support@desk.example", "t42.sig@desk.example", "5.1.1")
	if rep.Kind != bounce.KindFailure || len(rep.Recipients) != 0 {
		t.Fatalf("kind %q with %d recipients, want a failure naming nobody", rep.Kind, len(rep.Recipients))
	}
	ap, err := tr.Apply(context.Background(), rep)
	if err != nil && !errors.Is(err, bounce.ErrNotOurs) {
		t.Fatal(err)
	}
	if len(ap.States) != 0 {
		t.Errorf("states %+v, want none", ap.States)
	}
	for _, a := range []string{"victim@example.com", "colleague@example.com"} {
		if st := state(t, tr, a); st.State != bounce.StateOK {
			t.Errorf("%s is %s after a report naming nobody", a, st.State)
		}
	}
}
