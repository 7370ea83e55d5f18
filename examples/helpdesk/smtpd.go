package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

// listen starts the helpdesk's inbound SMTP server (package smtpd) on
// addr. It checks each recipient against the desk's support addresses
// (and its VERP return paths, for bounces) while the sender is connected,
// runs the pipeline and hands every decision to desk.apply; the sender
// gets 250 only after that, and 451 when a store failed. The caller closes
// the server.
func listen(d *desk, addr string) (*smtpd.Server, net.Listener, error) {
	srv, err := smtpd.New(&smtpd.Options{
		Pipeline: d.pipeline,
		Aliases:  d.aliases,
		VERP:     d.verp,
		Domain:   "mx." + d.names.platformDomain,
		Handler: inbound.HandlerFunc(func(ctx context.Context, dl *inbound.Delivery) error {
			d.apply(ctx, dl.Decision)
			return nil
		}),
	})
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	go func() { _ = srv.Serve(l) }()
	return srv, l, nil
}

// refusedError is a mail the server refused, with its SMTP reply.
type refusedError struct{ reply string }

func (e *refusedError) Error() string { return "helpdesk: the server refused the mail: " + e.reply }

// deliver sends one mail to addr over SMTP, as a customer's provider or a
// remote MTA would (in plain text: this is loopback). A refusal is a
// *refusedError.
func deliver(addr, from string, to []string, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err = c.Hello("mx.customer.example"); err == nil {
		if err = c.SendMail(from, to, bytes.NewReader([]byte(raw))); err == nil {
			err = c.Quit()
		}
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &refusedError{reply: fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)}
	}
	return err
}
