package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/relay/relaytest"
)

func init() {
	childRoles["reserve-relay"] = childReserveRelay
	childRoles["reserve-plan"] = childReservePlan
}

var relayDay = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

const (
	mpRelayCap = 10000
	mpPlanCap  = 10000
)

// childReserveRelay reserves one unit at a time on relay "a" (cap 10,000,
// no plan cap) from 8 goroutines until the cap refuses, and reports how
// many it was granted.
func childReserveRelay(ctx context.Context, t *testing.T, acct string) int64 {
	s := testDB(t).RelayStore()
	return reserveUntilFull(ctx, t, func(g, i int) error {
		return s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "a", Day: relayDay, N: 1, RelayCap: mpRelayCap})
	}, relay.ErrRelayCapReached)
}

// childReservePlan alternates relays "a" and "b" (cap 6,000 each) under a
// plan cap of 10,000.
func childReservePlan(ctx context.Context, t *testing.T, acct string) int64 {
	s := testDB(t).RelayStore()
	return reserveUntilFull(ctx, t, func(g, i int) error {
		r := relay.Reservation{Account: acct, Relay: "a", Day: relayDay, N: 1, RelayCap: 6000, PlanCap: mpPlanCap}
		if (g+i)%2 == 1 {
			r.Relay = "b"
		}
		return s.Reserve(ctx, r)
	}, relay.ErrPlanCapReached)
}

// reserveUntilFull runs reserve from goroutines goroutines until each has
// seen the final error, and returns the number of grants.
func reserveUntilFull(ctx context.Context, t *testing.T, reserve func(g, i int) error, final error) int64 {
	var granted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := reserve(g, i)
				switch {
				case err == nil:
					granted.Add(1)
				case errors.Is(err, final):
					return
				case errors.Is(err, relay.ErrRelayCapReached), errors.Is(err, relay.ErrPlanCapReached):
					// One relay is full; the other may not be yet.
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return granted.Load()
}

// TestMultiProcessRelayCap: 8 OS processes × 8 goroutines reserve against
// one relay cap of 10,000; exactly 10,000 are admitted.
func TestMultiProcessRelayCap(t *testing.T) {
	db := testDB(t)
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	acct := fmt.Sprintf("mp-relay-%d", time.Now().UnixNano())
	var sum int64
	for _, n := range runChildren(t, "reserve-relay", acct) {
		sum += n
	}
	if sum != mpRelayCap {
		t.Errorf("%d reservations admitted, want exactly %d", sum, mpRelayCap)
	}
	u, err := db.RelayStore().Usage(context.Background(), acct, relayDay)
	if err != nil || u.Total != mpRelayCap || u.Relays["a"] != mpRelayCap {
		t.Errorf("usage = %+v, %v; want total and relay a = %d", u, err, mpRelayCap)
	}
}

// TestMultiProcessPlanCap: the same with two relays under one plan total:
// exactly the plan cap is admitted and the relay counts add up to it
// (both counters move together or not at all).
func TestMultiProcessPlanCap(t *testing.T) {
	db := testDB(t)
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	acct := fmt.Sprintf("mp-plan-%d", time.Now().UnixNano())
	var sum int64
	for _, n := range runChildren(t, "reserve-plan", acct) {
		sum += n
	}
	if sum != mpPlanCap {
		t.Errorf("%d reservations admitted, want exactly %d", sum, mpPlanCap)
	}
	u, err := db.RelayStore().Usage(context.Background(), acct, relayDay)
	if err != nil || u.Total != mpPlanCap || u.Relays["a"]+u.Relays["b"] != mpPlanCap || u.Relays["a"] > 6000 || u.Relays["b"] > 6000 {
		t.Errorf("usage = %+v, %v; want total %d = a + b, each <= 6000", u, err, mpPlanCap)
	}
}

func TestRelayStore(t *testing.T) {
	db := testDB(t)
	relaytest.TestStore(t, func(*testing.T) relay.Store { return db.RelayStore() })
}

// TestRelayStoreDetails covers what the conformance suite leaves open:
// first reservations larger than a cap, which cap is reported, refunds of
// nothing, invalid reservations and unknown outcomes.
func TestRelayStoreDetails(t *testing.T) {
	db := testDB(t)
	s := db.RelayStore()
	ctx := context.Background()
	p := fmt.Sprintf("rs-%d-", time.Now().UnixNano())
	day := relayDay

	t.Run("R5/relay cap refuses past the cap, both counters or neither", func(t *testing.T) {
		acct := p + "r5"
		if err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 3, RelayCap: 5, PlanCap: 100}); err != nil {
			t.Fatal(err)
		}
		err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 3, RelayCap: 5, PlanCap: 100})
		if !errors.Is(err, relay.ErrRelayCapReached) {
			t.Fatalf("over the relay cap: %v", err)
		}
		if err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 2, RelayCap: 5, PlanCap: 100}); err != nil {
			t.Fatalf("up to the cap: %v", err)
		}
		u, _ := s.Usage(ctx, acct, day)
		if u.Total != 5 || u.Relays["x"] != 5 {
			t.Errorf("usage = %+v; want 5, x 5", u)
		}
	})
	t.Run("R6/plan cap is checked first", func(t *testing.T) {
		acct := p + "r6"
		if err := s.Reserve(ctx, relay.Reservation{Account: acct, Day: day, N: 9, PlanCap: 10}); err != nil {
			t.Fatal(err)
		}
		err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 5, RelayCap: 1, PlanCap: 10})
		if !errors.Is(err, relay.ErrPlanCapReached) {
			t.Fatalf("over both caps: %v, want ErrPlanCapReached", err)
		}
		err = s.Reserve(ctx, relay.Reservation{Account: p + "r6-fresh", Relay: "x", Day: day, N: 11, RelayCap: 20, PlanCap: 10})
		if !errors.Is(err, relay.ErrPlanCapReached) {
			t.Fatalf("first reservation over the plan cap: %v", err)
		}
		err = s.Reserve(ctx, relay.Reservation{Account: p + "r6-fresh", Relay: "x", Day: day, N: 11, RelayCap: 10})
		if !errors.Is(err, relay.ErrRelayCapReached) {
			t.Fatalf("first reservation over the relay cap: %v", err)
		}
		if u, _ := s.Usage(ctx, p+"r6-fresh", day); u.Total != 0 || len(u.Relays) != 0 {
			t.Errorf("refused reservations counted: %+v", u)
		}
	})
	t.Run("R8/the breaker is checked before the caps", func(t *testing.T) {
		acct := p + "brk"
		for i := 0; i < 2; i++ {
			if _, err := s.RecordOutcome(ctx, acct, "x", day, relay.OutcomeFault, 2); err != nil {
				t.Fatal(err)
			}
		}
		err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 5, RelayCap: 1, PlanCap: 1})
		if !errors.Is(err, relay.ErrRelayBroken) {
			t.Errorf("broken relay over both caps: %v, want ErrRelayBroken", err)
		}
		s.RecordOutcome(ctx, acct, "q", day, relay.OutcomeQuota, 2)
		s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "y", Day: day, N: 1})
		err = s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "q", Day: day, N: 1})
		if !errors.Is(err, relay.ErrRelayExhausted) {
			t.Errorf("exhausted relay on an existing row: %v, want ErrRelayExhausted", err)
		}
		if u, _ := s.Usage(ctx, acct, day); u.Total != 1 || u.Relays["q"] != 0 || u.Relays["x"] != 0 {
			t.Errorf("usage = %+v; want only y's unit", u)
		}
	})
	t.Run("refund stops at zero and may keep the total", func(t *testing.T) {
		acct := p + "refund"
		r := relay.Reservation{Account: acct, Relay: "x", Day: day, N: 4}
		if err := s.Reserve(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.N = 1
		if err := s.Refund(ctx, r, true); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.Usage(ctx, acct, day); u.Total != 4 || u.Relays["x"] != 3 {
			t.Errorf("after keepTotal refund: %+v", u)
		}
		r.N = 10
		if err := s.Refund(ctx, r, false); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.Usage(ctx, acct, day); u.Total != 0 || len(u.Relays) != 0 {
			t.Errorf("after a large refund: %+v, want zeros", u)
		}
		if err := s.Refund(ctx, relay.Reservation{Account: p + "never", Relay: "x", Day: day, N: 1}, false); err != nil {
			t.Errorf("refund of nothing: %v", err)
		}
	})
	t.Run("days and accounts are isolated", func(t *testing.T) {
		acct := p + "iso"
		s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day, N: 2, RelayCap: 2})
		if err := s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: day.AddDate(0, 0, 1), N: 2, RelayCap: 2}); err != nil {
			t.Errorf("next day: %v", err)
		}
		if err := s.Reserve(ctx, relay.Reservation{Account: acct + "-b", Relay: "x", Day: day, N: 2, RelayCap: 2}); err != nil {
			t.Errorf("other account: %v", err)
		}
		if u, _ := s.Usage(ctx, acct+"-c", day); u.Total != 0 || u.Relays == nil {
			t.Errorf("usage of nothing = %+v", u)
		}
	})
	t.Run("invalid reservations", func(t *testing.T) {
		if err := s.Reserve(ctx, relay.Reservation{Day: day, N: 1}); err == nil {
			t.Error("reservation without account accepted")
		}
		if err := s.Reserve(ctx, relay.Reservation{Account: p + "neg", Day: day, N: -1}); err == nil {
			t.Error("negative reservation accepted")
		}
	})
	t.Run("R8/breaker opens once at the threshold", func(t *testing.T) {
		acct := p + "r8"
		var opened atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := s.RecordOutcome(ctx, acct, "x", day, relay.OutcomeFault, 3)
				if err != nil {
					t.Error(err)
				}
				if b.JustOpened {
					opened.Add(1)
				}
			}()
		}
		wg.Wait()
		if opened.Load() != 1 {
			t.Errorf("JustOpened reported %d times, want 1", opened.Load())
		}
		b, err := s.Breaker(ctx, acct, "x", day)
		if err != nil || !b.Open || b.Faults != 10 || b.JustOpened || b.Usable() {
			t.Errorf("breaker = %+v, %v", b, err)
		}
		b, _ = s.RecordOutcome(ctx, acct, "x", day, relay.OutcomeSuccess, 3)
		if b.Faults != 0 || !b.Open {
			t.Errorf("after success: %+v; the breaker stays open for the day", b)
		}
		if b, _ := s.Breaker(ctx, acct, "x", day.AddDate(0, 0, 1)); b != (relay.BreakerState{}) {
			t.Errorf("next day: %+v", b)
		}
		b, _ = s.RecordOutcome(ctx, acct, "q", day, relay.OutcomeQuota, 3)
		if !b.Exhausted || b.Faults != 0 || b.Usable() {
			t.Errorf("quota: %+v", b)
		}
		if _, err := s.RecordOutcome(ctx, acct, "x", day, relay.Outcome(99), 3); err == nil {
			t.Error("unknown outcome accepted")
		}
	})
}

func benchReserve(b *testing.B, s relay.Store, hot bool) {
	ctx := context.Background()
	p := fmt.Sprintf("br%d-", time.Now().UnixNano())
	parallel(b, func(w int) error {
		acct := p + "acct"
		if !hot {
			acct = fmt.Sprintf("%s%d", p, w)
		}
		return s.Reserve(ctx, relay.Reservation{Account: acct, Relay: "r1", Day: relayDay, N: 1, RelayCap: 1 << 40, PlanCap: 1 << 40})
	})
}

// BenchmarkRelayReserve measures relay.Store.Reserve (one statement, relay
// and plan caps) with 16 workers, each on its own account ("spread") or
// all on one account ("hot"), beside the memory store.
func BenchmarkRelayReserve(b *testing.B) {
	b.Run("store=memory/keys=spread", func(b *testing.B) { benchReserve(b, relay.NewMemoryStore(), false) })
	b.Run("store=memory/keys=hot", func(b *testing.B) { benchReserve(b, relay.NewMemoryStore(), true) })
	b.Run("store=postgres/keys=spread", func(b *testing.B) { benchReserve(b, benchDB(b).RelayStore(), false) })
	b.Run("store=postgres/keys=hot", func(b *testing.B) { benchReserve(b, benchDB(b).RelayStore(), true) })
}

// TestRelayReserveWithCancellation: reservations of one account from many
// goroutines, some of whose contexts end mid-call. Every reservation
// reported as made is counted; a cancelled one may or may not be (the
// statement may have committed as its context ended), which errs toward
// fewer sends; the usage never exceeds the caps.
func TestRelayReserveWithCancellation(t *testing.T) {
	db := testDB(t)
	s := db.RelayStore()
	acct := fmt.Sprintf("cancel-%d", time.Now().UnixNano())
	const workers, each, relayCap, planCap = 16, 60, 500, 700
	var ok, canceled, canceledUnits atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration((w*each+i)%7)*time.Millisecond)
				r := relay.Reservation{Account: acct, Relay: "r1", Day: relayDay, N: int64(1 + i%3), RelayCap: relayCap, PlanCap: planCap}
				if i%4 == 3 {
					r.Relay = ""
				}
				err := s.Reserve(ctx, r)
				cancel()
				switch {
				case err == nil:
					ok.Add(r.N)
				case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
					canceled.Add(1)
					canceledUnits.Add(r.N)
				case errors.Is(err, relay.ErrRelayCapReached), errors.Is(err, relay.ErrPlanCapReached):
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	u, err := s.Usage(context.Background(), acct, relayDay)
	if err != nil {
		t.Fatal(err)
	}
	if u.Total < ok.Load() || u.Total > ok.Load()+canceledUnits.Load() || u.Total > planCap || u.Relays["r1"] > relayCap {
		t.Errorf("usage %+v, %d units reported reserved (%d calls, %d units canceled); want between, within %d/%d",
			u, ok.Load(), canceled.Load(), canceledUnits.Load(), relayCap, planCap)
	}
	t.Logf("%d units reserved, %d calls canceled", ok.Load(), canceled.Load())
}
