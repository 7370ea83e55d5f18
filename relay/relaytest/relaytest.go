// Package relaytest holds the conformance suite for relay.Store
// implementations: relay.NewMemoryStore runs it in relay's tests and
// store/postgres runs the same suite against a real database.
package relaytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/relay"
)

// TestStore runs the contract of relay.Store against stores made by
// newStore, one subtest per clause. Every subtest uses accounts with its own
// unique prefix, so a shared database can run the suite, also in parallel.
func TestStore(t *testing.T, newStore func(t *testing.T) relay.Store) {
	ctx := context.Background()
	run := time.Now().UnixNano()
	acct := func(t *testing.T, name string) string {
		return fmt.Sprintf("relaytest-%d-%s-%s", run, t.Name(), name)
	}
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	next := day.AddDate(0, 0, 1)

	t.Run("reserve counts relay and plan total", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 3, RelayCap: 10, PlanCap: 100}))
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Day: day, N: 2, PlanCap: 100}))
		u, err := s.Usage(ctx, a, day)
		must(t, err)
		if u.Total != 5 || u.Relays["r1"] != 3 {
			t.Fatalf("usage = %+v, want total 5, r1 3", u)
		}
	})
	t.Run("relay cap is exact and leaves the total untouched", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 4, RelayCap: 5}))
		err := s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 2, RelayCap: 5})
		if !errors.Is(err, relay.ErrRelayCapReached) {
			t.Fatalf("err = %v, want ErrRelayCapReached", err)
		}
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 1, RelayCap: 5}))
		u, _ := s.Usage(ctx, a, day)
		if u.Total != 5 || u.Relays["r1"] != 5 {
			t.Fatalf("usage = %+v, want 5/5", u)
		}
	})
	t.Run("plan cap is shared by relays and platform", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 2000, RelayCap: 2000, PlanCap: 5000}))
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Day: day, N: 3000, PlanCap: 5000}))
		err := s.Reserve(ctx, relay.Reservation{Account: a, Day: day, N: 1, PlanCap: 5000})
		if !errors.Is(err, relay.ErrPlanCapReached) {
			t.Fatalf("err = %v, want ErrPlanCapReached", err)
		}
		err = s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r2", Day: day, N: 1, PlanCap: 5000})
		if !errors.Is(err, relay.ErrPlanCapReached) {
			t.Fatalf("relay err = %v, want ErrPlanCapReached", err)
		}
		u, _ := s.Usage(ctx, a, day)
		if u.Total != 5000 || u.Relays["r2"] != 0 {
			t.Fatalf("usage = %+v: a failed reservation changed counts", u)
		}
	})
	t.Run("refund", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		r := relay.Reservation{Account: a, Relay: "r1", Day: day, N: 3, RelayCap: 3, PlanCap: 10}
		must(t, s.Reserve(ctx, r))
		must(t, s.Refund(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 2}, true))
		u, _ := s.Usage(ctx, a, day)
		if u.Total != 3 || u.Relays["r1"] != 1 {
			t.Fatalf("after keepTotal refund: %+v, want total 3, r1 1", u)
		}
		must(t, s.Refund(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 1}, false))
		u, _ = s.Usage(ctx, a, day)
		if u.Total != 2 || u.Relays["r1"] != 0 {
			t.Fatalf("after full refund: %+v, want total 2, r1 0", u)
		}
		must(t, s.Refund(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 50}, false))
		u, _ = s.Usage(ctx, a, day)
		if u.Total != 0 || u.Relays["r1"] != 0 {
			t.Fatalf("counts went below zero: %+v", u)
		}
	})
	t.Run("day rollover", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 5, RelayCap: 5, PlanCap: 5}))
		if err := s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 1, RelayCap: 5, PlanCap: 5}); err == nil {
			t.Fatal("cap not enforced")
		}
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: next, N: 5, RelayCap: 5, PlanCap: 5}))
		_, err := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeQuota, 3)
		must(t, err)
		b, err := s.Breaker(ctx, a, "r1", next)
		must(t, err)
		if !b.Usable() {
			t.Fatalf("breaker state carried into the next day: %+v", b)
		}
	})
	t.Run("per-account isolation", func(t *testing.T) {
		s := newStore(t)
		a, b := acct(t, "a"), acct(t, "b")
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 5, RelayCap: 5, PlanCap: 5}))
		must(t, s.Reserve(ctx, relay.Reservation{Account: b, Relay: "r1", Day: day, N: 5, RelayCap: 5, PlanCap: 5}))
		for i := 0; i < 3; i++ {
			s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
		}
		st, _ := s.Breaker(ctx, b, "r1", day)
		if !st.Usable() || st.Faults != 0 {
			t.Fatalf("account b sees a's breaker: %+v", st)
		}
	})
	t.Run("breaker opens once at threshold", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		var opened int
		for i := 1; i <= 5; i++ {
			st, err := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
			must(t, err)
			if st.Faults != i {
				t.Fatalf("faults = %d, want %d", st.Faults, i)
			}
			if st.JustOpened {
				opened++
				if i != 3 {
					t.Fatalf("opened at fault %d", i)
				}
			}
			if (i >= 3) != st.Open {
				t.Fatalf("fault %d: open = %v", i, st.Open)
			}
		}
		if opened != 1 {
			t.Fatalf("JustOpened %d times", opened)
		}
		st, _ := s.Breaker(ctx, a, "r1", day)
		if !st.Open || st.JustOpened {
			t.Fatalf("read state = %+v", st)
		}
	})
	t.Run("reserve refuses a broken or exhausted relay", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		for i := 0; i < 3; i++ {
			_, err := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
			must(t, err)
		}
		_, err := s.RecordOutcome(ctx, a, "r2", day, relay.OutcomeQuota, 3)
		must(t, err)
		if err := s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 1}); !errors.Is(err, relay.ErrRelayBroken) {
			t.Fatalf("broken relay: %v, want ErrRelayBroken", err)
		}
		if err := s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r2", Day: day, N: 1}); !errors.Is(err, relay.ErrRelayExhausted) {
			t.Fatalf("exhausted relay: %v, want ErrRelayExhausted", err)
		}
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Day: day, N: 1}))
		u, _ := s.Usage(ctx, a, day)
		if u.Total != 1 || u.Relays["r1"] != 0 || u.Relays["r2"] != 0 {
			t.Fatalf("refused reservations counted: %+v", u)
		}
		must(t, s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: next, N: 1}))
	})
	t.Run("success resets consecutive faults", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
		s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
		s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeSuccess, 3)
		st, _ := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3)
		if st.Open || st.Faults != 1 {
			t.Fatalf("state = %+v, want 1 fault, closed", st)
		}
	})
	t.Run("quota exhausts without a fault", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		st, err := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeQuota, 3)
		must(t, err)
		if !st.Exhausted || st.Faults != 0 || st.Open || st.Usable() {
			t.Fatalf("state = %+v", st)
		}
	})
	t.Run("not found is the zero state", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		st, err := s.Breaker(ctx, a, "nope", day)
		must(t, err)
		u, err := s.Usage(ctx, a, day)
		must(t, err)
		if st != (relay.BreakerState{}) || u.Total != 0 || len(u.Relays) != 0 {
			t.Fatalf("state %+v usage %+v", st, u)
		}
	})
	t.Run("exact caps under concurrent writers", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		const workers, each, relayCap, planCap = 16, 200, 700, 1000
		var relayOK, platformOK atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					err := s.Reserve(ctx, relay.Reservation{Account: a, Relay: "r1", Day: day, N: 1, RelayCap: relayCap, PlanCap: planCap})
					if err == nil {
						relayOK.Add(1)
						continue
					}
					if errors.Is(err, relay.ErrRelayCapReached) {
						if s.Reserve(ctx, relay.Reservation{Account: a, Day: day, N: 1, PlanCap: planCap}) == nil {
							platformOK.Add(1)
						}
					}
				}
			}()
		}
		wg.Wait()
		u, err := s.Usage(ctx, a, day)
		must(t, err)
		if relayOK.Load() != relayCap || relayOK.Load()+platformOK.Load() != planCap || u.Total != planCap || u.Relays["r1"] != relayCap {
			t.Fatalf("relay %d platform %d usage %+v; want %d relayed of %d", relayOK.Load(), platformOK.Load(), u, relayCap, planCap)
		}
	})
	t.Run("breaker opens once under concurrent faults", func(t *testing.T) {
		s := newStore(t)
		a := acct(t, "a")
		var opened atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					if st, err := s.RecordOutcome(ctx, a, "r1", day, relay.OutcomeFault, 3); err == nil && st.JustOpened {
						opened.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if opened.Load() != 1 {
			t.Fatalf("breaker reported opening %d times", opened.Load())
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
