package bounce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Tracker errors.
var (
	// ErrHardBlocked is returned by Unblock for a hard-blocked address: only
	// AdminUnblock lifts a hard block (B4).
	ErrHardBlocked = errors.New("bounce: address is hard-blocked; only an administrator can unblock it")
	// ErrNotOurs is returned by Apply for a report that carries neither a
	// VERP token of ours nor one of our Message-IDs (B10).
	ErrNotOurs = errors.New("bounce: report is not about a message we sent")
)

// Defaults of Options.
const (
	DefaultSoftSends   = 5
	DefaultSoftToHard  = 5
	DefaultWindow      = 7 * 24 * time.Hour
	DefaultMinVolume   = 100
	DefaultWarnRate    = 0.05
	DefaultBlockRate   = 0.10
	DefaultMaxEvents   = 50
	defaultDetailBytes = 300
)

// Options configure a Tracker. Nil means the defaults.
type Options struct {
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives a line per state change. Nil means no logging.
	Logger *slog.Logger
	// Policy maps reasons to severities. Nil means DefaultPolicy.
	Policy Policy
	// SoftSends is how many more sends a soft bounce allows (B3). Zero
	// means DefaultSoftSends.
	SoftSends int
	// SoftToHard is the count of consecutive soft bounces that becomes a
	// hard block (B3). Zero means DefaultSoftToHard.
	SoftToHard int
	// Window is the span of the account bounce rate (B5). Zero means
	// DefaultWindow. It is counted in whole UTC days.
	Window time.Duration
	// MinVolume is the number of sends in the window below which the rate
	// is not judged. Zero means DefaultMinVolume.
	MinVolume int
	// WarnRate and BlockRate are the hard-bounce rates (0..1) at which the
	// account is warned and its notifications blocked. Zero means
	// DefaultWarnRate and DefaultBlockRate.
	WarnRate, BlockRate float64
	// MaxEvents caps each address's event trail. Zero means
	// DefaultMaxEvents.
	MaxEvents int
	// VERP reads VERP tokens of incoming reports. Nil means reports are
	// attributed by Message-ID only.
	VERP *VERP
	// OwnMessage tells whether a Message-ID (without angle brackets) is one
	// we sent, and for which account; messageRef is the host's reference
	// for it (a ticket or message id), carried into Attribution. The
	// threading package provides one. Nil means only VERP attributes.
	OwnMessage func(messageID string) (account, messageRef string, ok bool)
}

// Tracker keeps per-address bounce state, delivery status and the account
// bounce-rate gate on a Store. It is safe for concurrent use.
type Tracker struct {
	store Store
	o     Options
}

// NewTracker returns a Tracker on store.
func NewTracker(store Store, opts *Options) *Tracker {
	t := &Tracker{store: store}
	if opts != nil {
		t.o = *opts
	}
	o := &t.o
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Policy == nil {
		o.Policy = DefaultPolicy
	}
	if o.SoftSends <= 0 {
		o.SoftSends = DefaultSoftSends
	}
	if o.SoftToHard <= 0 {
		o.SoftToHard = DefaultSoftToHard
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MinVolume <= 0 {
		o.MinVolume = DefaultMinVolume
	}
	if o.WarnRate <= 0 {
		o.WarnRate = DefaultWarnRate
	}
	if o.BlockRate <= 0 {
		o.BlockRate = DefaultBlockRate
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = DefaultMaxEvents
	}
	return t
}

// Store returns the tracker's store.
func (t *Tracker) Store() Store { return t.store }

func normAddr(a string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>")) }

func (t *Tracker) addEvent(s *AddressState, e Event) {
	if len(e.Detail) > defaultDetailBytes {
		e.Detail = e.Detail[:defaultDetailBytes]
	}
	s.Events = append(s.Events, e)
	if n := len(s.Events) - t.o.MaxEvents; n > 0 {
		s.Events = append(s.Events[:0:0], s.Events[n:]...)
	}
	s.Updated = e.At
}

func (t *Tracker) log(msg string, args ...any) {
	if t.o.Logger != nil {
		t.o.Logger.Info(msg, args...)
	}
}

// Decision is the gate's verdict on one send to one address.
type Decision struct {
	Allowed bool
	// Reason is why not: "hard_blocked", "soft_blocked" or
	// "account_bounce_rate".
	Reason string
	State  AddressState
}

// Reserve decides whether a message may go to address and, when it may,
// counts the send against a soft block's allowance, in one atomic update.
func (t *Tracker) Reserve(ctx context.Context, account, address, messageID string) (Decision, error) {
	address = normAddr(address)
	now := t.o.Now()
	var d Decision
	errDrop := errors.New("drop")
	errOK := errors.New("ok")
	st, err := t.store.Update(ctx, account, address, func(s *AddressState) error {
		switch s.State {
		case StateHardBlocked:
			d.Reason = DropHardBlocked
			return errDrop
		case StateSoftBlocked:
			if s.SendsLeft <= 0 {
				d.Reason = DropSoftBlocked
				return errDrop
			}
			s.SendsLeft--
			t.addEvent(s, Event{At: now, Type: EventSent, MessageID: messageID,
				Detail: fmt.Sprintf("%d more sends allowed", s.SendsLeft)})
			return nil
		}
		// An address in good standing: nothing to store.
		*s = AddressState{Account: s.Account, Address: s.Address, State: StateOK}
		return errOK
	})
	if errors.Is(err, errOK) {
		return Decision{Allowed: true, State: AddressState{Account: account, Address: address, State: StateOK}}, nil
	}
	if errors.Is(err, errDrop) {
		st, err = t.store.Get(ctx, account, address)
		if err != nil {
			return Decision{}, err
		}
		d.State = st
		return d, nil
	}
	if err != nil {
		return Decision{}, err
	}
	d.Allowed, d.State = true, st
	return d, nil
}

// Outcome is one event for one address, from a report or a send.
type Outcome struct {
	Account, Address, MessageID string
	Reason                      Reason
	// Severity overrides the policy's severity for Reason when set.
	Severity Severity
	Detail   string
}

// Record applies one outcome to the address state (B2, B3), its delivery
// status (B7) and the account counters (B5), and returns the new state.
// Delivered resets the soft count; a hard failure blocks for good; a soft
// failure allows SoftSends more sends and the SoftToHard-th consecutive one
// blocks hard.
func (t *Tracker) Record(ctx context.Context, o Outcome) (AddressState, error) {
	o.Address = normAddr(o.Address)
	now := t.o.Now()
	sev := o.Severity
	if sev == "" {
		sev = t.o.Policy.Severity(o.Reason)
	}
	hard := false
	st, err := t.store.Update(ctx, o.Account, o.Address, func(s *AddressState) error {
		hard = false
		e := Event{At: now, Reason: o.Reason, MessageID: o.MessageID, Detail: o.Detail}
		switch {
		case o.Reason == ReasonDelivered:
			e.Type = EventDelivered
			s.SoftCount = 0
			if s.State == StateSoftBlocked {
				s.State = StateOK
				s.SendsLeft = 0
			}
		case o.Reason == ReasonFeedback:
			e.Type = EventComplaint
		case sev == SeverityHard:
			e.Type = EventHardBounce
			hard = s.State != StateHardBlocked
			s.State = StateHardBlocked
			s.LastReason = o.Reason
		case sev == SeveritySoft:
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
				s.State = StateHardBlocked
				s.SendsLeft = 0
			} else {
				e.Type = EventSoftBounce
				s.State = StateSoftBlocked
				s.SendsLeft = t.o.SoftSends
			}
		default:
			return nil
		}
		t.addEvent(s, e)
		return nil
	})
	if err != nil {
		return AddressState{}, err
	}
	if o.MessageID != "" {
		d := Delivery{MessageID: o.MessageID, Recipient: o.Address, Reason: o.Reason, Detail: truncate(o.Detail), Updated: now}
		switch {
		case o.Reason == ReasonDelivered:
			d.Status, d.Reason = DeliveryDelivered, ""
		case o.Reason == ReasonFeedback:
			d.Status = DeliveryComplained
		case sev == SeverityHard:
			d.Status = DeliveryHardBounce
		case sev == SeveritySoft:
			d.Status = DeliverySoftBounce
		}
		if d.Status != "" {
			if err := t.store.PutDelivery(ctx, o.Account, d); err != nil {
				return st, err
			}
		}
	}
	if hard {
		if err := t.store.AddCounts(ctx, o.Account, now, 0, 1); err != nil {
			return st, err
		}
		t.log("bounce: address hard-blocked", "account", o.Account, "address", o.Address, "reason", string(o.Reason))
	}
	return st, nil
}

func truncate(s string) string {
	if len(s) > defaultDetailBytes {
		return s[:defaultDetailBytes]
	}
	return s
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
		s.State, s.SoftCount, s.SendsLeft = StateOK, 0, 0
		t.addEvent(s, Event{At: now, Type: typ, Detail: who})
		return nil
	})
}

// Address returns the state of an address; an address never seen is OK.
func (t *Tracker) Address(ctx context.Context, account, address string) (AddressState, error) {
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
	return t.store.Deliveries(ctx, account, strings.Trim(messageID, "<>"))
}

// GateLevel is the account bounce-rate verdict.
type GateLevel string

// The gate levels (B5).
const (
	GateOK      GateLevel = "ok"
	GateWarn    GateLevel = "warn"    // the rate reached WarnRate
	GateBlocked GateLevel = "blocked" // the rate reached BlockRate: notifications are refused
)

// AccountGate is an account's bounce rate over the window.
type AccountGate struct {
	Account     string    `json:"account"`
	Sends       int       `json:"sends"`
	HardBounces int       `json:"hard_bounces"`
	Rate        float64   `json:"rate"`
	Level       GateLevel `json:"level"`
	Exempt      bool      `json:"exempt"`
}

// Gate returns the account's bounce rate and level (B5). Below MinVolume
// sends the level is ok; an exempt account is never blocked (but is warned).
func (t *Tracker) Gate(ctx context.Context, account string) (AccountGate, error) {
	since := t.o.Now().Add(-t.o.Window + 24*time.Hour)
	sends, hard, err := t.store.Counts(ctx, account, since)
	if err != nil {
		return AccountGate{}, err
	}
	g := AccountGate{Account: account, Sends: sends, HardBounces: hard, Level: GateOK}
	if sends > 0 {
		g.Rate = float64(hard) / float64(sends)
	}
	a, err := t.store.GetAccount(ctx, account)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return AccountGate{}, err
	}
	g.Exempt = a.Exempt
	if sends >= t.o.MinVolume {
		switch {
		case g.Rate >= t.o.BlockRate && !g.Exempt:
			g.Level = GateBlocked
		case g.Rate >= t.o.WarnRate:
			g.Level = GateWarn
		}
	}
	return g, nil
}

// SetExempt exempts an account from the bounce-rate gate, or ends the
// exemption; only an administrator may call it (B5).
func (t *Tracker) SetExempt(ctx context.Context, account string, exempt bool) error {
	now := t.o.Now()
	_, err := t.store.UpdateAccount(ctx, account, func(a *AccountState) error {
		a.Exempt, a.Updated = exempt, now
		return nil
	})
	return err
}

// Attribution says which message of ours a report is about (B6, B10).
type Attribution struct {
	Account string `json:"account"`
	// MessageID is the original message's Message-ID (without angle
	// brackets). Empty means the message is unknown: a VERP report that
	// carries no Message-ID matching its token.
	MessageID string `json:"message_id,omitempty"`
	// MessageRef is the host's reference from OwnMessage, when it gave one.
	MessageRef string `json:"message_ref,omitempty"`
	// Recipient is the recipient a VERP token names, found among the
	// report's recipients, the original To and the message's delivery
	// records. Empty for Message-ID attribution, and for a VERP token whose
	// recipient none of those names (Apply then changes no address).
	Recipient string `json:"recipient,omitempty"`
	// Via is "verp" or "message-id".
	Via string `json:"via"`
}

// Attribute ties a report to a message we sent: by a verified VERP token
// among the addresses it was delivered to, else by the returned message's
// Message-ID through OwnMessage. It returns ErrNotOurs otherwise, and
// ErrBadToken (wrapped in ErrNotOurs) for a forged token.
//
// A VERP token carries the account and hashes of the Message-ID and the
// recipient. The message is named when the report's original Message-ID
// matches the hash; the recipient is the address among the report's
// recipients, the original To field and the delivery records of the named
// message (read from the Store) that matches its hash.
func (t *Tracker) Attribute(ctx context.Context, rep *Report) (Attribution, error) {
	a, _, err := t.attribute(ctx, rep)
	return a, err
}

// attribute also returns the index in rep.Recipients of the entry a VERP
// token's recipient is about, or -1.
func (t *Tracker) attribute(ctx context.Context, rep *Report) (Attribution, int, error) {
	if t.o.VERP != nil {
		tok, err := t.o.VERP.Find(rep.Envelope)
		if err == nil {
			a, idx, err := t.attributeVERP(ctx, rep, tok)
			return a, idx, err
		}
		if errors.Is(err, ErrBadToken) && rep.Original.MessageID == "" {
			return Attribution{}, -1, fmt.Errorf("%w: %w", ErrNotOurs, err)
		}
	}
	if t.o.OwnMessage != nil && rep.Original.MessageID != "" {
		if acct, ref, ok := t.o.OwnMessage(rep.Original.MessageID); ok {
			return Attribution{Account: acct, MessageID: rep.Original.MessageID, MessageRef: ref, Via: "message-id"}, -1, nil
		}
	}
	return Attribution{}, -1, ErrNotOurs
}

func (t *Tracker) attributeVERP(ctx context.Context, rep *Report, tok Token) (Attribution, int, error) {
	a := Attribution{Account: tok.Account, Via: "verp"}
	if id := strings.Trim(strings.TrimSpace(rep.Original.MessageID), "<>"); tok.MessageIs(id) {
		a.MessageID = id
		if t.o.OwnMessage != nil {
			if acct, ref, ok := t.o.OwnMessage(id); ok && acct == tok.Account {
				a.MessageRef = ref
			}
		}
	}
	idx := -1
	for i, rc := range rep.Recipients {
		if tok.RecipientIs(rc.Address) {
			a.Recipient, idx = normAddr(rc.Address), i
			return a, idx, nil
		}
	}
	// The report names the recipient otherwise (an alias, a forward): look
	// for it in the original To and in what we recorded at send time.
	if rep.Original.To != "" {
		if list, err := deskmail.ParseAddressList(rep.Original.To); err == nil {
			for _, ad := range list {
				if tok.RecipientIs(ad.Addr()) {
					a.Recipient = normAddr(ad.Addr())
					break
				}
			}
		}
	}
	if a.Recipient == "" && a.MessageID != "" {
		ds, err := t.store.Deliveries(ctx, a.Account, a.MessageID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return a, -1, err
		}
		for _, d := range ds {
			if tok.RecipientIs(d.Recipient) {
				a.Recipient = normAddr(d.Recipient)
				break
			}
		}
	}
	if a.Recipient != "" && len(rep.Recipients) == 1 {
		idx = 0
	}
	return a, idx, nil
}

// Applied is what Apply did with a report.
type Applied struct {
	Attribution Attribution
	// States holds the new state of each address the report changed.
	States []AddressState
}

// Apply attributes a parsed report and records each of its recipients'
// outcomes (B2–B7). A report that is not ours changes nothing and returns
// ErrNotOurs (B10). With a VERP token only the recipient it names is
// affected, whatever addresses the report lists, and nothing is changed
// when that recipient cannot be found in the report (see Attribute); when
// the message is unknown the address state changes and no delivery record
// is written. Vacation replies change nothing.
func (t *Tracker) Apply(ctx context.Context, rep *Report) (Applied, error) {
	a, idx, err := t.attribute(ctx, rep)
	if err != nil {
		return Applied{}, err
	}
	out := Applied{Attribution: a}
	if rep.Kind == KindVacation || rep.Kind == KindNone {
		return out, nil
	}
	recipients := rep.Recipients
	if a.Via == "verp" {
		if idx < 0 || a.Recipient == "" {
			return out, nil
		}
		recipients = recipients[idx : idx+1]
	}
	for _, rc := range recipients {
		addr := rc.Address
		if a.Recipient != "" {
			addr = a.Recipient
		}
		if rc.Action == "delayed" && rc.Reason != ReasonDelivered {
			// Still being retried: only the delivery status changes.
			if a.MessageID != "" {
				if err := t.store.PutDelivery(ctx, a.Account, Delivery{MessageID: a.MessageID, Recipient: normAddr(addr),
					Status: DeliveryDeferred, Reason: rc.Reason, Detail: truncate(rc.Diagnostic), Updated: t.o.Now()}); err != nil {
					return out, err
				}
			}
			continue
		}
		st, err := t.Record(ctx, Outcome{Account: a.Account, Address: addr, MessageID: a.MessageID,
			Reason: rc.Reason, Severity: rc.Severity, Detail: rc.Diagnostic})
		if err != nil {
			return out, err
		}
		out.States = append(out.States, st)
	}
	return out, nil
}
