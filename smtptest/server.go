package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security is how a server protects its connections.
type Security int

// The security modes.
const (
	None        Security = iota // plain text, no STARTTLS
	StartTLS                    // plain text upgraded with STARTTLS (RFC 3207)
	ImplicitTLS                 // TLS from the first byte (RFC 8314)
)

// String returns "none", "starttls" or "tls".
func (s Security) String() string {
	switch s {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "tls"
	}
	return "none"
}

// Reply is an SMTP reply a fault makes the server give.
type Reply struct {
	// Code is the three-digit reply code, such as 550.
	Code int
	// EnhancedCode is the RFC 3463 code, such as "5.1.1". Empty sends the
	// generic X.0.0.
	EnhancedCode string
	// Message is the reply text. Empty sends "Injected failure".
	Message string
}

func (r *Reply) err() error {
	e := &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: r.Message}
	if e.Message == "" {
		e.Message = "Injected failure"
	}
	if r.EnhancedCode != "" {
		parts := strings.Split(r.EnhancedCode, ".")
		if len(parts) == 3 {
			var ec smtp.EnhancedCode
			ok := true
			for i, p := range parts {
				n, err := strconv.Atoi(p)
				if err != nil {
					ok = false
					break
				}
				ec[i] = n
			}
			if ok {
				e.EnhancedCode = ec
			}
		}
	}
	return e
}

// Fault is the misbehaviour a server is told to show. The zero Fault is a
// well-behaved server. See the package documentation for each field.
type Fault struct {
	Refuse        bool              // refuse (or reset) connections
	HangGreeting  bool              // accept connections, never greet
	WrongCert     bool              // present an untrusted certificate
	AuthFail      bool              // answer every AUTH with 535 5.7.8
	Mail          *Reply            // reply to MAIL FROM
	Rcpt          map[string]*Reply // reply to RCPT TO, by recipient address
	RcptAll       *Reply            // reply to every RCPT TO not in Rcpt
	Data          *Reply            // reply after the message data
	DropAfterData bool              // close the connection after the data, without a reply
}

// Options configure a server. A nil *Options is a plain-text server without
// AUTH or faults.
type Options struct {
	// Security is the connection security. Zero is None.
	Security Security
	// Users maps user names to passwords for AUTH PLAIN and LOGIN. Nil, with
	// Tokens nil too, means no AUTH is offered or required.
	Users map[string]string
	// Tokens maps user names to OAuth access tokens for AUTH XOAUTH2 and
	// OAUTHBEARER.
	Tokens map[string]string
	// Fault is the initial misbehaviour. Zero is none.
	Fault Fault
	// Domain is the name the server greets with. Empty is "smtptest.local".
	Domain string
	// MaxRecipients caps recipients per message (452 4.5.3 beyond). Zero is
	// no cap.
	MaxRecipients int
}

// Message is one mail the server accepted.
type Message struct {
	From string   // MAIL FROM reverse-path, "" for <>
	To   []string // RCPT TO addresses the server accepted
	Data []byte   // message data, as received (CRLF line ends)
	// User is the authenticated user name, "" without AUTH.
	User string
	// TLS reports whether the session was protected by TLS.
	TLS bool
}

// Server is a running SMTP server on loopback. Its methods are safe for
// concurrent use.
type Server struct {
	opts  Options
	ca    *testCA
	rogue *testCA
	srv   *smtp.Server
	ln    *listener
	addr  string
	done  chan struct{}

	mu     sync.Mutex
	fault  Fault
	msgs   []Message
	conns  int
	closed bool
}

// New starts a server for the test tb and closes it when the test ends. It
// fails the test if the server cannot start.
func New(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start starts a server. The caller must Close it.
func Start(opts *Options) (*Server, error) {
	s := &Server{done: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	s.fault = s.opts.Fault
	var err error
	if s.ca, err = newTestCA("smtptest CA"); err != nil {
		return nil, fmt.Errorf("smtptest: generate CA: %w", err)
	}
	if s.rogue, err = newTestCA("smtptest untrusted CA"); err != nil {
		return nil, fmt.Errorf("smtptest: generate CA: %w", err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.addr = raw.Addr().String()
	if s.fault.Refuse {
		// Keep the port closed: connections are refused by the kernel.
		raw.Close()
		close(s.done)
		s.closed = true
		return s, nil
	}
	tlsConf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if s.Fault().WrongCert {
				return &s.rogue.leaf, nil
			}
			return &s.ca.leaf, nil
		},
	}
	s.ln = &listener{Listener: raw, s: s, conns: map[net.Conn]struct{}{}}
	if s.opts.Security == ImplicitTLS {
		s.ln.tls = tlsConf
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = s.opts.Domain
	if s.srv.Domain == "" {
		s.srv.Domain = "smtptest.local"
	}
	s.srv.AllowInsecureAuth = true
	s.srv.MaxRecipients = s.opts.MaxRecipients
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.Security == StartTLS {
		s.srv.TLSConfig = tlsConf
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(s.ln)
	}()
	return s, nil
}

// Addr returns the server's "host:port".
func (s *Server) Addr() string { return s.addr }

// Host returns the server's IP address, "127.0.0.1".
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.addr)
	return h
}

// Port returns the server's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Security returns the server's connection security.
func (s *Server) Security() Security { return s.opts.Security }

// CertPool returns a pool holding the server's test CA, for a client's
// RootCAs.
func (s *Server) CertPool() *x509.CertPool { return s.ca.pool }

// CACert returns the server's test CA certificate.
func (s *Server) CACert() *x509.Certificate { return s.ca.cert }

// ClientTLSConfig returns a client configuration that trusts the server's
// test CA and expects its name, 127.0.0.1.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.ca.pool, ServerName: s.Host(), MinVersion: tls.VersionTLS12}
}

// SetFault replaces the server's misbehaviour; it applies to commands
// received from now on.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// Fault returns the server's current misbehaviour.
func (s *Server) Fault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// Messages returns copies of the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To = append([]string(nil), m.To...)
		m.Data = append([]byte(nil), m.Data...)
		out[i] = m
	}
	return out
}

// Reset forgets the messages accepted so far.
func (s *Server) Reset() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// Connections returns how many connections the server has accepted,
// including those it hung or reset.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Close stops the server: it closes the listener and every connection and
// waits for the goroutines it started. Calling Close again does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.ln.closeConns()
	// Shutdown closes the listener and waits for every connection handler,
	// which end promptly because their connections are closed.
	err := s.srv.Shutdown(context.Background())
	// Serve may not have registered the listener with go-smtp yet; closing
	// it here ends the accept loop either way.
	s.ln.Listener.Close()
	<-s.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// listener wraps the loopback listener: it applies the connection-level
// faults and remembers connections so Close can end them.
type listener struct {
	net.Listener
	s   *Server
	tls *tls.Config

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closing bool
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.mu.Lock()
		l.s.conns++
		f := l.s.fault
		l.s.mu.Unlock()
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			c.Close()
			continue
		}
		if f.Refuse {
			l.mu.Unlock()
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // reset, like a refusing firewall
			}
			c.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		if f.HangGreeting {
			continue // held open, never served; closed by Close
		}
		tc := &trackedConn{Conn: c, l: l}
		if l.tls != nil {
			return tls.Server(tc, l.tls), nil
		}
		return tc, nil
	}
}

func (l *listener) closeConns() {
	l.mu.Lock()
	l.closing = true
	conns := l.conns
	l.conns = map[net.Conn]struct{}{}
	l.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l *listener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c.Conn)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

func (s *Server) authRequired() bool { return len(s.opts.Users) > 0 || len(s.opts.Tokens) > 0 }

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, conn: c, tls: isTLS}, nil
}

// session is one SMTP session.
type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	var m []string
	if len(ss.s.opts.Users) > 0 {
		m = append(m, sasl.Plain, sasl.Login)
	}
	if len(ss.s.opts.Tokens) > 0 {
		m = append(m, "XOAUTH2", sasl.OAuthBearer)
	}
	return m
}

func (ss *session) checkPassword(user, pass string) error {
	if ss.s.Fault().AuthFail {
		return errAuthFailed
	}
	want, ok := ss.s.opts.Users[user]
	if !ok || want != pass {
		return errAuthFailed
	}
	ss.user = user
	return nil
}

func (ss *session) checkToken(user, token string) error {
	if ss.s.Fault().AuthFail {
		return errAuthFailed
	}
	want, ok := ss.s.opts.Tokens[user]
	if !ok || want != token {
		return errAuthFailed
	}
	ss.user = user
	return nil
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	switch {
	case mech == sasl.Plain && len(ss.s.opts.Users) > 0:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return errAuthFailed
			}
			return ss.checkPassword(user, pass)
		}), nil
	case mech == sasl.Login && len(ss.s.opts.Users) > 0:
		return &loginServer{check: ss.checkPassword}, nil
	case mech == "XOAUTH2" && len(ss.s.opts.Tokens) > 0:
		return &xoauth2Server{check: ss.checkToken}, nil
	case mech == sasl.OAuthBearer && len(ss.s.opts.Tokens) > 0:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if ss.checkToken(o.Username, o.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.authRequired() && ss.user == "" {
		return errAuthRequired
	}
	if r := ss.s.Fault().Mail; r != nil {
		return r.err()
	}
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	f := ss.s.Fault()
	if r, ok := f.Rcpt[to]; ok && r != nil {
		return r.err()
	}
	if f.RcptAll != nil {
		return f.RcptAll.err()
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	f := ss.s.Fault()
	if f.Data != nil {
		return f.Data.err()
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: buf.Bytes(), User: ss.user, TLS: ss.tls})
	ss.s.mu.Unlock()
	if f.DropAfterData {
		ss.conn.Conn().Close()
		return errors.New("smtptest: connection dropped after data")
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
