// Package smtpd compares deskmail's inbound door (smtpd.Server: RCPT
// checked against the alias store, bounded DATA buffers, the inbound
// pipeline with SPF and DMARC from a dnstest zone, a Handler per mail)
// with a bare go-smtp server that discards each mail, in one run:
//
//	go test -run '^$' -bench Ingest -count 6 ./smtpd/ | tee new.txt
//	benchstat -col /impl new.txt
//
// One op is one 10 KB mail, sent by 32 concurrent loopback clients that
// each keep one session open. The clients are the same go-smtp client on
// both sides, so the difference is the server's work.
//
// TestPeakRSS (behind DESKMAIL_SMTPD_RSS=1, since it moves 5 GB) runs the
// server in a subprocess, sends it 200 concurrent 25 MB mails and reports
// the subprocess's peak resident set (VmHWM). results.txt has the recorded
// figures.
package smtpd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/smtpd"
	"github.com/deskmail/deskmail/threading"
)

const (
	clients = 32
	rcpt    = "support@acme.desk.example"
	from    = "mary@customer.example"
)

// mail10K is a 10 KB customer mail.
var mail10K = func() []byte {
	var b bytes.Buffer
	b.WriteString("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Where is my order?\r\n" +
		"Message-ID: <bench@customer.example>\r\nDate: Fri, 04 Dec 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n")
	for b.Len() < 10<<10 {
		b.WriteString("Order 5521 was placed two weeks ago and has not arrived; please look into it.\r\n")
	}
	return b.Bytes()
}()

// newDeskmail returns a deskmail server: alias store, threader, the
// pipeline with SPF and DMARC answered by a dnstest zone.
func newDeskmail(tb testing.TB, edit func(*smtpd.Options)) *smtpd.Server {
	ctx := context.Background()
	aliases := alias.NewMemoryStore()
	if err := aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: rcpt})
	}); err != nil {
		tb.Fatal(err)
	}
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:127.0.0.0/8 -all")
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	th, err := threading.New(&threading.Options{Install: "desk", Domain: "desk.example",
		Keyring: deskmail.MustKeyring([]byte("a bench secret of 16+ bytes")), Index: threading.NewMemoryStore()})
	if err != nil {
		tb.Fatal(err)
	}
	pipe, err := inbound.New(&inbound.Options{Aliases: aliases, Threader: th,
		Auth: &senderauth.Options{Resolver: zone, AuthServID: "mx.desk.example"}})
	if err != nil {
		tb.Fatal(err)
	}
	var n atomic.Int64
	o := &smtpd.Options{Pipeline: pipe, Aliases: aliases, Domain: "mx.desk.example", MaxSessionsPerIP: 1000,
		Handler: inbound.HandlerFunc(func(_ context.Context, d *inbound.Delivery) error {
			if d.Decision.Action != inbound.ActionNewTicket {
				return fmt.Errorf("bench: decision %s", d.Decision.Action)
			}
			n.Add(1)
			return nil
		})}
	if edit != nil {
		edit(o)
	}
	srv, err := smtpd.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

// discard is the bare go-smtp peer: it accepts every recipient and
// discards the mail.
type discard struct{}

func (discard) NewSession(*smtp.Conn) (smtp.Session, error) { return discard{}, nil }
func (discard) Mail(string, *smtp.MailOptions) error        { return nil }
func (discard) Rcpt(string, *smtp.RcptOptions) error        { return nil }
func (discard) Data(r io.Reader) error                      { _, err := io.Copy(io.Discard, r); return err }
func (discard) Reset()                                      {}
func (discard) Logout() error                               { return nil }
func serveBare(l net.Listener) (closer func()) {
	s := smtp.NewServer(discard{})
	s.Domain = "mx.desk.example"
	s.MaxMessageBytes = 25 << 20
	go s.Serve(l)
	return func() { s.Close() }
}
func serveOurs(tb testing.TB, l net.Listener) (closer func()) {
	s := newDeskmail(tb, nil)
	go s.Serve(l)
	return func() { s.Close() }
}

// ingest sends b.N mails from 32 concurrent sessions to addr.
func ingest(b *testing.B, addr string) {
	b.SetBytes(int64(len(mail10K)))
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS 2 on the bench machine: 32 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		if err := c.Hello("mx.customer.example"); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := c.SendMail(from, []string{rcpt}, bytes.NewReader(mail10K)); err != nil {
				b.Error(err)
				return
			}
		}
		_ = c.Quit()
	})
}

func BenchmarkIngest10K(b *testing.B) {
	for _, impl := range []string{"deskmail", "go-smtp-discard"} {
		b.Run("impl="+impl, func(b *testing.B) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var stop func()
			if impl == "deskmail" {
				stop = serveOurs(b, l)
			} else {
				stop = serveBare(l)
			}
			defer stop()
			ingest(b, l.Addr().String())
		})
	}
}
