package alias

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Store errors.
var (
	// ErrNotFound: no account, address, identity or health record with that
	// key.
	ErrNotFound = errors.New("alias: not found")
	// ErrAddressTaken: UpdateAccount would give an account an address key
	// (Address or PlatformAddress) that another account holds. Keys are
	// unique across accounts, since a platform address identifies its
	// account.
	ErrAddressTaken = errors.New("alias: address belongs to another account")
)

// Entry is what Store.Lookup returns for an address key: one support address
// with the facts routing needs, denormalized so that routing costs one
// lookup per candidate address.
type Entry struct {
	// Account is the tenant that owns the address.
	Account string `json:"account"`
	// Address is the support address.
	Address SupportAddress `json:"address"`
	// Platform reports that the key is the address's PlatformAddress rather
	// than its Address.
	Platform bool `json:"platform"`
	// Department is the effective department (Account.DepartmentOf).
	Department string `json:"department,omitempty"`
}

// Store keeps accounts and fetch-source health.
//
// The contract, which aliastest.TestStore checks clause by clause:
//
//   - Account returns a copy of the account, or an error wrapping
//     ErrNotFound.
//   - UpdateAccount runs fn on a copy of the current account (a new account
//     has only ID set and Version 0), then calls Validate, and saves the
//     result only if fn and Validate return nil, incrementing Version. The
//     read, fn and the write are atomic with respect to other updates of
//     the same account: concurrent updates lose nothing. An error from fn
//     or Validate is returned as is and nothing is saved. If a saved
//     Address or PlatformAddress is held by another account, nothing is
//     saved and the error wraps ErrAddressTaken.
//   - Lookup finds the support address whose Address or PlatformAddress is
//     exactly key (a canonical key, see deskmail.Address.Key), across all
//     accounts, or returns an error wrapping ErrNotFound. It reflects every
//     completed UpdateAccount. It is the only method not scoped to an
//     account, because routing discovers the account from the address.
//   - LookupKeys is Lookup for many keys in one call (a database answers it
//     with one query, WHERE key = ANY($1)): the entries of the keys that
//     exist, in any order, at most one per key; missing keys are absent,
//     not an error. Router calls it once per mail.
//   - FetchHealth returns the health of one fetch source of an account, or
//     an error wrapping ErrNotFound.
//   - UpdateFetchHealth runs fn on the current health (zero when none) and
//     saves it atomically, returning the saved value; an error from fn saves
//     nothing.
//
// Methods are safe for concurrent use. fn may be called more than once
// (an implementation may retry on a serialization failure), so it must not
// have side effects outside the value it changes.
type Store interface {
	Account(ctx context.Context, account string) (*Account, error)
	UpdateAccount(ctx context.Context, account string, fn func(*Account) error) error
	Lookup(ctx context.Context, key string) (Entry, error)
	LookupKeys(ctx context.Context, keys []string) ([]Entry, error)
	FetchHealth(ctx context.Context, account, source string) (FetchHealth, error)
	UpdateFetchHealth(ctx context.Context, account, source string, fn func(*FetchHealth) error) (FetchHealth, error)
}

// MemoryStore is the in-memory Store: the embedded default for one process,
// and the store for tests. It is safe for concurrent use. Lookup takes a
// read lock and one map access, so routing cost does not grow with the
// number of addresses.
type MemoryStore struct {
	mu       sync.RWMutex
	accounts map[string]*Account
	// index maps address keys to entries. An entry is never modified once
	// in the index (UpdateAccount stores new ones), so a pointer read under
	// the lock stays valid, unchanged, after it is released.
	index  map[string]*Entry
	health map[[2]string]FetchHealth
}

// key returns the key e was found by: Address, or PlatformAddress when
// Platform is set.
func (e *Entry) key() string {
	if e.Platform {
		return e.Address.PlatformAddress
	}
	return e.Address.Address
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		accounts: make(map[string]*Account),
		index:    make(map[string]*Entry),
		health:   make(map[[2]string]FetchHealth),
	}
}

// Account implements Store.
func (m *MemoryStore) Account(ctx context.Context, account string) (*Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	a, ok := m.accounts[account]
	if !ok {
		return nil, fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	return a.Clone(), nil
}

// UpdateAccount implements Store.
func (m *MemoryStore) UpdateAccount(ctx context.Context, account string, fn func(*Account) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.accounts[account]
	var a *Account
	if old != nil {
		a = old.Clone()
	} else {
		a = &Account{ID: account}
	}
	if err := fn(a); err != nil {
		return err
	}
	a.ID = account
	if err := a.Validate(); err != nil {
		return err
	}
	for _, s := range a.Addresses {
		for _, k := range []string{s.Address, s.PlatformAddress} {
			if e, ok := m.index[k]; k != "" && ok && e.Account != account {
				return fmt.Errorf("%w: %s", ErrAddressTaken, k)
			}
		}
	}
	if old != nil {
		for _, s := range old.Addresses {
			delete(m.index, s.Address)
			if s.PlatformAddress != "" {
				delete(m.index, s.PlatformAddress)
			}
		}
		a.Version = old.Version + 1
	} else {
		a.Version = 1
	}
	for _, s := range a.Addresses {
		e := Entry{Account: account, Address: s, Department: a.DepartmentOf(&s)}
		m.index[s.Address] = &e
		if s.PlatformAddress != "" {
			pe := e
			pe.Platform = true
			m.index[s.PlatformAddress] = &pe
		}
	}
	m.accounts[account] = a
	return nil
}

// Lookup implements Store.
func (m *MemoryStore) Lookup(ctx context.Context, key string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	m.mu.RLock()
	e := m.index[key]
	m.mu.RUnlock()
	if e == nil {
		return Entry{}, fmt.Errorf("%w: address", ErrNotFound)
	}
	return *e, nil
}

// LookupKeys implements Store.
func (m *MemoryStore) LookupKeys(ctx context.Context, keys []string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(keys))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, k := range keys {
		if e := m.index[k]; e != nil {
			out = append(out, *e)
		}
	}
	return out, nil
}

// FetchHealth implements Store.
func (m *MemoryStore) FetchHealth(ctx context.Context, account, source string) (FetchHealth, error) {
	if err := ctx.Err(); err != nil {
		return FetchHealth{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, ok := m.health[[2]string{account, source}]
	if !ok {
		return FetchHealth{}, fmt.Errorf("%w: fetch source %q", ErrNotFound, source)
	}
	return h, nil
}

// UpdateFetchHealth implements Store.
func (m *MemoryStore) UpdateFetchHealth(ctx context.Context, account, source string, fn func(*FetchHealth) error) (FetchHealth, error) {
	if err := ctx.Err(); err != nil {
		return FetchHealth{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, source}
	h := m.health[k]
	if err := fn(&h); err != nil {
		return FetchHealth{}, err
	}
	m.health[k] = h
	return h, nil
}
