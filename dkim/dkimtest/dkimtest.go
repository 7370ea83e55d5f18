// Package dkimtest holds the conformance suite every dkim.KeyStore
// implementation runs, like testing/fstest.TestFS.
package dkimtest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/dkim"
)

// TestStore runs the KeyStore contract against stores made by newStore, one
// subtest per clause. Accounts and domains are unique per subtest and per
// run, so a shared database can run the suite.
func TestStore(t *testing.T, newStore func(t *testing.T) dkim.KeyStore) {
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	names := func(t *testing.T) (account, domain string) {
		return "acct-" + run + "-" + t.Name(), "d" + run + ".example"
	}
	key := func(seed byte) ed25519.PrivateKey {
		s := make([]byte, ed25519.SeedSize)
		s[0] = seed
		return ed25519.NewKeyFromSeed(s)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

	t.Run("get of an unknown domain wraps ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		if _, err := s.Get(ctx, acct, dom); !errors.Is(err, dkim.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("update creates and round-trips every field", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		err := s.Update(ctx, acct, dom, func(st *dkim.KeyState) error {
			if st.Domain != dom || len(st.Keys) != 0 {
				return fmt.Errorf("fresh state %+v", st)
			}
			return st.Begin("s1", key(1), t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Get(ctx, acct, dom)
		if err != nil {
			t.Fatal(err)
		}
		k := st.Active()
		if k == nil || k.Selector != "s1" || k.Algorithm != dkim.Ed25519 || !k.Created.Equal(t0) || !k.Changed.Equal(t0) || k.Status != dkim.KeyActive {
			t.Fatalf("round trip: %+v", st.Keys)
		}
		if _, err := dkim.ParsePrivateKey(k.PrivateKey); err != nil {
			t.Fatalf("stored key does not parse: %v", err)
		}
	})
	t.Run("an error from fn aborts the update", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		boom := errors.New("boom")
		err := s.Update(ctx, acct, dom, func(st *dkim.KeyState) error {
			st.Begin("s1", key(1), t0)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want fn's error", err)
		}
		if _, err := s.Get(ctx, acct, dom); !errors.Is(err, dkim.ErrNotFound) {
			t.Fatalf("aborted update was stored: %v", err)
		}
	})
	t.Run("accounts are isolated", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		s.Update(ctx, acct+"-a", dom, func(st *dkim.KeyState) error { return st.Begin("a", key(1), t0) })
		s.Update(ctx, acct+"-b", dom, func(st *dkim.KeyState) error { return st.Begin("b", key(2), t0) })
		a, _ := s.Get(ctx, acct+"-a", dom)
		b, _ := s.Get(ctx, acct+"-b", dom)
		if a == nil || b == nil || a.Active().Selector != "a" || b.Active().Selector != "b" {
			t.Fatalf("a=%+v b=%+v", a, b)
		}
	})
	t.Run("get returns a copy", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		s.Update(ctx, acct, dom, func(st *dkim.KeyState) error { return st.Begin("s1", key(1), t0) })
		st, _ := s.Get(ctx, acct, dom)
		st.Keys[0].Selector = "changed"
		again, _ := s.Get(ctx, acct, dom)
		if again.Keys[0].Selector != "s1" {
			t.Fatal("changing a Get result changed the store")
		}
	})
	t.Run("no lost updates under concurrent writers", func(t *testing.T) {
		s := newStore(t)
		acct, dom := names(t)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- s.Update(ctx, acct, dom, func(st *dkim.KeyState) error {
					st.Keys = append(st.Keys, dkim.SelectorKey{Selector: fmt.Sprintf("s%d", i), Status: dkim.KeyRetiring, Created: t0, Changed: t0})
					return nil
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		st, _ := s.Get(ctx, acct, dom)
		if st == nil || len(st.Keys) != n {
			t.Fatalf("%d keys after %d concurrent updates", len(st.Keys), n)
		}
	})
}
