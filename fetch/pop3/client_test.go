package pop3

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// scripted is a net.Conn that reads a fixed server stream and records
// what the client writes.
type scripted struct {
	r       io.Reader
	written bytes.Buffer
}

func (s *scripted) Read(p []byte) (int, error)         { return s.r.Read(p) }
func (s *scripted) Write(p []byte) (int, error)        { return s.written.Write(p) }
func (s *scripted) Close() error                       { return nil }
func (s *scripted) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (s *scripted) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (s *scripted) SetDeadline(t time.Time) error      { return nil }
func (s *scripted) SetReadDeadline(t time.Time) error  { return nil }
func (s *scripted) SetWriteDeadline(t time.Time) error { return nil }

func client(t testing.TB, stream string, o *Options) (*Client, *scripted) {
	conn := &scripted{r: strings.NewReader(stream)}
	c, err := NewClient(context.Background(), conn, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, conn
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		line, text, code string
		temp, proto      bool
	}{
		{line: "+OK", text: ""},
		{line: "+OK 2 320", text: "2 320"},
		{line: "-ERR", code: ""},
		{line: "-ERR [AUTH] bad login", code: "AUTH"},
		{line: "-ERR [sys/temp] try later", code: "SYS/TEMP", temp: true},
		{line: "-ERR [IN-USE] locked", code: "IN-USE", temp: true},
		{line: "+OKAY", proto: true},
		{line: "* OK imap", proto: true},
		{line: "", proto: true},
	} {
		text, err := parseStatus("X", tc.line)
		var pe *Error
		switch {
		case tc.proto:
			if !errors.Is(err, ErrProtocol) {
				t.Errorf("%q: %v, want ErrProtocol", tc.line, err)
			}
		case strings.HasPrefix(tc.line, "-ERR"):
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Temporary() != tc.temp {
				t.Errorf("%q: %#v, want code %q temporary %v", tc.line, err, tc.code, tc.temp)
			}
		default:
			if err != nil || text != tc.text {
				t.Errorf("%q: %q, %v; want %q", tc.line, text, err, tc.text)
			}
		}
	}
}

func TestSession(t *testing.T) {
	stream := "+OK hi\r\n" +
		"+OK\r\nUSER\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\n.\r\n" + // CAPA
		"+OK\r\n+OK welcome\r\n" + // USER, PASS
		"+OK 2 30\r\n" + // STAT
		"+OK\r\n1 a1\r\n2 b2\r\n.\r\n" + // UIDL
		"+OK\r\n1 10\r\n2 20\r\n.\r\n" + // LIST
		"+OK\r\nSubject: x\r\n\r\n..dot\r\nline\r\n.\r\n" + // RETR 1
		"+OK\r\n-ERR [SYS/TEMP] busy\r\n+OK bye\r\n" // DELE 1, DELE 2, QUIT
	c, conn := client(t, stream, nil)
	ctx := context.Background()
	caps, err := c.Capabilities(ctx)
	if err != nil || len(caps["SASL"]) != 2 {
		t.Fatalf("CAPA = %v, %v", caps, err)
	}
	if err := c.Login(ctx, "u", "pw"); err != nil {
		t.Fatal(err)
	}
	if n, size, err := c.Stat(ctx); n != 2 || size != 30 || err != nil {
		t.Fatalf("STAT = %d %d %v", n, size, err)
	}
	if u, err := c.UIDL(ctx); err != nil || len(u) != 2 || u[1].UID != "b2" || u[1].ID != 2 {
		t.Fatalf("UIDL = %v, %v", u, err)
	}
	if l, err := c.List(ctx); err != nil || len(l) != 2 || l[1].Size != 20 {
		t.Fatalf("LIST = %v, %v", l, err)
	}
	msg, err := c.Retr(ctx, 1)
	if err != nil || string(msg) != "Subject: x\r\n\r\n.dot\r\nline\r\n" {
		t.Fatalf("RETR = %q, %v", msg, err)
	}
	if err := c.Dele(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var pe *Error
	if err := c.Dele(ctx, 2); !errors.As(err, &pe) || !pe.Temporary() {
		t.Fatalf("DELE 2: %v, want a temporary -ERR", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	want := "CAPA\r\nUSER u\r\nPASS pw\r\nSTAT\r\nUIDL\r\nLIST\r\nRETR 1\r\nDELE 1\r\nDELE 2\r\nQUIT\r\n"
	if conn.written.String() != want {
		t.Errorf("client wrote %q, want %q", conn.written.String(), want)
	}
}

func TestBounds(t *testing.T) {
	o := &Options{MaxLineBytes: 100, MaxMessageBytes: 1000}
	for _, tc := range []struct {
		name   string
		stream string
		run    func(c *Client) error
	}{
		{"long line", "+OK\r\n+OK " + strings.Repeat("x", 200) + "\r\n", func(c *Client) error { return c.Noop(context.Background()) }},
		{"long message", "+OK\r\n+OK\r\n" + strings.Repeat(strings.Repeat("y", 50)+"\r\n", 30) + ".\r\n", func(c *Client) error {
			_, err := c.Retr(context.Background(), 1)
			return err
		}},
		{"one long message line", "+OK\r\n+OK\r\n" + strings.Repeat("y", 5000) + "\r\n.\r\n", func(c *Client) error {
			_, err := c.Retr(context.Background(), 1)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := client(t, tc.stream, o)
			if err := tc.run(c); !errors.Is(err, ErrTooLong) {
				t.Fatalf("%v, want ErrTooLong", err)
			}
			if err := c.Noop(context.Background()); err == nil {
				t.Error("the client is usable after a bound was hit")
			}
		})
	}
}

// TestSTLSInjection: data sent after +OK to STLS, before the handshake, is
// refused.
func TestSTLSInjection(t *testing.T) {
	c, _ := client(t, "+OK\r\n+OK begin TLS\r\n+OK injected\r\n", nil)
	if err := c.StartTLS(context.Background(), &tls.Config{}); !errors.Is(err, ErrTLSBuffered) {
		t.Fatalf("StartTLS: %v, want ErrTLSBuffered", err)
	}
}

// FuzzClient runs a whole session against an arbitrary server stream: no
// panic, and nothing over the bounds.
func FuzzClient(f *testing.F) {
	f.Add("+OK\r\n+OK\r\nSTLS\r\n.\r\n+OK\r\n+OK\r\n+OK 1 5\r\n+OK\r\n1 a\r\n.\r\n+OK\r\n1 5\r\n.\r\n+OK\r\nab\r\n.\r\n+OK\r\n+OK\r\n")
	f.Add("+OK\r\n-ERR [AUTH] no\r\n")
	f.Add("+OK\r\n+OK\r\n.\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\n-ERR [AUTH] bad\r\n")
	f.Add("+OK\r\n+OK\r\n" + strings.Repeat("x", 300) + "\r\n")
	f.Fuzz(func(t *testing.T, stream string) {
		conn := &scripted{r: strings.NewReader(stream)}
		ctx := context.Background()
		c, err := NewClient(ctx, conn, &Options{MaxLineBytes: 128, MaxMessageBytes: 512})
		if err != nil {
			return
		}
		c.Capabilities(ctx)
		c.Login(ctx, "u", "p")
		c.Stat(ctx)
		if u, err := c.UIDL(ctx); err == nil {
			for _, m := range u {
				if m.UID == "" || m.ID <= 0 {
					t.Fatalf("UIDL entry %+v", m)
				}
			}
		}
		c.List(ctx)
		if msg, err := c.Retr(ctx, 1); err == nil && len(msg) > 512 {
			t.Fatalf("RETR gave %d bytes over the bound", len(msg))
		}
		c.Dele(ctx, 1)
		c.Quit(ctx)
	})
}
