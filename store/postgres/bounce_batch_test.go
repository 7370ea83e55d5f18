package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/bounce"
)

func internalDB(t *testing.T) *DB {
	t.Helper()
	dsn := os.Getenv("DESKMAIL_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("DESKMAIL_POSTGRES_DSN not set: skipping PostgreSQL tests; .ci/run sets it")
	}
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestBounceUpdateBatch: one batch of updates of several addresses runs
// each fn once, in arrival order on its row's evolving state; a fn error
// fails that call only, leaves its row as it was and keeps no placeholder.
func TestBounceUpdateBatch(t *testing.T) {
	db := internalDB(t)
	s := db.BounceStore()
	ctx := context.Background()
	acct := fmt.Sprintf("bbatch-%d", time.Now().UnixNano())
	for _, a := range []string{"a@x", "d@x"} {
		if _, err := s.updateOne(ctx, acct, a, func(st *bounce.AddressState) error { st.SoftCount = 10; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	errNo := errors.New("no")
	calls := map[string]int{}
	mk := func(addr string, want int, fail bool) *call[*bounceUpdate] {
		return &call[*bounceUpdate]{arg: &bounceUpdate{account: acct, address: addr, fn: func(st *bounce.AddressState) error {
			calls[addr]++
			if st.SoftCount != want || st.Address != addr || st.Account != acct {
				t.Errorf("%s: fn saw %+v, want soft count %d", addr, st, want)
			}
			st.SoftCount++
			st.Events = append(st.Events, bounce.Event{Type: bounce.EventSent, Detail: addr})
			if fail {
				return errNo
			}
			return nil
		}}}
	}
	batch := []*call[*bounceUpdate]{
		mk("a@x", 10, false),
		mk("b@x", 0, true), // fresh, fails: no row
		mk("a@x", 11, false),
		mk("c@x", 0, false), // fresh
		mk("d@x", 10, true), // existing, fails: unchanged
		mk("a@x", 12, true), // fails: a stays at 12
		mk("a@x", 12, false),
	}
	s.updateBatch(ctx, batch)
	for i, c := range batch {
		wantErr := i == 1 || i == 4 || i == 5
		if (c.err != nil) != wantErr || (wantErr && !errors.Is(c.err, errNo)) {
			t.Errorf("call %d: err %v", i, c.err)
		}
	}
	if calls["a@x"] != 4 || calls["b@x"] != 1 || calls["c@x"] != 1 || calls["d@x"] != 1 {
		t.Errorf("fn calls %v", calls)
	}
	if got := batch[6].arg.st; got.SoftCount != 13 || len(got.Events) != 3 {
		t.Errorf("last a@x outcome %+v", got)
	}
	for addr, want := range map[string]int{"a@x": 13, "c@x": 1, "d@x": 10} {
		st, err := s.Get(ctx, acct, addr)
		if err != nil || st.SoftCount != want {
			t.Errorf("Get %s = %+v, %v; want soft count %d", addr, st, err, want)
		}
	}
	if _, err := s.Get(ctx, acct, "b@x"); !errors.Is(err, bounce.ErrNotFound) {
		t.Errorf("failed first update left a row: %v", err)
	}
}

// TestBounceBatchesAcrossAccounts: concurrent Updates and AddCounts of
// many accounts, batched together, lose nothing.
func TestBounceBatchesAcrossAccounts(t *testing.T) {
	db := internalDB(t)
	s := db.BounceStore()
	ctx := context.Background()
	p := fmt.Sprintf("bmany-%d-", time.Now().UnixNano())
	day := time.Now()
	const workers, rounds, accounts = 16, 40, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				acct := fmt.Sprintf("%s%d", p, (w+i)%accounts)
				if _, err := s.Update(ctx, acct, fmt.Sprintf("%d@x", i%2), func(st *bounce.AddressState) error {
					st.SoftCount++
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
				if err := s.AddCounts(ctx, acct, day.AddDate(0, 0, -(i%2)), 1, i%3/2); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var soft, sends, hard int
	for a := range accounts {
		acct := fmt.Sprintf("%s%d", p, a)
		for _, addr := range []string{"0@x", "1@x"} {
			st, err := s.Get(ctx, acct, addr)
			if err != nil {
				t.Fatal(err)
			}
			soft += st.SoftCount
		}
		n, h, err := s.Counts(ctx, acct, day.AddDate(0, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		sends, hard = sends+n, hard+h
	}
	wantHard := 0
	for i := range rounds {
		wantHard += i % 3 / 2
	}
	if soft != workers*rounds || sends != workers*rounds || hard != workers*wantHard {
		t.Errorf("soft %d sends %d hard %d; want %d %d %d", soft, sends, hard, workers*rounds, workers*rounds, workers*wantHard)
	}
}

// TestBounceUpdateBatchPanic: an fn that panics in a batch fails its call
// only; the others are stored.
func TestBounceUpdateBatchPanic(t *testing.T) {
	db := internalDB(t)
	s := db.BounceStore()
	ctx := context.Background()
	acct := fmt.Sprintf("bpanic-%d", time.Now().UnixNano())
	ok := func(st *bounce.AddressState) error { st.SoftCount = 7; return nil }
	batch := []*call[*bounceUpdate]{
		{arg: &bounceUpdate{account: acct, address: "p@x", fn: func(*bounce.AddressState) error { panic("boom") }}},
		{arg: &bounceUpdate{account: acct, address: "q@x", fn: ok}},
	}
	s.updateBatch(ctx, batch)
	if batch[0].err == nil || batch[0].arg.panicked != "boom" || batch[1].err != nil {
		t.Fatalf("errors %v, %v; panicked %v", batch[0].err, batch[1].err, batch[0].arg.panicked)
	}
	if st, err := s.Get(ctx, acct, "q@x"); err != nil || st.SoftCount != 7 {
		t.Errorf("q@x = %+v, %v", st, err)
	}
	if _, err := s.Get(ctx, acct, "p@x"); !errors.Is(err, bounce.ErrNotFound) {
		t.Errorf("p@x stored: %v", err)
	}
}
