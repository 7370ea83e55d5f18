package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail"
)

// ContextDialer dials a network connection; *net.Dialer implements it.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// SMTPOptions configure the SMTP transport. A nil *SMTPOptions means the
// defaults of each field.
type SMTPOptions struct {
	// LocalName is the EHLO name. Empty means "localhost"; set the host's
	// public name in production.
	LocalName string
	// RootCAs verifies relay certificates. Nil means the system pool.
	RootCAs *x509.CertPool
	// Passwords gives passwords for PLAIN and LOGIN. Nil fails such relays
	// at StageAuth with ErrNoCredentials.
	Passwords PasswordSource
	// Tokens gives OAuth tokens for XOAUTH2 and OAUTHBEARER. Nil fails such
	// relays at StageAuth with ErrNoCredentials.
	Tokens TokenSource
	// Dialer makes the TCP connection. Nil means a *net.Dialer.
	Dialer ContextDialer
	// CommandTimeout bounds each stage when the context has no earlier
	// deadline. Zero means 30 seconds.
	CommandTimeout time.Duration
	// DataTimeout bounds sending the data and waiting for the final reply
	// when the context has no earlier deadline. Zero means 2 minutes.
	DataTimeout time.Duration
	// Logger receives one debug line per session. Nil logs nothing.
	// Credentials are never logged.
	Logger *slog.Logger
	// Now is the clock for token expiry. Nil means time.Now.
	Now func() time.Time
}

// Dialer opens SMTP sessions to relays. It holds the OAuth token cache, so
// share one Dialer per process. Safe for concurrent use.
type Dialer struct {
	opts   SMTPOptions
	tokens tokenCache
}

// NewDialer returns a Dialer with opts (nil for defaults).
func NewDialer(opts *SMTPOptions) *Dialer {
	d := &Dialer{}
	if opts != nil {
		d.opts = *opts
	}
	if d.opts.Dialer == nil {
		d.opts.Dialer = &net.Dialer{}
	}
	if d.opts.LocalName == "" {
		d.opts.LocalName = "localhost"
	}
	if d.opts.CommandTimeout == 0 {
		d.opts.CommandTimeout = 30 * time.Second
	}
	if d.opts.DataTimeout == 0 {
		d.opts.DataTimeout = 2 * time.Minute
	}
	if d.opts.Now == nil {
		d.opts.Now = time.Now
	}
	return d
}

// Transport returns a Transport that sends through relay r. It copies r.
func (d *Dialer) Transport(r *Relay) deskmail.Transport {
	return &smtpTransport{d: d, r: *r}
}

// Error is a failure of an SMTP session with a relay. Its text never holds
// a credential.
type Error struct {
	// Relay is the relay's "host:port".
	Relay string `json:"relay"`
	// Stage is where the session failed.
	Stage Stage `json:"stage"`
	// Class is what the failure means for routing.
	Class Class `json:"class"`
	// Reply is the server's reply; zero when the failure was not a reply
	// (a network error, a timeout, a bad certificate).
	Reply Reply `json:"reply,omitzero"`
	// Err is the underlying error, if any. It is serialised as its text
	// ("error"), which never holds a credential.
	Err error `json:"-"`
}

// MarshalJSON writes the error's fields and its text as "error".
func (e *Error) MarshalJSON() ([]byte, error) {
	type plain Error
	return json.Marshal(struct {
		*plain
		Text string `json:"error"`
	}{(*plain)(e), e.Error()})
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("relay: ")
	b.WriteString(e.Relay)
	b.WriteString(": ")
	b.WriteString(string(e.Stage))
	if e.Reply.Code != 0 {
		b.WriteString(": ")
		b.WriteString(e.Reply.String())
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed: every class but
// ClassBounce.
func (e *Error) Temporary() bool { return e.Class != ClassBounce }

// session is one connection to a relay, with go-smtp's timeouts replaced by
// the context.
type session struct {
	c    *smtp.Client
	conn *ctxConn
	stop func() bool
	addr string
}

// ctxConn bounds every deadline go-smtp sets by the context's deadline
// (go-smtp resets deadlines to minutes, or none, around each command) and
// counts the bytes written, to tell a failed greeting from a failed EHLO.
type ctxConn struct {
	net.Conn
	deadline time.Time
	written  atomic.Int64
}

func (c *ctxConn) clamp(t time.Time) time.Time {
	if c.deadline.IsZero() {
		return t
	}
	if t.IsZero() || c.deadline.Before(t) {
		return c.deadline
	}
	return t
}

func (c *ctxConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *ctxConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *ctxConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

func (c *ctxConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

// greetedConn replays a synthetic greeting to go-smtp after our own
// STARTTLS exchange.
type greetedConn struct {
	net.Conn
	pre []byte
}

func (c *greetedConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// fail builds an *Error, preferring the context's error when the context
// ended the session.
func (d *Dialer) fail(ctx context.Context, addr string, stage Stage, err error) *Error {
	e := &Error{Relay: addr, Stage: stage, Class: ClassFault, Err: err}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e.Reply = smtpReply(se)
		e.Class = Classify(stage, e.Reply)
	} else if ctx.Err() != nil {
		e.Err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	var dnsErr *net.DNSError
	if stage == StageConnect && errors.As(err, &dnsErr) {
		e.Stage = StageDNS
	}
	return e
}

func smtpReply(se *smtp.SMTPError) Reply {
	r := Reply{Code: se.Code, Message: se.Message}
	if ec := se.EnhancedCode; ec != (smtp.EnhancedCode{}) && ec != smtp.NoEnhancedCode {
		r.EnhancedCode = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
	}
	return r
}

// dial opens a session: connect, TLS, greeting, EHLO, AUTH. The session is
// bounded by ctx; the deadline is the earlier of ctx's and
// CommandTimeout+DataTimeout from now.
func (d *Dialer) dial(ctx context.Context, account string, r *Relay) (*session, error) {
	addr := r.Addr()
	dl := time.Now().Add(d.opts.CommandTimeout*4 + d.opts.DataTimeout)
	if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
		dl = cdl
	}
	dctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	raw, err := d.opts.Dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, d.fail(ctx, addr, StageConnect, err)
	}
	cc := &ctxConn{Conn: raw, deadline: dl}
	cc.SetDeadline(time.Time{})
	// Closing the connection when ctx ends unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	s := &session{conn: cc, stop: stop, addr: addr}
	ok := false
	defer func() {
		if !ok {
			stop()
			raw.Close()
		}
	}()
	tlsConf := &tls.Config{
		ServerName:         r.Host,
		RootCAs:            d.opts.RootCAs,
		InsecureSkipVerify: r.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
	var conn net.Conn = cc
	switch r.security() {
	case SecurityTLS:
		tc := tls.Client(cc, tlsConf)
		if err := tc.HandshakeContext(dctx); err != nil {
			return nil, d.fail(ctx, addr, StageTLS, err)
		}
		conn = tc
	case SecuritySTARTTLS:
		tc, stage, err := d.startTLS(dctx, cc, tlsConf)
		if err != nil {
			return nil, d.fail(ctx, addr, stage, err)
		}
		conn = &greetedConn{Conn: tc, pre: []byte("220 " + r.Host + " TLS established\r\n")}
	}
	s.c = smtp.NewClient(conn)
	s.c.CommandTimeout = d.opts.CommandTimeout
	s.c.SubmissionTimeout = d.opts.DataTimeout
	if err := s.c.Hello(d.opts.LocalName); err != nil {
		stage := StageHello
		if cc.written.Load() == 0 {
			stage = StageGreeting
		}
		return nil, d.fail(ctx, addr, stage, err)
	}
	if err := d.auth(ctx, account, r, s.c); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, d.fail(ctx, addr, StageAuth, err)
	}
	ok = true
	return s, nil
}

// startTLS reads the greeting, says EHLO and upgrades the connection.
func (d *Dialer) startTLS(ctx context.Context, c net.Conn, conf *tls.Config) (net.Conn, Stage, error) {
	tp := textproto.NewConn(nopCloser{c})
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, StageGreeting, protoErr(err)
	}
	if err := tp.PrintfLine("EHLO %s", d.opts.LocalName); err != nil {
		return nil, StageHello, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, StageHello, protoErr(err)
	}
	found := false
	for _, ln := range strings.Split(msg, "\n") {
		if strings.EqualFold(strings.Fields(ln + " x")[0], "STARTTLS") {
			found = true
		}
	}
	if !found {
		return nil, StageTLS, errors.New("server does not offer STARTTLS")
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return nil, StageTLS, err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, StageTLS, protoErr(err)
	}
	tc := tls.Client(c, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, StageTLS, err
	}
	return tc, StageTLS, nil
}

type nopCloser struct{ net.Conn }

func (nopCloser) Close() error { return nil }

// protoErr turns a textproto reply error into go-smtp's *SMTPError so the
// enhanced code is parsed the same way.
func protoErr(err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return err
	}
	r, perr := ParseReply(fmt.Sprintf("%03d %s", te.Code, te.Msg))
	if perr != nil {
		return &smtp.SMTPError{Code: te.Code, Message: te.Msg}
	}
	se := &smtp.SMTPError{Code: r.Code, Message: r.Message}
	if r.EnhancedCode != "" {
		fmt.Sscanf(r.EnhancedCode, "%d.%d.%d", &se.EnhancedCode[0], &se.EnhancedCode[1], &se.EnhancedCode[2])
	}
	return se
}

func (s *session) close() {
	s.stop()
	s.c.Close()
}

// quit ends the session politely, bounded by a short time.
func (s *session) quit() {
	if q := time.Now().Add(2 * time.Second); s.conn.deadline.IsZero() || q.Before(s.conn.deadline) {
		s.conn.deadline = q
	}
	s.c.Quit()
	s.close()
}

// smtpTransport sends through one relay.
type smtpTransport struct {
	d *Dialer
	r Relay
}

// Send sends msg for env through the relay. Recipients get StatusDelivered,
// StatusRejected (ClassBounce), StatusDeferred (Reason "fault" or "quota")
// or StatusUnknown (the connection failed after the data). The error is an
// *Error when the session failed as a whole before any recipient was
// decided, or after the data.
func (t *smtpTransport) Send(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	res := &deskmail.Result{Via: "relay:" + t.r.ID, Recipients: make([]deskmail.RecipientResult, len(env.To))}
	for i, rc := range env.To {
		res.Recipients[i] = deskmail.RecipientResult{Recipient: rc, Status: deskmail.StatusDeferred, Reason: string(ClassFault)}
	}
	setAll := func(e *Error, only func(i int) bool) {
		st := deskmail.StatusDeferred
		switch e.Class {
		case ClassBounce:
			st = deskmail.StatusRejected
		case ClassUnknown:
			st = deskmail.StatusUnknown
		}
		msgText := e.Reply.Message
		if msgText == "" && e.Err != nil {
			msgText = e.Err.Error()
		}
		for i := range res.Recipients {
			if only != nil && !only(i) {
				continue
			}
			res.Recipients[i] = deskmail.RecipientResult{Recipient: env.To[i], Status: st, Code: e.Reply.Code,
				EnhancedCode: e.Reply.EnhancedCode, Message: msgText, Reason: string(e.Class)}
		}
	}
	s, err := t.d.dial(ctx, env.Account, &t.r)
	if err != nil {
		var e *Error
		errors.As(err, &e)
		setAll(e, nil)
		t.log(ctx, env, e)
		return res, e
	}
	defer s.close()
	var mopts *smtp.MailOptions
	if needsUTF8(env) {
		// RFC 6531: internationalized addresses need SMTPUTF8; without it
		// the relay is the wrong path and the platform gets the mail.
		if ok, _ := s.c.Extension("SMTPUTF8"); !ok {
			e := &Error{Relay: s.addr, Stage: StageMail, Class: ClassFault, Err: errNoSMTPUTF8}
			setAll(e, nil)
			t.log(ctx, env, e)
			return res, e
		}
		mopts = &smtp.MailOptions{UTF8: true}
	}
	if err := s.c.Mail(env.From, mopts); err != nil {
		e := t.d.fail(ctx, s.addr, StageMail, err)
		setAll(e, nil)
		t.log(ctx, env, e)
		return res, e
	}
	accepted := make([]bool, len(env.To))
	nAccepted := 0
	for i, rc := range env.To {
		err := s.c.Rcpt(rc, nil)
		if err == nil {
			accepted[i] = true
			nAccepted++
			continue
		}
		e := t.d.fail(ctx, s.addr, StageRcpt, err)
		if e.Reply.Code == 0 { // the connection broke: nobody else is decided
			setAll(e, func(j int) bool { return j >= i || accepted[j] })
			t.log(ctx, env, e)
			return res, e
		}
		setAll(e, func(j int) bool { return j == i })
	}
	if nAccepted == 0 {
		s.c.Reset()
		s.quit()
		return res, nil
	}
	isAccepted := func(i int) bool { return accepted[i] }
	w, err := s.c.Data()
	if err != nil {
		e := t.d.fail(ctx, s.addr, StageData, err)
		setAll(e, isAccepted)
		t.log(ctx, env, e)
		return res, e
	}
	if _, err := w.Write(msg); err != nil {
		// The final dot was not sent, so the server cannot have accepted.
		e := t.d.fail(ctx, s.addr, StageData, err)
		setAll(e, isAccepted)
		t.log(ctx, env, e)
		return res, e
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		e := t.d.fail(ctx, s.addr, StageDataEnd, err)
		if e.Reply.Code == 0 {
			e.Class = ClassUnknown // the data went out; the outcome is unknown
		}
		setAll(e, isAccepted)
		t.log(ctx, env, e)
		return res, e
	}
	for i := range res.Recipients {
		if accepted[i] {
			res.Recipients[i] = deskmail.RecipientResult{Recipient: env.To[i], Status: deskmail.StatusDelivered, Code: 250, Message: resp.StatusText}
		}
	}
	s.quit()
	t.log(ctx, env, nil)
	return res, nil
}

// errNoSMTPUTF8: the relay cannot carry an internationalized address. The
// mail falls back to the platform without a breaker strike.
var errNoSMTPUTF8 = errors.New("server does not offer SMTPUTF8 for an internationalized address")

// needsUTF8 reports whether an envelope address is not ASCII.
func needsUTF8(env *deskmail.Envelope) bool {
	for _, a := range append([]string{env.From}, env.To...) {
		for i := 0; i < len(a); i++ {
			if a[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}

func (t *smtpTransport) log(ctx context.Context, env *deskmail.Envelope, e *Error) {
	l := t.d.opts.Logger
	if l == nil {
		return
	}
	if e == nil {
		l.DebugContext(ctx, "relay: sent", "relay", t.r.ID, "addr", t.r.Addr(), "account", env.Account, "recipients", len(env.To))
		return
	}
	l.DebugContext(ctx, "relay: send failed", "relay", t.r.ID, "addr", t.r.Addr(), "account", env.Account,
		"stage", string(e.Stage), "class", string(e.Class), "error", e.Error())
}
