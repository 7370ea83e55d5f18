package bounce_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func newTracker(t *testing.T, opts *bounce.Options) (*bounce.Tracker, *fakeClock) {
	t.Helper()
	c := &fakeClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	if opts == nil {
		opts = &bounce.Options{}
	}
	opts.Now = c.Now
	tr, err := bounce.NewTracker(bounce.NewMemoryStore(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr, c
}

func TestStateMachine(t *testing.T) {
	ctx := context.Background()
	const acct, addr = "acme", "user@example.com"
	soft := bounce.Outcome{Account: acct, Address: addr, Reason: bounce.ReasonMailboxFull}

	t.Run("B2/hard bounce blocks permanently", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		st, err := tr.Record(ctx, bounce.Outcome{Account: acct, Address: addr, Reason: bounce.ReasonUserUnknown, MessageID: "m1@x"})
		if err != nil || st.State != bounce.StateHardBlocked {
			t.Fatalf("state %v, %v; want hard_blocked", st.State, err)
		}
		tr.Record(ctx, bounce.Outcome{Account: acct, Address: addr, Reason: bounce.ReasonDelivered})
		if d, _ := tr.Reserve(ctx, acct, addr, "m2@x"); d.Allowed || d.Reason != "hard_blocked" {
			t.Errorf("Reserve after hard bounce = %+v", d)
		}
	})

	t.Run("B3/soft bounce allows five more sends", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		tr.Record(ctx, soft)
		for i := 0; i < 5; i++ {
			if d, _ := tr.Reserve(ctx, acct, addr, ""); !d.Allowed {
				t.Fatalf("send %d refused: %+v", i+1, d)
			}
		}
		if d, _ := tr.Reserve(ctx, acct, addr, ""); d.Allowed || d.Reason != "soft_blocked" {
			t.Errorf("sixth send = %+v, want soft_blocked", d)
		}
	})

	t.Run("B3/fifth consecutive soft bounce hard-blocks", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		var st bounce.AddressState
		for i := 0; i < 4; i++ {
			st, _ = tr.Record(ctx, soft)
			if st.State != bounce.StateSoftBlocked || st.SoftCount != i+1 {
				t.Fatalf("after %d soft: %v count %d", i+1, st.State, st.SoftCount)
			}
		}
		st, _ = tr.Record(ctx, soft)
		if st.State != bounce.StateHardBlocked {
			t.Errorf("after 5 soft: %v, want hard_blocked", st.State)
		}
		if last := st.Events[len(st.Events)-1]; last.Type != bounce.EventHardBounce {
			t.Errorf("last event %+v", last)
		}
	})

	t.Run("B3/delivery resets the soft count", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		for i := 0; i < 4; i++ {
			tr.Record(ctx, soft)
		}
		st, _ := tr.Record(ctx, bounce.Outcome{Account: acct, Address: addr, Reason: bounce.ReasonDelivered})
		if st.State != bounce.StateOK || st.SoftCount != 0 {
			t.Fatalf("after delivery: %v count %d", st.State, st.SoftCount)
		}
		st, _ = tr.Record(ctx, soft)
		if st.State != bounce.StateSoftBlocked || st.SoftCount != 1 {
			t.Errorf("soft after reset: %v count %d", st.State, st.SoftCount)
		}
	})

	t.Run("B4/account unblocks soft only; administrator unblocks hard", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		tr.Record(ctx, soft)
		if st, err := tr.Unblock(ctx, acct, addr); err != nil || st.State != bounce.StateOK {
			t.Fatalf("Unblock soft = %v, %v", st.State, err)
		}
		tr.Record(ctx, bounce.Outcome{Account: acct, Address: addr, Reason: bounce.ReasonHostUnknown})
		if _, err := tr.Unblock(ctx, acct, addr); !errors.Is(err, bounce.ErrHardBlocked) {
			t.Fatalf("Unblock hard: %v, want ErrHardBlocked", err)
		}
		if st, _ := tr.Address(ctx, acct, addr); st.State != bounce.StateHardBlocked {
			t.Fatalf("hard block lifted by the account: %v", st.State)
		}
		st, err := tr.AdminUnblock(ctx, acct, addr, "admin@platform")
		if err != nil || st.State != bounce.StateOK {
			t.Fatalf("AdminUnblock = %v, %v", st.State, err)
		}
		if last := st.Events[len(st.Events)-1]; last.Type != bounce.EventAdminUnblocked || last.Detail != "admin@platform" {
			t.Errorf("trail ends %+v", last)
		}
		if _, err := tr.Unblock(ctx, acct, "never@example.com"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("Unblock unknown: %v", err)
		}
	})

	t.Run("B2/per-account isolation", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		tr.Record(ctx, bounce.Outcome{Account: "a", Address: addr, Reason: bounce.ReasonUserUnknown})
		if d, _ := tr.Reserve(ctx, "b", addr, ""); !d.Allowed {
			t.Errorf("account b blocked by a's bounce")
		}
	})

	t.Run("B1/default policy", func(t *testing.T) {
		for r, want := range map[bounce.Reason]bounce.Severity{
			bounce.ReasonUserUnknown: bounce.SeverityHard, bounce.ReasonHostUnknown: bounce.SeverityHard,
			bounce.ReasonBlocked: bounce.SeverityHard, bounce.ReasonMesgTooBig: bounce.SeveritySoft,
			bounce.ReasonMailboxFull: bounce.SeveritySoft, bounce.ReasonNetworkError: bounce.SeveritySoft,
			bounce.ReasonExpired: bounce.SeveritySoft, bounce.ReasonVacation: bounce.SeverityNone,
			bounce.ReasonDelivered: bounce.SeverityNone,
		} {
			if got := bounce.DefaultPolicy.Severity(r); got != want {
				t.Errorf("%s: %s, want %s", r, got, want)
			}
		}
		for _, r := range bounce.Reasons() {
			if s := bounce.DefaultPolicy.Severity(r); s != bounce.SeverityHard && s != bounce.SeveritySoft && s != bounce.SeverityNone {
				t.Errorf("%s has no severity", r)
			}
		}
	})
}

func TestDeliveryStatus(t *testing.T) {
	ctx := context.Background()
	tr, _ := newTracker(t, nil)
	tr.Record(ctx, bounce.Outcome{Account: "acme", Address: "A@Example.com", MessageID: "m1@x", Reason: bounce.ReasonUserUnknown, Detail: "550 5.1.1 no such user"})
	tr.Record(ctx, bounce.Outcome{Account: "acme", Address: "b@example.com", MessageID: "m1@x", Reason: bounce.ReasonDelivered})
	ds, err := tr.Deliveries(ctx, "acme", "<m1@x>")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Recipient != "a@example.com" || ds[0].Status != bounce.DeliveryHardBounce ||
		ds[0].Reason != bounce.ReasonUserUnknown || ds[1].Status != bounce.DeliveryDelivered {
		t.Errorf("B7/deliveries = %+v", ds)
	}
}

// recorder is a Transport that rejects some recipients.
type recorder struct {
	sent   [][]string
	reject map[string]deskmail.RecipientResult
}

func (r *recorder) Send(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	r.sent = append(r.sent, append([]string(nil), env.To...))
	res := &deskmail.Result{Via: "test"}
	for _, to := range env.To {
		if rr, ok := r.reject[to]; ok {
			rr.Recipient = to
			res.Recipients = append(res.Recipients, rr)
			continue
		}
		res.Recipients = append(res.Recipients, deskmail.RecipientResult{Recipient: to, Status: deskmail.StatusDelivered, Code: 250})
	}
	return res, nil
}

func TestGate(t *testing.T) {
	ctx := context.Background()

	t.Run("B2/drops blocked recipients with a reason and records send-time rejections", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		tr.Record(ctx, bounce.Outcome{Account: "acme", Address: "gone@example.com", Reason: bounce.ReasonUserUnknown})
		next := &recorder{reject: map[string]deskmail.RecipientResult{
			"bad@example.com": {Status: deskmail.StatusRejected, Code: 550, EnhancedCode: "5.1.1", Message: "5.1.1 <bad@example.com>: Recipient address rejected: User unknown"},
		}}
		tp := deskmail.Chain(next, tr.Middleware())
		env := &deskmail.Envelope{Account: "acme", To: []string{"gone@example.com", "ok@example.com", "bad@example.com"}, Kind: deskmail.KindReply, MessageID: "m1@x"}
		res, err := tp.Send(ctx, env, []byte("Subject: x\r\n\r\nhi\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(next.sent) != 1 || strings.Join(next.sent[0], ",") != "ok@example.com,bad@example.com" {
			t.Fatalf("sent to %v", next.sent)
		}
		want := []struct {
			status deskmail.Status
			reason string
		}{{deskmail.StatusDropped, bounce.DropHardBlocked}, {deskmail.StatusDelivered, ""}, {deskmail.StatusRejected, "userunknown"}}
		for i, w := range want {
			if rr := res.Recipients[i]; rr.Status != w.status || rr.Reason != w.reason {
				t.Errorf("recipient %d = %+v, want %s %s", i, rr, w.status, w.reason)
			}
		}
		if st, _ := tr.Address(ctx, "acme", "bad@example.com"); st.State != bounce.StateHardBlocked {
			t.Errorf("B9/send-time 550 5.1.1 left %v", st.State)
		}
		ds, _ := tr.Deliveries(ctx, "acme", "m1@x")
		if len(ds) != 3 {
			t.Errorf("B7/deliveries = %+v", ds)
		}
	})

	t.Run("B5/bounce rate blocks notifications, not replies; administrator exempts", func(t *testing.T) {
		tr, clock := newTracker(t, &bounce.Options{MinVolume: 20})
		next := &recorder{reject: map[string]deskmail.RecipientResult{}}
		tp := tr.Middleware()(next)
		// 20 sends, 2 of them rejected hard: 10%.
		for i := 0; i < 20; i++ {
			to := "u" + string(rune('a'+i)) + "@example.com"
			if i < 2 {
				next.reject[to] = deskmail.RecipientResult{Status: deskmail.StatusRejected, Code: 550, EnhancedCode: "5.1.1", Message: "user unknown"}
			}
			tp.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{to}, Kind: deskmail.KindReply}, nil)
		}
		g, _ := tr.Gate(ctx, "acme")
		if g.Level != bounce.GateBlocked || g.Sends != 20 || g.HardBounces != 2 {
			t.Fatalf("gate = %+v", g)
		}
		res, _ := tp.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"new@example.com"}, Kind: deskmail.KindNotification}, nil)
		if rr := res.Recipients[0]; rr.Status != deskmail.StatusDropped || rr.Reason != bounce.DropAccountBounceRate {
			t.Errorf("notification = %+v, want dropped", rr)
		}
		res, _ = tp.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"new@example.com"}, Kind: deskmail.KindReply}, nil)
		if rr := res.Recipients[0]; rr.Status != deskmail.StatusDelivered {
			t.Errorf("reply = %+v, want delivered", rr)
		}
		if g, _ := tr.Gate(ctx, "other"); g.Level != bounce.GateOK {
			t.Errorf("other account gate = %+v", g)
		}
		tr.SetExempt(ctx, "acme", true)
		res, _ = tp.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"new2@example.com"}, Kind: deskmail.KindNotification}, nil)
		if rr := res.Recipients[0]; rr.Status != deskmail.StatusDelivered {
			t.Errorf("exempt notification = %+v", rr)
		}
		tr.SetExempt(ctx, "acme", false)
		clock.t = clock.t.AddDate(0, 0, 8)
		if g, _ := tr.Gate(ctx, "acme"); g.Level != bounce.GateOK || g.Sends != 0 {
			t.Errorf("B5/after the window rolled over: %+v", g)
		}
	})

	t.Run("B5/below minimum volume the rate is not judged", func(t *testing.T) {
		tr, _ := newTracker(t, nil)
		tr.Record(ctx, bounce.Outcome{Account: "acme", Address: "x@example.com", Reason: bounce.ReasonUserUnknown})
		if g, _ := tr.Gate(ctx, "acme"); g.Level != bounce.GateOK {
			t.Errorf("gate = %+v", g)
		}
	})
}

const forgedBounce = "From: MAILER-DAEMON@mx.example.org\r\n" +
	"To: %s\r\n" +
	"Subject: Undelivered Mail Returned to Sender\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n" +
	"\r\n" +
	"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n" +
	"--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
	"Reporting-MTA: dns; mx.example.org\r\n\r\n" +
	"Final-Recipient: rfc822; victim@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <victim@example.com>: User unknown\r\n" +
	"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
	"From: support@desk.example\r\nMessage-ID: <%s>\r\nSubject: Your ticket\r\n\r\n" +
	"--B--\r\n"

func TestForgedBounces(t *testing.T) {
	ctx := context.Background()
	v := mustVERP(t, "first-secret-0123456789")
	own := func(_ context.Context, id string) (bounce.OwnedMessage, error) {
		if id == "t42.sig@desk.example" {
			return bounce.OwnedMessage{Account: "acme", Ref: "ticket-42"}, nil
		}
		return bounce.OwnedMessage{}, nil
	}
	parse := func(t *testing.T, to, msgid, final string) *bounce.Report {
		t.Helper()
		m := strings.Replace(forgedBounce, "<%s>", "<"+msgid+">", 1)
		if msgid == "" {
			// No returned message at all.
			m = m[:strings.Index(m, "--B\r\nContent-Type: text/rfc822-headers")] + "--B--\r\n"
		}
		m = strings.NewReplacer("%s", to, "victim@example.com", final).Replace(m)
		rep, err := bounce.ParseBytes([]byte(m))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rp, _ := v.ReturnPath("acme", "victim@example.com", "t42.sig@desk.example")
	rpOther, _ := v.ReturnPath("acme", "someone@example.com", "t42.sig@desk.example")
	rpUUID, _ := v.ReturnPath("3f2504e0-4f89-41d3-9a0c-0305e82c3301", "victim@example.com", "t42.sig@desk.example")

	cases := []struct {
		name       string
		to, mid    string
		final      string // the recipient the report names
		sent       bool   // the gate recorded t42 as sent to victim
		ignored    string // the code Apply gives the listed address, if it ignores it
		wantErr    error
		via        string
		account    string
		msgID, ref string
		blocked    bool
	}{
		{name: "B10/no token and a foreign Message-ID is ignored", to: "someone@desk.example", mid: "forged@evil.example", wantErr: bounce.ErrNotOurs},
		{name: "B10/forged VERP token is ignored", to: "b-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@bounces.example.net", mid: "forged@evil.example", wantErr: bounce.ErrNotOurs},
		{name: "B10/forged VERP token without a returned message is ignored", to: "b-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@bounces.example.net", wantErr: bounce.ErrNotOurs},
		{name: "B6/our Message-ID attributes the bounce to its ticket", to: "someone@desk.example", mid: "t42.sig@desk.example", sent: true, via: "message-id", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", blocked: true},
		{name: "B10/our Message-ID without a record of its recipients changes nothing", to: "someone@desk.example", mid: "t42.sig@desk.example", via: "message-id", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", ignored: bounce.CodeNoSendRecord},
		{name: "B10/forged bounce citing our Message-ID and listing a non-recipient is ignored", to: "someone@desk.example", mid: "t42.sig@desk.example", final: "stranger@example.com", sent: true, via: "message-id", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", ignored: bounce.CodeNotRecipient},
		{name: "B6/our VERP token and its Message-ID name the message", to: rp, mid: "t42.sig@desk.example", via: "verp", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", blocked: true},
		{name: "B6/UUID account in the VERP token", to: rpUUID, mid: "t42.sig@desk.example", via: "verp", account: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", msgID: "t42.sig@desk.example", blocked: true},
		{name: "B6/our VERP token with another Message-ID: message unknown, address blocked", to: rp, mid: "forged@evil.example", via: "verp", account: "acme", blocked: true},
		{name: "B6/our VERP token without the returned message: message unknown, address blocked", to: rp, via: "verp", account: "acme", blocked: true},
		{name: "B10/bounce for a VERP token with a different recipient does not block the victim", to: rpOther, mid: "t42.sig@desk.example", via: "verp", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", ignored: bounce.CodeVERPRecipient},
		{name: "B10/bounce for a VERP token with a different recipient, no returned message", to: rpOther, via: "verp", account: "acme", ignored: bounce.CodeVERPRecipient},
		{name: "B6/a forwarded recipient is found in the recorded recipients", to: rp, mid: "t42.sig@desk.example", final: "victim@forward.example", sent: true, via: "verp", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42", blocked: true},
		{name: "B10/a forwarded recipient without a delivery record changes nothing", to: rp, mid: "t42.sig@desk.example", final: "victim@forward.example", via: "verp", account: "acme", msgID: "t42.sig@desk.example", ref: "ticket-42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, _ := newTracker(t, &bounce.Options{VERP: v, OwnMessage: own})
			if c.final == "" {
				c.final = "victim@example.com"
			}
			acct := c.account
			if acct == "" {
				acct = "acme"
			}
			if c.sent {
				if err := tr.Store().AddSent(ctx, acct, bounce.SentMessage{MessageID: "t42.sig@desk.example", Recipients: []string{"victim@example.com"}}); err != nil {
					t.Fatal(err)
				}
			}
			rep := parse(t, c.to, c.mid, c.final)
			if rep.Kind != bounce.KindFailure {
				t.Fatalf("kind %q", rep.Kind)
			}
			ap, err := tr.Apply(ctx, rep)
			st, _ := tr.Address(ctx, acct, "victim@example.com")
			fst, _ := tr.Address(ctx, acct, c.final)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Errorf("Apply: %v, want %v", err, c.wantErr)
				}
				if st.State != bounce.StateOK || len(ap.States) != 0 {
					t.Errorf("forged bounce blocked the address: %v", st.State)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := ap.Attribution
			if a.Via != c.via || a.Account != c.account || a.MessageID != c.msgID || a.MessageRef != c.ref {
				t.Errorf("attribution %+v", a)
			}
			if c.blocked != (st.State == bounce.StateHardBlocked) {
				t.Errorf("victim state %v, want blocked %v", st.State, c.blocked)
			}
			if c.ignored != "" && (len(ap.Ignored) != 1 || ap.Ignored[0].Reason.Code != c.ignored || ap.Ignored[0].Address != c.final || len(ap.States) != 0) {
				t.Errorf("ignored %+v, states %d; want %s for %s", ap.Ignored, len(ap.States), c.ignored, c.final)
			}
			if c.final != "victim@example.com" && fst.State != bounce.StateOK {
				t.Errorf("B10/the address the report names (%s) changed: %v", c.final, fst.State)
			}
			if c.via == "verp" && c.blocked && a.Recipient != "victim@example.com" {
				t.Errorf("recipient %q", a.Recipient)
			}
			ds, _ := tr.Deliveries(ctx, acct, "t42.sig@desk.example")
			if c.blocked && c.msgID != "" && (len(ds) != 1 || ds[0].Status != bounce.DeliveryHardBounce) {
				t.Errorf("B7/deliveries %+v", ds)
			}
		})
	}
}

func TestSecretsStayOut(t *testing.T) {
	const secret = "do-not-print-this-secret"
	v := mustVERP(t, secret)
	var logs strings.Builder
	tr, _ := bounce.NewTracker(bounce.NewMemoryStore(), &bounce.Options{VERP: v, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rp, _ := v.ReturnPath("acme", "x@example.com", "m@x")
	_, err1 := v.Verify(rp[:len(rp)-25] + "zz@bounces.example.net")
	_, err2 := tr.Apply(context.Background(), &bounce.Report{Kind: bounce.KindFailure, Envelope: []string{"b-zzzz@bounces.example.net"}})
	tr.Record(context.Background(), bounce.Outcome{Account: "acme", Address: "x@example.com", Reason: bounce.ReasonUserUnknown})
	for _, s := range []string{fmt.Sprint(err1), fmt.Sprint(err2), logs.String(), fmt.Sprintf("%v %+v", v, v)} {
		if strings.Contains(s, secret) {
			t.Errorf("secret shows in %q", s)
		}
	}
}
