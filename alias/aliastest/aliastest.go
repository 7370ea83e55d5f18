// Package aliastest is the conformance suite for alias.Store
// implementations, in the manner of testing/fstest.TestFS.
//
// A store implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		aliastest.TestStore(t, func(t *testing.T) alias.Store { return newStore(t) })
//	}
//
// Every subtest uses account ids and addresses unique to it (a random
// prefix per run plus the subtest name), so a shared database can run the
// suite repeatedly and in parallel with other suites.
package aliastest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/alias"
)

// TestStore runs the conformance suite against stores made by newStore,
// one per subtest.
func TestStore(t *testing.T, newStore func(t *testing.T) alias.Store) {
	var rb [4]byte
	_, _ = rand.Read(rb[:])
	run := hex.EncodeToString(rb[:])
	ns := func(t *testing.T) string {
		n := strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(strings.ToLower(t.Name()))
		if len(n) > 40 {
			n = n[len(n)-40:]
		}
		return "t" + run + "-" + strings.Trim(n, "-")
	}
	ctx := context.Background()

	t.Run("account not found", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Account(ctx, ns(t)+"-missing"); !errors.Is(err, alias.ErrNotFound) {
			t.Fatalf("Account(missing) = %v, want ErrNotFound", err)
		}
		if _, err := s.Lookup(ctx, ns(t)+"@nowhere.example"); !errors.Is(err, alias.ErrNotFound) {
			t.Fatalf("Lookup(missing) = %v, want ErrNotFound", err)
		}
		if _, err := s.FetchHealth(ctx, ns(t), "src"); !errors.Is(err, alias.ErrNotFound) {
			t.Fatalf("FetchHealth(missing) = %v, want ErrNotFound", err)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		yes := true
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		err := s.UpdateAccount(ctx, id, func(a *alias.Account) error {
			if a.ID != id || a.Version != 0 || len(a.Addresses) != 0 {
				return fmt.Errorf("new account = %+v, want only ID set", a)
			}
			a.Settings.AutoCC = true
			a.Settings.Threading.SubjectNumber = true
			if err := a.AddDepartment(alias.Department{ID: "d1", Name: "Support", ForwardedSender: &yes}); err != nil {
				return err
			}
			if err := a.AddDepartment(alias.Department{ID: "d2", Name: "Sales"}); err != nil {
				return err
			}
			if err := a.AddAddress(alias.SupportAddress{Address: "support@" + id + ".example", Name: "サポート", PlatformAddress: "support@" + id + ".desk.example", Department: "d1"}); err != nil {
				return err
			}
			return a.AddIdentity(alias.Identity{Address: "agent@" + id + ".example", Name: "Agent", SMTP: &alias.SMTPServer{Host: "smtp.example", Port: 587, CredentialRef: "vault:1"}}, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != id || a.Version != 1 || !a.Settings.AutoCC || !a.Settings.Threading.SubjectNumber {
			t.Errorf("account = %+v", a)
		}
		if len(a.Departments) != 2 || a.Departments[0].ForwardedSender == nil || !*a.Departments[0].ForwardedSender {
			t.Errorf("departments = %+v", a.Departments)
		}
		if len(a.Addresses) != 1 || a.Addresses[0].Name != "サポート" || !a.Addresses[0].Default {
			t.Errorf("addresses = %+v", a.Addresses)
		}
		if len(a.Identities) != 1 || a.Identities[0].SMTP == nil || a.Identities[0].SMTP.CredentialRef != "vault:1" ||
			!a.Identities[0].CreatedAt.Equal(now) || a.Identities[0].Status != alias.StatusPending {
			t.Errorf("identities = %+v", a.Identities)
		}
		// The copy returned is the caller's.
		a.Addresses[0].Name = "changed"
		b, _ := s.Account(ctx, id)
		if b.Addresses[0].Name != "サポート" {
			t.Error("Account returned a shared value, not a copy")
		}
	})

	t.Run("lookup by address and platform address", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		mustUpdate(t, s, id, func(a *alias.Account) error {
			a.AddDepartment(alias.Department{ID: "d1"})
			a.AddDepartment(alias.Department{ID: "d2"})
			return a.AddAddress(alias.SupportAddress{Address: "Help@" + id + ".example", PlatformAddress: "help@" + id + ".desk.example", Department: "d2"})
		})
		e, err := s.Lookup(ctx, "help@"+id+".example")
		if err != nil || e.Account != id || e.Platform || e.Department != "d2" || e.Address.Address != "help@"+id+".example" {
			t.Errorf("Lookup(address) = %+v, %v", e, err)
		}
		e, err = s.Lookup(ctx, "help@"+id+".desk.example")
		if err != nil || e.Account != id || !e.Platform || e.Address.PlatformAddress != "help@"+id+".desk.example" {
			t.Errorf("Lookup(platform) = %+v, %v", e, err)
		}
	})

	t.Run("lookup follows updates and deletes", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		a1, a2 := "one@"+id+".example", "two@"+id+".example"
		mustUpdate(t, s, id, func(a *alias.Account) error {
			a.AddAddress(alias.SupportAddress{Address: a1})
			return a.AddAddress(alias.SupportAddress{Address: a2})
		})
		mustUpdate(t, s, id, func(a *alias.Account) error { return a.SetFetching(a2, false) })
		if e, err := s.Lookup(ctx, a2); err != nil || !e.Address.Disabled {
			t.Errorf("after disabling: %+v, %v", e, err)
		}
		mustUpdate(t, s, id, func(a *alias.Account) error { return a.DeleteAddress(a2) })
		if _, err := s.Lookup(ctx, a2); !errors.Is(err, alias.ErrNotFound) {
			t.Errorf("Lookup(deleted) = %v, want ErrNotFound", err)
		}
	})

	t.Run("failed update saves nothing", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		mustUpdate(t, s, id, func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "x@" + id + ".example"})
		})
		boom := errors.New("boom")
		err := s.UpdateAccount(ctx, id, func(a *alias.Account) error {
			a.Settings.AutoCC = true
			a.AddAddress(alias.SupportAddress{Address: "y@" + id + ".example"})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("UpdateAccount = %v, want the function's error", err)
		}
		a, _ := s.Account(ctx, id)
		if a.Settings.AutoCC || len(a.Addresses) != 1 || a.Version != 1 {
			t.Errorf("a failed update was saved: %+v", a)
		}
		if _, err := s.Lookup(ctx, "y@"+id+".example"); !errors.Is(err, alias.ErrNotFound) {
			t.Errorf("a failed update reached the index: %v", err)
		}
	})

	t.Run("invalid account is refused", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		err := s.UpdateAccount(ctx, id, func(a *alias.Account) error {
			// Two defaults, written directly, bypassing the methods.
			a.Addresses = []alias.SupportAddress{{Address: "a@" + id + ".example", Default: true}, {Address: "b@" + id + ".example", Default: true}}
			return nil
		})
		if !errors.Is(err, alias.ErrInvalid) {
			t.Fatalf("UpdateAccount(two defaults) = %v, want ErrInvalid", err)
		}
		if _, err := s.Account(ctx, id); !errors.Is(err, alias.ErrNotFound) {
			t.Errorf("invalid account was saved: %v", err)
		}
	})

	t.Run("address unique across accounts", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		addr := "shared@" + id + ".example"
		mustUpdate(t, s, id+"-a", func(a *alias.Account) error { return a.AddAddress(alias.SupportAddress{Address: addr}) })
		err := s.UpdateAccount(ctx, id+"-b", func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "other@" + id + ".example", PlatformAddress: addr})
		})
		if !errors.Is(err, alias.ErrAddressTaken) {
			t.Fatalf("UpdateAccount(taken) = %v, want ErrAddressTaken", err)
		}
		if e, err := s.Lookup(ctx, addr); err != nil || e.Account != id+"-a" {
			t.Errorf("Lookup = %+v, %v; want the first account", e, err)
		}
	})

	t.Run("per-account isolation", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		mustUpdate(t, s, id+"-a", func(a *alias.Account) error {
			a.Settings.AgentNameInFrom = true
			return a.AddAddress(alias.SupportAddress{Address: "a@" + id + ".example"})
		})
		mustUpdate(t, s, id+"-b", func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "b@" + id + ".example"})
		})
		b, err := s.Account(ctx, id+"-b")
		if err != nil || b.Settings.AgentNameInFrom || len(b.Addresses) != 1 || b.Addresses[0].Address != "b@"+id+".example" {
			t.Errorf("account b = %+v, %v", b, err)
		}
		s.UpdateFetchHealth(ctx, id+"-a", "src", func(h *alias.FetchHealth) error { h.AuthFailures = 3; return nil })
		if _, err := s.FetchHealth(ctx, id+"-b", "src"); !errors.Is(err, alias.ErrNotFound) {
			t.Errorf("health leaked across accounts: %v", err)
		}
	})

	t.Run("no lost updates under concurrent writers", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		mustUpdate(t, s, id, func(a *alias.Account) error {
			return a.AddAddress(alias.SupportAddress{Address: "base@" + id + ".example"})
		})
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.UpdateAccount(ctx, id, func(a *alias.Account) error {
					return a.AddAddress(alias.SupportAddress{Address: fmt.Sprintf("w%d@%s.example", i, id)})
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		a, _ := s.Account(ctx, id)
		if len(a.Addresses) != n+1 || a.Version != n+1 {
			t.Errorf("got %d addresses, version %d; want %d, %d", len(a.Addresses), a.Version, n+1, n+1)
		}
		var hw sync.WaitGroup
		for i := 0; i < n; i++ {
			hw.Add(1)
			go func() {
				defer hw.Done()
				s.UpdateFetchHealth(ctx, id, "src", func(h *alias.FetchHealth) error { h.ConnFailures++; return nil })
			}()
		}
		hw.Wait()
		if h, err := s.FetchHealth(ctx, id, "src"); err != nil || h.ConnFailures != n {
			t.Errorf("health after %d concurrent increments = %+v, %v", n, h, err)
		}
	})

	t.Run("LookupKeys agrees with Lookup", func(t *testing.T) {
		s := newStore(t)
		b := s
		id := ns(t)
		mustUpdate(t, s, id, func(a *alias.Account) error {
			a.AddAddress(alias.SupportAddress{Address: "a@" + id + ".example", PlatformAddress: "a@" + id + ".desk.example"})
			return a.AddAddress(alias.SupportAddress{Address: "b@" + id + ".example", Disabled: true})
		})
		keys := []string{"a@" + id + ".desk.example", "missing@" + id + ".example", "b@" + id + ".example", "a@" + id + ".example"}
		got, err := b.LookupKeys(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("LookupKeys returned %d entries, want 3: %+v", len(got), got)
		}
		for _, e := range got {
			k := e.Address.Address
			if e.Platform {
				k = e.Address.PlatformAddress
			}
			want, err := s.Lookup(ctx, k)
			if err != nil || want.Account != e.Account || want.Platform != e.Platform || want.Address.Disabled != e.Address.Disabled {
				t.Errorf("LookupKeys entry %+v, Lookup(%s) = %+v, %v", e, k, want, err)
			}
		}
		if got, err := b.LookupKeys(ctx, []string{"none@" + id + ".example"}); err != nil || len(got) != 0 {
			t.Errorf("LookupKeys(missing) = %+v, %v; want empty, nil", got, err)
		}
	})

	t.Run("fetch health round trip", func(t *testing.T) {
		s := newStore(t)
		id := ns(t)
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		got, err := s.UpdateFetchHealth(ctx, id, "imap:1", func(h *alias.FetchHealth) error {
			if *h != (alias.FetchHealth{}) {
				return fmt.Errorf("new health = %+v, want zero", *h)
			}
			h.Disabled, h.DisabledReason, h.DisabledAt, h.AuthFailures = true, alias.FetchAuthFailure, at, 10
			return nil
		})
		if err != nil || !got.Disabled {
			t.Fatalf("UpdateFetchHealth = %+v, %v", got, err)
		}
		h, err := s.FetchHealth(ctx, id, "imap:1")
		if err != nil || !h.Disabled || h.DisabledReason != alias.FetchAuthFailure || !h.DisabledAt.Equal(at) || h.AuthFailures != 10 {
			t.Errorf("FetchHealth = %+v, %v", h, err)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateFetchHealth(ctx, id, "imap:1", func(h *alias.FetchHealth) error { h.Disabled = false; return boom }); !errors.Is(err, boom) {
			t.Errorf("UpdateFetchHealth error = %v", err)
		}
		if h, _ := s.FetchHealth(ctx, id, "imap:1"); !h.Disabled {
			t.Error("failed health update was saved")
		}
	})
}

func mustUpdate(t *testing.T, s alias.Store, id string, fn func(*alias.Account) error) {
	t.Helper()
	if err := s.UpdateAccount(context.Background(), id, fn); err != nil {
		t.Fatalf("UpdateAccount(%s): %v", id, err)
	}
}
