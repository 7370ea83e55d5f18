package relay

import (
	"context"
	"time"
)

// Notifier is told when a relay's breaker opens (R8): after
// BreakerThreshold consecutive faults in a day the relay is skipped until
// the next day. It is called once per relay and day, synchronously, from
// the Send that opened the breaker; keep it short (queue a mail to the
// admin). last is the fault that opened it. An error it returns is logged;
// the send's outcome does not change.
type Notifier interface {
	RelayBroken(ctx context.Context, account string, relay Relay, day time.Time, last error) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, account string, relay Relay, day time.Time, last error) error

// RelayBroken calls f.
func (f NotifierFunc) RelayBroken(ctx context.Context, account string, relay Relay, day time.Time, last error) error {
	return f(ctx, account, relay, day, last)
}

// AuthNotifier is told when a relay refused the credentials with a
// permanent reply (535 and the like), typically because the password was
// changed: the host marks the relay, or the identity whose own server it
// is (A8), as needing re-authentication. It is called synchronously from
// the Send that failed; an error it returns is logged.
type AuthNotifier interface {
	RelayAuthFailed(ctx context.Context, account string, relay Relay, err error) error
}

// AuthNotifierFunc adapts a function to an AuthNotifier.
type AuthNotifierFunc func(ctx context.Context, account string, relay Relay, err error) error

// RelayAuthFailed calls f.
func (f AuthNotifierFunc) RelayAuthFailed(ctx context.Context, account string, relay Relay, err error) error {
	return f(ctx, account, relay, err)
}

var (
	_ Notifier     = NotifierFunc(nil)
	_ AuthNotifier = AuthNotifierFunc(nil)
)
