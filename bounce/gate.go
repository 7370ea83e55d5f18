package bounce

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/deskmail/deskmail"
)

// Drop reasons the gate puts in deskmail.RecipientResult.Reason.
const (
	DropHardBlocked       = "hard_blocked"
	DropSoftBlocked       = "soft_blocked"
	DropAccountBounceRate = "account_bounce_rate"
)

// Middleware returns the outbound gate (B2–B5, B7): it drops recipients
// whose address is blocked, refuses notifications (deskmail.KindNotification)
// while the account's bounce rate is over BlockRate, sends to the rest
// through the next Transport, and records each recipient's outcome: sends
// and deliveries, and send-time rejections classified with ClassifyReply.
// Dropped recipients get deskmail.StatusDropped with a Reason. Ticket
// replies and other kinds are never stopped by the account gate. A temporary
// (4xx) reply is recorded as a deferred delivery, not as a soft bounce: the
// sending path retries it, and a final failure comes back as a report.
//
// After each send the recipients it went to are recorded against the
// message's Message-ID (Store.AddSent), so that a report about the message
// may change only their states (B10); an envelope without a MessageID
// records nothing, and reports about it can be attributed only by VERP.
func (t *Tracker) Middleware() deskmail.Middleware {
	return func(next deskmail.Transport) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			return t.send(ctx, next, env, msg)
		})
	}
}

func (t *Tracker) send(ctx context.Context, next deskmail.Transport, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	if env == nil {
		return nil, errors.New("bounce: send without an envelope")
	}
	messageID := trimID(env.MessageID)
	results := make([]deskmail.RecipientResult, len(env.To))
	now := t.o.Now()
	drop := func(i int, reason, text string) {
		results[i] = deskmail.RecipientResult{Recipient: env.To[i], Status: deskmail.StatusDropped, Reason: reason, Message: text}
		if messageID != "" {
			_ = t.store.PutDelivery(ctx, env.Account, Delivery{MessageID: messageID, Recipient: normAddr(env.To[i]),
				Status: DeliveryDropped, Detail: reason, Updated: now})
		}
	}
	if env.Kind == deskmail.KindNotification {
		g, err := t.Gate(ctx, env.Account)
		if err != nil {
			return nil, err
		}
		if g.Level == GateBlocked {
			for i := range env.To {
				drop(i, DropAccountBounceRate, "bounce: the account's bounce rate is over its limit; notifications are paused")
			}
			return &deskmail.Result{Recipients: results}, nil
		}
	}
	var allowed []string
	var index []int
	for i, rcpt := range env.To {
		d, err := t.Reserve(ctx, env.Account, rcpt, messageID)
		if err != nil {
			return nil, err
		}
		if !d.Allowed {
			text := "bounce: address is blocked after a hard bounce (" + string(d.State.LastReason) + ")"
			if d.Reason == DropSoftBlocked {
				text = "bounce: address is blocked after repeated soft bounces (" + string(d.State.LastReason) + ")"
			}
			drop(i, d.Reason, text)
			continue
		}
		allowed = append(allowed, rcpt)
		index = append(index, i)
	}
	if len(allowed) == 0 {
		return &deskmail.Result{Recipients: results}, nil
	}
	sub := env.Clone()
	sub.To = allowed
	res, sendErr := next.Send(ctx, sub, msg)
	if messageID != "" {
		rcpts := make([]string, len(allowed))
		for i, r := range allowed {
			rcpts[i] = normAddr(r)
		}
		slices.Sort(rcpts)
		if err := t.store.AddSent(ctx, env.Account, SentMessage{MessageID: messageID, Recipients: slices.Compact(rcpts), At: now}); err != nil && sendErr == nil {
			sendErr = err
		}
	}
	via := ""
	if res != nil {
		via = res.Via
	}
	sends := 0
	for _, i := range index {
		rcpt := env.To[i]
		rr, ok := res.Recipient(rcpt)
		if !ok {
			if sendErr != nil {
				rr = deskmail.RecipientResult{Recipient: rcpt, Status: deskmail.StatusDeferred, Message: sendErr.Error()}
			} else {
				rr = deskmail.RecipientResult{Recipient: rcpt, Status: deskmail.StatusUnknown}
			}
		}
		switch rr.Status {
		case deskmail.StatusDelivered, deskmail.StatusUnknown:
			sends++
			if messageID != "" {
				_ = t.store.PutDelivery(ctx, env.Account, Delivery{MessageID: messageID, Recipient: normAddr(rcpt),
					Status: DeliverySent, Detail: detail(rr.Message), Updated: now})
			}
		case deskmail.StatusRejected:
			sends++
			c := ClassifyReply(rr.Code, rr.EnhancedCode, rr.Message, t.o.Policy)
			if c.Temporary && c.Severity == SeverityHard {
				c.Severity = SeveritySoft
			}
			if rr.Reason == "" {
				rr.Reason = string(c.Reason)
			}
			status := rr.EnhancedCode
			if status == "" && rr.Code != 0 {
				status = strconv.Itoa(rr.Code)
			}
			if _, err := t.record(ctx, Outcome{Account: env.Account, Address: rcpt, MessageID: messageID,
				Reason: c.Reason, Severity: c.Severity, Status: status, Detail: rr.Message}, messageID); err != nil && !errors.Is(err, ErrDuplicate) && sendErr == nil {
				sendErr = err
			}
		case deskmail.StatusDeferred:
			if messageID != "" {
				c := ClassifyReply(rr.Code, rr.EnhancedCode, rr.Message, t.o.Policy)
				if rr.Reason == "" && rr.Code != 0 {
					rr.Reason = string(c.Reason)
				}
				_ = t.store.PutDelivery(ctx, env.Account, Delivery{MessageID: messageID, Recipient: normAddr(rcpt),
					Status: DeliveryDeferred, Reason: Reason(rr.Reason), Detail: detail(rr.Message), Updated: now})
			}
		}
		results[i] = rr
	}
	if sends > 0 {
		if err := t.store.AddCounts(ctx, env.Account, now, sends, 0); err != nil && sendErr == nil {
			sendErr = err
		}
	}
	return &deskmail.Result{Recipients: results, Via: via}, sendErr
}
