package threading

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Store errors.
var (
	// ErrNotFound is returned by Store.Lookup when no id is indexed, and by
	// Tickets and Agents implementations for an unknown ticket or agent.
	ErrNotFound = errors.New("threading: not found")
	// ErrDuplicate is returned by Store.Add when the account's index already
	// holds the Message-ID (whatever its ticket): the first writer wins.
	ErrDuplicate = errors.New("threading: message id already indexed")
)

// Entry is one row of the message index.
type Entry struct {
	// MessageID is the id without angle brackets, compared exactly.
	MessageID string `json:"message_id,omitempty"`
	// Ticket is the host's ticket id.
	Ticket string `json:"ticket,omitempty"`
	// Outbound is true for ids of mail we sent, including ids a provider
	// assigned when sending (Amazon SES, some Microsoft 365 relays rewrite
	// the Message-ID); false for mail we received.
	Outbound bool `json:"outbound,omitempty"`
	// Created is when the entry was added.
	Created time.Time `json:"created,omitzero"`
}

// Store is the message index: Message-ID → ticket, per account. The host
// implements it on its database (store/postgres does: one table keyed by
// account and message id, Lookup as one "message_id = ANY($2)" query), or
// uses NewMemoryStore.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Add indexes e for account. It returns ErrDuplicate, and changes
	// nothing, when the account already holds e.MessageID: an insert that
	// must be atomic (a unique key on account and message id).
	Add(ctx context.Context, account string, e Entry) error

	// Lookup returns the entry of the first of ids (in the order given)
	// that account's index holds, or ErrNotFound when it holds none. Ids
	// of other accounts are never returned.
	Lookup(ctx context.Context, account string, ids []string) (Entry, error)
}

// MemoryStore is a Store in memory: the embedded default, and for tests. It
// is safe for concurrent use. Its zero value is not usable; call
// NewMemoryStore.
type MemoryStore struct {
	mu       sync.RWMutex
	accounts map[string]map[string]Entry
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{accounts: make(map[string]map[string]Entry)}
}

var errEmptyKey = errors.New("threading: empty account or message id")

// Add implements Store.
func (m *MemoryStore) Add(ctx context.Context, account string, e Entry) error {
	if account == "" || e.MessageID == "" {
		return errEmptyKey
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := m.accounts[account]
	if idx == nil {
		idx = make(map[string]Entry)
		m.accounts[account] = idx
	}
	if _, ok := idx[e.MessageID]; ok {
		return ErrDuplicate
	}
	idx[e.MessageID] = e
	return nil
}

// Lookup implements Store.
func (m *MemoryStore) Lookup(ctx context.Context, account string, ids []string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	idx := m.accounts[account]
	for _, id := range ids {
		if e, ok := idx[id]; ok {
			return e, nil
		}
	}
	return Entry{}, ErrNotFound
}

// Remember indexes ids (with or without angle brackets) for ticket, marking
// them outbound or not, with the time from Options.Now. Ids already indexed
// are left alone, whatever their ticket (the first writer wins), and values
// that cannot be msg-ids (empty, holding white space or brackets) are
// skipped. Call it for every mail sent, with the Message-ID written and any
// id the provider reported (Amazon SES, Microsoft 365 rewrite it), and for
// every mail received, so a second delivery is seen as MethodDuplicate and
// replies to the customer's own mails find the ticket.
func (t *Threader) Remember(ctx context.Context, account, ticket string, outbound bool, ids ...string) error {
	if t.index == nil {
		return errors.New("threading: no index configured")
	}
	now := t.now()
	for _, id := range ids {
		id = cleanID(id)
		if !validID(id) {
			continue
		}
		err := t.index.Add(ctx, account, Entry{MessageID: id, Ticket: ticket, Outbound: outbound, Created: now})
		if err != nil && !errors.Is(err, ErrDuplicate) {
			return err
		}
	}
	return nil
}
