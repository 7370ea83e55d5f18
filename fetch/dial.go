package fetch

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// tlsConfig returns the TLS configuration of src: verification on unless
// the source turned it off.
func (s *Source) tlsConfig() *tls.Config {
	name := s.ServerName
	if name == "" {
		name = s.Host
	}
	return &tls.Config{
		ServerName:         name,
		RootCAs:            s.RootCAs,
		InsecureSkipVerify: s.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
}

// dial connects to src, with TLS from the first byte for TLSImplicit.
func (f *Fetcher) dial(ctx context.Context, src *Source) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	conn, err := f.o.Dialer.DialContext(dctx, "tcp", src.addr())
	if err != nil {
		return nil, src.connErr("dial", err)
	}
	if src.tlsMode() != TLSImplicit {
		return conn, nil
	}
	tc, err := f.handshake(ctx, conn, src)
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// handshake runs the TLS handshake of src on conn.
func (f *Fetcher) handshake(ctx context.Context, conn net.Conn, src *Source) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	tc := tls.Client(conn, src.tlsConfig())
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, src.connErr("tls", err)
	}
	return tc, nil
}

// closeOnDone closes conn when ctx is done; the returned stop ends that.
func closeOnDone(ctx context.Context, conn net.Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { conn.Close() })
}

// imapConn bounds what an IMAP server may send (a hostile server must not
// cost unbounded memory): every line outside literals is at most maxLine
// bytes and every literal at most maxLit, checked on the raw stream before
// the IMAP parser sees it (go-imap allocates a literal's announced size at
// once). A violation fails the read with ErrTooLong and is remembered.
type imapConn struct {
	net.Conn
	maxLine int
	maxLit  int64

	mu  sync.Mutex
	err error
	// scanner state
	st      int
	num     int64
	digits  int
	lineLen int
	litLeft int64
}

func newIMAPConn(c net.Conn, maxLine int, maxLit int64) *imapConn {
	return &imapConn{Conn: c, maxLine: maxLine, maxLit: maxLit}
}

// failure returns the bound violation seen, if any.
func (c *imapConn) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *imapConn) Read(p []byte) (int, error) {
	if err := c.failure(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if serr := c.scan(p[:n]); serr != nil {
			c.mu.Lock()
			c.err = serr
			c.mu.Unlock()
			c.Conn.SetDeadline(time.Unix(1, 0))
			return 0, serr
		}
	}
	return n, err
}

// The scanner states: a literal announcement is "{" digits ["+"] "}" CRLF
// at the end of a line (RFC 3501 section 4.3, RFC 7888).
const (
	stText = iota
	stDigits
	stPlus
	stClose
	stCR
)

func (c *imapConn) scan(b []byte) error {
	for i := 0; i < len(b); i++ {
		if c.litLeft > 0 {
			n := int64(len(b) - i)
			if n > c.litLeft {
				n = c.litLeft
			}
			c.litLeft -= n
			i += int(n) - 1
			continue
		}
		ch := b[i]
		c.lineLen++
		if c.lineLen > c.maxLine {
			return errLineTooLong
		}
		switch {
		case ch == '{':
			c.st, c.num, c.digits = stDigits, 0, 0
			continue
		case c.st == stDigits && ch >= '0' && ch <= '9':
			if c.num <= c.maxLit {
				c.num = c.num*10 + int64(ch-'0')
			}
			c.digits++
			continue
		case c.st == stDigits && ch == '+' && c.digits > 0:
			c.st = stPlus
			continue
		case (c.st == stDigits && c.digits > 0 || c.st == stPlus) && ch == '}':
			c.st = stClose
			continue
		case c.st == stClose && ch == '\r':
			c.st = stCR
			continue
		case c.st == stCR && ch == '\n':
			c.st, c.lineLen = stText, 0
			if c.num > c.maxLit {
				return errLiteralTooLong
			}
			c.litLeft = c.num
			continue
		case ch == '\n':
			c.lineLen = 0
		}
		c.st = stText
	}
	return nil
}

var (
	errLineTooLong    = &boundError{"an IMAP line is longer than Options.MaxLineBytes"}
	errLiteralTooLong = &boundError{"an IMAP literal is larger than Options.MaxMessageBytes"}
)

// boundError is a bound violation; it matches ErrTooLong.
type boundError struct{ what string }

func (e *boundError) Error() string        { return ErrTooLong.Error() + ": " + e.what }
func (e *boundError) Is(target error) bool { return target == ErrTooLong }
