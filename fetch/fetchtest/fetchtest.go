// Package fetchtest holds the conformance suite every fetch.Store
// implementation runs, in the manner of testing/fstest.
package fetchtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/storetest"

	"github.com/deskmail/deskmail/fetch"
)

// TestStore runs the contract of fetch.Store against stores made by
// newStore, one subtest per clause.
func TestStore(t *testing.T, newStore func(t *testing.T) fetch.Store) {
	ctx := context.Background()

	t.Run("round trip", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		got, err := s.Update(ctx, p+"acct", "src", func(st *fetch.State) error {
			if st.UIDValidity != 0 || st.LastUID != 0 || len(st.UIDLs) != 0 || st.Settings != "" || !st.LastFetch.IsZero() {
				return fmt.Errorf("new state = %+v, want the zero State", *st)
			}
			st.UIDValidity, st.LastUID, st.UIDLs, st.Settings, st.LastFetch = 7, 42, []string{"a", "b"}, "fp", at
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.State(ctx, p+"acct", "src")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []fetch.State{got, back} {
			if st.UIDValidity != 7 || st.LastUID != 42 || len(st.UIDLs) != 2 || st.UIDLs[1] != "b" || st.Settings != "fp" || !st.LastFetch.Equal(at) {
				t.Errorf("state = %+v", st)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		if _, err := s.State(ctx, p+"acct", "none"); !errors.Is(err, fetch.ErrNotFound) {
			t.Errorf("State: %v, want ErrNotFound", err)
		}
	})

	t.Run("failed update stores nothing", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		boom := errors.New("boom")
		if _, err := s.Update(ctx, p+"acct", "src", func(st *fetch.State) error { st.LastUID = 9; return boom }); !errors.Is(err, boom) {
			t.Fatalf("Update: %v, want the callback's error", err)
		}
		if _, err := s.State(ctx, p+"acct", "src"); !errors.Is(err, fetch.ErrNotFound) {
			t.Errorf("State after a failed update: %v, want ErrNotFound", err)
		}
		s.Update(ctx, p+"acct", "src", func(st *fetch.State) error { st.LastUID = 1; return nil })
		s.Update(ctx, p+"acct", "src", func(st *fetch.State) error { st.LastUID = 5; return boom })
		if st, err := s.State(ctx, p+"acct", "src"); err != nil || st.LastUID != 1 {
			t.Errorf("State = %+v, %v; want LastUID 1 kept", st, err)
		}
	})

	t.Run("copies", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		got, err := s.Update(ctx, p+"acct", "src", func(st *fetch.State) error { st.UIDLs = []string{"a"}; return nil })
		if err != nil {
			t.Fatal(err)
		}
		got.UIDLs[0] = "changed"
		back, _ := s.State(ctx, p+"acct", "src")
		back.UIDLs[0] = "changed too"
		again, _ := s.State(ctx, p+"acct", "src")
		if again.UIDLs[0] != "a" {
			t.Errorf("UIDLs = %v: a returned state shares memory with the store", again.UIDLs)
		}
	})

	t.Run("isolation", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		for i, k := range [][2]string{{p + "a1", "s1"}, {p + "a1", "s2"}, {p + "a2", "s1"}} {
			uid := uint32(i + 1)
			if _, err := s.Update(ctx, k[0], k[1], func(st *fetch.State) error { st.LastUID = uid; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		for i, k := range [][2]string{{p + "a1", "s1"}, {p + "a1", "s2"}, {p + "a2", "s1"}} {
			if st, err := s.State(ctx, k[0], k[1]); err != nil || st.LastUID != uint32(i+1) {
				t.Errorf("State(%s, %s) = %+v, %v; want LastUID %d", k[0], k[1], st, err, i+1)
			}
		}
		if _, err := s.State(ctx, p+"a2", "s2"); !errors.Is(err, fetch.ErrNotFound) {
			t.Errorf("State(a2, s2): %v, want ErrNotFound", err)
		}
	})

	t.Run("no lost updates", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					id := fmt.Sprintf("w%d-%d", w, i)
					if _, err := s.Update(ctx, p+"acct", "src", func(st *fetch.State) error {
						st.LastUID++
						st.UIDLs = append(st.UIDLs, id)
						return nil
					}); err != nil {
						errc <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		st, err := s.State(ctx, p+"acct", "src")
		if err != nil || st.LastUID != writers*each || len(st.UIDLs) != writers*each {
			t.Errorf("after %d updates: LastUID %d, %d UIDLs, %v", writers*each, st.LastUID, len(st.UIDLs), err)
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("ft")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Update(cctx, p+"acct", "src", func(st *fetch.State) error { st.LastUID = 3; return nil }); err == nil {
			t.Error("Update with a cancelled context succeeded")
		}
		if _, err := s.State(ctx, p+"acct", "src"); !errors.Is(err, fetch.ErrNotFound) {
			t.Errorf("State after a cancelled update: %v, want ErrNotFound", err)
		}
	})
}
