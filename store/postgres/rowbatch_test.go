package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/relay"
)

// TestRelayReserveNoTenantWaitsForAnother: while account A's row is
// locked (a reservation of A in flight, waiting), reservations of account
// B are decided at once.
func TestRelayReserveNoTenantWaitsForAnother(t *testing.T) {
	db := testDB(t)
	s := db.RelayStore()
	ctx := context.Background()
	p := fmt.Sprintf("tenant-%d-", time.Now().UnixNano())
	a, b := p+"a", p+"b"
	r := func(acct string) relay.Reservation {
		return relay.Reservation{Account: acct, Relay: "r1", Day: relayDay, N: 1, RelayCap: 100, PlanCap: 100}
	}
	if err := s.Reserve(ctx, r(a)); err != nil { // creates A's row
		t.Fatal(err)
	}
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `select 1 from deskmail_relay_usage where account = $1 for update`, a); err != nil {
		t.Fatal(err)
	}
	// Reservations of A now wait on the lock, in flight and queued.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Reserve(ctx, r(a))
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them queue (not a timing assertion)
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := range 3 {
		if err := s.Reserve(bctx, r(b)); err != nil {
			t.Fatalf("reservation %d of account B while A's row is locked: %v", i, err)
		}
	}
	tx.Rollback(ctx)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if u, _ := s.Usage(ctx, a, relayDay); u.Total != 5 {
		t.Errorf("account A total %d, want 5", u.Total)
	}
}

// TestRelayReserveCancellationStopsTheWrite: reservations whose context
// ends while they wait on the row lock, alone or in a batch, return the
// context's error and count nothing; the others of their batch are
// counted.
func TestRelayReserveCancellationStopsTheWrite(t *testing.T) {
	db := testDB(t)
	s := db.RelayStore()
	ctx := context.Background()
	acct := fmt.Sprintf("cancel-write-%d", time.Now().UnixNano())
	r := relay.Reservation{Account: acct, Relay: "r1", Day: relayDay, N: 1, RelayCap: 100, PlanCap: 100}
	if err := s.Reserve(ctx, r); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `select 1 from deskmail_relay_usage where account = $1 for update`, acct); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	results := make([]error, n)
	cancels := make([]context.CancelFunc, n)
	for i := range n {
		cctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Reserve(cctx, r)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < n; i += 2 {
		cancels[i]()
	}
	time.Sleep(50 * time.Millisecond)
	tx.Rollback(ctx)
	wg.Wait()
	ok := 0
	for i, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, context.Canceled) && i%2 == 0:
		default:
			t.Errorf("reservation %d: %v", i, err)
		}
	}
	for _, c := range cancels {
		c()
	}
	u, _ := s.Usage(ctx, acct, relayDay)
	if ok != n/2 || u.Total != int64(1+ok) {
		t.Errorf("%d reservations succeeded, total %d; want %d and %d", ok, u.Total, n/2, 1+n/2)
	}
}

// TestBounceAddCountsBatchesPerAccountAndDay: concurrent AddCounts of one
// account and day, some of whose contexts end, count exactly the calls
// that succeeded; another account's calls go through meanwhile.
func TestBounceAddCountsBatchesPerAccountAndDay(t *testing.T) {
	db := testDB(t)
	s := db.BounceStore()
	ctx := context.Background()
	p := fmt.Sprintf("counts-%d-", time.Now().UnixNano())
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.AddCounts(ctx, p+"a", day, 1, 0); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `select 1 from deskmail_bounce_counts where account = $1 for update`, p+"a"); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([]error, n)
	cancels := make([]context.CancelFunc, n)
	for i := range n {
		cctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.AddCounts(cctx, p+"a", day, 1, 1)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.AddCounts(bctx, p+"b", day, 1, 0); err != nil {
		t.Fatalf("account B waited for account A: %v", err)
	}
	for i := 0; i < n; i += 2 {
		cancels[i]()
	}
	time.Sleep(50 * time.Millisecond)
	tx.Rollback(ctx)
	wg.Wait()
	ok := 0
	for i, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, context.Canceled) && i%2 == 0:
		default:
			t.Errorf("call %d: %v", i, err)
		}
	}
	for _, c := range cancels {
		c()
	}
	sends, hard, err := s.Counts(ctx, p+"a", day)
	if err != nil || ok != n/2 || sends != 1+ok || hard != ok {
		t.Errorf("%d calls succeeded; counts %d, %d, %v; want %d, %d", ok, sends, hard, err, 1+n/2, n/2)
	}
}
