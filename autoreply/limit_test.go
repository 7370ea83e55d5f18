package autoreply_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/autoreply/autoreplytest"
)

func TestMemoryStore(t *testing.T) {
	autoreplytest.TestStore(t, func(t *testing.T) autoreply.Store { return autoreply.NewMemoryStore() })
}

func TestMemoryStoreShared(t *testing.T) {
	s := autoreply.NewMemoryStore()
	autoreplytest.TestStore(t, func(t *testing.T) autoreply.Store { return s })
}

func TestLimiter(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	l := autoreply.NewLimiter(nil, &autoreply.LimitOptions{
		Limit: 2, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	for i, rcpt := range []string{"Bob@Example.com", "bob@example.COM", "\"Bob\" <bob@example.com>"} {
		r, err := l.Allow(ctx, "acct", rcpt)
		if err != nil {
			t.Fatal(err)
		}
		if want := i < 2; r.Reserved != want {
			t.Errorf("L2/mail %d to %s: reserved %v, want %v", i+1, rcpt, r.Reserved, want)
		}
	}
	if !strings.Contains(logs.String(), "daily limit reached") {
		t.Errorf("L2/no log line when held back: %q", logs.String())
	}
	if _, err := l.Allow(ctx, "acct", "not an address"); !errors.Is(err, autoreply.ErrInvalidRecipient) {
		t.Errorf("L2/invalid recipient: %v", err)
	}
	if _, err := l.Allow(ctx, "", "bob@example.com"); !errors.Is(err, autoreply.ErrEmptyKey) {
		t.Errorf("L2/empty account: %v", err)
	}
	now = now.Add(24 * time.Hour)
	if r, _ := l.Allow(ctx, "acct", "bob@example.com"); !r.Reserved {
		t.Error("L2/next day: held back")
	}
	if d := l.Day(); !d.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("L2/Day = %v", d)
	}

	none := autoreply.NewLimiter(nil, &autoreply.LimitOptions{Limit: -1})
	if r, _ := none.Allow(ctx, "acct", "bob@example.com"); r.Reserved {
		t.Error("L2/negative limit reserved")
	}
	def := autoreply.NewLimiter(nil, nil)
	n := 0
	for i := 0; i < 10; i++ {
		if r, _ := def.Allow(ctx, "acct", "bob@example.com"); r.Reserved {
			n++
		}
	}
	if n != autoreply.DefaultLimit {
		t.Errorf("L2/default limit: %d reserved, want %d", n, autoreply.DefaultLimit)
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := autoreply.NewLimiter(autoreply.NewMemoryStore(), &autoreply.LimitOptions{Limit: 1 << 30})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := l.Allow(ctx, "acct", "jane@customer.example"); err != nil {
			b.Fatal(err)
		}
	}
}
