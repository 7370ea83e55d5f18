// Package threadingtest holds what a host needs to test its threading
// integration: the conformance suite every threading.Store implementation
// must pass (TestStore), and in-memory Tickets and Agents directories for
// tests and examples.
package threadingtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/storetest"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
)

// TestStore runs the conformance suite of threading.Store against stores
// made by newStore, one subtest per clause of the contract. Every subtest
// uses accounts and ids of its own, so newStore may return the same shared
// store each time.
func TestStore(t *testing.T, newStore func(t *testing.T) threading.Store) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		want := threading.Entry{MessageID: p + "a@example.com", Ticket: p + "T1", Outbound: true, Created: created}
		if err := s.Add(ctx, p+"acct", want); err != nil {
			t.Fatalf("Add: %v", err)
		}
		got, err := s.Lookup(ctx, p+"acct", []string{want.MessageID})
		if err != nil {
			t.Fatalf("Lookup: %v", err)
		}
		if got.MessageID != want.MessageID || got.Ticket != want.Ticket || got.Outbound != want.Outbound || !got.Created.Equal(want.Created) {
			t.Errorf("Lookup = %+v, want %+v", got, want)
		}
		in := threading.Entry{MessageID: p + "b@example.com", Ticket: p + "T1"}
		if err := s.Add(ctx, p+"acct", in); err != nil {
			t.Fatalf("Add inbound: %v", err)
		}
		got, err = s.Lookup(ctx, p+"acct", []string{in.MessageID})
		if err != nil || got.Outbound {
			t.Errorf("Lookup inbound = %+v, %v; want Outbound false", got, err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		_, err := s.Lookup(ctx, p+"acct", []string{p + "missing@example.com"})
		if !errors.Is(err, threading.ErrNotFound) {
			t.Errorf("Lookup of a missing id: %v, want ErrNotFound", err)
		}
		_, err = s.Lookup(ctx, p+"acct", nil)
		if !errors.Is(err, threading.ErrNotFound) {
			t.Errorf("Lookup of no ids: %v, want ErrNotFound", err)
		}
	})
	t.Run("FirstOfIDsWins", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		for i, tk := range []string{"T1", "T2"} {
			if err := s.Add(ctx, p+"acct", threading.Entry{MessageID: fmt.Sprintf("%s%d@x", p, i), Ticket: tk}); err != nil {
				t.Fatal(err)
			}
		}
		ids := []string{p + "none@x", p + "1@x", p + "0@x"}
		got, err := s.Lookup(ctx, p+"acct", ids)
		if err != nil || got.Ticket != "T2" {
			t.Errorf("Lookup(%v) = %+v, %v; want the entry of %s", ids, got, err, ids[1])
		}
	})
	t.Run("UniquePerAccount", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		id := p + "dup@example.com"
		if err := s.Add(ctx, p+"acct", threading.Entry{MessageID: id, Ticket: "T1"}); err != nil {
			t.Fatal(err)
		}
		err := s.Add(ctx, p+"acct", threading.Entry{MessageID: id, Ticket: "T2"})
		if !errors.Is(err, threading.ErrDuplicate) {
			t.Errorf("second Add: %v, want ErrDuplicate", err)
		}
		got, err := s.Lookup(ctx, p+"acct", []string{id})
		if err != nil || got.Ticket != "T1" {
			t.Errorf("after duplicate Add, Lookup = %+v, %v; want the first ticket T1", got, err)
		}
	})
	t.Run("AccountIsolation", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		id := p + "shared@example.com"
		if err := s.Add(ctx, p+"a", threading.Entry{MessageID: id, Ticket: "TA"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lookup(ctx, p+"b", []string{id}); !errors.Is(err, threading.ErrNotFound) {
			t.Errorf("account b sees account a's id: %v", err)
		}
		if err := s.Add(ctx, p+"b", threading.Entry{MessageID: id, Ticket: "TB"}); err != nil {
			t.Errorf("the same id in another account: %v, want nil", err)
		}
		for acct, want := range map[string]string{p + "a": "TA", p + "b": "TB"} {
			got, err := s.Lookup(ctx, acct, []string{id})
			if err != nil || got.Ticket != want {
				t.Errorf("Lookup(%s) = %+v, %v; want %s", acct, got, err, want)
			}
		}
	})
	t.Run("CaseSensitiveIDs", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		if err := s.Add(ctx, p+"acct", threading.Entry{MessageID: p + "Abc@X", Ticket: "T1"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, p+"acct", threading.Entry{MessageID: p + "abc@X", Ticket: "T2"}); err != nil {
			t.Errorf("ids differing in case are distinct: %v", err)
		}
	})
	t.Run("ConcurrentAdds", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("tt")
		const writers, ids = 8, 20
		var wg sync.WaitGroup
		var won [ids]atomic.Int32
		errs := make(chan error, writers*ids)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < ids; i++ {
					err := s.Add(ctx, p+"acct", threading.Entry{MessageID: fmt.Sprintf("%s%d@x", p, i), Ticket: fmt.Sprint("T", w)})
					switch {
					case err == nil:
						won[i].Add(1)
					case !errors.Is(err, threading.ErrDuplicate):
						errs <- err
					}
					if _, err := s.Lookup(ctx, p+"acct", []string{fmt.Sprintf("%s%d@x", p, i)}); err != nil {
						errs <- fmt.Errorf("lookup after Add: %w", err)
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for i := range won {
			if n := won[i].Load(); n != 1 {
				t.Errorf("id %d: %d writers succeeded, want exactly 1", i, n)
			}
		}
	})
}

// Tickets is an in-memory threading.Tickets for tests and examples. It is
// safe for concurrent use.
type Tickets struct {
	mu sync.RWMutex
	m  map[string]map[string]threading.Ticket // account → id → ticket
}

var _ threading.Tickets = (*Tickets)(nil)

// NewTickets returns an empty Tickets.
func NewTickets() *Tickets { return &Tickets{m: map[string]map[string]threading.Ticket{}} }

// Put adds or replaces account's ticket.
func (d *Tickets) Put(account string, t threading.Ticket) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m[account] == nil {
		d.m[account] = map[string]threading.Ticket{}
	}
	d.m[account][t.ID] = t
}

// Delete removes account's ticket id.
func (d *Tickets) Delete(account, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m[account], id)
}

// Ticket implements threading.Tickets.
func (d *Tickets) Ticket(_ context.Context, account, id string) (threading.Ticket, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if t, ok := d.m[account][id]; ok {
		return t, nil
	}
	return threading.Ticket{}, threading.ErrNotFound
}

// TicketByNumber implements threading.Tickets.
func (d *Tickets) TicketByNumber(_ context.Context, account, number string) (threading.Ticket, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, t := range d.m[account] {
		if t.Number == number {
			return t, nil
		}
	}
	return threading.Ticket{}, threading.ErrNotFound
}

// Agents is an in-memory threading.Agents keyed by address. It is safe for
// concurrent use.
type Agents struct {
	mu sync.RWMutex
	m  map[string]map[string]threading.Agent // account → address key → agent
}

var _ threading.Agents = (*Agents)(nil)

// NewAgents returns an empty Agents.
func NewAgents() *Agents { return &Agents{m: map[string]map[string]threading.Agent{}} }

// Put adds or replaces account's agent with the given address.
func (d *Agents) Put(account, address string, a threading.Agent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m[account] == nil {
		d.m[account] = map[string]threading.Agent{}
	}
	d.m[account][deskmail.CanonicalKey(address)] = a
}

// Agent implements threading.Agents.
func (d *Agents) Agent(_ context.Context, account, address string) (threading.Agent, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if a, ok := d.m[account][deskmail.CanonicalKey(address)]; ok {
		return a, nil
	}
	return threading.Agent{}, threading.ErrNotFound
}
