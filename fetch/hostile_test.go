package fetch_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/fetch"
)

// imapScript answers each tagged command with answer(cmd), which writes
// whatever it likes; commands it does not know get "tag OK".
func imapScript(t *testing.T, greeting string, answer func(c net.Conn, tag, cmd string) bool) string {
	return rawServer(t, func(c net.Conn) {
		fmt.Fprint(c, greeting)
		for {
			line := readLine(c)
			if line == "" {
				return
			}
			tag, cmd, _ := strings.Cut(line, " ")
			up := strings.ToUpper(cmd)
			if answer(c, tag, up) {
				continue
			}
			switch {
			case strings.HasPrefix(up, "CAPABILITY"):
				fmt.Fprintf(c, "* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag)
			case strings.HasPrefix(up, "SELECT") || strings.HasPrefix(up, "EXAMINE"):
				fmt.Fprintf(c, "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n%s OK [READ-WRITE] done\r\n", tag)
			case strings.HasPrefix(up, "LOGOUT"):
				fmt.Fprintf(c, "* BYE\r\n%s OK bye\r\n", tag)
				return
			default:
				fmt.Fprintf(c, "%s OK done\r\n", tag)
			}
		}
	})
}

// endless writes b forever (until the client goes away).
func endless(c net.Conn, b []byte) {
	for {
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

// TestHostileServers: endless lines, huge literals and lying sizes cost
// bounded memory and time and end with clear errors.
func TestHostileServers(t *testing.T) {
	junk := []byte(strings.Repeat("x", 32<<10))
	const maxMsg = 1 << 20
	bigBody := strings.Repeat("y", 64) + "\r\n"
	for _, tc := range []struct {
		name    string
		proto   fetch.Protocol
		addr    func(t *testing.T) string
		want    error
		skipped bool
	}{
		{"imap endless greeting", fetch.IMAP, func(t *testing.T) string {
			return rawServer(t, func(c net.Conn) { c.Write([]byte("* OK ")); endless(c, junk) })
		}, fetch.ErrTooLong, false},
		{"imap huge literal", fetch.IMAP, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if strings.HasPrefix(cmd, "UID FETCH") && strings.Contains(cmd, "BODY") {
					fmt.Fprint(c, "* 1 FETCH (UID 1 BODY[] {4000000000}\r\n")
					endless(c, junk)
					return true
				}
				if strings.HasPrefix(cmd, "UID FETCH") {
					fmt.Fprintf(c, "* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n%s OK done\r\n", tag)
					return true
				}
				return false
			})
		}, fetch.ErrTooLong, false},
		{"imap lying size", fetch.IMAP, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if strings.HasPrefix(cmd, "UID FETCH") && strings.Contains(cmd, "BODY") {
					n := 2 * maxMsg
					fmt.Fprintf(c, "* 1 FETCH (UID 1 BODY[] {%d}\r\n", n)
					c.Write([]byte(strings.Repeat("z", n)))
					fmt.Fprintf(c, ")\r\n%s OK done\r\n", tag)
					return true
				}
				if strings.HasPrefix(cmd, "UID FETCH") {
					fmt.Fprintf(c, "* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n%s OK done\r\n", tag)
					return true
				}
				return false
			})
		}, fetch.ErrTooLong, true},
		{"imap announced too large", fetch.IMAP, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if strings.HasPrefix(cmd, "UID FETCH") && !strings.Contains(cmd, "BODY") {
					fmt.Fprintf(c, "* 1 FETCH (UID 1 RFC822.SIZE %d)\r\n%s OK done\r\n", 4*maxMsg, tag)
					return true
				}
				return false
			})
		}, nil, true},
		{"imap silent", fetch.IMAP, func(t *testing.T) string {
			return rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		}, fetch.ErrConnection, false},
		{"pop3 endless greeting", fetch.POP3, func(t *testing.T) string {
			return rawServer(t, func(c net.Conn) { c.Write([]byte("+OK ")); endless(c, junk) })
		}, fetch.ErrTooLong, false},
		{"pop3 endless message", fetch.POP3, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if strings.HasPrefix(cmd, "RETR") {
					c.Write([]byte("+OK\r\n"))
					endless(c, []byte(bigBody))
					return true
				}
				return false
			})
		}, fetch.ErrTooLong, true},
		{"pop3 endless listing", fetch.POP3, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if cmd == "UIDL" {
					// Buffered, so the listing passes the client's bound
					// long before its timeout even on a loaded machine
					// under -race (one write per line did not).
					w := bufio.NewWriterSize(c, 64<<10)
					w.WriteString("+OK\r\n")
					for i := 1; ; i++ {
						if _, err := fmt.Fprintf(w, "%d uid%d\r\n", i, i); err != nil {
							return true
						}
					}
				}
				return false
			})
		}, fetch.ErrTooLong, false},
		{"pop3 announced too large", fetch.POP3, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if cmd == "LIST" {
					fmt.Fprintf(c, "+OK\r\n1 %d\r\n.\r\n", 4*maxMsg)
					return true
				}
				return false
			})
		}, nil, true},
		{"pop3 garbage", fetch.POP3, func(t *testing.T) string {
			return rawServer(t, func(c net.Conn) { c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
		}, fetch.ErrConnection, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			h := newHarness(t)
			f := h.fetcher(t, &fetch.Options{MaxMessageBytes: maxMsg, Timeout: time.Second})
			host, port := splitHostPort(addr)
			src := &fetch.Source{Account: "acme", ID: "hostile", Protocol: tc.proto, Host: host, Port: port,
				TLS: fetch.TLSNone, Username: "u", Password: "p"}
			res, err := f.Fetch(context.Background(), src)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Fetch: %v, want %v", err, tc.want)
			}
			if tc.want != nil && !strings.HasPrefix(err.Error(), "fetch: hostile: ") {
				t.Errorf("error %q lacks its prefix", err)
			}
			if tc.skipped && (len(res.Skipped) != 1 || res.Skipped[0].Reason != "too_large") {
				t.Errorf("Skipped = %+v, want the too-large message", res.Skipped)
			}
			if len(h.filedIDs()) != 0 {
				t.Error("a hostile server's mail was delivered")
			}
			if tc.skipped {
				// Recorded as done: the next fetch moves on.
				if res, err := f.Fetch(context.Background(), src); err != nil || len(res.Skipped) != 0 {
					t.Errorf("second Fetch = %+v, %v; want nothing left to do", res, err)
				}
			}
		})
	}
}

// popScript is a POP3 server with one message (uid "m1", 10 octets) that
// lets answer override any command.
func popScript(t *testing.T, answer func(c net.Conn, cmd string) bool) string {
	return rawServer(t, func(c net.Conn) {
		fmt.Fprint(c, "+OK hi\r\n")
		for {
			line := readLine(c)
			if line == "" {
				return
			}
			cmd := strings.ToUpper(line)
			if answer(c, cmd) {
				continue
			}
			switch {
			case cmd == "UIDL":
				fmt.Fprint(c, "+OK\r\n1 m1\r\n.\r\n")
			case cmd == "LIST":
				fmt.Fprint(c, "+OK\r\n1 10\r\n.\r\n")
			case cmd == "QUIT":
				fmt.Fprint(c, "+OK bye\r\n")
				return
			default:
				fmt.Fprint(c, "+OK\r\n")
			}
		}
	})
}

// TestA13Classification: what counts as which failure.
func TestA13Classification(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto fetch.Protocol
		mode  fetch.TLSMode
		addr  func(t *testing.T) string
		want  error
		not   error
	}{
		{"pop3 [SYS/TEMP] at login is the server's trouble", fetch.POP3, fetch.TLSNone, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if strings.HasPrefix(cmd, "PASS") {
					fmt.Fprint(c, "-ERR [SYS/TEMP] database down\r\n")
					return true
				}
				return false
			})
		}, fetch.ErrConnection, fetch.ErrAuth},
		{"pop3 [AUTH] at login", fetch.POP3, fetch.TLSNone, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if strings.HasPrefix(cmd, "PASS") {
					fmt.Fprint(c, "-ERR [AUTH] no\r\n")
					return true
				}
				return false
			})
		}, fetch.ErrAuth, fetch.ErrConnection},
		{"pop3 without STLS", fetch.POP3, fetch.TLSStartTLS, func(t *testing.T) string {
			return popScript(t, func(c net.Conn, cmd string) bool {
				if cmd == "CAPA" {
					fmt.Fprint(c, "+OK\r\nUSER\r\n.\r\n")
					return true
				}
				return false
			})
		}, fetch.ErrConnection, fetch.ErrAuth},
		{"imap data injected after STARTTLS", fetch.IMAP, fetch.TLSStartTLS, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if cmd == "STARTTLS" {
					fmt.Fprintf(c, "%s OK begin TLS\r\n* OK injected\r\n", tag)
					return true
				}
				return false
			})
		}, fetch.ErrConnection, fetch.ErrAuth},
		{"imap STARTTLS refused", fetch.IMAP, fetch.TLSStartTLS, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if cmd == "STARTTLS" {
					fmt.Fprintf(c, "%s BAD no TLS here\r\n", tag)
					return true
				}
				return false
			})
		}, fetch.ErrConnection, fetch.ErrAuth},
		{"imap NO at login", fetch.IMAP, fetch.TLSNone, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if strings.HasPrefix(cmd, "LOGIN") {
					fmt.Fprintf(c, "%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", tag)
					return true
				}
				return false
			})
		}, fetch.ErrAuth, fetch.ErrConnection},
		{"imap hangs up at login", fetch.IMAP, fetch.TLSNone, func(t *testing.T) string {
			return imapScript(t, "* OK hi\r\n", func(c net.Conn, tag, cmd string) bool {
				if strings.HasPrefix(cmd, "LOGIN") {
					c.Close()
					return true
				}
				return false
			})
		}, fetch.ErrConnection, fetch.ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			f := h.fetcher(t, &fetch.Options{Timeout: 2 * time.Second})
			host, port := splitHostPort(tc.addr(t))
			src := &fetch.Source{Account: "acme", ID: "c", Protocol: tc.proto, Host: host, Port: port,
				TLS: tc.mode, Username: "u", Password: "p", InsecureSkipVerify: true}
			_, err := f.Fetch(context.Background(), src)
			if !errors.Is(err, tc.want) || errors.Is(err, tc.not) {
				t.Fatalf("Fetch: %v, want %v and not %v", err, tc.want, tc.not)
			}
		})
	}
}
