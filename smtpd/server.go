package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/inbound"
)

// Defaults of Options.
const (
	// DefaultMaxMessageBytes is the largest mail accepted: 25 MiB, what
	// Gmail accepts. Larger mail is refused with 552 5.3.4.
	DefaultMaxMessageBytes = 25 << 20
	// DefaultMaxRecipients is how many RCPT TO one transaction may give;
	// more are answered 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least
	// 100).
	DefaultMaxRecipients = 100
	// DefaultMaxSessions bounds the sessions open at once; more are
	// answered 421 4.7.0 and closed.
	DefaultMaxSessions = 1000
	// DefaultMaxSessionsPerIP bounds the sessions open at once from one
	// client address.
	DefaultMaxSessionsPerIP = 50
	// DefaultCommandTimeout is how long the server waits for a command
	// and for a reply to be written: 5 minutes (RFC 5321 §4.5.3.2).
	DefaultCommandTimeout = 5 * time.Minute
	// DefaultDataTimeout bounds the whole DATA phase, from the 354 reply to
	// the final dot: 10 minutes (RFC 5321 §4.5.3.2.6).
	DefaultDataTimeout = 10 * time.Minute
	// DefaultProcessTimeout bounds the pipeline and the handler for one
	// mail.
	DefaultProcessTimeout = 2 * time.Minute
	// DefaultMaxLineLength is the longest line, command or message text,
	// in bytes: longer ones end the session with 500 5.5.2. RFC 5321 asks
	// for 1000; real mail is not always so kind.
	DefaultMaxLineLength = 16 << 10
	// DefaultMaxMemory is how many bytes of mail all sessions together
	// hold in memory: 4 x DefaultMaxMessageBytes.
	DefaultMaxMemory = 4 * DefaultMaxMessageBytes
	// DefaultMaxAuthFailures is how many failed AUTH attempts a session
	// may make before further attempts are refused.
	DefaultMaxAuthFailures = 3
)

// Errors returned by New.
var (
	// ErrNoPipeline: Options.Pipeline is nil.
	ErrNoPipeline = errors.New("smtpd: Options.Pipeline is required")
	// ErrNoAliases: Options.Aliases is nil.
	ErrNoAliases = errors.New("smtpd: Options.Aliases is required")
	// ErrNoHandler: Options.Handler is nil.
	ErrNoHandler = errors.New("smtpd: Options.Handler is required")
	// ErrNoAuthenticator: Options.RequireAuth without Options.Authenticate.
	ErrNoAuthenticator = errors.New("smtpd: Options.RequireAuth needs Options.Authenticate")
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("smtpd: server closed")
)

// ErrBadCredentials is what an Authenticate callback returns (or wraps)
// for a wrong user name or password: the client gets 535 5.7.8. Any other
// error is a temporary failure, 454 4.7.0.
var ErrBadCredentials = errors.New("smtpd: bad credentials")

// ErrSenderNotAllowed is what a SenderCheck callback returns (or wraps)
// for an address the user may not send as.
var ErrSenderNotAllowed = errors.New("smtpd: sender not allowed for this login")

// Options configure a Server. Pipeline, Aliases and Handler are required;
// every zero field takes the default written beside it.
type Options struct {
	// Pipeline decides each mail (inbound.New).
	Pipeline *inbound.Pipeline
	// Aliases is the store RCPT TO is checked against; give the
	// pipeline's. Unknown and disabled addresses are refused at RCPT.
	Aliases alias.Store
	// Router must be the pipeline's routing options (inbound.Options.Router),
	// so that RCPT and the pipeline agree. Nil: alias defaults.
	Router *alias.RouterOptions
	// VERP accepts the platform's VERP return paths as recipients, so that
	// bounces reach the pipeline; a forged token is refused like an unknown
	// address. Nil: only support addresses are recipients.
	VERP *bounce.VERP
	// Handler receives every decided mail. Required.
	Handler inbound.Handler

	// TrustedRelays are the networks of MTAs that relay mail into this
	// server (Postfix in front of an LMTP listener). For a session from
	// one of them, the client the pipeline authenticates (ClientIP, HELO)
	// is taken from the topmost Received field, which that relay wrote
	// ("from HELO (name [IP])"), instead of the relay itself; a mail
	// whose topmost Received field says nothing usable keeps the relay's
	// address. Never list a network anyone else can send from: its
	// Received fields would decide SPF. Empty: the connecting client is
	// the sender's server.
	TrustedRelays []netip.Prefix

	// LMTP serves LMTP (RFC 2033) instead of SMTP: LHLO instead of EHLO,
	// and one reply per recipient after the final dot.
	LMTP bool
	// Domain is the server's name in its greeting and Received lines.
	// Empty: "localhost".
	Domain string
	// TLSConfig turns STARTTLS on (RFC 3207). Nil: no STARTTLS.
	TLSConfig *tls.Config
	// Authenticate turns AUTH PLAIN on (RFC 4954, RFC 4616): it checks a
	// user name and password and returns nil, an error wrapping
	// ErrBadCredentials, or another error for a temporary failure. AUTH is
	// offered only over TLS unless AllowInsecureAuth. Nil: no AUTH.
	Authenticate func(ctx context.Context, user, pass string) error
	// AllowInsecureAuth offers AUTH without TLS (for loopback and tests).
	AllowInsecureAuth bool
	// RequireAuth refuses MAIL FROM with 530 5.7.0 until the session
	// authenticated: a submission port.
	RequireAuth bool
	// SenderCheck says whether an authenticated user may send as address,
	// the MAIL FROM (checked at MAIL) and every address of the From header
	// (checked after DATA). It returns nil, an error wrapping
	// ErrSenderNotAllowed (553 5.7.1 at MAIL, 550 5.7.1 after DATA), or
	// another error (451 4.3.0). With it, mail of authenticated sessions
	// goes through the pipeline's trusted path (inbound.Pipeline.Trusted):
	// its From is authenticated by the login, so an agent keeps its
	// privileges without SPF or DKIM. Nil: authenticated mail is decided
	// like any other, and only Delivery.Authenticated tells the host.
	SenderCheck func(ctx context.Context, user, address string) error

	// MaxMessageBytes: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxRecipients: DefaultMaxRecipients.
	MaxRecipients int
	// MaxSessions: DefaultMaxSessions.
	MaxSessions int
	// MaxSessionsPerIP: DefaultMaxSessionsPerIP. Behind an MTA that
	// connects from one address, set it to that MTA's concurrency.
	MaxSessionsPerIP int
	// CommandTimeout: DefaultCommandTimeout.
	CommandTimeout time.Duration
	// DataTimeout: DefaultDataTimeout.
	DataTimeout time.Duration
	// ProcessTimeout: DefaultProcessTimeout.
	ProcessTimeout time.Duration
	// MaxLineLength: DefaultMaxLineLength.
	MaxLineLength int
	// MaxMemory bounds the mail held in memory by all sessions together;
	// at least MaxMessageBytes. Zero: 4 x MaxMessageBytes.
	MaxMemory int
	// MaxAuthFailures: DefaultMaxAuthFailures.
	MaxAuthFailures int

	// Now is the clock of Received lines. Nil: time.Now.
	Now func() time.Time
	// Logger receives a line per session refused and per mail. Nil: no
	// logging. Passwords never reach it; client text is sanitised.
	Logger *slog.Logger
}

// Server is an SMTP or LMTP server that checks recipients against the
// alias store and hands each mail to the inbound pipeline and the host's
// Handler. Create it with New; it is safe for concurrent use.
type Server struct {
	o      Options
	router *alias.Router
	smtp   *smtp.Server
	mem    *memory
	ids    idSource

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	closing atomic.Bool
	mu      sync.Mutex
	perIP   map[string]int
	conns   map[*conn]struct{}
}

// New returns a Server for opts. It returns ErrNoPipeline, ErrNoAliases,
// ErrNoHandler or ErrNoAuthenticator when a required field is missing.
func New(opts *Options) (*Server, error) {
	if opts == nil || opts.Pipeline == nil {
		return nil, ErrNoPipeline
	}
	if opts.Aliases == nil {
		return nil, ErrNoAliases
	}
	if opts.Handler == nil {
		return nil, ErrNoHandler
	}
	if opts.RequireAuth && opts.Authenticate == nil {
		return nil, ErrNoAuthenticator
	}
	s := &Server{o: *opts, perIP: map[string]int{}, conns: map[*conn]struct{}{}}
	o := &s.o
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxMessageBytes, DefaultMaxMessageBytes)
	def(&o.MaxRecipients, DefaultMaxRecipients)
	def(&o.MaxSessions, DefaultMaxSessions)
	def(&o.MaxSessionsPerIP, DefaultMaxSessionsPerIP)
	def(&o.MaxLineLength, DefaultMaxLineLength)
	def(&o.MaxMemory, 4*o.MaxMessageBytes)
	def(&o.MaxAuthFailures, DefaultMaxAuthFailures)
	defd(&o.CommandTimeout, DefaultCommandTimeout)
	defd(&o.DataTimeout, DefaultDataTimeout)
	defd(&o.ProcessTimeout, DefaultProcessTimeout)
	if o.MaxMemory < o.MaxMessageBytes {
		o.MaxMemory = o.MaxMessageBytes
	}
	if o.Domain == "" {
		o.Domain = "localhost"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var err error
	if s.router, err = alias.NewRouter(o.Aliases, o.Router); err != nil {
		return nil, fmt.Errorf("smtpd: %w", err)
	}
	s.mem = newMemory(o.MaxMemory, o.MaxMessageBytes)
	s.ids = newIDSource(o.Now())
	s.ctx, s.cancel = context.WithCancel(context.Background())

	ss := smtp.NewServer(backend{s})
	ss.LMTP = o.LMTP
	ss.Domain = o.Domain
	ss.TLSConfig = o.TLSConfig
	ss.MaxMessageBytes = int64(o.MaxMessageBytes)
	ss.MaxRecipients = o.MaxRecipients
	ss.MaxLineLength = o.MaxLineLength
	ss.ReadTimeout = o.CommandTimeout
	ss.WriteTimeout = o.CommandTimeout
	ss.AllowInsecureAuth = o.AllowInsecureAuth
	ss.ErrorLog = errorLog{s}
	s.smtp = ss
	return s, nil
}

// Serve accepts sessions on l until Shutdown or Close, and then returns
// ErrServerClosed. A session over MaxSessions or MaxSessionsPerIP is
// answered 421 4.7.0 and closed without a goroutine of its own.
func (s *Server) Serve(l net.Listener) error {
	if s.closing.Load() {
		l.Close()
		return ErrServerClosed
	}
	err := s.smtp.Serve(&listener{Listener: l, s: s})
	if s.closing.Load() || errors.Is(err, net.ErrClosed) {
		return ErrServerClosed
	}
	return err
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting sessions, ends idle sessions with 421 4.4.2 and
// lets every mail being received or processed finish, then returns. If ctx
// ends first it returns ctx's error and the sessions left go on; call
// Close to end them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	for c := range s.conns {
		c.kickIfIdle()
	}
	s.mu.Unlock()
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close closes the listeners and every session at once; mails not yet
// acknowledged are not accepted (their senders retry). Processing under
// way sees its context cancelled.
func (s *Server) Close() error {
	s.closing.Store(true)
	s.cancel()
	err := s.smtp.Close()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Sessions returns how many sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if s.o.Logger != nil {
		s.o.Logger.LogAttrs(context.Background(), level, "smtpd: "+msg, attrs...)
	}
}

// errorLog sends go-smtp's internal errors to the Logger.
type errorLog struct{ s *Server }

func (e errorLog) Printf(format string, v ...any) {
	e.s.log(slog.LevelWarn, "server error", slog.String("error", sanitize(fmt.Sprintf(format, v...))))
}

func (e errorLog) Println(v ...any) {
	e.s.log(slog.LevelWarn, "server error", slog.String("error", sanitize(fmt.Sprint(v...))))
}
