// Package autoreplytest holds the conformance suite every
// autoreply.Store implementation runs, in the spirit of
// testing/fstest.TestFS.
//
// Each subtest names one clause of the Store contract and uses account and
// recipient keys with a prefix unique to the subtest and the run, so the
// suite can run against a shared database, in parallel with itself.
package autoreplytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/storetest"

	"github.com/deskmail/deskmail/autoreply"
)

// day0 is the day the suite counts on; later days follow it. It is a fixed
// date so a store that forgets old days does not drop another subtest's
// counts.
var day0 = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)

// TestStore runs the conformance suite against the stores newStore
// returns. newStore is called once per subtest; it may return the same
// store (a shared database) every time.
func TestStore(t *testing.T, newStore func(t *testing.T) autoreply.Store) {
	ctx := context.Background()

	t.Run("L2/reserve counts up to the limit", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		for i := 1; i <= 3; i++ {
			r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, 3)
			if err != nil || !r.Reserved || r.Count != i {
				t.Fatalf("reserve %d = %+v, %v; want reserved, count %d", i, r, err, i)
			}
		}
		r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, 3)
		if err != nil || r.Reserved || r.Count != 3 {
			t.Fatalf("reserve over the limit = %+v, %v; want not reserved, count 3", r, err)
		}
	})

	t.Run("L2/exact limit under concurrent writers", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		const writers, each, limit = 16, 10, 37
		var ok atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, limit)
					if err != nil {
						errs <- err
						return
					}
					if r.Reserved {
						ok.Add(1)
						if r.Count < 1 || r.Count > limit {
							errs <- fmt.Errorf("reserved with count %d", r.Count)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := ok.Load(); got != limit {
			t.Fatalf("%d reservations succeeded, want exactly %d", got, limit)
		}
		r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, limit)
		if err != nil || r.Reserved || r.Count != limit {
			t.Fatalf("after the race: %+v, %v; want not reserved, count %d", r, err, limit)
		}
	})

	t.Run("L2/a new day starts a new count", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		for i := 0; i < 2; i++ {
			if _, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, 2); err != nil {
				t.Fatal(err)
			}
		}
		if r, _ := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, 2); r.Reserved {
			t.Fatal("limit not reached on day 0")
		}
		r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0.AddDate(0, 0, 1), 2)
		if err != nil || !r.Reserved || r.Count != 1 {
			t.Fatalf("day 1 = %+v, %v; want reserved, count 1", r, err)
		}
	})

	t.Run("L2/only the date of day counts", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		if _, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0, 1); err != nil {
			t.Fatal(err)
		}
		r, err := s.Reserve(ctx, p+"acct", p+"a@example.com", day0.Add(13*time.Hour), 1)
		if err != nil || r.Reserved {
			t.Fatalf("same date, later hour = %+v, %v; want not reserved", r, err)
		}
	})

	t.Run("L2/day rollover on a fake clock in the limiter's time zone", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		tokyo := time.FixedZone("JST", 9*3600)
		now := time.Date(2030, 6, 1, 23, 59, 0, 0, tokyo)
		l := autoreply.NewLimiter(s, &autoreply.LimitOptions{Limit: 1, Location: tokyo, Now: func() time.Time { return now }})
		rcpt := p + "a@example.com"
		if r, err := l.Allow(ctx, p+"acct", rcpt); err != nil || !r.Reserved {
			t.Fatalf("first mail = %+v, %v", r, err)
		}
		if r, err := l.Allow(ctx, p+"acct", rcpt); err != nil || r.Reserved {
			t.Fatalf("second mail the same day = %+v, %v; want held back", r, err)
		}
		now = now.Add(2 * time.Minute) // 00:01 in Tokyo, still 15:01 UTC the day before
		if r, err := l.Allow(ctx, p+"acct", rcpt); err != nil || !r.Reserved || r.Count != 1 {
			t.Fatalf("after midnight in Tokyo = %+v, %v; want reserved, count 1", r, err)
		}
	})

	t.Run("L2/accounts are isolated", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		if _, err := s.Reserve(ctx, p+"a", p+"x@example.com", day0, 1); err != nil {
			t.Fatal(err)
		}
		r, err := s.Reserve(ctx, p+"b", p+"x@example.com", day0, 1)
		if err != nil || !r.Reserved || r.Count != 1 {
			t.Fatalf("other account = %+v, %v; want reserved, count 1", r, err)
		}
	})

	t.Run("L2/recipients are isolated", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		if _, err := s.Reserve(ctx, p+"a", p+"x@example.com", day0, 1); err != nil {
			t.Fatal(err)
		}
		r, err := s.Reserve(ctx, p+"a", p+"y@example.com", day0, 1)
		if err != nil || !r.Reserved {
			t.Fatalf("other recipient = %+v, %v; want reserved", r, err)
		}
	})

	t.Run("L2/a zero or negative limit reserves nothing", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		for _, limit := range []int{0, -1} {
			r, err := s.Reserve(ctx, p+"a", p+"x@example.com", day0, limit)
			if err != nil || r.Reserved || r.Count != 0 {
				t.Fatalf("limit %d = %+v, %v; want not reserved, count 0", limit, r, err)
			}
		}
	})

	t.Run("L2/a lowered limit holds", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		for i := 0; i < 3; i++ {
			if _, err := s.Reserve(ctx, p+"a", p+"x@example.com", day0, 5); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Reserve(ctx, p+"a", p+"x@example.com", day0, 2)
		if err != nil || r.Reserved || r.Count != 3 {
			t.Fatalf("limit lowered to 2 = %+v, %v; want not reserved, count 3", r, err)
		}
	})

	t.Run("L2/empty keys are rejected", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		if _, err := s.Reserve(ctx, "", p+"x@example.com", day0, 1); !errors.Is(err, autoreply.ErrEmptyKey) {
			t.Errorf("empty account: %v, want ErrEmptyKey", err)
		}
		if _, err := s.Reserve(ctx, p+"a", "", day0, 1); !errors.Is(err, autoreply.ErrEmptyKey) {
			t.Errorf("empty recipient: %v, want ErrEmptyKey", err)
		}
	})

	t.Run("L2/a canceled context reserves nothing", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ar")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if r, err := s.Reserve(cctx, p+"a", p+"x@example.com", day0, 1); err == nil && r.Reserved {
			t.Errorf("canceled context reserved: %+v", r)
		}
	})
}
