package bounce

import (
	"context"
	"errors"

	"github.com/deskmail/deskmail"
)

// Codes of the reasons Apply gives for a listed recipient it left alone
// (Applied.Ignored).
const (
	// CodeNotRecipient: the address was not a recipient of the message the
	// report cites, so the report may not change it (B10).
	CodeNotRecipient = "bounce_not_recipient"
	// CodeNoSendRecord: there is no record of the recipients of the cited
	// message (sent longer ago than Options.Retention, or not through the
	// Middleware), so no address may be changed.
	CodeNoSendRecord = "bounce_no_send_record"
	// CodeVERPRecipient: the report's VERP token was made for another
	// recipient than the address listed.
	CodeVERPRecipient = "bounce_verp_recipient_mismatch"
	// CodeDuplicate: the same outcome was applied before (the report was
	// delivered again): counted once.
	CodeDuplicate = "bounce_duplicate"
)

// Applied is what Apply did with a report.
type Applied struct {
	Attribution Attribution `json:"attribution"`
	// States holds the new state of each address the report changed.
	States []AddressState `json:"states,omitempty"`
	// Ignored lists the addresses the report names that it did not
	// change, each with why.
	Ignored []Ignored `json:"ignored,omitempty"`
}

// Ignored is one address of a report that Apply left unchanged.
type Ignored struct {
	// Address is the address as the report lists it, lower-cased and
	// sanitised.
	Address string          `json:"address"`
	Reason  deskmail.Reason `json:"reason"`
}

// Apply attributes a parsed report and records the outcomes of those of
// its recipients it may change (B2–B7, B10). A report that is not ours
// changes nothing and returns ErrNotOurs. Attributed by Message-ID, a
// report changes only the addresses the cited message was sent to, as the
// Middleware recorded them; every other address it lists is Ignored with
// CodeNotRecipient (or CodeNoSendRecord when no record exists). With a
// VERP token only the recipient the token was made for is affected (the
// signed token is the proof that we sent to it); the other listed
// addresses are Ignored with CodeVERPRecipient, and nothing changes when
// that recipient cannot be found in the report (see Attribute). When the
// message is unknown the address state changes and no delivery record is
// written. An outcome applied before (the same report delivered again) is
// Ignored with CodeDuplicate. Vacation replies change nothing.
func (t *Tracker) Apply(ctx context.Context, rep *Report) (Applied, error) {
	if err := t.ready(); err != nil {
		return Applied{}, err
	}
	if rep == nil {
		return Applied{}, ErrNotOurs
	}
	a, err := t.attribute(ctx, rep)
	if err != nil {
		return Applied{}, err
	}
	out := Applied{Attribution: a.Attribution}
	if rep.Kind == KindVacation || rep.Kind == KindNone {
		return out, nil
	}
	ignore := func(addr, code, format string, args ...any) {
		out.Ignored = append(out.Ignored, Ignored{Address: deskmail.Sanitize(normAddr(addr)), Reason: deskmail.NewReason(code, format, args...)})
	}
	type target struct {
		rc   Recipient
		addr string
	}
	var targets []target
	if a.Via == ViaVERP {
		for i, rc := range rep.Recipients {
			if i == a.idx && a.Recipient != "" {
				targets = append(targets, target{rc, a.Recipient})
				continue
			}
			ignore(rc.Address, CodeVERPRecipient, "the report lists %s, but its VERP token was made for another recipient: left unchanged", normAddr(rc.Address))
		}
	} else {
		sent, err := t.store.Sent(ctx, a.Account, a.MessageID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return out, err
		}
		for _, rc := range rep.Recipients {
			switch {
			case err != nil:
				ignore(rc.Address, CodeNoSendRecord, "no record of the recipients of message %s (sent before the retention period or not through the gate): %s left unchanged", a.MessageID, normAddr(rc.Address))
			case !sent.Has(rc.Address):
				ignore(rc.Address, CodeNotRecipient, "%s was not a recipient of message %s: left unchanged", normAddr(rc.Address), a.MessageID)
			default:
				targets = append(targets, target{rc, normAddr(rc.Address)})
			}
		}
	}
	for _, tg := range targets {
		rc := tg.rc
		if rc.Action == "delayed" && rc.Reason != ReasonDelivered {
			// Still being retried: only the delivery status changes.
			if a.MessageID != "" {
				if err := t.store.PutDelivery(ctx, a.Account, Delivery{MessageID: a.MessageID, Recipient: tg.addr,
					Status: DeliveryDeferred, Reason: rc.Reason, Detail: detail(rc.Diagnostic), Updated: t.o.Now()}); err != nil {
					return out, err
				}
			}
			continue
		}
		st, err := t.record(ctx, Outcome{Account: a.Account, Address: tg.addr, MessageID: a.MessageID, ReportID: rep.MessageID,
			Reason: rc.Reason, Severity: rc.Severity, Status: rc.Status, Detail: rc.Diagnostic}, a.msgKey)
		if errors.Is(err, ErrDuplicate) {
			ignore(tg.addr, CodeDuplicate, "this outcome for %s was applied before (the report came again): counted once", tg.addr)
			continue
		}
		if err != nil {
			return out, err
		}
		out.States = append(out.States, st)
	}
	return out, nil
}
