package bounce

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store: the embedded default for one process,
// and for tests. It is safe for concurrent use.
type MemoryStore struct {
	mu         sync.Mutex
	addrs      map[[2]string]AddressState
	deliveries map[[2]string][]Delivery
	counts     map[string]map[time.Time][2]int
	accounts   map[string]AccountState
	sent       map[[2]string]SentMessage
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		addrs:      map[[2]string]AddressState{},
		deliveries: map[[2]string][]Delivery{},
		counts:     map[string]map[time.Time][2]int{},
		accounts:   map[string]AccountState{},
		sent:       map[[2]string]SentMessage{},
	}
}

func cloneState(s AddressState) AddressState {
	s.Events = slices.Clone(s.Events)
	s.Pending = slices.Clone(s.Pending)
	s.Seen = slices.Clone(s.Seen)
	return s
}

// check makes the zero MemoryStore fail instead of panicking.
func (m *MemoryStore) check(ctx context.Context) error {
	if m == nil || m.addrs == nil {
		return ErrNoStore
	}
	return ctx.Err()
}

// Update implements Store.
func (m *MemoryStore) Update(ctx context.Context, account, address string, fn func(*AddressState) error) (AddressState, error) {
	if err := m.check(ctx); err != nil {
		return AddressState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, address}
	s, ok := m.addrs[k]
	if !ok {
		s = AddressState{Account: account, Address: address, State: StateOK}
	}
	s = cloneState(s)
	if err := fn(&s); err != nil {
		return AddressState{}, err
	}
	s.Account, s.Address = account, address
	m.addrs[k] = cloneState(s)
	return s, nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, account, address string) (AddressState, error) {
	if err := m.check(ctx); err != nil {
		return AddressState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.addrs[[2]string{account, address}]
	if !ok {
		return AddressState{}, ErrNotFound
	}
	return cloneState(s), nil
}

// PutDelivery implements Store.
func (m *MemoryStore) PutDelivery(ctx context.Context, account string, d Delivery) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, d.MessageID}
	list := m.deliveries[k]
	for i := range list {
		if list[i].Recipient == d.Recipient {
			list[i] = d
			return nil
		}
	}
	list = append(list, d)
	sort.Slice(list, func(i, j int) bool { return list[i].Recipient < list[j].Recipient })
	m.deliveries[k] = list
	return nil
}

// Deliveries implements Store.
func (m *MemoryStore) Deliveries(ctx context.Context, account, messageID string) ([]Delivery, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.deliveries[[2]string{account, messageID}]
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return append([]Delivery(nil), list...), nil
}

// AddCounts implements Store.
func (m *MemoryStore) AddCounts(ctx context.Context, account string, day time.Time, sends, hardBounces int) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	days := m.counts[account]
	if days == nil {
		days = map[time.Time][2]int{}
		m.counts[account] = days
	}
	d := Day(day)
	c := days[d]
	c[0] += sends
	c[1] += hardBounces
	days[d] = c
	return nil
}

// Counts implements Store.
func (m *MemoryStore) Counts(ctx context.Context, account string, since time.Time) (int, int, error) {
	if err := m.check(ctx); err != nil {
		return 0, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	from := Day(since)
	var s, h int
	for d, c := range m.counts[account] {
		if !d.Before(from) {
			s += c[0]
			h += c[1]
		}
	}
	return s, h, nil
}

// UpdateAccount implements Store.
func (m *MemoryStore) UpdateAccount(ctx context.Context, account string, fn func(*AccountState) error) (AccountState, error) {
	if err := m.check(ctx); err != nil {
		return AccountState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[account]
	if !ok {
		a = AccountState{Account: account}
	}
	if err := fn(&a); err != nil {
		return AccountState{}, err
	}
	a.Account = account
	m.accounts[account] = a
	return a, nil
}

// GetAccount implements Store.
func (m *MemoryStore) GetAccount(ctx context.Context, account string) (AccountState, error) {
	if err := m.check(ctx); err != nil {
		return AccountState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[account]
	if !ok {
		return AccountState{}, ErrNotFound
	}
	return a, nil
}

// AddSent implements Store.
func (m *MemoryStore) AddSent(ctx context.Context, account string, sm SentMessage) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{account, sm.MessageID}
	old, ok := m.sent[k]
	if !ok {
		old = SentMessage{MessageID: sm.MessageID, At: sm.At}
	}
	rs := append(slices.Clone(old.Recipients), sm.Recipients...)
	slices.Sort(rs)
	old.Recipients = slices.Compact(rs)
	if sm.At.After(old.At) {
		old.At = sm.At
	}
	m.sent[k] = old
	return nil
}

// Sent implements Store.
func (m *MemoryStore) Sent(ctx context.Context, account, messageID string) (SentMessage, error) {
	if err := m.check(ctx); err != nil {
		return SentMessage{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sm, ok := m.sent[[2]string{account, messageID}]
	if !ok {
		return SentMessage{}, ErrNotFound
	}
	sm.Recipients = slices.Clone(sm.Recipients)
	return sm, nil
}

// PruneSent implements Store.
func (m *MemoryStore) PruneSent(ctx context.Context, before time.Time) (int, error) {
	if err := m.check(ctx); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, sm := range m.sent {
		if sm.At.Before(before) {
			delete(m.sent, k)
			n++
		}
	}
	return n, nil
}
