package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Defaults of Options.
const (
	// DefaultMaxLineBytes bounds one response line: 8 KiB (RFC 1939 allows
	// 512 octets; RFC 2449 CAPA lines and banners stay far below this).
	DefaultMaxLineBytes = 8 << 10
	// DefaultMaxMessageBytes bounds one message read by Retr: 50 MiB.
	DefaultMaxMessageBytes = 50 << 20
	// DefaultTimeout bounds one command, its response included: 2 minutes.
	DefaultTimeout = 2 * time.Minute
)

// Errors of the client.
var (
	// ErrTooLong: a line, a listing or a message exceeded its bound. The
	// connection is unusable afterwards; close it.
	ErrTooLong = errors.New("pop3: response over the limit")
	// ErrProtocol: the server sent something that is not POP3.
	ErrProtocol = errors.New("pop3: malformed response")
	// ErrTLSBuffered: the server sent data after +OK to STLS and before the
	// TLS handshake (an injection attempt); the connection is closed.
	ErrTLSBuffered = errors.New("pop3: data before the TLS handshake")
)

// Error is a -ERR answer of the server.
type Error struct {
	// Command is the command refused (USER, PASS, AUTH, RETR ...), without
	// its arguments.
	Command string
	// Code is the RFC 2449 response code, upper case, without brackets
	// ("AUTH", "SYS/TEMP", "IN-USE", "LOGIN-DELAY"), or "".
	Code string
	// Text is the server's text, sanitized.
	Text string
}

func (e *Error) Error() string {
	s := "pop3: " + e.Command + ": -ERR"
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	if e.Text != "" {
		s += " " + e.Text
	}
	return s
}

// Temporary reports whether the server said the failure is temporary (RFC
// 2449 SYS/TEMP, IN-USE, LOGIN-DELAY; RFC 3206).
func (e *Error) Temporary() bool {
	switch e.Code {
	case "SYS/TEMP", "IN-USE", "LOGIN-DELAY":
		return true
	}
	return false
}

// Options bound a Client. Nil or zero fields take the defaults.
type Options struct {
	// MaxLineBytes bounds a response line. Zero: DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxMessageBytes bounds a message read by Retr and a listing read by
	// List or UIDL. Zero: DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Timeout bounds each command with its response; the context's deadline
	// applies too when it is earlier. Zero: DefaultTimeout.
	Timeout time.Duration
}

// Client is a POP3 client session on one connection. It is not safe for
// concurrent use: POP3 is one command at a time.
type Client struct {
	conn    net.Conn
	budget  budgetReader
	br      *bufio.Reader
	maxLine int
	maxMsg  int
	timeout time.Duration
	isTLS   bool
	broken  error
}

// budgetReader reads from r until n bytes are spent, then fails with
// ErrTooLong: every command sets the budget its response may use, so a
// server that talks forever costs bounded memory.
type budgetReader struct {
	r io.Reader
	n int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, ErrTooLong
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// NewClient starts a session on conn: it reads the greeting. The caller
// has dialled conn (and wrapped it in TLS for implicit TLS, port 995).
// Close closes conn.
func NewClient(ctx context.Context, conn net.Conn, opts *Options) (*Client, error) {
	c := &Client{conn: conn, maxLine: DefaultMaxLineBytes, maxMsg: DefaultMaxMessageBytes, timeout: DefaultTimeout}
	if opts != nil {
		if opts.MaxLineBytes > 0 {
			c.maxLine = opts.MaxLineBytes
		}
		if opts.MaxMessageBytes > 0 {
			c.maxMsg = opts.MaxMessageBytes
		}
		if opts.Timeout > 0 {
			c.timeout = opts.Timeout
		}
	}
	_, c.isTLS = conn.(*tls.Conn)
	c.reset(conn)
	err := c.do(ctx, "greeting", "", func() error {
		_, err := c.status("greeting")
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) reset(r io.Reader) {
	c.budget = budgetReader{r: r}
	c.br = bufio.NewReaderSize(&c.budget, 4096)
}

// IsTLS reports whether the session runs over TLS.
func (c *Client) IsTLS() bool { return c.isTLS }

// Close closes the connection without QUIT: the server discards the
// deletions of the session (RFC 1939 section 6).
func (c *Client) Close() error { return c.conn.Close() }

// do runs one exchange: it sets the deadline and the read budget, writes
// line (when not empty) and runs read, closing the connection when ctx is
// done meanwhile.
func (c *Client) do(ctx context.Context, cmd, line string, read func() error) error {
	if c.broken != nil {
		return c.broken
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dl := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.budget.n = int64(c.maxLine) + 2
	err := func() error {
		if line != "" {
			if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
				return err
			}
		}
		return read()
	}()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		var pe *Error
		if !errors.As(err, &pe) {
			// A broken exchange leaves the stream out of step: nothing more
			// can be read from it.
			c.broken = fmt.Errorf("pop3: connection unusable after %s: %w", cmd, err)
			if errors.Is(err, ErrTooLong) || errors.Is(err, ErrProtocol) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("pop3: %s: %w", cmd, err)
		}
	}
	return err
}

// readLine reads one line of at most max bytes, without its line end.
func (c *Client) readLine(max int) ([]byte, error) {
	var acc []byte
	for {
		frag, err := c.br.ReadSlice('\n')
		if err == nil || err == bufio.ErrBufferFull {
			if len(acc)+len(frag) > max+2 {
				return nil, ErrTooLong
			}
			if err == nil {
				if acc == nil {
					acc = frag
				} else {
					acc = append(acc, frag...)
				}
				return bytes.TrimRight(acc, "\r\n"), nil
			}
			acc = append(acc, frag...)
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

// status reads a status line: the text after +OK, or an *Error for -ERR.
func (c *Client) status(cmd string) (string, error) {
	line, err := c.readLine(c.maxLine)
	if err != nil {
		return "", err
	}
	return parseStatus(cmd, string(line))
}

// parseStatus parses a POP3 status line (RFC 1939 section 3, RFC 2449
// response codes).
func parseStatus(cmd, line string) (string, error) {
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(line, "+OK"), " "), nil
	case line == "-ERR" || strings.HasPrefix(line, "-ERR "):
		text := strings.TrimPrefix(strings.TrimPrefix(line, "-ERR"), " ")
		e := &Error{Command: cmd}
		if strings.HasPrefix(text, "[") {
			if i := strings.IndexByte(text, ']'); i > 0 && i < 64 {
				e.Code = strings.ToUpper(text[1:i])
				text = strings.TrimSpace(text[i+1:])
			}
		}
		e.Text = deskmail.SanitizeN(text, 200)
		return "", e
	}
	return "", fmt.Errorf("%w: %s answered %q", ErrProtocol, cmd, deskmail.SanitizeN(line, 64))
}

// readMulti reads a multi-line body (RFC 1939 section 3) up to its
// terminating ".", dot-unstuffed, with CRLF line ends, of at most max
// bytes.
func (c *Client) readMulti(max int) ([]byte, error) {
	c.budget.n = int64(max) + int64(max)/8 + int64(c.maxLine) + 64
	var out bytes.Buffer
	for {
		line, err := c.readLine(max)
		if err != nil {
			return nil, err
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				return out.Bytes(), nil
			}
			line = line[1:]
		}
		if out.Len()+len(line)+2 > max {
			return nil, ErrTooLong
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
}

// cmd runs a command answered by one status line and returns its text.
func (c *Client) cmd(ctx context.Context, name, line string) (string, error) {
	var text string
	err := c.do(ctx, name, line, func() error {
		var err error
		text, err = c.status(name)
		return err
	})
	return text, err
}

// Capabilities sends CAPA (RFC 2449) and returns the capabilities, upper
// case, each with its arguments. A server without CAPA answers -ERR: the
// result is then empty and the error nil.
func (c *Client) Capabilities(ctx context.Context) (map[string][]string, error) {
	caps := map[string][]string{}
	err := c.do(ctx, "CAPA", "CAPA", func() error {
		if _, err := c.status("CAPA"); err != nil {
			return err
		}
		body, err := c.readMulti(64 << 10)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(body), "\r\n") {
			f := strings.Fields(l)
			if len(f) > 0 {
				caps[strings.ToUpper(f[0])] = f[1:]
			}
		}
		return nil
	})
	var pe *Error
	if errors.As(err, &pe) {
		return caps, nil
	}
	return caps, err
}

// StartTLS sends STLS (RFC 2595) and runs the TLS handshake with config.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	if _, err := c.cmd(ctx, "STLS", "STLS"); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		c.broken = ErrTLSBuffered
		c.conn.Close()
		return ErrTLSBuffered
	}
	tc := tls.Client(c.conn, config)
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.broken = err
		return err
	}
	c.conn, c.isTLS = tc, true
	c.reset(tc)
	return nil
}

// Login authenticates with USER and PASS (RFC 1939 section 7). The
// password never appears in an error.
func (c *Client) Login(ctx context.Context, user, pass string) error {
	if strings.ContainsAny(user, "\r\n") || strings.ContainsAny(pass, "\r\n") {
		return fmt.Errorf("%w: user name or password holds a line break", ErrProtocol)
	}
	if _, err := c.cmd(ctx, "USER", "USER "+user); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "PASS", "PASS "+pass)
	return err
}

// Stat returns the number of messages and their total size (STAT).
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	text, err := c.cmd(ctx, "STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("%w: STAT answered %q", ErrProtocol, deskmail.SanitizeN(text, 64))
	}
	n, err1 := strconv.Atoi(f[0])
	s, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || n < 0 || s < 0 {
		return 0, 0, fmt.Errorf("%w: STAT answered %q", ErrProtocol, deskmail.SanitizeN(text, 64))
	}
	return n, s, nil
}

// Message is one line of a UIDL or LIST listing.
type Message struct {
	// ID is the message number of this session (1-based).
	ID int
	// UID is the unique id (UIDL), "" in a LIST listing.
	UID string
	// Size is the size in octets (LIST), 0 in a UIDL listing.
	Size int64
}

// UIDL returns the unique id of every message (RFC 1939 section 7).
func (c *Client) UIDL(ctx context.Context) ([]Message, error) {
	return c.listing(ctx, "UIDL", func(m *Message, arg string) error {
		if arg == "" || len(arg) > 70 {
			return fmt.Errorf("%w: UIDL id of %d bytes", ErrProtocol, len(arg))
		}
		for i := 0; i < len(arg); i++ {
			if arg[i] < 0x21 || arg[i] > 0x7e {
				return fmt.Errorf("%w: UIDL id holds byte %#x", ErrProtocol, arg[i])
			}
		}
		m.UID = arg
		return nil
	})
}

// List returns the size of every message (LIST).
func (c *Client) List(ctx context.Context) ([]Message, error) {
	return c.listing(ctx, "LIST", func(m *Message, arg string) error {
		s, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || s < 0 {
			return fmt.Errorf("%w: LIST size %q", ErrProtocol, deskmail.SanitizeN(arg, 32))
		}
		m.Size = s
		return nil
	})
}

func (c *Client) listing(ctx context.Context, cmd string, parse func(*Message, string) error) ([]Message, error) {
	var out []Message
	err := c.do(ctx, cmd, cmd, func() error {
		if _, err := c.status(cmd); err != nil {
			return err
		}
		body, err := c.readMulti(c.maxMsg)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(body), "\r\n") {
			if l == "" {
				continue
			}
			id, arg, _ := strings.Cut(strings.TrimSpace(l), " ")
			n, err := strconv.Atoi(id)
			if err != nil || n <= 0 {
				return fmt.Errorf("%w: %s line %q", ErrProtocol, cmd, deskmail.SanitizeN(l, 64))
			}
			m := Message{ID: n}
			if err := parse(&m, strings.TrimSpace(arg)); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// Retr returns message id (RETR), dot-unstuffed, with CRLF line ends. A
// message over Options.MaxMessageBytes fails with ErrTooLong, whatever
// size the server announced.
func (c *Client) Retr(ctx context.Context, id int) ([]byte, error) {
	var msg []byte
	err := c.do(ctx, "RETR", "RETR "+strconv.Itoa(id), func() error {
		if _, err := c.status("RETR"); err != nil {
			return err
		}
		var err error
		msg, err = c.readMulti(c.maxMsg)
		return err
	})
	return msg, err
}

// Dele marks message id deleted (DELE); the server removes it at Quit.
func (c *Client) Dele(ctx context.Context, id int) error {
	_, err := c.cmd(ctx, "DELE", "DELE "+strconv.Itoa(id))
	return err
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP", "NOOP")
	return err
}

// Quit ends the session (QUIT): the server removes the messages marked
// deleted, then the connection is closed.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, "QUIT", "QUIT")
	c.conn.Close()
	return err
}
