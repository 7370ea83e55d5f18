package fetch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/deskmail/deskmail/fetch"
)

// TestWatch: IDLE brings new mail at once; a server without IDLE is
// polled; POP3 is polled. Watch ends with the context.
func TestWatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		imap func(t *testing.T) *mailbox
		pop  bool
		// restart bounds one IDLE: the in-process server announces no new
		// mail to an idling client (its memory backend sends no updates),
		// so it is read at each restart; Dovecot's news must come at once.
		restart time.Duration
	}{
		{"imap idle restart", func(t *testing.T) *mailbox { return fakeIMAP(t, "", false) }, false, 300 * time.Millisecond},
		{"imap without idle", func(t *testing.T) *mailbox { return fakeIMAP(t, "", true) }, false, 300 * time.Millisecond},
		{"imap dovecot idle", func(t *testing.T) *mailbox { return dovecotMailbox(t) }, false, time.Hour},
		{"pop3", nil, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			f := h.fetcher(t, nil)
			var src *fetch.Source
			var add func(n int)
			if tc.pop {
				p := newFakePOP3(t)
				src = p.source("w")
				add = func(n int) { p.add(mail("watch-pop", n)) }
			} else {
				m := tc.imap(t)
				m.reset(t)
				src = m.source("w")
				c := m.dial(t)
				add = func(n int) { m.append(t, c, mail("watch-"+tc.name, n)) }
			}
			reads := make(chan *fetch.Result, 100)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			t.Cleanup(func() { cancel(); <-done })
			go func() {
				done <- f.Watch(ctx, src, &fetch.WatchOptions{PollInterval: 100 * time.Millisecond, IdleRestart: tc.restart,
					Report: func(_ context.Context, res *fetch.Result, err error) error {
						if err != nil && ctx.Err() == nil {
							t.Errorf("read failed: %v", err)
						}
						reads <- res
						return nil
					}})
			}()
			<-reads // the first read, of an empty mailbox
			add(1)
			add(2)
			delivered := 0
			timeout := time.After(20 * time.Second)
			for delivered < 2 {
				select {
				case res := <-reads:
					delivered += res.Delivered
				case <-timeout:
					t.Fatalf("after 20s, %d of 2 mails delivered", delivered)
				}
			}
			cancel()
			err := <-done
			done <- err
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch: %v, want context.Canceled", err)
			}
		})
	}
}

// TestWatchStopsWhenDisabled: Watch returns ErrDisabled once the source's
// health disables it.
func TestWatchStopsWhenDisabled(t *testing.T) {
	p := newFakePOP3(t)
	h := newHarness(t)
	f := h.fetcher(t, nil)
	src := p.source("w")
	src.Password = "wrong"
	err := f.Watch(context.Background(), src, &fetch.WatchOptions{PollInterval: time.Millisecond})
	if !errors.Is(err, fetch.ErrDisabled) {
		t.Fatalf("Watch: %v, want ErrDisabled", err)
	}
}
