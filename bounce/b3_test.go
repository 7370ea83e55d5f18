package bounce_test

import (
	"context"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

// The B3 rule as the seeds state it: a soft bounce allows up to five more
// sends, and only five CONSECUTIVE soft bounces block hard; evidence of
// delivery in between resets the count.

const b3Acct, b3Addr = "acme", "user@example.com"

func b3Soft(msg string) bounce.Outcome {
	return bounce.Outcome{Account: b3Acct, Address: b3Addr, MessageID: msg, Reason: bounce.ReasonMailboxFull, Status: "4.2.2"}
}

func mustAllowed(t *testing.T, tr *bounce.Tracker, msg string) {
	t.Helper()
	d, err := tr.Reserve(context.Background(), b3Acct, b3Addr, msg)
	if err != nil || !d.Allowed {
		t.Fatalf("send of %s refused: %+v, %v", msg, d, err)
	}
}

func TestB3_SixthSendAllowedWhenTheFiveBeforeRaisedNoBounce(t *testing.T) {
	ctx := context.Background()
	tr, clock := newTracker(t, nil)
	tr.Record(ctx, b3Soft("m0@x"))
	// Five sends a day apart, none of which bounces.
	for i := 1; i <= 5; i++ {
		mustAllowed(t, tr, "m"+string(rune('0'+i))+"@x")
		clock.t = clock.t.Add(24 * time.Hour)
	}
	d, err := tr.Reserve(ctx, b3Acct, b3Addr, "m6@x")
	if err != nil || !d.Allowed {
		t.Fatalf("sixth send = %+v, %v; want allowed: the first send raised no bounce within 72 hours", d, err)
	}
	if st, _ := tr.Address(ctx, b3Acct, b3Addr); st.State != bounce.StateOK || st.SoftCount != 0 {
		t.Errorf("state %s, soft count %d; want ok, 0", st.State, st.SoftCount)
	}
}

func TestB3_SixthSendDroppedWhileTheFiveAreUnresolved(t *testing.T) {
	ctx := context.Background()
	tr, clock := newTracker(t, nil)
	tr.Record(ctx, b3Soft("m0@x"))
	for i := 1; i <= 5; i++ {
		mustAllowed(t, tr, "m"+string(rune('0'+i))+"@x")
		clock.t = clock.t.Add(time.Hour)
	}
	if d, _ := tr.Reserve(ctx, b3Acct, b3Addr, "m6@x"); d.Allowed || d.Reason != bounce.DropSoftBlocked {
		t.Errorf("sixth send within the window = %+v, want soft_blocked", d)
	}
	// Once the first of them is 72 hours old without a bounce, sending
	// resumes.
	clock.t = clock.t.Add(72 * time.Hour)
	mustAllowed(t, tr, "m7@x")
}

func TestB3_FiveConsecutiveSoftBouncesBlockHard(t *testing.T) {
	ctx := context.Background()
	tr, clock := newTracker(t, nil)
	var st bounce.AddressState
	for i := 0; i < 5; i++ {
		msg := "m" + string(rune('0'+i)) + "@x"
		if i > 0 {
			mustAllowed(t, tr, msg)
		}
		clock.t = clock.t.Add(24 * time.Hour) // bounces arrive within the window of their send
		st, _ = tr.Record(ctx, b3Soft(msg))
	}
	if st.State != bounce.StateHardBlocked || st.SoftCount != 5 {
		t.Fatalf("after five consecutive soft bounces: %s, count %d", st.State, st.SoftCount)
	}
	if d, _ := tr.Reserve(ctx, b3Acct, b3Addr, "m9@x"); d.Allowed || d.Reason != bounce.DropHardBlocked {
		t.Errorf("send after the hard block = %+v", d)
	}
	if _, err := tr.Received(ctx, b3Acct, b3Addr); err != nil {
		t.Fatal(err)
	}
	if st, _ := tr.Address(ctx, b3Acct, b3Addr); st.State != bounce.StateHardBlocked {
		t.Errorf("B2/mail received from the address lifted a hard block: %s", st.State)
	}
}

func TestB3_DeliveredReportResetsTheCount(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	for i := 0; i < 4; i++ {
		tr.Record(ctx, b3Soft("m"+string(rune('0'+i))+"@x"))
	}
	st, _ := tr.Record(ctx, bounce.Outcome{Account: b3Acct, Address: b3Addr, MessageID: "d@x", Reason: bounce.ReasonDelivered})
	if st.State != bounce.StateOK || st.SoftCount != 0 {
		t.Fatalf("after a delivery report: %s, count %d", st.State, st.SoftCount)
	}
	if st, _ = tr.Record(ctx, b3Soft("m5@x")); st.State != bounce.StateSoftBlocked || st.SoftCount != 1 {
		t.Errorf("soft bounce after the reset: %s, count %d; want soft_blocked, 1", st.State, st.SoftCount)
	}
}

func TestB3_MailReceivedFromTheAddressResetsTheCount(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	for i := 0; i < 4; i++ {
		tr.Record(ctx, b3Soft("m"+string(rune('0'+i))+"@x"))
	}
	st, err := tr.Received(ctx, b3Acct, "User@Example.com")
	if err != nil || st.State != bounce.StateOK || st.SoftCount != 0 {
		t.Fatalf("Received = %s, count %d, %v", st.State, st.SoftCount, err)
	}
	if last := st.Events[len(st.Events)-1]; last.Type != bounce.EventReceived {
		t.Errorf("trail ends %+v", last)
	}
	if st, _ = tr.Record(ctx, b3Soft("m5@x")); st.State != bounce.StateSoftBlocked || st.SoftCount != 1 {
		t.Errorf("fifth soft bounce after mail received: %s, count %d; want soft_blocked, 1", st.State, st.SoftCount)
	}
	// An address without state is not written.
	if st, err := tr.Received(ctx, b3Acct, "new@example.com"); err != nil || st.State != bounce.StateOK {
		t.Errorf("Received for a new address = %+v, %v", st, err)
	}
	if _, err := tr.Store().Get(ctx, b3Acct, "new@example.com"); err == nil {
		t.Errorf("Received stored a record for an address without state")
	}
}

func TestB3_SendWithoutBounceWithinTheWindowResetsTheCount(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		window time.Duration
		wait   time.Duration
		count  int
	}{
		{"default 72h window passed: the count restarts", 0, 73 * time.Hour, 1},
		{"default 72h window not passed: the count goes on", 0, 71 * time.Hour, 5},
		{"host-set 24h window passed", 24 * time.Hour, 25 * time.Hour, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, clock := newTracker(t, &bounce.Options{DeliveryWindow: c.window})
			for i := 0; i < 4; i++ {
				msg := "m" + string(rune('0'+i)) + "@x"
				if i > 0 {
					mustAllowed(t, tr, msg)
				}
				tr.Record(ctx, b3Soft(msg))
			}
			// A send that raises no bounce, then the wait, then a soft
			// bounce of another message.
			mustAllowed(t, tr, "ok@x")
			clock.t = clock.t.Add(c.wait)
			mustAllowed(t, tr, "m5@x")
			st, _ := tr.Record(ctx, b3Soft("m5@x"))
			if st.SoftCount != c.count {
				t.Errorf("soft count %d (%s), want %d", st.SoftCount, st.State, c.count)
			}
			if c.count == 5 && st.State != bounce.StateHardBlocked {
				t.Errorf("state %s, want hard_blocked", st.State)
			}
		})
	}
}

func TestB3_LateBounceOfTheSendIsNotEvidence(t *testing.T) {
	// A soft bounce that arrives after the window (an "expired" report
	// after days of retries) resolves its own send first: that send is
	// not counted as delivered.
	ctx := context.Background()
	tr, clock := newTracker(t, nil)
	tr.Record(ctx, b3Soft("m0@x"))
	mustAllowed(t, tr, "m1@x")
	clock.t = clock.t.Add(5 * 24 * time.Hour)
	st, _ := tr.Record(ctx, bounce.Outcome{Account: b3Acct, Address: b3Addr, MessageID: "m1@x", Reason: bounce.ReasonExpired, Status: "4.4.7"})
	if st.SoftCount != 2 {
		t.Errorf("soft count %d, want 2", st.SoftCount)
	}
}

func TestB3_GateRecordsPendingSendsThroughTheMiddleware(t *testing.T) {
	ctx := context.Background()
	tr, clock := newTracker(t, nil)
	tr.Record(ctx, b3Soft("m0@x"))
	tp := tr.Middleware()(&recorder{})
	for i := 1; i <= 6; i++ {
		res, err := tp.Send(ctx, &deskmail.Envelope{Account: b3Acct, To: []string{b3Addr}, Kind: deskmail.KindReply, MessageID: "g" + string(rune('0'+i)) + "@x"}, nil)
		if err != nil || res.Recipients[0].Status != deskmail.StatusDelivered {
			t.Fatalf("send %d: %+v, %v", i, res, err)
		}
		clock.t = clock.t.Add(20 * time.Hour)
	}
}
