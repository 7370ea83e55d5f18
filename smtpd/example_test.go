package smtpd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

// Example serves SMTP on loopback: a mail to a support address is decided
// and handed to the host; an unknown recipient is refused at RCPT.
func Example() {
	ctx := context.Background()
	aliases := alias.NewMemoryStore()
	_ = aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	})
	pipeline, _ := inbound.New(&inbound.Options{Aliases: aliases, SkipAuth: true})
	srv, err := smtpd.New(&smtpd.Options{
		Pipeline: pipeline,
		Aliases:  aliases,
		Domain:   "mx.acme.example",
		Handler: inbound.HandlerFunc(func(_ context.Context, d *inbound.Delivery) error {
			fmt.Printf("%s for %s: %q from %s\n", d.Decision.Action, d.Decision.Account, d.Decision.Subject, d.Decision.ContactAddr)
			return nil // the client gets 250 now
		}),
	})
	if err != nil {
		panic(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()

	c, _ := smtp.Dial(l.Addr().String())
	defer c.Close()
	_ = c.Hello("mx.customer.example")
	err = c.SendMail("mary@customer.example", []string{"support@acme.example"}, strings.NewReader(
		"From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Where is my order?\r\n\r\nOrder 5521.\r\n"))
	fmt.Println("sent:", err)

	err = c.SendMail("mary@customer.example", []string{"nobody@acme.example"}, strings.NewReader("Subject: hello\r\n\r\n"))
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.EnhancedCode, se.Message)
	}
	// Output:
	// new_ticket for acme: "Where is my order?" from mary@customer.example
	// sent: <nil>
	// 550 [5 1 1] <nobody@acme.example>: no such support address
}
