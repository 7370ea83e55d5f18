// Package compose_test compares deskmail's composer with
// github.com/wneessen/go-mail v0.8.1 building the same message: a reply
// with a text and an HTML body and a PDF attachment, a non-ASCII agent
// name and subject, a Cc and thread headers.
//
// BenchmarkBuild times building alone (Compose against NewMsg + WriteTo).
// BenchmarkComposeSignSend times build + DKIM signing + sending over
// loopback to a go-smtp sink (smtptest), one connection per message. Both
// sides sign with the dkim package and send with the relay package's SMTP
// transport, because go-mail has no DKIM signer of its own and its client
// sends only its own Msg type; bench/relay compares the SMTP clients
// themselves.
package compose_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"syscall"
	"testing"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
	"github.com/deskmail/deskmail/threading"
)

const (
	subject = "Re: Ihre Bestellung — Lieferung verspätet"
	text    = "Guten Tag Frau Schmidt,\r\n\r\nIhre Bestellung 5521 ist heute versandt worden. Die Rechnung finden Sie im Anhang.\r\n\r\nMit freundlichen Grüßen\r\nJürgen Müller\r\n"
	html    = "<p>Guten Tag Frau Schmidt,</p><p>Ihre Bestellung <b>5521</b> ist heute versandt worden. Die Rechnung finden Sie im Anhang.</p><p>Mit freundlichen Grüßen<br>Jürgen Müller</p>"
)

var pdf = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), 512)...) // 8 KiB

func deskmailComposer(b *testing.B) (*compose.Composer, *compose.Draft) {
	th, err := threading.New(&threading.Options{Install: "bench", Keyring: deskmail.MustKeyring([]byte("bench secret, thirty-two bytes!!")), Domain: "acme.desk.example"})
	if err != nil {
		b.Fatal(err)
	}
	c, err := compose.New(&compose.Options{Threader: th, NoReplyTo: true})
	if err != nil {
		b.Fatal(err)
	}
	a := &alias.Account{ID: "acme"}
	if err := a.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support"}); err != nil {
		b.Fatal(err)
	}
	a.Settings.AgentNameInFrom = true
	to, _ := deskmail.NewAddress("Erika Schmidt", "erika@customer.example")
	cc, _ := deskmail.NewAddress("Billing", "billing@customer.example")
	d := &compose.Draft{Account: a, Agent: "Jürgen Müller", Ticket: "5521", MessageRef: "1", Parent: "q1@customer.example",
		To: []deskmail.Address{to}, Cc: []deskmail.Address{cc}, Subject: subject, Text: text, HTML: html,
		Attachments: []compose.Attachment{{Filename: "Rechnung-5521.pdf", Data: pdf}}}
	return c, d
}

func goMailMessage(b *testing.B) *mail.Msg {
	m := mail.NewMsg()
	if err := m.FromFormat("Jürgen Müller", "support@acme.example"); err != nil {
		b.Fatal(err)
	}
	if err := m.AddToFormat("Erika Schmidt", "erika@customer.example"); err != nil {
		b.Fatal(err)
	}
	if err := m.Cc("Billing <billing@customer.example>"); err != nil {
		b.Fatal(err)
	}
	m.Subject(subject)
	m.SetMessageIDWithValue("dm.bench.x@acme.example")
	m.SetGenHeader(mail.HeaderInReplyTo, "<q1@customer.example>")
	m.SetGenHeader(mail.HeaderReferences, "<q1@customer.example>")
	m.SetDateWithValue(time.Now())
	m.SetBodyString(mail.TypeTextPlain, text)
	m.AddAlternativeString(mail.TypeTextHTML, html)
	if err := m.AttachReader("Rechnung-5521.pdf", bytes.NewReader(pdf)); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkBuild/impl=deskmail|gomail: build the message bytes.
func BenchmarkBuild(b *testing.B) {
	b.Run("impl=deskmail", func(b *testing.B) {
		c, d := deskmailComposer(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Compose(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=gomail", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if _, err := goMailMessage(b).WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkComposeSignSend/impl=deskmail|gomail: build, sign, send over
// loopback, one connection per message.
func BenchmarkComposeSignSend(b *testing.B) {
	srv := smtptest.New(b, nil)
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	t := relay.NewDialer(nil).Transport(&relay.Relay{ID: "bench", Host: srv.Host(), Port: srv.Port(), Security: relay.SecurityNone})
	ctx := context.Background()
	send := func(b *testing.B, msg []byte) {
		signed, err := dkim.Sign(msg, "acme.example", "dm1", priv, nil)
		if err != nil {
			b.Fatal(err)
		}
		env := &deskmail.Envelope{Account: "acme", From: "support@acme.example", To: []string{"erika@customer.example", "billing@customer.example"}}
		res, err := t.Send(ctx, env, signed)
		if err != nil || res.Recipients[0].Status != deskmail.StatusDelivered {
			b.Fatalf("send: %v %v", res, err)
		}
	}
	b.Run("impl=deskmail", func(b *testing.B) {
		c, d := deskmailComposer(b)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m, err := c.Compose(ctx, d)
			if err != nil {
				b.Fatal(err)
			}
			send(b, m.Bytes)
			if i%512 == 511 {
				srv.Reset()
			}
		}
	})
	b.Run("impl=gomail", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if _, err := goMailMessage(b).WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			send(b, buf.Bytes())
			if i%512 == 511 {
				srv.Reset()
			}
		}
	})
	srv.Reset()
}

// cpu returns the process's CPU time (user + system). The SMTP sink runs
// in the process too, so the send's server side counts, the same for
// both sides; load from other processes does not.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPaired/op=build|compose_sign_send alternates the two sides in
// one loop (and which goes first), so both see the same machine load,
// and reports each side's wall and CPU ns/op and their ratios
// (deskmail/gomail): the figures the target is about. The sub-benchmarks above run one after the
// other and drift with the load of a shared machine.
func BenchmarkPaired(b *testing.B) {
	srv := smtptest.New(b, nil)
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	t := relay.NewDialer(nil).Transport(&relay.Relay{ID: "bench", Host: srv.Host(), Port: srv.Port(), Security: relay.SecurityNone})
	ctx := context.Background()
	env := &deskmail.Envelope{Account: "acme", From: "support@acme.example", To: []string{"erika@customer.example", "billing@customer.example"}}
	send := func(b *testing.B, msg []byte) {
		signed, err := dkim.Sign(msg, "acme.example", "dm1", priv, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res, err := t.Send(ctx, env, signed); err != nil || res.Recipients[0].Status != deskmail.StatusDelivered {
			b.Fatalf("send: %v %v", res, err)
		}
	}
	for _, op := range []string{"build", "compose_sign_send"} {
		b.Run("op="+op, func(b *testing.B) {
			c, d := deskmailComposer(b)
			var buf bytes.Buffer
			ours := func() {
				m, err := c.Compose(ctx, d)
				if err != nil {
					b.Fatal(err)
				}
				if op != "build" {
					send(b, m.Bytes)
				}
			}
			theirs := func() {
				buf.Reset()
				if _, err := goMailMessage(b).WriteTo(&buf); err != nil {
					b.Fatal(err)
				}
				if op != "build" {
					send(b, buf.Bytes())
				}
			}
			var tOurs, tTheirs, cOurs, cTheirs time.Duration
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					s, cs := time.Now(), cpu()
					ours()
					m, cm := time.Now(), cpu()
					theirs()
					tOurs, tTheirs = tOurs+m.Sub(s), tTheirs+time.Since(m)
					cOurs, cTheirs = cOurs+cm-cs, cTheirs+cpu()-cm
				} else {
					s, cs := time.Now(), cpu()
					theirs()
					m, cm := time.Now(), cpu()
					ours()
					tTheirs, tOurs = tTheirs+m.Sub(s), tOurs+time.Since(m)
					cTheirs, cOurs = cTheirs+cm-cs, cOurs+cpu()-cm
				}
				if i%512 == 511 {
					srv.Reset()
				}
			}
			b.ReportMetric(float64(tOurs.Nanoseconds())/float64(b.N), "deskmail-ns/op")
			b.ReportMetric(float64(tTheirs.Nanoseconds())/float64(b.N), "gomail-ns/op")
			b.ReportMetric(float64(tOurs)/float64(tTheirs), "ratio")
			b.ReportMetric(float64(cOurs.Nanoseconds())/float64(b.N), "deskmail-cpu-ns/op")
			b.ReportMetric(float64(cTheirs.Nanoseconds())/float64(b.N), "gomail-cpu-ns/op")
			b.ReportMetric(float64(cOurs)/float64(cTheirs), "cpu-ratio")
		})
	}
}
