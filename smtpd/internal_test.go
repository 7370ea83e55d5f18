package smtpd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bufio"

	"github.com/emersion/go-message/textproto"
)

// TestMemoryBoundedAndDeadlockFree: many concurrent mails of every size
// against a budget of three of the largest: all are read, none exceeds
// the limit unnoticed, and the budget never goes negative.
func TestMemoryBoundedAndDeadlockFree(t *testing.T) {
	const limit = 256 << 10
	m := newMemory(3*limit, limit)
	smallFree, bigFree := m.small.free, m.big.free
	sizes := []int{0, 100, 70 << 10, 200 << 10, limit, limit + 1, 3 << 20}
	var wg sync.WaitGroup
	var held, peak atomic.Int64
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			size := sizes[i%len(sizes)]
			text := bytes.Repeat([]byte{'a' + byte(i%26)}, size)
			var hint int64
			if i%3 == 0 {
				hint = int64(size)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			msg, err := m.read(ctx, bytes.NewReader(text), hint, limit)
			if size > limit {
				if !errors.Is(err, errTooLarge) {
					errs <- errors.New("oversized mail not refused")
				}
				return
			}
			if err != nil {
				errs <- err
				return
			}
			h := held.Add(int64(cap(msg.buf)))
			for p := peak.Load(); h > p && !peak.CompareAndSwap(p, h); p = peak.Load() {
			}
			if !bytes.Equal(msg.text(), text) {
				errs <- errors.New("text changed")
			}
			time.Sleep(time.Millisecond)
			held.Add(-int64(cap(msg.buf)))
			msg.release()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Three large mails plus the small lane's floor.
	if p := peak.Load(); p > 3*limit+3*prefixRoom+2*smallLane {
		t.Errorf("peak %d bytes held", p)
	}
	if m.small.free != smallFree || m.big.free != bigFree || m.big.waiters.Len() != 0 || m.small.waiters.Len() != 0 {
		t.Errorf("budget not returned: small %d of %d, big %d of %d", m.small.free, smallFree, m.big.free, bigFree)
	}
}

// TestBudgetCancel: a waiter whose context ends leaves the queue, and the
// ones behind it are served.
func TestBudgetCancel(t *testing.T) {
	b := newBudget(10)
	if err := b.acquire(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.acquire(ctx, 5) }()
	time.Sleep(10 * time.Millisecond)
	if b.tryAcquire(1) {
		t.Fatal("tryAcquire jumped the queue")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire: %v", err)
	}
	if !b.tryAcquire(2) {
		t.Fatal("budget lost by the cancelled waiter")
	}
	b.release(10)
	if b.free != 10 {
		t.Fatalf("free %d", b.free)
	}
}

// TestStripAuthResults: RFC 8601 §5, forged verdicts of our authserv-id go;
// other servers' stay, and the body is untouched.
func TestStripAuthResults(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"none", "From: a\r\n\r\nbody\r\n", "From: a\r\n\r\nbody\r\n"},
		{"ours", "Authentication-Results: mx.desk.example; dmarc=pass\r\nFrom: a\r\n\r\nbody\r\n", "From: a\r\n\r\nbody\r\n"},
		{"ours folded, in the middle", "From: a\r\nauthentication-results:\r\n  MX.Desk.Example;\r\n dkim=pass\r\nTo: b\r\n\r\nx", "From: a\r\nTo: b\r\n\r\nx"},
		{"another server's stays", "Authentication-Results: mx.other.example; spf=pass\r\n\r\n", "Authentication-Results: mx.other.example; spf=pass\r\n\r\n"},
		{"two of ours, LF ends", "Authentication-Results: mx.desk.example; a\nX: 1\nAuthentication-Results: mx.desk.example (c); b\n\nbody Authentication-Results: mx.desk.example\n", "X: 1\n\nbody Authentication-Results: mx.desk.example\n"},
		{"prefix of the id is not the id", "Authentication-Results: mx.desk.example.evil; a\r\n\r\n", "Authentication-Results: mx.desk.example.evil; a\r\n\r\n"},
		{"no body", "Authentication-Results: mx.desk.example; a", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.in)
			n := stripAuthResults(b, []string{"mx.desk.example"})
			if got := string(b[n:]); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReceivedHELOSanitised: a hostile HELO cannot break the Received
// field.
func TestReceivedHELOSanitised(t *testing.T) {
	for in, want := range map[string]string{
		"mx.customer.example":    "mx.customer.example",
		"[192.0.2.1]":            "[192.0.2.1]",
		"evil)\r\nBcc: x(\x1b":   "evil___Bcc:_x__",
		"":                       "unknown",
		"bücher.example":         "b__cher.example",
		strings.Repeat("a", 300): strings.Repeat("a", 255),
	} {
		got := heloName(in)
		if got != want {
			t.Errorf("heloName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzStripAuthResults: whatever the header, the result keeps every
// other field and no field of ours, and the body is untouched.
func FuzzStripAuthResults(f *testing.F) {
	f.Add("Authentication-Results: mx.desk.example; dmarc=pass\r\nFrom: a\r\n\r\nbody\r\n")
	f.Add("From: a\r\nAuthentication-Results:\r\n mx.desk.example;\r\n\tdkim=pass\r\n\r\n")
	f.Add("Authentication-Results: mx.desk.example\nAuthentication-Results: other\n\n")
	f.Add("\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		b := []byte(in)
		n := stripAuthResults(b, []string{"mx.desk.example"})
		out := b[n:]
		if n < 0 || n > len(in) {
			t.Fatalf("offset %d", n)
		}
		hin, errIn := textproto.ReadHeader(bufio.NewReader(strings.NewReader(in)))
		hout, errOut := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(out)))
		if errIn != nil || errOut != nil {
			return
		}
		var want []string
		for f := hin.Fields(); f.Next(); {
			if strings.EqualFold(f.Key(), "Authentication-Results") && authServID(f.Value()) == "mx.desk.example" {
				continue
			}
			want = append(want, f.Key()+":"+f.Value())
		}
		var got []string
		for f := hout.Fields(); f.Next(); {
			got = append(got, f.Key()+":"+f.Value())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("fields %q, want %q", got, want)
		}
	})
}
