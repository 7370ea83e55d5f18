package bounce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/deskmail/deskmail"
)

// Outcome is one event for one address, from a report or a send.
type Outcome struct {
	Account   string `json:"account"`
	Address   string `json:"address"`
	MessageID string `json:"message_id,omitempty"`
	Reason    Reason `json:"reason"`
	// Severity overrides the policy's severity for Reason when set.
	Severity Severity `json:"severity,omitempty"`
	// Status is the RFC 3463 status code (or the SMTP reply code) the
	// outcome came with; with MessageID and Reason it makes the outcome's
	// idempotency key.
	Status string `json:"status,omitempty"`
	// ReportID is the Message-ID of the report the outcome came in, when
	// known: the same report applied again is counted once.
	ReportID string `json:"report_id,omitempty"`
	// Detail is the diagnostic, from mail: it is sanitised and cut to 300
	// bytes before it is stored.
	Detail string `json:"detail,omitempty"`
}

// Record applies one outcome to the address state (B2, B3), its delivery
// status (B7) and the account counters (B5), and returns the new state.
// Delivered resets the soft count; a hard failure blocks for good; a soft
// failure allows SoftSends more sends and the SoftToHard-th consecutive one
// blocks hard. Evidence of delivery between two soft bounces (a delivery
// report, Received, or a send that raised no bounce within DeliveryWindow)
// resets the count, so only consecutive soft bounces block.
//
// An outcome with a MessageID (or a ReportID) is applied once: the same
// message, status and reason for the same address again returns
// ErrDuplicate with the unchanged state, and writes nothing.
func (t *Tracker) Record(ctx context.Context, o Outcome) (AddressState, error) {
	if err := t.ready(); err != nil {
		return AddressState{}, err
	}
	o.MessageID = trimID(o.MessageID)
	return t.record(ctx, o, o.MessageID)
}

// outcome kinds.
const (
	kindNone = iota
	kindDelivered
	kindComplaint
	kindHard
	kindSoft
)

// keys returns the idempotency keys of an outcome: one for its message
// (msgKey: the Message-ID, or the VERP token's message reference), status
// and reason, one for its report.
func keys(o Outcome, msgKey string, kind int) []string {
	var ks []string
	h := func(parts ...string) string {
		sum := sha256.New()
		for _, p := range parts {
			sum.Write([]byte(p))
			sum.Write([]byte{0})
		}
		return hex.EncodeToString(sum.Sum(nil)[:12])
	}
	if msgKey != "" {
		ks = append(ks, h("o", msgKey, o.Status, string(o.Reason), fmt.Sprint(kind)))
	}
	if o.ReportID != "" {
		ks = append(ks, h("r", trimID(o.ReportID)))
	}
	return ks
}

func (t *Tracker) record(ctx context.Context, o Outcome, msgKey string) (AddressState, error) {
	o.Address = normAddr(o.Address)
	now := t.o.Now()
	sev := o.Severity
	if sev == "" {
		sev = t.o.Policy.Severity(o.Reason)
	}
	kind := kindNone
	switch {
	case o.Reason == ReasonDelivered:
		kind = kindDelivered
	case o.Reason == ReasonFeedback:
		kind = kindComplaint
	case sev == SeverityHard:
		kind = kindHard
	case sev == SeveritySoft:
		kind = kindSoft
	}
	if kind == kindNone {
		return t.Address(ctx, o.Account, o.Address)
	}
	ks := keys(o, msgKey, kind)
	hard := false
	var dup AddressState
	st, err := t.store.Update(ctx, o.Account, o.Address, func(s *AddressState) error {
		hard = false
		s.Seen = slices.DeleteFunc(s.Seen, func(e Seen) bool { return now.Sub(e.At) > t.o.Retention })
		for _, k := range ks {
			if slices.ContainsFunc(s.Seen, func(e Seen) bool { return e.Key == k }) {
				dup = cloneState(*s)
				return ErrDuplicate
			}
		}
		for _, k := range ks {
			s.Seen = append(s.Seen, Seen{Key: k, At: now})
		}
		if n := len(s.Seen) - maxSeen; n > 0 {
			s.Seen = append(s.Seen[:0:0], s.Seen[n:]...)
		}
		e := Event{At: now, Reason: o.Reason, MessageID: o.MessageID, Detail: o.Detail}
		switch kind {
		case kindDelivered:
			e.Type = EventDelivered
			t.reset(s)
		case kindComplaint:
			e.Type = EventComplaint
		case kindHard:
			e.Type = EventHardBounce
			hard = s.State != StateHardBlocked
			s.State, s.SendsLeft, s.Pending = StateHardBlocked, 0, nil
			s.LastReason = o.Reason
		case kindSoft:
			resolve(s, o.MessageID)
			t.settle(s, now)
			s.LastReason = o.Reason
			s.SoftCount++
			if s.State == StateHardBlocked {
				e.Type = EventSoftBounce
				break
			}
			if s.SoftCount >= t.o.SoftToHard {
				e.Type = EventHardBounce
				e.Detail = fmt.Sprintf("%d consecutive soft bounces; %s", s.SoftCount, e.Detail)
				hard = true
				s.State, s.SendsLeft, s.Pending = StateHardBlocked, 0, nil
			} else {
				e.Type = EventSoftBounce
				s.State = StateSoftBlocked
				s.SendsLeft = t.o.SoftSends
			}
		}
		t.addEvent(s, e)
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		return dup, ErrDuplicate
	}
	if err != nil {
		return AddressState{}, err
	}
	if o.MessageID != "" {
		d := Delivery{MessageID: o.MessageID, Recipient: o.Address, Reason: o.Reason, Detail: detail(o.Detail), Updated: now}
		switch kind {
		case kindDelivered:
			d.Status, d.Reason = DeliveryDelivered, ""
		case kindComplaint:
			d.Status = DeliveryComplained
		case kindHard:
			d.Status = DeliveryHardBounce
		case kindSoft:
			d.Status = DeliverySoftBounce
		}
		if err := t.store.PutDelivery(ctx, o.Account, d); err != nil {
			return st, err
		}
	}
	if hard {
		if err := t.store.AddCounts(ctx, o.Account, now, 0, 1); err != nil {
			return st, err
		}
		t.log("bounce: address hard-blocked", "account", deskmail.Sanitize(o.Account), "address", deskmail.Sanitize(o.Address), "reason", string(o.Reason))
	}
	return st, nil
}

// Received records mail received from address in account: evidence that
// the address works, which resets its soft count and lifts a soft block
// (B3). A hard block stays (B2), and an address without state is not
// written. Call it for each mail accepted from the address whose sender
// authenticated (DMARC-aligned SPF or DKIM): mail from an unauthenticated
// sender is no evidence, since anyone can put the address in From.
func (t *Tracker) Received(ctx context.Context, account, address string) (AddressState, error) {
	if err := t.ready(); err != nil {
		return AddressState{}, err
	}
	address = normAddr(address)
	cur, err := t.Address(ctx, account, address)
	if err != nil || cur.State == StateHardBlocked || (cur.State == StateOK && cur.SoftCount == 0 && len(cur.Pending) == 0) {
		return cur, err
	}
	now := t.o.Now()
	st, err := t.store.Update(ctx, account, address, func(s *AddressState) error {
		if s.State == StateHardBlocked || (s.State == StateOK && s.SoftCount == 0) {
			cur = cloneState(*s)
			return errNoChange
		}
		t.reset(s)
		t.addEvent(s, Event{At: now, Type: EventReceived})
		return nil
	})
	if errors.Is(err, errNoChange) {
		return cur, nil
	}
	return st, err
}

// Unblock lifts a soft block on behalf of the account (B4). It returns
// ErrHardBlocked for a hard-blocked address and ErrNotFound for an address
// without state.
func (t *Tracker) Unblock(ctx context.Context, account, address string) (AddressState, error) {
	return t.unblock(ctx, account, address, "", false)
}

// AdminUnblock lifts a soft or hard block; only an administrator may call
// it (B4). who names the administrator in the event trail.
func (t *Tracker) AdminUnblock(ctx context.Context, account, address, who string) (AddressState, error) {
	return t.unblock(ctx, account, address, who, true)
}

func (t *Tracker) unblock(ctx context.Context, account, address, who string, admin bool) (AddressState, error) {
	if err := t.ready(); err != nil {
		return AddressState{}, err
	}
	address = normAddr(address)
	if _, err := t.store.Get(ctx, account, address); err != nil {
		return AddressState{}, err
	}
	now := t.o.Now()
	return t.store.Update(ctx, account, address, func(s *AddressState) error {
		if s.State == StateHardBlocked && !admin {
			return ErrHardBlocked
		}
		typ := EventUnblocked
		if admin {
			typ = EventAdminUnblocked
		}
		s.State, s.SoftCount, s.SendsLeft, s.Pending = StateOK, 0, 0, nil
		t.addEvent(s, Event{At: now, Type: typ, Detail: who})
		return nil
	})
}

// Address returns the state of an address; an address never seen is OK.
func (t *Tracker) Address(ctx context.Context, account, address string) (AddressState, error) {
	if err := t.ready(); err != nil {
		return AddressState{}, err
	}
	address = normAddr(address)
	s, err := t.store.Get(ctx, account, address)
	if errors.Is(err, ErrNotFound) {
		return AddressState{Account: account, Address: address, State: StateOK}, nil
	}
	return s, err
}

// Deliveries returns the delivery status of each recipient of a message
// (B7), or ErrNotFound.
func (t *Tracker) Deliveries(ctx context.Context, account, messageID string) ([]Delivery, error) {
	if err := t.ready(); err != nil {
		return nil, err
	}
	return t.store.Deliveries(ctx, account, trimID(messageID))
}
