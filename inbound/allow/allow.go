package allow

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deskmail/deskmail"
)

// Errors of a Store.
var (
	// ErrNotFound is returned by Find and Delete when no entry matches.
	ErrNotFound = errors.New("allow: no such entry")
	// ErrInvalidKey is returned by Put for a key without account, sender,
	// failure or a valid network.
	ErrInvalidKey = errors.New("allow: key needs an account, a sender, a failure and a network")
)

// Key is what an entry matches: a later mail is let through only when its
// key equals the entry's in every field (see the package documentation).
type Key struct {
	Account string `json:"account"`
	// Sender is the From address as a canonical key
	// (deskmail.Address.Key), or a domain for a domain-wide entry.
	Sender string `json:"sender"`
	// Failure is the reason code of the failure: auth_fail or
	// auth_permerror.
	Failure string `json:"failure"`
	// SPF is the SPF result for SPFDomain ("pass", "fail", "softfail",
	// "neutral", "none", ...).
	SPF       string `json:"spf"`
	SPFDomain string `json:"spf_domain"`
	// DKIM is "none", "fail", or "pass:" and the signing domain.
	DKIM string `json:"dkim"`
	// Network is the client IP's network, NetworkOf(ip).
	Network netip.Prefix `json:"network"`
}

// Entry is one allow entry: a Key, who recorded it and when.
type Entry struct {
	Key
	// By names who recovered the mail (an agent id or address).
	By string `json:"by"`
	// At is when, in UTC.
	At time.Time `json:"at"`
}

// Store keeps allow entries. Implementations must be safe for concurrent
// use; each method is atomic.
type Store interface {
	// Put records e, replacing the entry with the same Key (its By and
	// At). It returns ErrInvalidKey for a key Valid rejects.
	Put(ctx context.Context, e Entry) error
	// Find returns an entry whose Key equals one of keys (the first of
	// keys that has one), or ErrNotFound.
	Find(ctx context.Context, keys ...Key) (Entry, error)
	// Delete removes the entry with key, or returns ErrNotFound.
	Delete(ctx context.Context, key Key) error
	// List returns account's entries, oldest first.
	List(ctx context.Context, account string) ([]Entry, error)
}

// NetworkOf returns the network an entry records for ip: its /24 for IPv4
// (and IPv4-mapped IPv6), its /64 for IPv6. The zero Prefix for an invalid
// address.
func NetworkOf(ip netip.Addr) netip.Prefix {
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	ip = ip.Unmap().WithZone("")
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Normal returns k with the sender and domains in lower case and the
// network masked, the form stores keep.
func (k Key) Normal() Key {
	if strings.Contains(k.Sender, "@") {
		if c := deskmail.CanonicalKey(k.Sender); c != "" {
			k.Sender = c
		}
	} else {
		k.Sender = strings.ToLower(strings.TrimSuffix(k.Sender, "."))
	}
	k.SPFDomain = strings.ToLower(strings.TrimSuffix(k.SPFDomain, "."))
	k.DKIM = strings.ToLower(k.DKIM)
	if k.Network.IsValid() {
		k.Network = k.Network.Masked()
	}
	return k
}

// Valid reports whether k can be stored: an account, a sender, a failure
// and a valid network.
func (k Key) Valid() bool {
	return k.Account != "" && k.Sender != "" && k.Failure != "" && k.Network.IsValid()
}

// MemoryStore is a Store in memory, for tests and single-process hosts.
type MemoryStore struct {
	mu sync.Mutex
	m  map[Key]Entry
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[Key]Entry{}} }

// Put implements Store.
func (s *MemoryStore) Put(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.Key = e.Key.Normal()
	if !e.Key.Valid() {
		return ErrInvalidKey
	}
	e.At = e.At.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[e.Key] = e
	return nil
}

// Find implements Store.
func (s *MemoryStore) Find(ctx context.Context, keys ...Key) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if e, ok := s.m[k.Normal()]; ok {
			return e, nil
		}
	}
	return Entry{}, ErrNotFound
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, key Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key = key.Normal()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok {
		return ErrNotFound
	}
	delete(s.m, key)
	return nil
}

// List implements Store.
func (s *MemoryStore) List(ctx context.Context, account string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []Entry
	for k, e := range s.m {
		if k.Account == account {
			out = append(out, e)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return compareKeys(a.Key, b.Key)
	})
	return out, nil
}

// compareKeys orders keys field by field, in declaration order.
func compareKeys(a, b Key) int {
	for _, c := range [...]int{
		strings.Compare(a.Account, b.Account), strings.Compare(a.Sender, b.Sender),
		strings.Compare(a.Failure, b.Failure), strings.Compare(a.SPF, b.SPF),
		strings.Compare(a.SPFDomain, b.SPFDomain), strings.Compare(a.DKIM, b.DKIM),
		a.Network.Addr().Compare(b.Network.Addr()), a.Network.Bits() - b.Network.Bits(),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}
