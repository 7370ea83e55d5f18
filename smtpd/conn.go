package smtpd

import (
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"time"
)

// listener counts sessions per client address and in total, and refuses
// those over the limits before go-smtp starts a goroutine for them.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		s := l.s
		ip := clientIP(nc.RemoteAddr())
		s.mu.Lock()
		var refuse string
		switch {
		case len(s.conns) >= s.o.MaxSessions:
			refuse = "too many sessions, try again later"
		case s.perIP[ip] >= s.o.MaxSessionsPerIP:
			refuse = "too many sessions from your address, try again later"
		}
		if refuse == "" {
			c := &conn{Conn: nc, s: s, ip: ip}
			s.conns[c] = struct{}{}
			s.perIP[ip]++
			s.mu.Unlock()
			return c, nil
		}
		s.mu.Unlock()
		// A fresh socket takes a short reply without blocking; the
		// deadline covers a peer that never reads.
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write([]byte("421 4.7.0 " + s.o.Domain + " " + refuse + "\r\n"))
		_ = nc.Close()
		s.log(slog.LevelInfo, "session refused", slog.String("client_ip", ip), slog.String("reason", refuse))
	}
}

// conn is one accepted session. It keeps the counts of the listener and
// the read deadline under the server's control during Shutdown: a session
// outside DATA is ended at its next read, one inside DATA finishes first.
type conn struct {
	net.Conn
	s  *Server
	ip string

	mu     sync.Mutex
	inData bool
	closed bool
}

func (c *conn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		if c.s.perIP[c.ip]--; c.s.perIP[c.ip] <= 0 {
			delete(c.s.perIP, c.ip)
		}
		c.s.mu.Unlock()
	}
	return c.Conn.Close()
}

// past is a deadline that has passed: the next read fails at once.
var past = time.Unix(1, 0)

func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.closing.Load() && !c.inData {
		t = past
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// beginData marks the session as receiving a mail until endData, with a
// read deadline for the whole of DATA.
func (c *conn) beginData(deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inData = true
	_ = c.Conn.SetReadDeadline(deadline)
}

func (c *conn) endData() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inData = false
}

// kickIfIdle ends the wait for the next command of a session outside DATA
// (go-smtp answers 421 4.4.2 and closes it).
func (c *conn) kickIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.inData {
		_ = c.Conn.SetReadDeadline(past)
	}
}

// ownConn finds the conn under nc, which is a *conn or, after STARTTLS, a
// *tls.Conn over one.
func ownConn(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
}

func clientIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip := ta.AddrPort().Addr().Unmap(); ip.IsValid() {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
