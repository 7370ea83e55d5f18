package bounce

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Tracker errors.
var (
	// ErrNoStore is returned by NewTracker given a nil Store, and by every
	// method of a Tracker (or MemoryStore) that was not constructed.
	ErrNoStore = errors.New("bounce: no store")
	// ErrHardBlocked is returned by Unblock for a hard-blocked address: only
	// AdminUnblock lifts a hard block (B4).
	ErrHardBlocked = errors.New("bounce: address is hard-blocked; only an administrator can unblock it")
	// ErrNotOurs is returned by Apply for a report that carries neither a
	// VERP token of ours nor one of our Message-IDs (B10).
	ErrNotOurs = errors.New("bounce: report is not about a message we sent")
	// ErrDuplicate is returned by Record for an outcome already applied to
	// the address (the same message, status and reason, or the same
	// report): it is counted once, and the state returned is unchanged.
	ErrDuplicate = errors.New("bounce: outcome already applied")
)

// Defaults of Options.
const (
	DefaultSoftSends      = 5
	DefaultSoftToHard     = 5
	DefaultWindow         = 7 * 24 * time.Hour
	DefaultMinVolume      = 100
	DefaultWarnRate       = 0.05
	DefaultBlockRate      = 0.10
	DefaultMaxEvents      = 50
	DefaultRetention      = 30 * 24 * time.Hour
	DefaultDeliveryWindow = 72 * time.Hour
	defaultDetailBytes    = 300
	maxSeen               = 64
)

// Options configure a Tracker. Nil means the defaults.
type Options struct {
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives a line per state change. Nil means no logging.
	Logger *slog.Logger
	// Policy maps reasons to severities. Nil means DefaultPolicy.
	Policy SeverityPolicy
	// SoftSends is how many more sends a soft bounce allows (B3). Zero
	// means DefaultSoftSends.
	SoftSends int
	// SoftToHard is the count of consecutive soft bounces that becomes a
	// hard block (B3). Zero means DefaultSoftToHard.
	SoftToHard int
	// DeliveryWindow is how long after a send to a soft-bounced address
	// the absence of a bounce counts as evidence of delivery, which resets
	// the soft count (B3). It is judged at the address's next send or
	// report; nothing runs in the background. Zero means
	// DefaultDeliveryWindow (72 hours).
	DeliveryWindow time.Duration
	// Retention is how long the recipients of each sent message and the
	// idempotency keys of applied outcomes are kept (B10): a report about
	// an older message changes nothing. Zero means DefaultRetention (30
	// days). Prune deletes the expired records.
	Retention time.Duration
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
	// OwnMessage tells whether a Message-ID is one we sent, and for which
	// account. The inbound package adapts a threading.Threader to it. Nil
	// means only VERP attributes.
	OwnMessage MessageOwner
}

// Tracker keeps per-address bounce state, delivery status, the recipients
// of sent messages and the account bounce-rate gate on a Store. It is safe
// for concurrent use. The zero Tracker returns ErrNoStore from every
// method.
type Tracker struct {
	store Store
	o     Options
}

// NewTracker returns a Tracker on store, or ErrNoStore when store is nil.
func NewTracker(store Store, opts *Options) (*Tracker, error) {
	if store == nil {
		return nil, ErrNoStore
	}
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
	if o.DeliveryWindow <= 0 {
		o.DeliveryWindow = DefaultDeliveryWindow
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
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
	return t, nil
}

// ready makes the zero Tracker fail instead of panicking.
func (t *Tracker) ready() error {
	if t == nil || t.store == nil {
		return ErrNoStore
	}
	return nil
}

// Store returns the tracker's store (nil for the zero Tracker).
func (t *Tracker) Store() Store {
	if t == nil {
		return nil
	}
	return t.store
}

// Prune deletes the recipient records of messages last sent longer ago
// than Options.Retention and returns how many it deleted. Call it now and
// then (daily is plenty); reports about those messages then change
// nothing.
func (t *Tracker) Prune(ctx context.Context) (int, error) {
	if err := t.ready(); err != nil {
		return 0, err
	}
	return t.store.PruneSent(ctx, t.o.Now().Add(-t.o.Retention))
}

func normAddr(a string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>")) }

func trimID(id string) string { return strings.Trim(strings.TrimSpace(id), "<>") }

// detail bounds and sanitises a diagnostic taken from mail.
func detail(s string) string { return deskmail.SanitizeN(s, defaultDetailBytes) }

func (t *Tracker) addEvent(s *AddressState, e Event) {
	e.Detail = detail(e.Detail)
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
