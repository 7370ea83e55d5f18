package autoreply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/deskmail/deskmail"
)

// DefaultLimit is the number of automatic mails one recipient gets per
// account and day when LimitOptions.Limit is zero.
const DefaultLimit = 5

// ErrInvalidRecipient is returned by Limiter.Allow when the recipient is
// not an address.
var ErrInvalidRecipient = errors.New("autoreply: invalid recipient address")

// LimitOptions configure a Limiter. A nil *LimitOptions means the defaults.
type LimitOptions struct {
	// Limit is how many automatic mails one recipient may get per account
	// and day. Zero means DefaultLimit; negative means none at all.
	Limit int
	// Location is the time zone whose midnight starts a new day. Nil means
	// UTC.
	Location *time.Location
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives a debug line when a mail is held back. Nil means no
	// logging.
	Logger *slog.Logger
}

// Limiter enforces a per-recipient daily limit on automatic mail (L2):
// acknowledgements, notifications and other mail a person did not write.
// It breaks mail loops with auto-responders that ignore Auto-Submitted, and
// keeps one noisy contact from being flooded. It is safe for concurrent
// use; the Store makes the count exact across processes.
type Limiter struct {
	store  Store
	limit  int
	loc    *time.Location
	now    func() time.Time
	logger *slog.Logger
}

// NewLimiter returns a Limiter over store. A nil store means a new
// MemoryStore.
func NewLimiter(store Store, opts *LimitOptions) *Limiter {
	l := &Limiter{store: store, limit: DefaultLimit, loc: time.UTC, now: time.Now}
	if l.store == nil {
		l.store = NewMemoryStore()
	}
	if opts != nil {
		if opts.Limit != 0 {
			l.limit = opts.Limit
		}
		if opts.Location != nil {
			l.loc = opts.Location
		}
		if opts.Now != nil {
			l.now = opts.Now
		}
		l.logger = opts.Logger
	}
	return l
}

// Day returns the day Allow counts a mail sent now on: the civil date in
// the Limiter's time zone, as midnight UTC.
func (l *Limiter) Day() time.Time {
	return dayOf(l.now().In(l.loc))
}

// Allow reserves one automatic mail to recipient for account today. Call
// it right before sending; a mail that then fails to send still counts,
// which errs on the side of sending less. recipient is an address in any
// form ParseAddress accepts; it is compared by its canonical key (local
// part folded to lower case, ASCII domain), so "Bob@X" and "bob@x" share a
// count. The error wraps ErrInvalidRecipient, ErrEmptyKey or the store's
// error.
func (l *Limiter) Allow(ctx context.Context, account, recipient string) (Reservation, error) {
	if account == "" {
		return Reservation{}, ErrEmptyKey
	}
	key := deskmail.CanonicalKey(recipient)
	if key == "" {
		return Reservation{}, ErrInvalidRecipient
	}
	day := l.Day()
	r, err := l.store.Reserve(ctx, account, key, day, l.limit)
	if err != nil {
		return Reservation{}, fmt.Errorf("autoreply: reserve: %w", err)
	}
	if !r.Reserved && l.logger != nil {
		l.logger.DebugContext(ctx, "autoreply: daily limit reached, automatic mail held back",
			"account", account, "recipient", key, "day", day.Format(time.DateOnly), "count", r.Count, "limit", l.limit)
	}
	return r, nil
}
