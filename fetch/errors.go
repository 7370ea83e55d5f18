package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/fetch/pop3"
)

// Errors of Fetch and Watch. An *Error matches the first three with
// errors.Is according to its Outcome.
var (
	// ErrAuth: the server refused the login, or the token source failed.
	ErrAuth = errors.New("fetch: authentication failed")
	// ErrCertificate: the server's certificate did not verify (unknown
	// authority, expired, wrong name). Reported apart from connection
	// failures, since the fix is on the server or in RootCAs.
	ErrCertificate = errors.New("fetch: certificate not valid")
	// ErrConnection: the server could not be reached, dropped the
	// connection, timed out or did not speak the protocol.
	ErrConnection = errors.New("fetch: connection failed")
	// ErrTooLong: the server sent a line, literal or message over the
	// bounds of Options (a hostile or broken server).
	ErrTooLong = errors.New("fetch: server response over the limit")
	// ErrDisabled: the source was disabled by its health record (A13) and
	// its settings did not change since; it is not contacted.
	ErrDisabled = errors.New("fetch: source disabled")
	// ErrNoPipeline and ErrNoHandler are returned by New without
	// Options.Pipeline or Options.Handler.
	ErrNoPipeline = errors.New("fetch: Options.Pipeline is required")
	ErrNoHandler  = errors.New("fetch: Options.Handler is required")
	// ErrNoHealthStore is returned by New for an Options.Health without a
	// Store.
	ErrNoHealthStore = errors.New("fetch: Options.Health.Store is required")
)

// Error is a failed attempt to read a source.
type Error struct {
	// Account and Source identify the source.
	Account string
	Source  string
	// Op is the step that failed: dial, tls, starttls, login, select,
	// list, fetch, flag, state.
	Op string
	// Outcome is how the attempt counts for the source's health.
	Outcome alias.FetchOutcome
	// Err is the cause. Its text never holds a password or token, and
	// server texts in it are sanitized.
	Err error
}

func (e *Error) Error() string {
	return "fetch: " + deskmail.SanitizeN(e.Source, 128) + ": " + e.Op + ": " + deskmail.SanitizeN(e.Err.Error(), 500)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches ErrAuth, ErrCertificate and ErrConnection by Outcome.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Outcome == alias.FetchAuthFailure
	case ErrCertificate:
		return e.Outcome == alias.FetchCertFailure
	case ErrConnection:
		return e.Outcome == alias.FetchConnFailure
	}
	return false
}

// IsCertificateError reports whether err comes from a certificate that did
// not verify.
func IsCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// connErr wraps err of step op as a connection failure, or a certificate
// failure when it is one. Bound violations also match ErrTooLong.
func (s *Source) connErr(op string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	o := alias.FetchConnFailure
	if IsCertificateError(err) {
		o = alias.FetchCertFailure
	}
	if errors.Is(err, pop3.ErrTooLong) && !errors.Is(err, ErrTooLong) {
		err = fmt.Errorf("%w: %w", ErrTooLong, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("connection closed by the server: %w", err)
	}
	return &Error{Account: s.Account, Source: s.ID, Op: op, Outcome: o, Err: err}
}

// authErr wraps a refused login. A network error during the login stays a
// connection failure.
func (s *Source) authErr(err error) *Error {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, ErrTooLong) || errors.Is(err, pop3.ErrTooLong) || errors.Is(err, pop3.ErrProtocol) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return s.connErr("login", err)
	}
	return &Error{Account: s.Account, Source: s.ID, Op: "login", Outcome: alias.FetchAuthFailure,
		Err: fmt.Errorf("%w: %s", ErrAuth, deskmail.SanitizeN(err.Error(), 200))}
}
