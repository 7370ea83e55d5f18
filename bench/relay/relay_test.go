// Package relay_test compares deskmail's relay SMTP transport with
// github.com/wneessen/go-mail sending the same message to the same loopback
// smtptest server, one connection per message for both.
package relay_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/wneessen/go-mail"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

func message(b *testing.B) (*mail.Msg, []byte) {
	m := mail.NewMsg()
	if err := m.From("support@example.com"); err != nil {
		b.Fatal(err)
	}
	if err := m.To("customer@example.net"); err != nil {
		b.Fatal(err)
	}
	m.Subject("Re: [#42] Printer on fire")
	m.SetBodyString(mail.TypeTextPlain, "Hello,\r\n\r\nWe have put the printer out. Anything else?\r\n\r\n-- \r\nSupport\r\n")
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return m, buf.Bytes()
}

var securities = []struct {
	name string
	srv  smtptest.Security
	sec  relay.Security
	pol  mail.TLSPolicy
}{
	{"plain", smtptest.None, relay.SecurityNone, mail.NoTLS},
	{"starttls", smtptest.StartTLS, relay.SecuritySTARTTLS, mail.TLSMandatory},
}

// BenchmarkSend/<security>/impl=deskmail|gomail: one message, one
// connection, per op.
func BenchmarkSend(b *testing.B) {
	for _, s := range securities {
		b.Run(s.name, func(b *testing.B) {
			srv := smtptest.New(b, &smtptest.Options{Security: s.srv})
			m, raw := message(b)
			b.Run("impl=deskmail", func(b *testing.B) {
				d := relay.NewDialer(&relay.SMTPOptions{RootCAs: srv.CertPool()})
				t := d.Transport(&relay.Relay{ID: "bench", Host: srv.Host(), Port: srv.Port(), Security: s.sec})
				env := &deskmail.Envelope{Account: "a", From: "support@example.com", To: []string{"customer@example.net"}}
				ctx := context.Background()
				b.SetBytes(int64(len(raw)))
				for i := 0; i < b.N; i++ {
					res, err := t.Send(ctx, env, raw)
					if err != nil || res.Recipients[0].Status != deskmail.StatusDelivered {
						b.Fatal(res, err)
					}
				}
				b.StopTimer()
				srv.Reset()
			})
			b.Run("impl=gomail", func(b *testing.B) {
				c, err := mail.NewClient(srv.Host(), mail.WithPort(srv.Port()), mail.WithTLSPolicy(s.pol), mail.WithTLSConfig(srv.ClientTLSConfig()), mail.WithHELO("localhost"))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(raw)))
				for i := 0; i < b.N; i++ {
					if err := c.DialAndSend(m); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				srv.Reset()
			})
		})
	}
}
