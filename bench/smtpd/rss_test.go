package smtpd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

const (
	rssSessions = 200
	rssMailSize = 25_000_000
	rssTarget   = 200 << 20
)

// TestPeakRSS sends 200 concurrent 25 MB mails to a server in a
// subprocess and reports its peak resident set, which must stay under 200
// MB: the memory budget (smtpd.Options.MaxMemory, 100 MiB by default)
// holds back the sessions it cannot serve yet. Set DESKMAIL_SMTPD_RSS=1.
func TestPeakRSS(t *testing.T) {
	if os.Getenv("DESKMAIL_SMTPD_RSS") == "" {
		t.Skip("DESKMAIL_SMTPD_RSS not set: this test moves 5 GB over loopback")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v")
	cmd.Env = append(os.Environ(), "DESKMAIL_SMTPD_RSS_CHILD=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := bufio.NewScanner(stdout)
	field := func(name string) string {
		for out.Scan() {
			if v, ok := strings.CutPrefix(out.Text(), name+" "); ok {
				return v
			}
		}
		t.Fatalf("child said no %s: %v", name, out.Err())
		return ""
	}
	addr := field("ADDR")

	start := time.Now()
	line := []byte(strings.Repeat("0123456789", 99) + "..\r\n")
	var wg sync.WaitGroup
	errs := make(chan error, rssSessions)
	for i := 0; i < rssSessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- sendBig(addr, i, line)
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	stdin.Close()
	hwm, _ := strconv.Atoi(strings.TrimSuffix(field("VMHWM"), " kB"))
	delivered := field("DELIVERED")
	_ = cmd.Wait()
	t.Logf("%d sessions x %d bytes in %v: %s delivered, peak RSS (VmHWM) %d MiB", rssSessions, rssMailSize, elapsed.Round(time.Millisecond), delivered, hwm>>10)
	if delivered != strconv.Itoa(rssSessions) {
		t.Errorf("delivered %s of %d", delivered, rssSessions)
	}
	if hwm<<10 > rssTarget {
		t.Errorf("peak RSS %d MiB, target under %d MiB", hwm>>10, rssTarget>>20)
	}
}

func sendBig(addr string, i int, line []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.customer.example"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	head := fmt.Sprintf("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: big %d\r\nMessage-ID: <big%d@customer.example>\r\n\r\n", i, i)
	n, _ := io.WriteString(w, head)
	for n+len(line) <= rssMailSize {
		m, err := w.Write(line)
		if err != nil {
			return err
		}
		n += m
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail %d: %w", i, err)
	}
	return c.Quit()
}

// TestRSSChild is the server side of TestPeakRSS.
func TestRSSChild(t *testing.T) {
	if os.Getenv("DESKMAIL_SMTPD_RSS_CHILD") == "" {
		t.Skip("the subprocess of TestPeakRSS")
	}
	var delivered int64
	var mu sync.Mutex
	srv := newDeskmail(t, func(o *smtpd.Options) {
		h := o.Handler
		o.Handler = inbound.HandlerFunc(func(ctx context.Context, d *inbound.Delivery) error {
			if err := h.Deliver(ctx, d); err != nil {
				return err
			}
			mu.Lock()
			delivered++
			mu.Unlock()
			return nil
		})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	fmt.Printf("ADDR %s\n", l.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	status, _ := os.ReadFile("/proc/self/status")
	for _, s := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(s, "VmHWM:"); ok {
			fmt.Printf("VMHWM %s\n", strings.TrimSpace(v))
		}
	}
	mu.Lock()
	fmt.Printf("DELIVERED %d\n", delivered)
	mu.Unlock()
}
