package bounce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Decision is the gate's verdict on one send to one address.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Reason is why not: "hard_blocked", "soft_blocked" or
	// "account_bounce_rate".
	Reason string       `json:"reason,omitempty"`
	State  AddressState `json:"state"`
}

var (
	errDrop     = errors.New("bounce: drop")
	errNoChange = errors.New("bounce: no change")
)

// Reserve decides whether a message may go to address and, when it may,
// counts the send against a soft block's allowance, in one atomic update.
// A send to a soft-bounced address is remembered as pending: if it raises
// no bounce within Options.DeliveryWindow, that is evidence of delivery,
// found at the next Reserve or report, which resets the soft count and
// lifts the soft block (B3). An address in good standing costs no write.
func (t *Tracker) Reserve(ctx context.Context, account, address, messageID string) (Decision, error) {
	if err := t.ready(); err != nil {
		return Decision{}, err
	}
	address = normAddr(address)
	messageID = trimID(messageID)
	now := t.o.Now()
	var d Decision
	st, err := t.store.Update(ctx, account, address, func(s *AddressState) error {
		settled := t.settle(s, now)
		switch s.State {
		case StateHardBlocked:
			d.Reason, d.State = DropHardBlocked, cloneState(*s)
			return errDrop
		case StateSoftBlocked:
			if s.SendsLeft <= 0 {
				d.Reason, d.State = DropSoftBlocked, cloneState(*s)
				return errDrop
			}
			s.SendsLeft--
			s.Pending = append(s.Pending, PendingSend{MessageID: messageID, At: now})
			if n := len(s.Pending) - t.o.MaxEvents; n > 0 {
				s.Pending = append(s.Pending[:0:0], s.Pending[n:]...)
			}
			t.addEvent(s, Event{At: now, Type: EventSent, MessageID: messageID,
				Detail: fmt.Sprintf("%d more sends allowed", s.SendsLeft)})
			return nil
		}
		if settled {
			return nil // store the reset
		}
		return errNoChange
	})
	switch {
	case errors.Is(err, errNoChange):
		return Decision{Allowed: true, State: AddressState{Account: account, Address: address, State: StateOK}}, nil
	case errors.Is(err, errDrop):
		return d, nil
	case err != nil:
		return Decision{}, err
	}
	return Decision{Allowed: true, State: st}, nil
}

// settle applies the evidence of delivery the pending sends of a
// soft-bounced address give at now: a send at least DeliveryWindow old that
// raised no bounce resets the soft count and lifts the soft block (B3). A
// hard block is never lifted this way (B2). It reports whether s changed.
func (t *Tracker) settle(s *AddressState, now time.Time) bool {
	if s.State != StateSoftBlocked {
		return false
	}
	for _, p := range s.Pending {
		if now.Sub(p.At) >= t.o.DeliveryWindow {
			t.reset(s)
			t.addEvent(s, Event{At: now, Type: EventNoBounce, MessageID: p.MessageID,
				Detail: fmt.Sprintf("no bounce within %s of the send at %s", t.o.DeliveryWindow, p.At.UTC().Format(time.RFC3339))})
			return true
		}
	}
	return false
}

// reset clears the soft count and a soft block.
func (t *Tracker) reset(s *AddressState) {
	if s.State == StateSoftBlocked {
		s.State = StateOK
	}
	s.SoftCount, s.SendsLeft, s.Pending = 0, 0, nil
}

// resolve drops the pending send a bounce is about: the one of messageID,
// or the oldest when the message is unknown.
func resolve(s *AddressState, messageID string) {
	for i, p := range s.Pending {
		if messageID == "" || p.MessageID == messageID {
			s.Pending = append(s.Pending[:i:i], s.Pending[i+1:]...)
			return
		}
	}
}
