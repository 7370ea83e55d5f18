package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/inbound"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds one command with its response, and the
	// dial: 2 minutes.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxMessageBytes is the largest message fetched:
	// inbound.DefaultMaxBytes (50 MiB). A larger one is left on the server
	// and reported in Result.Skipped.
	DefaultMaxMessageBytes = inbound.DefaultMaxBytes
	// DefaultMaxLineBytes bounds a protocol line outside message data:
	// 64 KiB.
	DefaultMaxLineBytes = 64 << 10
	// DefaultMaxPerFetch is how many messages one Fetch reads at most; the
	// rest wait for the next one: 1000.
	DefaultMaxPerFetch = 1000
	// DefaultBatchBytes bounds the message data fetched by one IMAP
	// command: 8 MiB.
	DefaultBatchBytes = 8 << 20
)

var _ TokenSource = TokenFunc(nil)

// Dialer opens network connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configure a Fetcher. Pipeline and Handler are required; every
// other nil or zero field takes the default written beside it.
type Options struct {
	// Pipeline decides what each message is. Required.
	Pipeline *inbound.Pipeline
	// Handler files each message (inbound.Delivery with Source, Protocol
	// and the login). It is called for every message except a duplicate
	// (a Message-ID already on a ticket), in the mailbox's order. It
	// should index the Message-ID (threading.Threader.Remember) in the
	// same transaction as the ticket, which is what makes a fetch
	// interrupted after Deliver and before the server-side action file
	// nothing twice. Only after a nil return is the message flagged, moved
	// or deleted on the server; an error stops the fetch, and the message
	// is read again by the next one. Required.
	Handler inbound.Handler
	// Store keeps the UID and UIDL bookkeeping. Nil: a MemoryStore of the
	// Fetcher's own (lost at exit: give a database store in production).
	Store Store
	// Health records every attempt (A13) and keeps disabled sources from
	// being contacted. Nil: no health records.
	Health *alias.HealthMonitor
	// Keyring, when set, lets a password change re-enable a disabled
	// source by itself (a MAC of the password is part of the settings
	// fingerprint). Nil: only the other settings and Source.Revision are.
	Keyring *deskmail.Keyring
	// Dialer opens the connections. Nil: a net.Dialer.
	Dialer Dialer
	// Timeout bounds the dial, the TLS handshake and each command.
	// Zero: DefaultTimeout.
	Timeout time.Duration
	// MaxMessageBytes: larger messages are left on the server and listed in
	// Result.Skipped. Zero: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxLineBytes bounds protocol lines. Zero: DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxPerFetch bounds the messages of one Fetch. Zero:
	// DefaultMaxPerFetch.
	MaxPerFetch int
	// BatchBytes bounds the message data of one IMAP FETCH command.
	// Zero: DefaultBatchBytes.
	BatchBytes int
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
	// Logger receives one Info line per fetch that delivered mail and
	// one Warn line per failed attempt. Nil: no logging. Secrets are never
	// logged.
	Logger *slog.Logger
}

// Fetcher reads sources into the pipeline and the host's Handler. It is
// safe for concurrent use on different sources; fetching one source from
// two goroutines at once delivers nothing twice but wastes work.
type Fetcher struct {
	o Options
}

// New returns a Fetcher for opts.
func New(opts *Options) (*Fetcher, error) {
	if opts == nil || opts.Pipeline == nil {
		return nil, ErrNoPipeline
	}
	if opts.Handler == nil {
		return nil, ErrNoHandler
	}
	if opts.Health != nil && opts.Health.Store == nil {
		return nil, ErrNoHealthStore
	}
	f := &Fetcher{o: *opts}
	o := &f.o
	if o.Store == nil {
		o.Store = NewMemoryStore()
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxPerFetch <= 0 {
		o.MaxPerFetch = DefaultMaxPerFetch
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return f, nil
}

// Skipped is a message left on the server without being delivered.
type Skipped struct {
	// UID is the IMAP UID or POP3 unique id.
	UID string `json:"uid"`
	// Size is the size the server announced.
	Size int64 `json:"size"`
	// Reason says why, e.g. "too_large".
	Reason string `json:"reason"`
}

// Result is what one Fetch did.
type Result struct {
	Account string `json:"account"`
	Source  string `json:"source"`
	// Outcome is how the attempt counted for the source's health ("" when
	// nothing was recorded: a cancelled context, or the host failed).
	Outcome alias.FetchOutcome `json:"outcome,omitempty"`
	// Fetched counts messages read from the server, Delivered those handed
	// to the Handler, Duplicates those already on a ticket.
	Fetched    int `json:"fetched"`
	Delivered  int `json:"delivered"`
	Duplicates int `json:"duplicates"`
	// Skipped lists messages left on the server (too large).
	Skipped []Skipped `json:"skipped,omitempty"`
	// More is set when MaxPerFetch stopped the fetch before the end.
	More bool `json:"more,omitempty"`
	// Health is the source's health after the attempt, when Options.Health
	// is set.
	Health *alias.FetchHealth `json:"health,omitempty"`
}

// hostError marks a failure of the host (pipeline store, Handler): it says
// nothing about the source's health.
type hostError struct{ err error }

func (e *hostError) Error() string { return e.err.Error() }
func (e *hostError) Unwrap() error { return e.err }

// Fetch reads src once: it connects, logs in, delivers every message not
// yet done through the pipeline to the Handler, applies src.After on the
// server to each one the Handler accepted, records what is done, and
// records the attempt in the source's health. A source disabled by its
// health is not contacted (ErrDisabled) unless its settings changed, which
// re-enables it.
//
// The error is an *Error for a failure of the source (matching ErrAuth,
// ErrCertificate or ErrConnection), ErrDisabled, ErrInvalidSource, the
// context's error, or the error of the pipeline or Handler (wrapped). The
// Result is never nil and counts what was done before the error.
func (f *Fetcher) Fetch(ctx context.Context, src *Source) (*Result, error) {
	res := &Result{}
	if src != nil {
		res.Account, res.Source = src.Account, src.ID
	}
	if err := src.check(); err != nil {
		return res, err
	}
	if err := f.admit(ctx, src); err != nil {
		return res, err
	}
	var err error
	switch src.Protocol {
	case IMAP:
		err = f.fetchIMAP(ctx, src, res)
	default:
		err = f.fetchPOP3(ctx, src, res)
	}
	return res, f.finish(ctx, src, res, err)
}

// admit refuses a disabled source whose settings did not change, and
// re-enables one whose settings did.
func (f *Fetcher) admit(ctx context.Context, src *Source) error {
	fp := src.settings(f.o.Keyring)
	st, err := f.o.Store.State(ctx, src.Account, src.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("fetch: state: %w", err)
	}
	if f.o.Health != nil {
		h, err := f.o.Health.Store.FetchHealth(ctx, src.Account, src.ID)
		switch {
		case errors.Is(err, alias.ErrNotFound):
		case err != nil:
			return fmt.Errorf("fetch: health: %w", err)
		case h.Disabled && (st.Settings == "" || st.Settings == fp):
			return fmt.Errorf("%w: %s since %s after %d/%d/%d auth/connection/certificate failures; change its settings to enable it",
				ErrDisabled, h.DisabledReason, h.DisabledAt.UTC().Format(time.RFC3339), h.AuthFailures, h.ConnFailures, h.CertFailures)
		case h.Disabled:
			if _, err := f.o.Health.CredentialsChanged(ctx, src.Account, src.ID); err != nil {
				return fmt.Errorf("fetch: health: %w", err)
			}
			if f.o.Logger != nil {
				f.o.Logger.Info("fetch: settings changed, source enabled again", "account", src.Account, "source", src.ID)
			}
		}
	}
	if st.Settings != fp {
		_, err := f.o.Store.Update(ctx, src.Account, src.ID, func(s *State) error {
			s.Settings = fp
			return nil
		})
		if err != nil {
			return fmt.Errorf("fetch: state: %w", err)
		}
	}
	return nil
}

// finish records the attempt's outcome and logs it.
func (f *Fetcher) finish(ctx context.Context, src *Source, res *Result, err error) error {
	var fe *Error
	var he *hostError
	switch {
	case err == nil:
		res.Outcome = alias.FetchOK
	case errors.As(err, &fe):
		res.Outcome = fe.Outcome
	case errors.As(err, &he):
		// The mailbox was read: the failure is the host's.
		res.Outcome, err = alias.FetchOK, he.err
	}
	if ctx.Err() != nil {
		// Cancelled by the host, not failed by the server.
		res.Outcome = ""
		if fe != nil {
			err = ctx.Err()
		}
	}
	if res.Outcome != "" && f.o.Health != nil {
		detail := ""
		if fe != nil {
			detail = deskmail.SanitizeN(fe.Error(), 300)
		}
		h, herr := f.o.Health.Record(context.WithoutCancel(ctx), src.Account, src.ID, res.Outcome, detail)
		if herr == nil {
			res.Health = &h
		} else if err == nil {
			err = fmt.Errorf("fetch: health: %w", herr)
		}
	}
	if f.o.Logger != nil {
		switch {
		case fe != nil && res.Outcome != "":
			f.o.Logger.Warn("fetch: attempt failed", "account", src.Account, "source", src.ID, "address", src.Address,
				"outcome", string(res.Outcome), "error", fe.Error())
		case res.Delivered > 0 || res.Duplicates > 0 || len(res.Skipped) > 0:
			f.o.Logger.Info("fetch: done", "account", src.Account, "source", src.ID, "address", src.Address,
				"fetched", res.Fetched, "delivered", res.Delivered, "duplicates", res.Duplicates, "skipped", len(res.Skipped))
		}
	}
	return err
}

// deliver runs one message through the pipeline and the Handler. dup
// reports a duplicate, which is not delivered; an error is the host's.
func (f *Fetcher) deliver(ctx context.Context, src *Source, res *Result, raw []byte) (dup bool, err error) {
	res.Fetched++
	p := f.o.Pipeline
	if src.Trusted {
		p = p.Trusted()
	}
	d, err := p.Process(ctx, &deskmail.Envelope{}, raw)
	if err != nil {
		return false, &hostError{fmt.Errorf("fetch: pipeline: %w", err)}
	}
	if d.Action == inbound.ActionDrop {
		if _, ok := d.Why(inbound.CodeDuplicate); ok {
			res.Duplicates++
			return true, nil
		}
	}
	dl := &inbound.Delivery{ID: src.Account + "/" + src.ID, Decision: d, Envelope: &deskmail.Envelope{}, Raw: raw,
		Authenticated: src.Username, Trusted: src.Trusted, TLS: src.TLS != TLSNone, Protocol: strings.ToUpper(string(src.Protocol)), Source: src.ID}
	if err := f.o.Handler.Deliver(ctx, dl); err != nil {
		return false, &hostError{fmt.Errorf("fetch: deliver: %w", err)}
	}
	res.Delivered++
	return false, nil
}

// saveState updates the source's state with fn.
func (f *Fetcher) saveState(ctx context.Context, src *Source, fn func(*State)) error {
	_, err := f.o.Store.Update(ctx, src.Account, src.ID, func(s *State) error {
		fn(s)
		return nil
	})
	if err != nil {
		return &hostError{fmt.Errorf("fetch: state: %w", err)}
	}
	return nil
}
