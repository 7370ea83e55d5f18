package smtpd_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

// The addresses of the tests: acme's customer-owned support address and
// its platform address, a disabled one, and beta, a second tenant.
const (
	acmeSupport  = "support@acme.example"
	acmePlatform = "support@acme.desk.example"
	acmeOld      = "old@acme.desk.example"
	betaSupport  = "help@beta.desk.example"
)

func testAliases(t testing.TB) *alias.MemoryStore {
	t.Helper()
	st := alias.NewMemoryStore()
	ctx := context.Background()
	err := st.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		if err := a.AddAddress(alias.SupportAddress{Address: acmeSupport, PlatformAddress: acmePlatform}); err != nil {
			return err
		}
		return a.AddAddress(alias.SupportAddress{Address: "old@acme.example", PlatformAddress: acmeOld, Disabled: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateAccount(ctx, "beta", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: betaSupport})
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

func testVERP(t testing.TB) *bounce.VERP {
	v, err := bounce.NewVERP(deskmail.MustKeyring([]byte("smtpd test secret, thirty-two by")), "bounce.desk.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rig is a running server with a handler that records every delivery.
type rig struct {
	srv  *smtpd.Server
	addr string
	opts smtpd.Options

	mu   sync.Mutex
	got  []*inbound.Delivery
	fail func(*inbound.Delivery) error // nil: accept everything
}

// newRig starts a server on loopback; edit changes the options first.
func newRig(t testing.TB, edit func(*smtpd.Options)) *rig {
	t.Helper()
	return newRigOn(t, "127.0.0.1:0", edit)
}

// newRigOn is newRig on a given address.
func newRigOn(t testing.TB, addr string, edit func(*smtpd.Options)) *rig {
	t.Helper()
	st := testAliases(t)
	p, err := inbound.New(&inbound.Options{Aliases: st, SkipAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{}
	r.opts = smtpd.Options{Pipeline: p, Aliases: st, VERP: testVERP(t), Domain: "mx.desk.example",
		Now: func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) }}
	r.opts.Handler = inbound.HandlerFunc(func(_ context.Context, d *inbound.Delivery) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail != nil {
			if err := r.fail(d); err != nil {
				return err
			}
		}
		c := *d
		c.Raw = append([]byte(nil), d.Raw...)
		r.got = append(r.got, &c)
		return nil
	})
	if edit != nil {
		edit(&r.opts)
	}
	r.srv, err = smtpd.New(&r.opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- r.srv.Serve(l) }()
	t.Cleanup(func() {
		r.srv.Close()
		if err := <-done; !errors.Is(err, smtpd.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return r
}

func (r *rig) deliveries() []*inbound.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*inbound.Delivery(nil), r.got...)
}

// line is a raw client for the tests that misbehave on purpose.
type line struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialLine(t testing.TB, addr string) *line {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &line{t: t, c: c, r: bufio.NewReader(c)}
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (l *line) reply() string {
	l.t.Helper()
	for {
		s, err := l.r.ReadString('\n')
		if err != nil {
			l.t.Fatalf("reading reply: %v (got %q)", err, s)
		}
		s = strings.TrimRight(s, "\r\n")
		if len(s) < 4 || s[3] != '-' {
			return s
		}
	}
}

func (l *line) send(s string) {
	l.t.Helper()
	if _, err := l.c.Write([]byte(s)); err != nil {
		l.t.Fatal(err)
	}
}

// cmd sends one command line and returns the reply.
func (l *line) cmd(s string) string {
	l.t.Helper()
	l.send(s + "\r\n")
	return l.reply()
}

func expect(t testing.TB, got, prefix string) {
	t.Helper()
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("reply %q, want %q...", got, prefix)
	}
}

// testTLS returns a server configuration with a fresh self-signed
// certificate for mx.desk.example.
func testTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.desk.example"},
		DNSNames: []string{"mx.desk.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// failingStore fails the calls named in fail.
type failingStore struct {
	alias.Store
	lookup, account bool
}

var errStoreDown = errors.New("store down")

func (f *failingStore) LookupKeys(ctx context.Context, keys []string) ([]alias.Entry, error) {
	if f.lookup {
		return nil, errStoreDown
	}
	return f.Store.LookupKeys(ctx, keys)
}

func (f *failingStore) Account(ctx context.Context, id string) (*alias.Account, error) {
	if f.account {
		return nil, errStoreDown
	}
	return f.Store.Account(ctx, id)
}

const testMail = "From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: My order\r\nMessage-ID: <m1@customer.example>\r\n\r\nWhere is it?\r\n"

func insecureClientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, ServerName: "mx.desk.example"}
}

func newTextLogger(w *strings.Builder) *slog.Logger {
	var mu sync.Mutex
	return slog.New(slog.NewTextHandler(lockedWriter{w: w, mu: &mu}, nil))
}

type lockedWriter struct {
	w  *strings.Builder
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// send delivers one mail over plain SMTP, as a remote MTA would.
func send(addr, from string, to []string, r io.Reader) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.customer.example"); err != nil {
		return err
	}
	if err := c.SendMail(from, to, r); err != nil {
		return err
	}
	_ = c.Quit() // the mail is acknowledged; a server shutting down may answer 421
	return nil
}
