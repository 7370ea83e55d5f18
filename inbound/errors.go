package inbound

import (
	"errors"
	"fmt"
)

// ErrTemporary is matched (errors.Is) by every error Process, ProcessAll
// and Recover return for a failing host callback or store (Options.Aliases,
// Tickets, Agents, Directory, Bounces, Allow, the Threader's stores) or a
// cancelled context: nothing was decided, and the mail should be tried
// again later (an SMTP server answers 451 4.3.0). The error also matches
// the callback's own error.
var ErrTemporary = errors.New("inbound: temporary failure")

// TemporaryError is the error of a failing callback or store: Step names
// the pipeline step ("route", "account", "agents", "thread", "tickets",
// "directory", "bounce", "allow", "auto_reply"), Err is the callback's
// error.
type TemporaryError struct {
	Step string
	Err  error
}

func (e *TemporaryError) Error() string {
	return fmt.Sprintf("inbound: %s: %v (temporary: try again later)", e.Step, e.Err)
}

// Unwrap returns the callback's error.
func (e *TemporaryError) Unwrap() error { return e.Err }

// Is matches ErrTemporary.
func (e *TemporaryError) Is(target error) bool { return target == ErrTemporary }

func temporary(step string, err error) error {
	return &TemporaryError{Step: step, Err: err}
}
