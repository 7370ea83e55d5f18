package smtptest_test

import (
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/smtptest"
)

// A STARTTLS server that requires AUTH captures what a client sends.
func Example() {
	srv, err := smtptest.Start(&smtptest.Options{
		Security: smtptest.StartTLS,
		Users:    map[string]string{"app": "secret"},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := smtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "app", "secret")); err != nil {
		panic(err)
	}
	msg := "From: help@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
	if err := c.SendMail("help@example.com", []string{"user@example.net"}, strings.NewReader(msg)); err != nil {
		panic(err)
	}
	for _, m := range srv.Messages() {
		fmt.Println(m.From, m.To, m.User, m.TLS)
	}
	// Output: help@example.com [user@example.net] app true
}

// Faults make the server misbehave; here a recipient is rejected.
func ExampleServer_SetFault() {
	srv, err := smtptest.Start(nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.SetFault(smtptest.Fault{Rcpt: map[string]*smtptest.Reply{
		"gone@example.net": {Code: 550, EnhancedCode: "5.1.1", Message: "No such user"},
	}})
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	err = c.SendMail("help@example.com", []string{"gone@example.net"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	fmt.Println(err)
	// Output: SMTP error 550: No such user
}
