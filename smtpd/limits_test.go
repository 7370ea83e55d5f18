package smtpd_test

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/smtpd"
)

// TestHostile100MBRefused552: a client that streams 100 MB gets 552 5.3.4
// after the rest was read and dropped, the server's memory stays near the
// limit, and the session goes on.
func TestHostile100MBRefused552(t *testing.T) {
	const limit = 4 << 20
	r := newRig(t, func(o *smtpd.Options) { o.MaxMessageBytes = limit })
	l := dialLine(t, r.addr)
	l.reply()
	l.cmd("EHLO big.example")
	l.cmd("MAIL FROM:<big@customer.example>")
	expect(t, l.cmd("RCPT TO:<"+acmePlatform+">"), "250 ")
	expect(t, l.cmd("DATA"), "354 ")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lineText := strings.Repeat("x", 998) + "\r\n"
	chunk := []byte(strings.Repeat(lineText, 64))
	werr := make(chan error, 1)
	go func() {
		_, err := l.c.Write([]byte("Subject: big\r\n\r\n"))
		for sent := 0; sent < 100<<20 && err == nil; sent += len(chunk) {
			_, err = l.c.Write(chunk)
		}
		if err == nil {
			_, err = l.c.Write([]byte(".\r\n"))
		}
		werr <- err
	}()
	expect(t, l.reply(), "552 5.3.4 ")
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// The client's chunks and the server's buffer: far less than 100 MB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*limit {
		t.Errorf("allocated %d MiB while refusing 100 MB with a %d MiB limit", alloc>>20, limit>>20)
	}
	expect(t, l.cmd("NOOP"), "250 ")
	l.cmd("MAIL FROM:<mary@customer.example>")
	l.cmd("RCPT TO:<" + acmePlatform + ">")
	expect(t, l.cmd("DATA"), "354 ")
	expect(t, l.cmd(strings.TrimSuffix(testMail, "\r\n")+"\r\n."), "250 ")
	if n := len(r.deliveries()); n != 1 {
		t.Fatalf("%d deliveries, want the small mail only", n)
	}
}

// TestHostileDataNeverFinishes: DATA that stops in the middle is ended
// with 421 4.4.2 after DataTimeout, and nothing is delivered.
func TestHostileDataNeverFinishes(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.DataTimeout = 200 * time.Millisecond })
	l := dialLine(t, r.addr)
	l.reply()
	l.cmd("EHLO slow.example")
	l.cmd("MAIL FROM:<slow@customer.example>")
	l.cmd("RCPT TO:<" + acmePlatform + ">")
	expect(t, l.cmd("DATA"), "354 ")
	l.send("Subject: never ends\r\n\r\nand then nothing")
	expect(t, l.reply(), "421 4.4.2 ")
	if n := len(r.deliveries()); n != 0 {
		t.Fatalf("%d deliveries", n)
	}
}

// TestHostileIdleClient: a client that never sends a command is ended
// after CommandTimeout.
func TestHostileIdleClient(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.CommandTimeout = 200 * time.Millisecond })
	l := dialLine(t, r.addr)
	expect(t, l.reply(), "220 ")
	expect(t, l.reply(), "421 4.4.2 ")
}

// TestHostileBareLFAndNUL: bare LF is passed on as received and never ends
// DATA (no smuggled second message); NUL bytes are refused with 554 5.6.0.
func TestHostileBareLFAndNUL(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
		delivered        bool
	}{
		{"bare LF", "From: a@customer.example\nTo: support@acme.example\nSubject: lf\n\nbody\n", "250 ", true},
		{"LF.LF does not end DATA", "Subject: s\n\nbody\n.\nMAIL FROM:<x@y>\n", "250 ", true},
		{"LF.CRLF does not end DATA", "Subject: s\r\n\r\nbody\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<" + acmePlatform + ">\r\nDATA\r\nsmuggled\r\n", "250 ", true},
		{"NUL", "Subject: s\r\n\r\nab\x00cd\r\n", "554 5.6.0 ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			l := dialLine(t, r.addr)
			l.reply()
			l.cmd("EHLO c.example")
			l.cmd("MAIL FROM:<a@customer.example>")
			l.cmd("RCPT TO:<" + acmePlatform + ">")
			expect(t, l.cmd("DATA"), "354 ")
			l.send(tc.text)
			expect(t, l.cmd("\r\n."), tc.want)
			expect(t, l.cmd("NOOP"), "250 ")
			got := r.deliveries()
			if !tc.delivered {
				if len(got) != 0 {
					t.Fatalf("%d deliveries", len(got))
				}
				return
			}
			if len(got) != 1 || !strings.HasSuffix(string(got[0].Raw), tc.text+"\r\n") {
				t.Fatalf("deliveries %d; want one ending with the text as sent", len(got))
			}
		})
	}
}

// TestHostileThousandSessions: 1,000 sessions against a limit of 100: the
// rest are answered 421 at once, the goroutines stay bounded, and the
// sessions are released when the clients go.
func TestHostileThousandSessions(t *testing.T) {
	const limit, clients = 100, 1000
	r := newRig(t, func(o *smtpd.Options) { o.MaxSessions, o.MaxSessionsPerIP = limit, clients })
	base := runtime.NumGoroutine()
	conns := make([]net.Conn, 0, clients)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	count := map[string]int{}
	for i := 0; i < clients; i++ {
		c, err := net.Dial("tcp", r.addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(c, buf, 4)
		count[string(buf[:min(n, 9)])]++
	}
	if count["220 mx.de"] != limit || count["421 4.7.0"] != clients-limit {
		t.Errorf("greetings %v, want %d x 220 and %d x 421", count, limit, clients-limit)
	}
	if g := runtime.NumGoroutine() - base; g > 3*limit {
		t.Errorf("%d goroutines for %d sessions", g, limit)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	deadline := time.Now().Add(10 * time.Second)
	for r.srv.Sessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := r.srv.Sessions(); n != 0 {
		t.Fatalf("%d sessions left after the clients closed", n)
	}
	// A new client is served again.
	l := dialLine(t, r.addr)
	expect(t, l.reply(), "220 ")
}

// TestHostileSessionsPerIP: the per-address limit.
func TestHostileSessionsPerIP(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.MaxSessionsPerIP = 2 })
	a, b, c := dialLine(t, r.addr), dialLine(t, r.addr), dialLine(t, r.addr)
	expect(t, a.reply(), "220 ")
	expect(t, b.reply(), "220 ")
	expect(t, c.reply(), "421 4.7.0 ")
}

// TestHostileTenThousandRcpts: 10,000 RCPT TO in one pipelined burst: the
// first MaxRecipients are accepted, every other one is answered 452
// 4.5.3, and the mail reaches exactly the accepted ones.
func TestHostileTenThousandRcpts(t *testing.T) {
	const n = 10000
	r := newRig(t, nil)
	l := dialLine(t, r.addr)
	l.reply()
	l.cmd("EHLO many.example")
	go func() {
		var b strings.Builder
		b.WriteString("MAIL FROM:<many@customer.example>\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "RCPT TO:<support+%d@acme.desk.example>\r\n", i)
		}
		_, _ = l.c.Write([]byte(b.String()))
	}()
	expect(t, l.reply(), "250 ")
	codes := map[string]int{}
	for i := 0; i < n; i++ {
		codes[l.reply()[:9]]++
	}
	if codes["250 2.0.0"] != smtpd.DefaultMaxRecipients || codes["452 4.5.3"] != n-smtpd.DefaultMaxRecipients {
		t.Fatalf("replies %v", codes)
	}
	expect(t, l.cmd("DATA"), "354 ")
	expect(t, l.cmd(strings.TrimSuffix(testMail, "\r\n")+"\r\n."), "250 ")
	got := r.deliveries()
	if len(got) != 1 || len(got[0].Envelope.To) != smtpd.DefaultMaxRecipients {
		t.Fatalf("deliveries %d", len(got))
	}
}

// TestHostileLongLine: a line over MaxLineLength in DATA is answered 500
// 5.5.2 and nothing is delivered.
func TestHostileLongLine(t *testing.T) {
	r := newRig(t, func(o *smtpd.Options) { o.MaxLineLength = 1000 })
	l := dialLine(t, r.addr)
	l.reply()
	l.cmd("EHLO long.example")
	l.cmd("MAIL FROM:<a@customer.example>")
	l.cmd("RCPT TO:<" + acmePlatform + ">")
	expect(t, l.cmd("DATA"), "354 ")
	l.send("Subject: long\r\n\r\n" + strings.Repeat("y", 5000) + "\r\n.\r\n")
	expect(t, l.reply(), "500 5.5.2 ")
	if n := len(r.deliveries()); n != 0 {
		t.Fatalf("%d deliveries", n)
	}
}

// TestConcurrentNothingLost: 40 clients send 10 mails each over their own
// sessions; every acknowledged mail reached the handler exactly once.
func TestConcurrentNothingLost(t *testing.T) {
	r := newRig(t, nil)
	const clients, each = 40, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				m := strings.Replace(testMail, "<m1@customer.example>", fmt.Sprintf("<c%d-%d@customer.example>", i, j), 1)
				if err := send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(m)); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range r.deliveries() {
		if seen[d.Decision.MessageID] {
			t.Fatalf("%s delivered twice", d.Decision.MessageID)
		}
		seen[d.Decision.MessageID] = true
	}
	if len(seen) != clients*each {
		t.Fatalf("%d mails delivered, %d acknowledged", len(seen), clients*each)
	}
}
