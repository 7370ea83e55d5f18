package fetch_test

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/deskmail/deskmail/fetch"
)

// fakePOP3 is a small RFC 1939 server in memory on loopback, for the
// Example and for the tests that must run without Dovecot.
type fakePOP3 struct {
	addr  string
	user  string
	pass  string
	token string // XOAUTH2 token, "" without AUTH

	mu    sync.Mutex
	msgs  []fakeMsg
	seq   int
	conns int
}

type fakeMsg struct {
	uid  string
	body []byte
}

func newFakePOP3(t testing.TB) *fakePOP3 {
	t.Helper()
	p := &fakePOP3{user: "mary", pass: "secret-pass"}
	p.addr = rawServer(t, p.serve)
	return p
}

// newFakePOP3S is newFakePOP3 over implicit TLS with cfg.
func newFakePOP3S(t testing.TB, cfg *tls.Config) *fakePOP3 {
	t.Helper()
	p := &fakePOP3{user: "mary", pass: "secret-pass"}
	p.addr = rawServer(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		p.serve(tc)
	})
	return p
}

// examplePOP3 serves a fakePOP3 holding bodies until the listener is
// closed, without a testing.T (for the Example).
func examplePOP3(user, pass string, bodies ...[]byte) (p *fakePOP3, ln net.Listener) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	p = &fakePOP3{user: user, pass: pass, addr: ln.Addr().String()}
	p.add(bodies...)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				p.serve(c)
			}()
		}
	}()
	return p, ln
}

func (p *fakePOP3) add(bodies ...[]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range bodies {
		p.seq++
		p.msgs = append(p.msgs, fakeMsg{uid: fmt.Sprintf("uid-%04d", p.seq), body: b})
	}
}

func (p *fakePOP3) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.msgs)
}

func (p *fakePOP3) source(id string) *fetch.Source {
	host, port := splitHostPort(p.addr)
	return &fetch.Source{Account: "acme", ID: id, Address: "support@acme.example", Protocol: fetch.POP3,
		Host: host, Port: port, TLS: fetch.TLSNone, Username: p.user, Password: p.pass}
}

func (p *fakePOP3) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

func (p *fakePOP3) serve(c net.Conn) {
	p.mu.Lock()
	p.conns++
	// The session sees the messages as they were at login (RFC 1939).
	msgs := append([]fakeMsg(nil), p.msgs...)
	p.mu.Unlock()
	br := bufio.NewReader(c)
	w := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	w("+OK fake POP3 ready")
	deleted := map[int]bool{}
	authed, user := false, ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd, arg, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		n := 0
		fmt.Sscan(arg, &n)
		if !authed && cmd != "USER" && cmd != "PASS" && cmd != "CAPA" && cmd != "AUTH" && cmd != "QUIT" {
			w("-ERR authenticate first")
			continue
		}
		switch cmd {
		case "CAPA":
			w("+OK")
			w("USER")
			w("UIDL")
			if p.token != "" {
				w("SASL XOAUTH2 OAUTHBEARER")
			}
			w(".")
		case "USER":
			user = arg
			w("+OK")
		case "PASS":
			if user == p.user && arg == p.pass {
				authed = true
				w("+OK logged in")
			} else {
				w("-ERR [AUTH] invalid login")
			}
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			dec, _ := base64.StdEncoding.DecodeString(ir)
			mech = strings.ToUpper(mech)
			if (mech == "XOAUTH2" && strings.HasPrefix(string(dec), "user="+p.user+"\x01") || mech == "OAUTHBEARER") &&
				p.token != "" && strings.Contains(string(dec), "auth=Bearer "+p.token+"\x01") {
				authed = true
				w("+OK logged in")
				continue
			}
			w("+ " + base64.StdEncoding.EncodeToString([]byte(`{"status":"401"}`)))
			br.ReadString('\n')
			w("-ERR [AUTH] invalid token")
		case "STAT":
			size := 0
			for i, m := range msgs {
				if !deleted[i+1] {
					size += len(m.body)
				}
			}
			w("+OK %d %d", len(msgs)-len(deleted), size)
		case "LIST", "UIDL":
			w("+OK")
			for i, m := range msgs {
				if deleted[i+1] {
					continue
				}
				if cmd == "LIST" {
					w("%d %d", i+1, len(m.body))
				} else {
					w("%d %s", i+1, m.uid)
				}
			}
			w(".")
		case "RETR":
			if n < 1 || n > len(msgs) || deleted[n] {
				w("-ERR no such message")
				continue
			}
			w("+OK %d octets", len(msgs[n-1].body))
			for _, l := range strings.SplitAfter(string(msgs[n-1].body), "\n") {
				if l == "" {
					continue
				}
				l = strings.TrimRight(l, "\r\n")
				if strings.HasPrefix(l, ".") {
					l = "." + l
				}
				w("%s", l)
			}
			w(".")
		case "DELE":
			if n < 1 || n > len(msgs) || deleted[n] {
				w("-ERR no such message")
				continue
			}
			deleted[n] = true
			w("+OK deleted")
		case "NOOP":
			w("+OK")
		case "QUIT":
			p.mu.Lock()
			keep := p.msgs[:0]
			for _, m := range p.msgs {
				gone := false
				for i, s := range msgs {
					if deleted[i+1] && s.uid == m.uid {
						gone = true
					}
				}
				if !gone {
					keep = append(keep, m)
				}
			}
			p.msgs = keep
			p.mu.Unlock()
			w("+OK bye")
			return
		default:
			w("-ERR unknown command")
		}
	}
}
