// Package fetch compares deskmail's IMAP fetch (fetch.Fetcher: bounded
// reads, UID bookkeeping, the inbound pipeline and a Handler per mail)
// with a plain go-imap loop that reads the same 1,000 mails from the same
// Dovecot in one UID FETCH, in one run:
//
//	go test -run '^$' -bench . -count 6 ./fetch/ | tee new.txt
//	benchstat -col /impl new.txt
//
// It needs the Dovecot of .ci/services.d/dovecot.sh (DESKMAIL_DOVECOT_IMAP
// and friends) and skips without it. Both sides leave the mail on the
// server (read-only), so one filled mailbox serves every iteration; each
// deskmail iteration starts with an empty fetch state and message index,
// so every mail is new to it. Each benchmark reports mails/s;
// results.txt has the recorded figures.
package fetch

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

const mails = 1000

type nopLog struct{}

func (nopLog) Printf(string, ...interface{}) {}
func (nopLog) Println(...interface{})        {}

type lit struct{ *strings.Reader }

func (l lit) Len() int { return int(l.Size()) }

// dovecot returns the address, login and password, and fills INBOX with
// the benchmark's mails unless it holds them already.
func dovecot(b *testing.B) (addr, user, pass string) {
	addr = os.Getenv("DESKMAIL_DOVECOT_IMAP")
	if addr == "" {
		b.Skip("DESKMAIL_DOVECOT_IMAP is not set: no Dovecot (start it with .ci/services.d/dovecot.sh)")
	}
	user, pass = os.Getenv("DESKMAIL_DOVECOT_USER"), os.Getenv("DESKMAIL_DOVECOT_PASS")
	c := login(b, addr, user, pass)
	defer c.Logout()
	mb, err := c.Select("INBOX", false)
	if err != nil {
		b.Fatal(err)
	}
	if mb.Messages == mails && c.Close() == nil {
		if mb, err = c.Select("INBOX", false); err == nil && mb.Messages == mails {
			return
		}
	}
	if mb.Messages > 0 {
		set := new(imap.SeqSet)
		set.AddRange(1, 0)
		if err := c.Store(set, imap.FormatFlagsOp(imap.AddFlags, true), []interface{}{imap.DeletedFlag}, nil); err != nil {
			b.Fatal(err)
		}
		if err := c.Expunge(nil); err != nil {
			b.Fatal(err)
		}
	}
	body := strings.Repeat("The parcel has not arrived yet; the tracking page shows no movement since Monday.\r\n", 25)
	for i := 0; i < mails; i++ {
		m := fmt.Sprintf("From: Customer %d <c%d@customer.example>\r\nTo: support@acme.example\r\nSubject: Order %d\r\n"+
			"Message-ID: <bench.%d@customer.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n%s",
			i, i, i, i, body)
		if err := c.Append("INBOX", nil, time.Now(), lit{strings.NewReader(m)}); err != nil {
			b.Fatal(err)
		}
	}
	return
}

func login(b *testing.B, addr, user, pass string) *client.Client {
	c, err := client.Dial(addr)
	if err != nil {
		b.Fatal(err)
	}
	c.ErrorLog = nopLog{}
	if err := c.Login(user, pass); err != nil {
		b.Fatal(err)
	}
	return c
}

// host is a Handler that counts what it files and indexes Message-IDs.
type host struct {
	th    *threading.Threader
	filed int
}

func (h *host) Deliver(ctx context.Context, dl *inbound.Delivery) error {
	d := dl.Decision
	h.filed++
	return h.th.Remember(ctx, d.Account, strconv.Itoa(h.filed), false, d.MessageID)
}

func newFetcher(b *testing.B) (*fetch.Fetcher, *host) {
	ctx := context.Background()
	aliases := alias.NewMemoryStore()
	if err := aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	}); err != nil {
		b.Fatal(err)
	}
	th, err := threading.New(&threading.Options{Install: "desk", Domain: "desk.example",
		Keyring: deskmail.MustKeyring([]byte("a bench secret of 16+ bytes")), Index: threading.NewMemoryStore()})
	if err != nil {
		b.Fatal(err)
	}
	pipe, err := inbound.New(&inbound.Options{Aliases: aliases, Threader: th,
		Auth: &senderauth.Options{Resolver: dnstest.New()}})
	if err != nil {
		b.Fatal(err)
	}
	h := &host{th: th}
	f, err := fetch.New(&fetch.Options{Pipeline: pipe, Handler: h, Health: &alias.HealthMonitor{Store: aliases}})
	if err != nil {
		b.Fatal(err)
	}
	return f, h
}

func BenchmarkFetchIMAP(b *testing.B) {
	addr, user, pass := dovecot(b)
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)

	src := &fetch.Source{Account: "acme", ID: "bench", Protocol: fetch.IMAP, Host: host, Port: port,
		TLS: fetch.TLSNone, Username: user, Password: pass, After: fetch.AfterLeave}
	b.Run("impl=deskmail", func(b *testing.B) {
		var elapsed time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f, h := newFetcher(b)
			b.StartTimer()
			elapsed += runDeskmail(b, f, h, src)
		}
		b.ReportMetric(float64(mails*b.N)/elapsed.Seconds(), "mails/s")
	})
	b.Run("impl=go-imap-loop", func(b *testing.B) {
		var elapsed time.Duration
		for i := 0; i < b.N; i++ {
			elapsed += runLoop(b, addr, user, pass)
		}
		b.ReportMetric(float64(mails*b.N)/elapsed.Seconds(), "mails/s")
	})
}

// BenchmarkFetchIMAPPaired runs both sides alternately in one loop, so
// that a busy machine slows both alike, and reports each side's mails/s
// and their ratio (deskmail time / go-imap loop time).
func BenchmarkFetchIMAPPaired(b *testing.B) {
	addr, user, pass := dovecot(b)
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	src := &fetch.Source{Account: "acme", ID: "bench", Protocol: fetch.IMAP, Host: host, Port: port,
		TLS: fetch.TLSNone, Username: user, Password: pass, After: fetch.AfterLeave}
	var ours, loop time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f, h := newFetcher(b)
		b.StartTimer()
		if i%2 == 0 {
			ours += runDeskmail(b, f, h, src)
			loop += runLoop(b, addr, user, pass)
		} else {
			loop += runLoop(b, addr, user, pass)
			ours += runDeskmail(b, f, h, src)
		}
	}
	b.ReportMetric(float64(mails*b.N)/ours.Seconds(), "deskmail-mails/s")
	b.ReportMetric(float64(mails*b.N)/loop.Seconds(), "go-imap-mails/s")
	b.ReportMetric(ours.Seconds()/loop.Seconds(), "time-ratio")
}

// runDeskmail fetches the mailbox once with f.
func runDeskmail(b *testing.B, f *fetch.Fetcher, h *host, src *fetch.Source) time.Duration {
	start := time.Now()
	res, err := f.Fetch(context.Background(), src)
	d := time.Since(start)
	if err != nil || res.Delivered != mails || h.filed != mails {
		b.Fatalf("Fetch = %+v, %v; want %d delivered", res, err, mails)
	}
	return d
}

// runLoop is the plain go-imap fetch: log in, select read-only, one UID
// FETCH of every body, log out.
func runLoop(b *testing.B, addr, user, pass string) time.Duration {
	start := time.Now()
	c := login(b, addr, user, pass)
	if _, err := c.Select("INBOX", true); err != nil {
		b.Fatal(err)
	}
	set := new(imap.SeqSet)
	set.AddRange(1, 0)
	section := &imap.BodySectionName{Peek: true}
	ch := make(chan *imap.Message, 16)
	errc := make(chan error, 1)
	go func() { errc <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, ch) }()
	n := 0
	for m := range ch {
		if m.GetBody(section) != nil {
			n++
		}
	}
	if err := <-errc; err != nil || n != mails {
		b.Fatalf("fetched %d, %v; want %d", n, err, mails)
	}
	c.Logout()
	return time.Since(start)
}
