package fetch_test

import (
	"context"
	"errors"
	"testing"

	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/fetch"
)

func TestNewRequires(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name string
		o    *fetch.Options
		want error
	}{
		{"nil options", nil, fetch.ErrNoPipeline},
		{"no pipeline", &fetch.Options{Handler: h}, fetch.ErrNoPipeline},
		{"no handler", &fetch.Options{Pipeline: h.pipe}, fetch.ErrNoHandler},
		{"health without store", &fetch.Options{Pipeline: h.pipe, Handler: h, Health: &alias.HealthMonitor{}}, fetch.ErrNoHealthStore},
	} {
		if _, err := fetch.New(tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestInvalidSource(t *testing.T) {
	h := newHarness(t)
	f := h.fetcher(t, nil)
	ok := fetch.Source{Account: "a", ID: "s", Protocol: fetch.IMAP, Host: "h", Username: "u"}
	for name, change := range map[string]func(*fetch.Source){
		"no account":         func(s *fetch.Source) { s.Account = "" },
		"bad protocol":       func(s *fetch.Source) { s.Protocol = "smtp" },
		"line break in user": func(s *fetch.Source) { s.Username = "u\r\nA1 DELETE INBOX" },
		"line break in pass": func(s *fetch.Source) { s.Password = "p\r\nDELE 1" },
		"oauth no token":     func(s *fetch.Source) { s.Mechanism = fetch.MechXOAUTH2 },
		"move without to":    func(s *fetch.Source) { s.After = fetch.AfterMove },
		"pop3 seen":          func(s *fetch.Source) { s.Protocol, s.After = fetch.POP3, fetch.AfterSeen },
		"bad tls":            func(s *fetch.Source) { s.TLS = "maybe" },
	} {
		src := ok
		change(&src)
		if _, err := f.Fetch(context.Background(), &src); !errors.Is(err, fetch.ErrInvalidSource) {
			t.Errorf("%s: %v, want ErrInvalidSource", name, err)
		}
	}
}

// TestA2UIDValidityChange: a new UIDVALIDITY makes every UID new; the
// Message-ID index keeps the mail filed already from being filed again.
func TestA2UIDValidityChange(t *testing.T) {
	ctx := context.Background()
	m := fakeIMAP(t, "", false)
	m.reset(t, mails("uv", 1, 3)...)
	h := newHarness(t)
	f := h.fetcher(t, nil)
	src := m.source("imap")
	src.After = fetch.AfterLeave
	if res, err := f.Fetch(ctx, src); err != nil || res.Delivered != 3 {
		t.Fatalf("Fetch = %+v, %v", res, err)
	}
	// As if the server had renumbered the folder.
	h.store.Update(ctx, "acme", "imap", func(s *fetch.State) error { s.UIDValidity, s.LastUID = 424242, 999; return nil })
	res, err := f.Fetch(ctx, src)
	if err != nil || res.Fetched != 3 || res.Duplicates != 3 || res.Delivered != 0 {
		t.Fatalf("Fetch after the change = %+v, %v; want 3 read, 3 duplicates", res, err)
	}
	if st, _ := h.store.State(ctx, "acme", "imap"); st.UIDValidity == 424242 || st.LastUID != 3 {
		t.Errorf("state = %+v, want the server's UIDVALIDITY and LastUID 3", st)
	}
}

// TestA2POP3OnlyNewAndLeave: "only new" skips what is there at the first
// fetch; "leave on server" never reads a mail twice.
func TestA2POP3OnlyNewAndLeave(t *testing.T) {
	ctx := context.Background()
	p := newFakePOP3(t)
	p.add(mails("pold", 1, 2)...)
	h := newHarness(t)
	f := h.fetcher(t, nil)
	src := p.source("pop")
	src.OnlyNew, src.After = true, fetch.AfterLeave
	if res, err := f.Fetch(ctx, src); err != nil || res.Fetched != 0 {
		t.Fatalf("first Fetch = %+v, %v; want nothing read", res, err)
	}
	p.add(mail("pnew", 3))
	if res, err := f.Fetch(ctx, src); err != nil || res.Delivered != 1 || p.count() != 3 {
		t.Fatalf("second Fetch = %+v, %v; want the new mail, all left", res, err)
	}
	if res, err := f.Fetch(ctx, src); err != nil || res.Fetched != 0 {
		t.Fatalf("third Fetch = %+v, %v; want nothing", res, err)
	}
}

// TestMaxPerFetch: one Fetch reads at most MaxPerFetch mails and says
// there are more.
func TestMaxPerFetch(t *testing.T) {
	ctx := context.Background()
	for _, proto := range []fetch.Protocol{fetch.IMAP, fetch.POP3} {
		t.Run(string(proto), func(t *testing.T) {
			h := newHarness(t)
			f := h.fetcher(t, &fetch.Options{MaxPerFetch: 2})
			var src *fetch.Source
			if proto == fetch.IMAP {
				m := fakeIMAP(t, "", false)
				m.reset(t, mails("max", 1, 3)...)
				src = m.source("s")
			} else {
				p := newFakePOP3(t)
				p.add(mails("max", 1, 3)...)
				src = p.source("s")
			}
			res, err := f.Fetch(ctx, src)
			if err != nil || res.Delivered != 2 || !res.More {
				t.Fatalf("Fetch = %+v, %v; want 2 and More", res, err)
			}
			if res, err = f.Fetch(ctx, src); err != nil || res.Delivered != 1 || res.More {
				t.Fatalf("second Fetch = %+v, %v; want the last one", res, err)
			}
		})
	}
}
