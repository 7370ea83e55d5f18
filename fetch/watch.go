package fetch

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-imap/client"
)

// Defaults of WatchOptions.
const (
	// DefaultPollInterval: how often a POP3 source, or an IMAP server
	// without IDLE, is read: 2 minutes.
	DefaultPollInterval = 2 * time.Minute
	// DefaultIdleRestart: how long one IMAP IDLE lasts before the folder is
	// read again and IDLE restarted: 10 minutes (RFC 2177 asks for less
	// than 29).
	DefaultIdleRestart = 10 * time.Minute
)

// WatchOptions tune Watch. Nil or zero fields take the defaults.
type WatchOptions struct {
	// PollInterval is the pause between two reads of a POP3 source or of
	// an IMAP server without IDLE (go-imap then polls with NOOP), and
	// after a failed attempt. Zero: DefaultPollInterval.
	PollInterval time.Duration
	// IdleRestart bounds one IDLE. Zero: DefaultIdleRestart.
	IdleRestart time.Duration
	// Report, when set, is called after every read with its Result and
	// error (nil, a source failure, or a host failure). A non-nil return
	// stops Watch, which returns it.
	Report func(ctx context.Context, res *Result, err error) error
}

// Watch reads src until ctx is done: an IMAP source stays connected and
// waits for new mail with IDLE (RFC 2177), or polls where the server lacks
// IDLE; a POP3 source is read every PollInterval. Every read is a Fetch,
// with its bookkeeping and health records; a failed read is retried after
// PollInterval. Watch returns ctx's error when ctx is done, ErrDisabled
// when the source's health disables it, ErrInvalidSource, or the error of
// Report.
func (f *Fetcher) Watch(ctx context.Context, src *Source, opts *WatchOptions) error {
	o := WatchOptions{}
	if opts != nil {
		o = *opts
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.IdleRestart <= 0 {
		o.IdleRestart = DefaultIdleRestart
	}
	if err := src.check(); err != nil {
		return err
	}
	report := func(res *Result, err error) error {
		if o.Report != nil {
			return o.Report(ctx, res, err)
		}
		return nil
	}
	for {
		var err error
		if src.Protocol == IMAP {
			err = f.watchIMAP(ctx, src, &o, report)
		} else {
			var res *Result
			res, err = f.Fetch(ctx, src)
			if ctx.Err() == nil && !errors.Is(err, ErrDisabled) {
				if rerr := report(res, err); rerr != nil {
					return rerr
				}
			}
		}
		var re *reportError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrDisabled):
			return err
		case errors.As(err, &re):
			return re.err
		}
		t := time.NewTimer(o.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// reportError carries the error of WatchOptions.Report out of a session.
type reportError struct{ err error }

func (e *reportError) Error() string { return e.err.Error() }

// watchIMAP runs one IMAP session: read, IDLE, read ... until an error.
func (f *Fetcher) watchIMAP(ctx context.Context, src *Source, o *WatchOptions, report func(*Result, error) error) error {
	fail := func(res *Result, err error) error {
		err = f.finish(ctx, src, res, err)
		if ctx.Err() != nil {
			return err
		}
		if rerr := report(res, err); rerr != nil {
			return &reportError{rerr}
		}
		return err
	}
	if err := f.admit(ctx, src); err != nil {
		return err
	}
	s, err := f.openIMAP(ctx, src)
	if err != nil {
		return fail(&Result{Account: src.Account, Source: src.ID}, err)
	}
	defer s.close()
	updates := make(chan client.Update, 16)
	notify := make(chan struct{}, 1)
	s.c.Updates = updates
	go func() {
		for {
			select {
			case <-updates:
				select {
				case notify <- struct{}{}:
				default:
				}
			case <-s.c.LoggedOut():
				return
			}
		}
	}()
	for {
		res := &Result{Account: src.Account, Source: src.ID}
		if err := fail(res, s.pass(ctx, res)); err != nil {
			return err
		}
		if err := s.idle(ctx, o, notify); err != nil {
			return fail(&Result{Account: src.Account, Source: src.ID}, err)
		}
	}
}

// idle waits for news of the selected folder: IDLE, or NOOP polling where
// the server lacks IDLE, until an update, IdleRestart or ctx.
func (s *imapSession) idle(ctx context.Context, o *WatchOptions, notify <-chan struct{}) error {
	select {
	case <-notify:
		// News that came during the read: read again first.
		return nil
	default:
	}
	stop := make(chan struct{})
	errc := make(chan error, 1)
	s.c.Timeout = 0
	go func() {
		errc <- s.c.Idle(stop, &client.IdleOptions{LogoutTimeout: -1, PollInterval: o.PollInterval})
	}()
	t := time.NewTimer(o.IdleRestart)
	defer t.Stop()
	var err error
	select {
	case <-notify:
	case <-t.C:
	case <-ctx.Done():
	case err = <-errc:
		s.c.Timeout = s.f.o.Timeout
		return s.err("idle", err)
	}
	close(stop)
	select {
	case err = <-errc:
	case <-time.After(s.f.o.Timeout):
		s.raw.Close()
		err = <-errc
	}
	s.c.Timeout = s.f.o.Timeout
	if err != nil {
		return s.err("idle", err)
	}
	return ctx.Err()
}
