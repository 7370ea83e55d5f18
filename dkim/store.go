package dkim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned by KeyStore.Get when there are no keys for the
// account and domain.
var ErrNotFound = errors.New("dkim: no keys for domain")

// KeyStatus is where a key is in its life: published before it signs,
// signing, then published a while longer so mail in transit still verifies.
type KeyStatus string

// The key statuses, in the order a key goes through them.
const (
	// KeyPending: the key's record is being published; it does not sign yet.
	KeyPending KeyStatus = "pending"
	// KeyActive: the key signs. A domain has at most one active key.
	KeyActive KeyStatus = "active"
	// KeyRetiring: the key no longer signs but its record stays published
	// for the grace period, so mail signed just before the switch verifies.
	KeyRetiring KeyStatus = "retiring"
)

// SelectorKey is one key of a domain under its selector.
type SelectorKey struct {
	// Selector is the DNS label the key is published under
	// (SELECTOR._domainkey.DOMAIN).
	Selector string `json:"selector"`
	// Algorithm is RSA or Ed25519.
	Algorithm Algorithm `json:"algorithm"`
	// PrivateKey is the PKCS #8 PEM private key. It prints redacted.
	PrivateKey PrivateKeyPEM `json:"private_key"`
	// Status is where the key is in its rotation.
	Status KeyStatus `json:"status"`
	// Created is when the key was added.
	Created time.Time `json:"created"`
	// Changed is when Status last changed.
	Changed time.Time `json:"changed"`
}

// KeyState is the keys of one domain of one account: what a KeyStore
// persists. Two selectors are live (published) during a rotation: the
// active one and the pending or retiring one. See Begin, Promote and Retire.
type KeyState struct {
	// Domain is the signing domain (d=), lower-case.
	Domain string `json:"domain"`
	// Keys are the domain's keys, oldest first.
	Keys []SelectorKey `json:"keys"`
}

// Clone returns a deep copy of s.
func (s *KeyState) Clone() *KeyState {
	if s == nil {
		return nil
	}
	c := &KeyState{Domain: s.Domain, Keys: make([]SelectorKey, len(s.Keys))}
	for i, k := range s.Keys {
		k.PrivateKey = append(PrivateKeyPEM(nil), k.PrivateKey...)
		c.Keys[i] = k
	}
	return c
}

// KeyStore holds the DKIM keys of every account's domains.
//
// Implementations are safe for concurrent use. Domains are passed
// lower-case (the signer normalizes them). Private keys are secrets: an
// implementation must not log them.
type KeyStore interface {
	// Get returns a copy of the keys of domain, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, account, domain string) (*KeyState, error)
	// Update runs fn on the keys of domain atomically and stores the
	// result. When there are none yet, fn gets an empty KeyState with
	// Domain set. An error from fn aborts the update and is returned as is.
	Update(ctx context.Context, account, domain string, fn func(*KeyState) error) error
}

// MemoryStore is the in-memory KeyStore: the embedded default and the one
// for tests. It is safe for concurrent use. Its zero value is not usable;
// call NewMemoryStore.
type MemoryStore struct {
	mu   sync.Mutex
	keys map[string]*KeyState // account + "\x00" + domain
}

var _ KeyStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{keys: map[string]*KeyState{}} }

func memKey(account, domain string) string { return account + "\x00" + strings.ToLower(domain) }

// Get implements KeyStore.
func (m *MemoryStore) Get(ctx context.Context, account, domain string) (*KeyState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.keys[memKey(account, domain)]
	if !ok {
		return nil, ErrNotFound
	}
	return s.Clone(), nil
}

// Update implements KeyStore.
func (m *MemoryStore) Update(ctx context.Context, account, domain string, fn func(*KeyState) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey(account, domain)
	s := m.keys[k].Clone()
	if s == nil {
		s = &KeyState{Domain: strings.ToLower(domain)}
	}
	if err := fn(s); err != nil {
		return err
	}
	m.keys[k] = s.Clone()
	return nil
}
