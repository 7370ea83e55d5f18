package smtpd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

// The replies of the server that a host may see in its peers' logs.
var (
	replyUnknown = func(addr string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + sanitize(addr) + ">: no such support address"}
	}
	replyDisabled = func(addr string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + sanitize(addr) + ">: this address does not accept mail"}
	}
	replyTemporary  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure, try again later"}
	replyAuthNeeded = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	replyAuthTemp   = &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "temporary authentication failure"}
	replyAuthMany   = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "too many failed authentications"}
	replyNotAllowed = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "the From header names an address this login may not send as"}
	replyClosing    = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "server shutting down"}
)

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if b.s.closing.Load() {
		return nil, replyClosing
	}
	ss := &session{s: b.s, c: c, own: ownConn(c.Conn()), helo: c.Hostname()}
	if ap, err := netip.ParseAddrPort(c.Conn().RemoteAddr().String()); err == nil {
		ss.ip = ap.Addr().Unmap()
	}
	_, ss.tls = c.TLSConnectionState()
	return ss, nil
}

// session is one SMTP session after HELO (go-smtp starts a new one after
// STARTTLS).
type session struct {
	s    *Server
	c    *smtp.Conn
	own  *conn
	helo string
	ip   netip.Addr
	tls  bool

	user     string // the AUTH identity, "" when not authenticated
	failures int
	txAuthed bool // MAIL was given after AUTH

	from  string
	hint  int64 // the SIZE declared in MAIL FROM
	rcpts []rcpt
}

// rcpt is one accepted RCPT TO with the account it routes to ("" for a
// VERP return path).
type rcpt struct {
	addr    string
	account string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.LMTPSession = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (ss *session) Reset() {
	ss.from, ss.hint, ss.rcpts, ss.txAuthed = "", 0, nil, false
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if ss.s.o.RequireAuth && ss.user == "" {
		return replyAuthNeeded
	}
	ss.txAuthed = ss.user != ""
	if err := ss.checkSender(from); err != nil {
		if err == replyNotAllowed {
			return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<" + sanitize(from) + ">: not allowed for this login"}
		}
		return err
	}
	ss.from, ss.hint, ss.txAuthed = from, 0, ss.user != ""
	if opts != nil {
		ss.hint = opts.Size
	}
	return nil
}

// Rcpt checks the recipient against the alias store now, so that an
// unknown or disabled address is refused here and never bounced later.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.o.CommandTimeout)
	defer cancel()
	rt, err := ss.s.router.Route(ctx, []string{to}, nil)
	switch {
	case errors.Is(err, alias.ErrNoRoute):
		if v := ss.s.o.VERP; v != nil {
			if _, verr := v.Verify(to); verr == nil {
				ss.rcpts = append(ss.rcpts, rcpt{addr: to})
				return nil
			}
		}
		ss.s.log(slog.LevelInfo, "recipient refused", slog.String("client_ip", ss.ip.String()), slog.String("rcpt", sanitize(to)), slog.String("reason", "unknown"))
		return replyUnknown(to)
	case err != nil:
		ss.s.log(slog.LevelWarn, "recipient lookup failed", slog.String("rcpt", sanitize(to)), slog.String("error", sanitize(err.Error())))
		return replyTemporary
	case rt.Drop == alias.DropAddressDisabled:
		ss.s.log(slog.LevelInfo, "recipient refused", slog.String("client_ip", ss.ip.String()), slog.String("rcpt", sanitize(to)), slog.String("reason", "disabled"))
		return replyDisabled(to)
	}
	ss.rcpts = append(ss.rcpts, rcpt{addr: to, account: rt.Account})
	return nil
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.o.Authenticate == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if ss.s.o.Authenticate == nil || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if ss.failures >= ss.s.o.MaxAuthFailures {
			return replyAuthMany
		}
		if identity != "" && identity != user {
			// No acting for another user.
			ss.failures++
			return smtp.ErrAuthFailed
		}
		ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.o.CommandTimeout)
		defer cancel()
		err := ss.s.o.Authenticate(ctx, user, pass)
		switch {
		case err == nil:
			ss.user = user
			ss.s.log(slog.LevelInfo, "authenticated", slog.String("client_ip", ss.ip.String()), slog.String("user", sanitize(user)))
			return nil
		case errors.Is(err, ErrBadCredentials):
			ss.failures++
			ss.s.log(slog.LevelInfo, "authentication failed", slog.String("client_ip", ss.ip.String()), slog.String("user", sanitize(user)))
			return smtp.ErrAuthFailed
		default:
			ss.s.log(slog.LevelWarn, "authentication error", slog.String("client_ip", ss.ip.String()), slog.String("user", sanitize(user)), slog.String("error", sanitize(err.Error())))
			return replyAuthTemp
		}
	}), nil
}

func (ss *session) Data(r io.Reader) error {
	return ss.receive(r, nil)
}

func (ss *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	return ss.receive(r, status)
}

// envelope returns the transaction's envelope with each recipient once.
func (ss *session) envelope() *deskmail.Envelope {
	env := &deskmail.Envelope{From: ss.from, ClientIP: ss.ip, HELO: ss.helo, To: make([]string, 0, len(ss.rcpts))}
	seen := make(map[string]bool, len(ss.rcpts))
	for _, r := range ss.rcpts {
		if !seen[r.addr] {
			seen[r.addr] = true
			env.To = append(env.To, r.addr)
		}
	}
	return env
}

// trusted reports whether the transaction's mail goes through the
// pipeline's trusted path: the session authenticated before MAIL and its
// senders are checked.
func (ss *session) trusted() bool {
	return ss.txAuthed && ss.user != "" && ss.s.o.SenderCheck != nil
}

// checkSender runs SenderCheck for an authenticated session and address
// (empty: nothing to check). It returns nil, replyNotAllowed or
// replyTemporary.
func (ss *session) checkSender(addr string) error {
	if !ss.trusted() || addr == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.o.CommandTimeout)
	defer cancel()
	err := ss.s.o.SenderCheck(ctx, ss.user, addr)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrSenderNotAllowed):
		ss.s.log(slog.LevelInfo, "sender not allowed", slog.String("user", sanitize(ss.user)), slog.String("address", sanitize(addr)))
		return replyNotAllowed
	default:
		ss.s.log(slog.LevelWarn, "sender check failed", slog.String("user", sanitize(ss.user)), slog.String("error", sanitize(err.Error())))
		return replyTemporary
	}
}

func sanitize(s string) string { return deskmail.Sanitize(s) }
