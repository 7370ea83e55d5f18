// Package allowtest holds the conformance suite every allow.Store
// implementation runs, in the manner of testing/fstest.
package allowtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/storetest"

	"github.com/deskmail/deskmail/inbound/allow"
)

// account returns an account name unique to one subtest, so that a shared
// database can run the suite repeatedly.
func account() string {
	return strings.TrimSuffix(storetest.Prefix("at"), "-")
}

func key(acct string) allow.Key {
	return allow.Key{
		Account: acct, Sender: "mary@customer.example", Failure: "auth_fail",
		SPF: "softfail", SPFDomain: "customer.example", DKIM: "none",
		Network: netip.MustParsePrefix("192.0.2.0/24"),
	}
}

// TestStore runs the contract of allow.Store against stores made by
// newStore, one subtest per clause.
func TestStore(t *testing.T, newStore func(t *testing.T) allow.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

	t.Run("put then find", func(t *testing.T) {
		s, k := newStore(t), key(account())
		if _, err := s.Find(ctx, k); !errors.Is(err, allow.ErrNotFound) {
			t.Fatalf("Find on an empty store: %v, want ErrNotFound", err)
		}
		if err := s.Put(ctx, allow.Entry{Key: k, By: "agent-7", At: at}); err != nil {
			t.Fatal(err)
		}
		e, err := s.Find(ctx, k)
		if err != nil || e.Key != k || e.By != "agent-7" || !e.At.Equal(at) {
			t.Fatalf("Find = %+v, %v", e, err)
		}
		if e.At.Location() != time.UTC {
			t.Fatalf("At in %v, want UTC", e.At.Location())
		}
	})

	t.Run("put normalises the key", func(t *testing.T) {
		s, k := newStore(t), key(account())
		loud := k
		loud.Sender, loud.SPFDomain, loud.Network = "Mary@Customer.Example", "Customer.Example.", netip.MustParsePrefix("192.0.2.77/24")
		if err := s.Put(ctx, allow.Entry{Key: loud, By: "a", At: at}); err != nil {
			t.Fatal(err)
		}
		if e, err := s.Find(ctx, k); err != nil || e.Key != k {
			t.Fatalf("Find of the normal key = %+v, %v", e, err)
		}
	})

	t.Run("put replaces who and when", func(t *testing.T) {
		s, k := newStore(t), key(account())
		_ = s.Put(ctx, allow.Entry{Key: k, By: "first", At: at})
		if err := s.Put(ctx, allow.Entry{Key: k, By: "second", At: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		l, err := s.List(ctx, k.Account)
		if err != nil || len(l) != 1 || l[0].By != "second" || !l[0].At.Equal(at.Add(time.Hour)) {
			t.Fatalf("List = %+v, %v", l, err)
		}
	})

	t.Run("every field narrows", func(t *testing.T) {
		s, k := newStore(t), key(account())
		if err := s.Put(ctx, allow.Entry{Key: k, By: "a", At: at}); err != nil {
			t.Fatal(err)
		}
		for name, mod := range map[string]func(*allow.Key){
			"account":    func(k *allow.Key) { k.Account += "x" },
			"sender":     func(k *allow.Key) { k.Sender = "joe@customer.example" },
			"domain":     func(k *allow.Key) { k.Sender = "customer.example" },
			"failure":    func(k *allow.Key) { k.Failure = "auth_permerror" },
			"spf":        func(k *allow.Key) { k.SPF = "fail" },
			"spf domain": func(k *allow.Key) { k.SPFDomain = "evil.example" },
			"dkim":       func(k *allow.Key) { k.DKIM = "pass:customer.example" },
			"network":    func(k *allow.Key) { k.Network = netip.MustParsePrefix("192.0.3.0/24") },
			"bits":       func(k *allow.Key) { k.Network = netip.MustParsePrefix("192.0.2.0/25") },
		} {
			o := k
			mod(&o)
			if e, err := s.Find(ctx, o); !errors.Is(err, allow.ErrNotFound) {
				t.Errorf("%s differs, Find = %+v, %v; want ErrNotFound", name, e, err)
			}
		}
	})

	t.Run("find takes the first key that has an entry", func(t *testing.T) {
		s, k := newStore(t), key(account())
		dom := k
		dom.Sender = "customer.example"
		_ = s.Put(ctx, allow.Entry{Key: k, By: "address", At: at})
		_ = s.Put(ctx, allow.Entry{Key: dom, By: "domain", At: at})
		miss := k
		miss.Sender = "joe@customer.example"
		if e, err := s.Find(ctx, miss, dom, k); err != nil || e.By != "domain" {
			t.Fatalf("Find(miss, domain, address) = %+v, %v", e, err)
		}
		if e, err := s.Find(ctx, k, dom); err != nil || e.By != "address" {
			t.Fatalf("Find(address, domain) = %+v, %v", e, err)
		}
		if _, err := s.Find(ctx); !errors.Is(err, allow.ErrNotFound) {
			t.Fatalf("Find() = %v, want ErrNotFound", err)
		}
	})

	t.Run("invalid keys are refused", func(t *testing.T) {
		s := newStore(t)
		for name, mod := range map[string]func(*allow.Key){
			"no account": func(k *allow.Key) { k.Account = "" },
			"no sender":  func(k *allow.Key) { k.Sender = "" },
			"no failure": func(k *allow.Key) { k.Failure = "" },
			"no network": func(k *allow.Key) { k.Network = netip.Prefix{} },
		} {
			k := key(account())
			mod(&k)
			if err := s.Put(ctx, allow.Entry{Key: k, By: "a", At: at}); !errors.Is(err, allow.ErrInvalidKey) {
				t.Errorf("%s: Put = %v, want ErrInvalidKey", name, err)
			}
		}
	})

	t.Run("IPv6 networks", func(t *testing.T) {
		s, k := newStore(t), key(account())
		k.Network = allow.NetworkOf(netip.MustParseAddr("2001:db8:1:2::25"))
		if k.Network.String() != "2001:db8:1:2::/64" {
			t.Fatalf("NetworkOf = %s", k.Network)
		}
		if err := s.Put(ctx, allow.Entry{Key: k, By: "a", At: at}); err != nil {
			t.Fatal(err)
		}
		if e, err := s.Find(ctx, k); err != nil || e.Key.Network != k.Network {
			t.Fatalf("Find = %+v, %v", e, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s, k := newStore(t), key(account())
		if err := s.Delete(ctx, k); !errors.Is(err, allow.ErrNotFound) {
			t.Fatalf("Delete of nothing = %v, want ErrNotFound", err)
		}
		_ = s.Put(ctx, allow.Entry{Key: k, By: "a", At: at})
		if err := s.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Find(ctx, k); !errors.Is(err, allow.ErrNotFound) {
			t.Fatalf("Find after Delete = %v", err)
		}
	})

	t.Run("list is per account, oldest first", func(t *testing.T) {
		s, acct := newStore(t), account()
		for i, sender := range []string{"c@x.example", "a@x.example", "b@x.example"} {
			k := key(acct)
			k.Sender = sender
			if err := s.Put(ctx, allow.Entry{Key: k, By: "a", At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		_ = s.Put(ctx, allow.Entry{Key: key(account()), By: "other", At: at})
		l, err := s.List(ctx, acct)
		if err != nil || len(l) != 3 {
			t.Fatalf("List = %+v, %v", l, err)
		}
		for i, want := range []string{"c@x.example", "a@x.example", "b@x.example"} {
			if l[i].Sender != want || l[i].Account != acct {
				t.Fatalf("List[%d] = %+v, want sender %s", i, l[i], want)
			}
		}
		if l, err := s.List(ctx, account()); err != nil || len(l) != 0 {
			t.Fatalf("List of an unknown account = %+v, %v", l, err)
		}
	})

	t.Run("concurrent puts of one key leave one entry", func(t *testing.T) {
		s, k := newStore(t), key(account())
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- s.Put(ctx, allow.Entry{Key: k, By: fmt.Sprint("agent-", i), At: at})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if l, err := s.List(ctx, k.Account); err != nil || len(l) != 1 {
			t.Fatalf("List = %+v, %v", l, err)
		}
	})

	t.Run("a cancelled context is an error", func(t *testing.T) {
		s, k := newStore(t), key(account())
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Put(cctx, allow.Entry{Key: k, By: "a", At: at}); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := s.Find(cctx, k); err == nil || errors.Is(err, allow.ErrNotFound) {
			t.Fatalf("Find with a cancelled context = %v", err)
		}
	})
}
