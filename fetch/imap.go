package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/client"
	"github.com/emersion/go-sasl"

	"github.com/deskmail/deskmail"
)

// imapSession is one logged-in IMAP connection of a source.
type imapSession struct {
	f    *Fetcher
	src  *Source
	c    *client.Client
	bc   *imapConn
	raw  net.Conn
	stop func() bool
}

// openIMAP connects to src and logs in.
func (f *Fetcher) openIMAP(ctx context.Context, src *Source) (*imapSession, error) {
	raw, err := f.dial(ctx, src)
	if err != nil {
		return nil, err
	}
	s := &imapSession{f: f, src: src, raw: raw, stop: closeOnDone(ctx, raw)}
	conn := raw
	if src.tlsMode() == TLSStartTLS {
		if conn, err = f.imapStartTLS(ctx, raw, src); err != nil {
			s.close()
			return nil, err
		}
	}
	s.bc = newIMAPConn(conn, f.o.MaxLineBytes, int64(f.o.MaxMessageBytes))
	s.bc.SetDeadline(time.Now().Add(f.o.Timeout))
	c, err := client.New(s.bc)
	if err != nil {
		s.close()
		return nil, s.err("greeting", err)
	}
	s.c = c
	c.ErrorLog = log.New(io.Discard, "", 0)
	c.Timeout = f.o.Timeout
	if err := s.login(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *imapSession) close() {
	if s.c != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.c.Logout()
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	s.raw.Close()
	s.stop()
}

// err classifies err of step op: a bound violation or a lost connection is
// a connection failure; a certificate error is one.
func (s *imapSession) err(op string, err error) *Error {
	if bad := s.bc.failure(); bad != nil {
		err = bad
	}
	return s.src.connErr(op, err)
}

// dropped reports whether the connection is gone, so that an error is the
// connection's rather than the server's answer.
func (s *imapSession) dropped(err error) bool {
	if s.bc.failure() != nil {
		return true
	}
	select {
	case <-s.c.LoggedOut():
		return true
	default:
	}
	var ne net.Error
	return errors.As(err, &ne) || strings.HasPrefix(err.Error(), "imap: connection closed")
}

func (s *imapSession) login(ctx context.Context) error {
	var err error
	if s.src.mechanism() == MechPassword {
		err = s.c.Login(s.src.Username, s.src.Password)
	} else {
		var a sasl.Client
		host, port := s.src.Host, 0
		if ta, ok := s.raw.RemoteAddr().(*net.TCPAddr); ok {
			port = ta.Port
		}
		a, err = s.src.saslClient(ctx, host, port)
		if err == nil {
			err = s.c.Authenticate(a)
		}
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || s.dropped(err) {
		return s.err("login", err)
	}
	return s.src.authErr(err)
}

// imapStartTLS negotiates STARTTLS (RFC 3501 section 6.2.1) before the IMAP
// client starts, so that the bounds watch the decrypted stream and nothing
// the server sent in plaintext is read as if it came over TLS. The
// returned connection replays a greeting for the client.
func (f *Fetcher) imapStartTLS(ctx context.Context, conn net.Conn, src *Source) (net.Conn, error) {
	conn.SetDeadline(time.Now().Add(f.o.Timeout))
	br := bufio.NewReaderSize(io.LimitReader(conn, int64(f.o.MaxLineBytes)*4), 4096)
	line := func() (string, error) {
		b, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				err = errLineTooLong
			}
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	g, err := line()
	if err != nil {
		return nil, src.connErr("starttls", err)
	}
	if !strings.HasPrefix(strings.ToUpper(g), "* OK") {
		return nil, src.connErr("starttls", fmt.Errorf("greeting %q", deskmail.SanitizeN(g, 80)))
	}
	if _, err := io.WriteString(conn, "dm0 STARTTLS\r\n"); err != nil {
		return nil, src.connErr("starttls", err)
	}
	for {
		l, err := line()
		if err != nil {
			return nil, src.connErr("starttls", err)
		}
		if strings.HasPrefix(l, "* ") {
			continue
		}
		if !strings.HasPrefix(strings.ToUpper(l), "DM0 OK") {
			return nil, src.connErr("starttls", fmt.Errorf("STARTTLS refused: %q", deskmail.SanitizeN(l, 120)))
		}
		break
	}
	if br.Buffered() > 0 {
		return nil, src.connErr("starttls", errors.New("data after STARTTLS before the TLS handshake"))
	}
	tc, err := f.handshake(ctx, conn, src)
	if err != nil {
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return &greetConn{Conn: tc, greet: "* OK [deskmail] TLS started\r\n"}, nil
}

// greetConn replays a greeting before the stream of Conn.
type greetConn struct {
	net.Conn
	greet string
}

func (g *greetConn) Read(p []byte) (int, error) {
	if g.greet != "" {
		n := copy(p, g.greet)
		g.greet = g.greet[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}

// fetchIMAP is Fetch for an IMAP source.
func (f *Fetcher) fetchIMAP(ctx context.Context, src *Source, res *Result) error {
	s, err := f.openIMAP(ctx, src)
	if err != nil {
		return err
	}
	defer s.close()
	return s.pass(ctx, res)
}

// listed is one message of the mailbox: UID and announced size.
type listed struct {
	uid  uint32
	size int64
}
