package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
)

var (
	replyTooLarge = func(max int) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: fmt.Sprintf("message exceeds %d bytes", max)}
	}
	replyLongLine = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "line too long"}
	replyTimeout  = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "timeout while receiving the message"}
	replyNUL      = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message contains NUL bytes"}
)

// receive reads one mail, runs the pipeline once per account and hands
// each decision to the Handler. With status (LMTP) it answers per
// recipient; else its error is the one reply.
func (ss *session) receive(r io.Reader, status smtp.StatusCollector) error {
	s := ss.s
	deadline := time.Now().Add(s.o.DataTimeout)
	if ss.own != nil {
		ss.own.beginData(deadline)
		defer ss.own.endData()
	}
	rctx, cancel := context.WithDeadline(s.ctx, deadline)
	msg, err := s.mem.read(rctx, r, ss.hint, s.o.MaxMessageBytes)
	cancel()
	if err != nil {
		return ss.readError(err)
	}
	defer msg.release()
	if bytes.IndexByte(msg.text(), 0) >= 0 {
		return replyNUL
	}

	id := s.ids.next()
	now := s.o.Now()
	ctx, cancel := context.WithTimeout(s.ctx, s.o.ProcessTimeout)
	defer cancel()
	env := ss.envelope()
	if ss.relayTrusted() {
		if ip, helo, ok := relayedClient(msg.text()); ok {
			env.ClientIP, env.HELO = ip, helo
		}
	}
	pipeline := s.o.Pipeline
	if ss.trusted() {
		if err := ss.checkHeaderFrom(msg.text()); err != nil {
			return err
		}
		pipeline = pipeline.Trusted()
	}
	decisions, err := pipeline.ProcessAll(ctx, env, msg.text())
	if err != nil {
		s.log(slog.LevelWarn, "pipeline failed", slog.String("id", id), slog.String("error", sanitize(err.Error())))
		return replyTemporary
	}

	// A forged verdict of ours goes before ours is added.
	var ids []string
	for _, d := range decisions {
		if v := authServID(d.AuthenticationResults); v != "" {
			ids = append(ids, v)
		}
	}
	msg.start += stripAuthResults(msg.text(), ids)

	// Each decision names the recipients it is for (ProcessAll groups them
	// by account; a delivery report covers the groups after it).
	var first error
	answered := make([]bool, len(ss.rcpts))
	for _, d := range decisions {
		derr := ss.deliver(ctx, id, now, msg, d, env, d.Recipients)
		if derr != nil && first == nil {
			first = derr
		}
		if status != nil {
			for i, r := range ss.rcpts {
				if !answered[i] && inGroup(r.addr, d.Recipients) {
					answered[i] = true
					status.SetStatus(r.addr, derr)
				}
			}
		}
	}
	if status != nil {
		// A recipient no decision named (none should be) shares the
		// transaction's outcome.
		for i, r := range ss.rcpts {
			if !answered[i] {
				status.SetStatus(r.addr, first)
			}
		}
	}
	if status != nil {
		return nil
	}
	return first
}

func inGroup(addr string, g []string) bool {
	for _, a := range g {
		if a == addr {
			return true
		}
	}
	return false
}

// deliver hands one decision to the Handler with the mail prefixed by the
// Received and Authentication-Results fields.
func (ss *session) deliver(ctx context.Context, id string, now time.Time, msg *message, d *inbound.Decision, env *deskmail.Envelope, rcpts []string) error {
	s := ss.s
	e := *env
	e.To = rcpts
	head := append(ss.received(id, rcpts, now), authResults(d.AuthenticationResults)...)
	var raw []byte
	if len(head) <= msg.start {
		// The room before the text takes the fields: nothing is copied.
		// Each delivery rewrites it, after the previous Deliver returned.
		raw = msg.buf[msg.start-len(head):]
		copy(raw, head)
	} else {
		raw = append(head, msg.text()...)
	}
	dl := &inbound.Delivery{ID: id, Decision: d, Envelope: &e, Raw: raw, Authenticated: ss.user, Trusted: ss.trusted(),
		TLS: ss.tls, Protocol: protocol(s.o.LMTP, ss.tls, ss.user)}
	err := s.o.Handler.Deliver(ctx, dl)
	if err != nil {
		s.log(slog.LevelWarn, "handler failed", slog.String("id", id), slog.String("account", d.Account), slog.String("error", sanitize(err.Error())))
		return replyTemporary
	}
	s.log(slog.LevelInfo, "delivered", slog.String("id", id), slog.String("client_ip", ss.ip.String()),
		slog.String("from", sanitize(env.From)), slog.Int("rcpts", len(rcpts)), slog.String("account", d.Account),
		slog.String("action", string(d.Action)), slog.Int("bytes", len(msg.text())), slog.Bool("authenticated", ss.user != ""))
	return nil
}

// checkHeaderFrom checks every address of the From header against
// SenderCheck; a From without an address is not allowed.
func (ss *session) checkHeaderFrom(text []byte) error {
	if len(text) > maxHeaderScan {
		text = text[:maxHeaderScan]
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(text)))
	if err != nil && h.Len() == 0 {
		return replyNotAllowed
	}
	addrs, _ := deskmail.ParseAddressList(h.Get("From"))
	if len(addrs) == 0 {
		return replyNotAllowed
	}
	for _, a := range addrs {
		if err := ss.checkSender(a.Addr()); err != nil {
			return err
		}
	}
	return nil
}

// maxHeaderScan bounds the header read for the From check.
const maxHeaderScan = 1 << 20

// readError turns a failure while reading DATA into its reply.
func (ss *session) readError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, errTooLarge):
		return replyTooLarge(ss.s.o.MaxMessageBytes)
	case errors.Is(err, smtp.ErrTooLongLine):
		return replyLongLine
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		ss.s.log(slog.LevelInfo, "data timeout", slog.String("client_ip", ss.ip.String()))
		return replyTimeout
	case errors.Is(err, context.Canceled):
		return replyClosing
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "error while receiving the message"}
}
