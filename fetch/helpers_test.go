package fetch_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/backend"
	"github.com/emersion/go-imap/backend/memory"
	"github.com/emersion/go-imap/client"
	imapserver "github.com/emersion/go-imap/server"
	"github.com/emersion/go-sasl"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

// harness is a host: an account, a threader with its message index, a
// pipeline, a Handler that files tickets and indexes their Message-IDs,
// and a health monitor.
type harness struct {
	aliases *alias.MemoryStore
	th      *threading.Threader
	pipe    *inbound.Pipeline
	health  *alias.HealthMonitor
	store   *fetch.MemoryStore

	mu     sync.Mutex
	filed  []string // Message-IDs, in filing order
	seen   []*inbound.Decision
	next   int
	after  func(ctx context.Context, d *inbound.Decision) // runs after filing
	refuse error                                          // Deliver fails with it
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{aliases: alias.NewMemoryStore(), store: fetch.NewMemoryStore()}
	if err := h.aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	}); err != nil {
		t.Fatal(err)
	}
	th, err := threading.New(&threading.Options{Install: "desk", Domain: "desk.example",
		Keyring: deskmail.MustKeyring([]byte("a test secret of 16+ bytes")), Index: threading.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	h.th = th
	h.pipe, err = inbound.New(&inbound.Options{Aliases: h.aliases, Threader: th,
		Auth: &senderauth.Options{Resolver: dnstest.New()}})
	if err != nil {
		t.Fatal(err)
	}
	h.health = &alias.HealthMonitor{Store: h.aliases}
	return h
}

// Deliver files d: a ticket per new mail, the Message-ID indexed with it.
func (h *harness) Deliver(ctx context.Context, dl *inbound.Delivery) error {
	d := dl.Decision
	h.mu.Lock()
	if h.refuse != nil {
		h.mu.Unlock()
		return h.refuse
	}
	ticket := d.Ticket
	if ticket == "" {
		h.next++
		ticket = fmt.Sprintf("T%d", h.next)
	}
	h.filed = append(h.filed, d.MessageID)
	h.seen = append(h.seen, d)
	after := h.after
	h.mu.Unlock()
	if d.MessageID != "" && d.Account != "" {
		if err := h.th.Remember(ctx, d.Account, ticket, false, d.MessageID); err != nil {
			return err
		}
	}
	if after != nil {
		after(ctx, d)
	}
	return nil
}

func (h *harness) filedIDs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.filed...)
}

func (h *harness) fetcher(t testing.TB, o *fetch.Options) *fetch.Fetcher {
	t.Helper()
	opts := fetch.Options{}
	if o != nil {
		opts = *o
	}
	opts.Pipeline, opts.Handler = h.pipe, h
	if opts.Store == nil {
		opts.Store = h.store
	}
	if opts.Health == nil {
		opts.Health = h.health
	}
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	f, err := fetch.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// mail returns a customer's mail to the support address.
func mail(tag string, n int) []byte {
	return []byte(fmt.Sprintf("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Help %d\r\n"+
		"Message-ID: <%s.%d@customer.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\r\nMy order %d is late.\r\n", n, tag, n, n))
}

// mailbox is an IMAP server the tests fill and inspect: the in-process
// go-imap server, or Dovecot.
type mailbox struct {
	name       string
	addr       string
	user, pass string
	tls        fetch.TLSMode
	roots      *x509.CertPool
	moveTo     string
	conns      *counter // connections accepted (in-process only)
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }

func (m *mailbox) source(id string) *fetch.Source {
	host, port := splitHostPort(m.addr)
	return &fetch.Source{Account: "acme", ID: id, Address: "support@acme.example", Protocol: fetch.IMAP,
		Host: host, Port: port, TLS: m.tls, RootCAs: m.roots, Username: m.user, Password: m.pass, MoveTo: m.moveTo}
}

func splitHostPort(addr string) (string, int) {
	h, p, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(p, &port)
	return h, port
}

// dial logs a go-imap client into the mailbox, for filling and checking.
func (m *mailbox) dial(t testing.TB) *client.Client {
	t.Helper()
	var c *client.Client
	var err error
	cfg := &tls.Config{RootCAs: m.roots, ServerName: "127.0.0.1"}
	switch m.tls {
	case fetch.TLSImplicit:
		c, err = client.DialTLS(m.addr, cfg)
	default:
		c, err = client.Dial(m.addr)
		if err == nil && m.tls == fetch.TLSStartTLS {
			err = c.StartTLS(cfg)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	c.ErrorLog = nopLogger{}
	if err := c.Login(m.user, m.pass); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout() })
	return c
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

// reset empties INBOX and the move folder and appends msgs to INBOX.
func (m *mailbox) reset(t testing.TB, msgs ...[]byte) {
	t.Helper()
	c := m.dial(t)
	for _, folder := range []string{"INBOX", m.moveTo} {
		if folder == "" {
			continue
		}
		if folder != "INBOX" {
			c.Create(folder) // may exist
		}
		mb, err := c.Select(folder, false)
		if err != nil {
			t.Fatal(err)
		}
		if mb.Messages > 0 {
			set := new(imap.SeqSet)
			set.AddRange(1, 0)
			if err := c.Store(set, imap.FormatFlagsOp(imap.AddFlags, true), []interface{}{imap.DeletedFlag}, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Expunge(nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.append(t, c, msgs...)
}

func (m *mailbox) append(t testing.TB, c *client.Client, msgs ...[]byte) {
	t.Helper()
	for _, b := range msgs {
		if err := c.Append("INBOX", nil, time.Now(), literal(b)); err != nil {
			t.Fatal(err)
		}
	}
}

type byteLiteral struct{ *strings.Reader }

func (l byteLiteral) Len() int { return int(l.Size()) }

func literal(b []byte) imap.Literal { return byteLiteral{strings.NewReader(string(b))} }

// folderState returns the number of messages of folder and how many are
// \Seen.
func (m *mailbox) folderState(t testing.TB, folder string) (n, seen int) {
	t.Helper()
	c := m.dial(t)
	mb, err := c.Select(folder, true)
	if err != nil {
		t.Fatal(err)
	}
	if mb.Messages == 0 {
		return 0, 0
	}
	set := new(imap.SeqSet)
	set.AddRange(1, 0)
	ch := make(chan *imap.Message, 16)
	errc := make(chan error, 1)
	go func() { errc <- c.Fetch(set, []imap.FetchItem{imap.FetchFlags}, ch) }()
	for msg := range ch {
		n++
		for _, f := range msg.Flags {
			if f == imap.SeenFlag {
				seen++
			}
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return n, seen
}

// fakeIMAP starts the go-imap server with its memory backend on loopback.
// The memory backend's INBOX starts with one message: reset removes it.
// With oauthToken set, XOAUTH2 logs in with that token.
func fakeIMAP(t testing.TB, oauthToken string, noIdle bool) *mailbox {
	t.Helper()
	mem := memory.New()
	be := lockedBackend{mu: new(sync.Mutex), be: mem}
	s := imapserver.New(be)
	s.AllowInsecureAuth = true
	s.ErrorLog = nopLogger{}
	if oauthToken != "" {
		s.EnableAuth("XOAUTH2", func(conn imapserver.Conn) sasl.Server {
			return &xoauth2Server{token: oauthToken, login: func() error {
				u, err := be.Login(nil, "username", "password")
				if err != nil {
					return err
				}
				ctx := conn.Context()
				ctx.State, ctx.User = imap.AuthenticatedState, u
				return nil
			}}
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{name: "go-imap", addr: ln.Addr().String(), user: "username", pass: "password", tls: fetch.TLSNone, moveTo: "Filed", conns: &counter{}}
	go s.Serve(&countingListener{Listener: ln, c: m.conns, noIdle: noIdle})
	t.Cleanup(func() { s.Close() })
	var _ backend.Backend = be
	return m
}

// countingListener counts connections; with noIdle it hides the IDLE
// capability (same length, so literals stay right).
type countingListener struct {
	net.Listener
	c      *counter
	noIdle bool
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.c.add()
		if l.noIdle {
			c = &noIdleConn{Conn: c}
		}
	}
	return c, err
}

type noIdleConn struct{ net.Conn }

func (c *noIdleConn) Write(p []byte) (int, error) {
	s := strings.ReplaceAll(string(p), " IDLE", " XIDL")
	return c.Conn.Write([]byte(s))
}

// xoauth2Server checks "user=... ^Aauth=Bearer TOKEN^A^A".
type xoauth2Server struct {
	token string
	login func() error
	done  bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.done {
		return nil, true, errors.New("invalid token")
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	parts := strings.Split(string(resp), "\x01")
	if len(parts) < 2 || parts[1] != "auth=Bearer "+s.token {
		s.done = true
		return []byte(`{"status":"401"}`), false, nil
	}
	if err := s.login(); err != nil {
		return nil, true, err
	}
	return nil, true, nil
}

// dovecot returns the Dovecot mailbox of .ci/services.d/dovecot.sh, or
// skips.
func dovecot(t testing.TB, key string, mode fetch.TLSMode) *mailbox {
	t.Helper()
	addr := os.Getenv(key)
	if addr == "" {
		t.Skipf("%s is not set: no Dovecot (start it with .ci/services.d/dovecot.sh)", key)
	}
	m := &mailbox{name: "dovecot", addr: addr, user: os.Getenv("DESKMAIL_DOVECOT_USER"), pass: os.Getenv("DESKMAIL_DOVECOT_PASS"), tls: mode, moveTo: "Filed"}
	if ca := os.Getenv("DESKMAIL_DOVECOT_CA"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			t.Skipf("DESKMAIL_DOVECOT_CA: %v", err)
		}
		m.roots = x509.NewCertPool()
		m.roots.AppendCertsFromPEM(pem)
	}
	if mode == fetch.TLSStartTLS || mode == fetch.TLSImplicit {
		return m
	}
	m.tls = fetch.TLSStartTLS
	return m
}

// dovecotMailbox is the IMAP side of the Dovecot mailbox, used to fill it
// for the POP3 tests too. Dovecot serves one mailbox to every test: the
// tests that use it do not run in parallel.
func dovecotMailbox(t testing.TB) *mailbox {
	return dovecot(t, "DESKMAIL_DOVECOT_IMAP", fetch.TLSStartTLS)
}

// rawServer serves each connection with fn on loopback.
func rawServer(t testing.TB, fn func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				fn(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// readLine reads one CRLF line from c, byte by byte.
func readLine(c net.Conn) string {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 1<<16 {
		if _, err := io.ReadFull(c, one); err != nil {
			return string(b)
		}
		if one[0] == '\n' {
			return strings.TrimRight(string(b), "\r")
		}
		b = append(b, one[0])
	}
	return string(b)
}
