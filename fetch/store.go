package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrNotFound is returned by Store.State when the source has no state yet.
var ErrNotFound = errors.New("fetch: not found")

// State is the bookkeeping of one source: what was fetched already.
type State struct {
	// UIDValidity is the IMAP folder's UIDVALIDITY when LastUID was
	// recorded; when the server reports another one, every UID is new
	// again (RFC 3501 section 2.3.1.1) and the Message-ID index keeps the
	// mail that was filed already from being filed twice.
	UIDValidity uint32 `json:"uid_validity,omitempty"`
	// LastUID is the highest IMAP UID that is done: delivered and acted
	// on, a duplicate, too large to fetch, or skipped by Source.OnlyNew.
	LastUID uint32 `json:"last_uid,omitempty"`
	// UIDLs are the POP3 unique ids that are done and still on the
	// server (those that left the server are pruned at each fetch).
	UIDLs []string `json:"uidls,omitempty"`
	// Settings is the fingerprint of the source settings of the last
	// attempt; a change re-enables a disabled source (A13).
	Settings string `json:"settings,omitempty"`
	// LastFetch is the end of the latest fetch that reached the mailbox.
	LastFetch time.Time `json:"last_fetch,omitzero"`
}

func (s State) clone() State {
	s.UIDLs = slices.Clone(s.UIDLs)
	return s
}

// Store keeps the State of each source, keyed by account and source id.
//
// The contract, which fetchtest.TestStore checks clause by clause:
//
//   - State returns a copy of the state of one source, or an error
//     wrapping ErrNotFound when none was saved.
//   - Update runs fn on a copy of the current state (the zero State when
//     none) and saves the result atomically with respect to other updates
//     of the same source, returning what was saved: concurrent updates lose
//     nothing. An error from fn is returned as is and nothing is saved.
//     fn may be called more than once (a database may retry on a
//     serialization failure), so it must have no other side effect.
//   - Sources are independent of each other and accounts of each other.
//
// Methods are safe for concurrent use. A database implements State as one
// SELECT and Update as SELECT ... FOR UPDATE, fn, UPSERT in a transaction.
type Store interface {
	State(ctx context.Context, account, source string) (State, error)
	Update(ctx context.Context, account, source string, fn func(*State) error) (State, error)
}

// MemoryStore is the in-memory Store: the embedded default for one process
// and the store for tests. Safe for concurrent use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[[2]string]State
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{m: make(map[[2]string]State)}
}

// State implements Store.
func (s *MemoryStore) State(ctx context.Context, account, source string) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[[2]string{account, source}]
	if !ok {
		return State{}, fmt.Errorf("%w: source %q of account %q", ErrNotFound, source, account)
	}
	return st.clone(), nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, account, source string, fn func(*State) error) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{account, source}
	st := s.m[k].clone()
	if err := fn(&st); err != nil {
		return State{}, err
	}
	s.m[k] = st.clone()
	return st, nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
