package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

// listen starts the helpdesk's inbound SMTP server (go-smtp) on addr. Every
// mail it accepts goes through desk.receive; the SMTP reply tells the
// sender whether it was taken (a store failure is a 451, so the sender
// retries). The caller closes the server.
func listen(d *desk, addr string) (*smtp.Server, net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	s := smtp.NewServer(backend{d})
	s.Domain = "mx." + d.names.platformDomain
	s.MaxMessageBytes = inbound.DefaultMaxBytes
	s.MaxRecipients = 50
	go func() { _ = s.Serve(l) }()
	return s, l, nil
}

type backend struct{ d *desk }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s := &session{d: b.d, helo: c.Hostname()}
	if ap, err := netip.ParseAddrPort(c.Conn().RemoteAddr().String()); err == nil {
		s.ip = ap.Addr().Unmap()
	}
	return s, nil
}

// session is one SMTP connection: it collects the envelope and hands the
// message to the pipeline at the end of DATA.
type session struct {
	d    *desk
	helo string
	ip   netip.Addr
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                      { s.from, s.to = "", nil }
func (s *session) Logout() error                               { return nil }

func (s *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	env := &deskmail.Envelope{From: s.from, To: s.to, ClientIP: s.ip, HELO: s.helo}
	if _, err := s.d.receive(context.Background(), env, buf.Bytes()); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	return nil
}

// deliver sends one mail to addr over SMTP, as a customer's provider or a
// remote MTA would (in plain text: this is loopback).
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
		return errors.New("helpdesk: the server refused the mail: " + se.Message)
	}
	return err
}
