package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/inbound"
)

func mails(tag string, from, to int) [][]byte {
	var out [][]byte
	for i := from; i <= to; i++ {
		out = append(out, mail(tag, i))
	}
	return out
}

// imapServers returns the IMAP servers a test runs against: the go-imap
// server in process, always, and Dovecot when it runs.
func imapServers() []struct {
	name string
	get  func(t *testing.T) *mailbox
} {
	return []struct {
		name string
		get  func(t *testing.T) *mailbox
	}{
		{"go-imap", func(t *testing.T) *mailbox { return fakeIMAP(t, "", false) }},
		{"dovecot", func(t *testing.T) *mailbox { return dovecotMailbox(t) }},
	}
}

// TestA2IMAPAfterDelivery: every after-action on both servers, and the
// UID bookkeeping that keeps the next fetch from reading a mail twice.
func TestA2IMAPAfterDelivery(t *testing.T) {
	ctx := context.Background()
	for _, srv := range imapServers() {
		for _, tc := range []struct {
			after            fetch.After
			inbox, seen, mov int // after the first fetch of 3 mails
		}{
			{fetch.AfterSeen, 3, 3, 0},
			{fetch.AfterMove, 0, 0, 3},
			{fetch.AfterDelete, 0, 0, 0},
			{fetch.AfterLeave, 3, 0, 0},
		} {
			t.Run(srv.name+"/"+string(tc.after), func(t *testing.T) {
				m := srv.get(t)
				tag := fmt.Sprintf("%s-%s", srv.name, tc.after)
				m.reset(t, mails(tag, 1, 3)...)
				h := newHarness(t)
				f := h.fetcher(t, nil)
				src := m.source("imap")
				src.After = tc.after
				res, err := f.Fetch(ctx, src)
				if err != nil || res.Delivered != 3 || res.Outcome != "ok" {
					t.Fatalf("Fetch = %+v, %v; want 3 delivered", res, err)
				}
				if n, seen := m.folderState(t, "INBOX"); n != tc.inbox || seen != tc.seen {
					t.Errorf("INBOX: %d messages, %d seen; want %d, %d", n, seen, tc.inbox, tc.seen)
				}
				if n, _ := m.folderState(t, "Filed"); n != tc.mov {
					t.Errorf("Filed: %d messages, want %d", n, tc.mov)
				}
				if srv.name == "go-imap" && tc.inbox == 0 {
					return // its memory backend reuses UIDs once a folder is empty
				}
				m.append(t, m.dial(t), mail(tag, 4))
				res, err = f.Fetch(ctx, src)
				if err != nil || res.Delivered != 1 {
					t.Fatalf("second Fetch = %+v, %v; want the one new mail", res, err)
				}
				res, err = f.Fetch(ctx, src)
				if err != nil || res.Delivered != 0 || res.Fetched != 0 {
					t.Fatalf("third Fetch = %+v, %v; want nothing", res, err)
				}
				if got := h.filedIDs(); len(got) != 4 {
					t.Errorf("filed %v, want 4 mails", got)
				}
			})
		}
	}
}

// TestA2IMAPOnlyNew: OnlyNew skips what is in the folder at the first
// fetch.
func TestA2IMAPOnlyNew(t *testing.T) {
	ctx := context.Background()
	m := fakeIMAP(t, "", false)
	m.reset(t, mails("old", 1, 2)...)
	h := newHarness(t)
	f := h.fetcher(t, nil)
	src := m.source("imap")
	src.OnlyNew = true
	if res, err := f.Fetch(ctx, src); err != nil || res.Delivered != 0 {
		t.Fatalf("first Fetch = %+v, %v; want nothing delivered", res, err)
	}
	m.append(t, m.dial(t), mail("new", 3))
	if res, err := f.Fetch(ctx, src); err != nil || res.Delivered != 1 {
		t.Fatalf("second Fetch = %+v, %v; want the new mail", res, err)
	}
}

// TestA2ExactlyOnce: a fetch killed after the host accepted a mail and
// before the server-side action files nothing twice when run again.
func TestA2ExactlyOnce(t *testing.T) {
	type server struct {
		name  string
		setup func(t *testing.T, tag string) (*fetch.Source, func() int)
	}
	servers := []server{}
	for _, s := range imapServers() {
		s := s
		servers = append(servers, server{"imap/" + s.name, func(t *testing.T, tag string) (*fetch.Source, func() int) {
			m := s.get(t)
			m.reset(t, mails(tag, 1, 3)...)
			src := m.source("imap")
			src.After = fetch.AfterDelete
			return src, func() int { n, _ := m.folderState(t, "INBOX"); return n }
		}})
	}
	servers = append(servers,
		server{"pop3/fake", func(t *testing.T, tag string) (*fetch.Source, func() int) {
			p := newFakePOP3(t)
			p.add(mails(tag, 1, 3)...)
			return p.source("pop"), p.count
		}},
		server{"pop3/dovecot", func(t *testing.T, tag string) (*fetch.Source, func() int) {
			m := dovecotMailbox(t)
			pm := dovecot(t, "DESKMAIL_DOVECOT_POP3", fetch.TLSStartTLS)
			m.reset(t, mails(tag, 1, 3)...)
			src := pm.source("pop")
			src.Protocol = fetch.POP3
			return src, func() int { n, _ := m.folderState(t, "INBOX"); return n }
		}},
	)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			src, left := s.setup(t, "once-"+s.name)
			h := newHarness(t)
			f := h.fetcher(t, nil)
			ctx, cancel := context.WithCancel(context.Background())
			h.after = func(context.Context, *inbound.Decision) { cancel() }
			if _, err := f.Fetch(ctx, src); !errors.Is(err, context.Canceled) {
				t.Fatalf("killed Fetch: %v, want context.Canceled", err)
			}
			if n := len(h.filedIDs()); n != 1 {
				t.Fatalf("filed %d before the kill, want 1", n)
			}
			if n := left(); n != 3 {
				t.Fatalf("%d mails left on the server after the kill, want 3", n)
			}
			h.after = nil
			res, err := f.Fetch(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			if res.Delivered != 2 || res.Duplicates != 1 {
				t.Errorf("Fetch again = %+v, want 2 delivered and 1 duplicate", res)
			}
			if got := h.filedIDs(); len(got) != 3 || got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
				t.Errorf("filed %v, want 3 different mails", got)
			}
			if n := left(); n != 0 {
				t.Errorf("%d mails left on the server, want 0", n)
			}
		})
	}
}

// TestA2HostFailureStopsAndRetries: a Handler error stops the fetch; the
// mail stays on the server and is read again.
func TestA2HostFailureStopsAndRetries(t *testing.T) {
	p := newFakePOP3(t)
	p.add(mails("fail", 1, 2)...)
	h := newHarness(t)
	f := h.fetcher(t, nil)
	boom := errors.New("database down")
	h.refuse = boom
	res, err := f.Fetch(context.Background(), p.source("pop"))
	if !errors.Is(err, boom) || res.Outcome != "ok" || p.count() != 2 {
		t.Fatalf("Fetch = %+v, %v; want the host's error, outcome ok, both mails left", res, err)
	}
	if res.Health == nil || res.Health.ConnFailures != 0 {
		t.Errorf("health = %+v: a host failure is not the source's", res.Health)
	}
	h.refuse = nil
	if res, err := f.Fetch(context.Background(), p.source("pop")); err != nil || res.Delivered != 2 || p.count() != 0 {
		t.Fatalf("Fetch again = %+v, %v (left %d); want both delivered and deleted", res, err, p.count())
	}
}
