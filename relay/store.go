package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Store keeps the daily counters (caps, R5/R6) and the breaker state (R8)
// of every account. Days are calendar days in the account's time zone,
// passed as midnight UTC of that date (a SQL date); the store never reads
// a clock. Counters of past days may be pruned by the implementation.
//
// Every method is one atomic operation, implementable as a single SQL
// statement. Implementations must be safe for concurrent use, by many
// processes when the store is shared.
type Store interface {
	// Reserve adds r.N units to the day's plan total of r.Account and, when
	// r.Relay is not "", to that relay's day count — both or neither. It
	// fails with ErrPlanCapReached when the total would exceed r.PlanCap,
	// or ErrRelayCapReached when the relay count would exceed r.RelayCap
	// (a cap of zero is no cap). The plan cap is checked first. A relay
	// whose breaker is open for the day fails with ErrRelayBroken, one
	// marked exhausted with ErrRelayExhausted, before any cap; so one call
	// both checks the breaker and reserves.
	Reserve(ctx context.Context, r Reservation) error
	// Refund takes back units of an earlier Reserve that were not sent:
	// r.N from the relay's day count when r.Relay is not "", and from the
	// plan total unless keepTotal (the units moved to the platform path
	// and still count toward the plan). Counts never go below zero.
	Refund(ctx context.Context, r Reservation, keepTotal bool) error
	// Usage returns the day's counts of an account; zero counts when
	// nothing was reserved.
	Usage(ctx context.Context, account string, day time.Time) (Usage, error)
	// RecordOutcome records a send through a relay and returns the state
	// after it: OutcomeSuccess resets the consecutive fault count,
	// OutcomeFault adds one and opens the breaker when the count reaches
	// threshold (JustOpened is true for the one call that opened it),
	// OutcomeQuota marks the relay exhausted for the day without a fault.
	RecordOutcome(ctx context.Context, account, relay string, day time.Time, o Outcome, threshold int) (BreakerState, error)
	// Breaker returns a relay's state for the day; the zero state when
	// nothing was recorded.
	Breaker(ctx context.Context, account, relay string, day time.Time) (BreakerState, error)
}

// Reservation is the units one send takes from the day's counters.
type Reservation struct {
	Account  string    `json:"account"`
	Relay    string    `json:"relay,omitempty"` // relay ID; "" for the platform path
	Day      time.Time `json:"day"`             // midnight UTC of the account's calendar day
	N        int64     `json:"n"`               // units: recipients, or 1 per message
	RelayCap int64     `json:"relay_cap,omitempty"`
	PlanCap  int64     `json:"plan_cap,omitempty"`
}

// Usage is an account's counts for a day.
type Usage struct {
	Total  int64            `json:"total"`  // every path, relays and platform
	Relays map[string]int64 `json:"relays"` // by relay ID
}

// Outcome is what a send through a relay did, for the breaker.
type Outcome int

// The outcomes.
const (
	OutcomeSuccess Outcome = iota + 1 // the relay took the mail (or bounced recipients)
	OutcomeFault                      // a relay fault: a breaker strike
	OutcomeQuota                      // the relay's own quota is used up
)

// BreakerState is a relay's breaker for a day.
type BreakerState struct {
	// Faults is the number of consecutive faults.
	Faults int `json:"faults"`
	// Open means the relay is skipped until the next day.
	Open bool `json:"open"`
	// JustOpened is set on the result of the RecordOutcome call that
	// opened the breaker, so the admin is notified once.
	JustOpened bool `json:"just_opened,omitempty"`
	// Exhausted means the relay answered with a quota reply today and is
	// skipped until the next day.
	Exhausted bool `json:"exhausted"`
}

// Usable reports whether the relay may be tried.
func (b BreakerState) Usable() bool { return !b.Open && !b.Exhausted }

// Store errors.
var (
	// ErrRelayCapReached: the relay's daily cap is used up (R5).
	ErrRelayCapReached = errors.New("relay: relay daily cap reached")
	// ErrPlanCapReached: the plan's daily total is used up (R6).
	ErrPlanCapReached = errors.New("relay: plan daily total reached")
	// ErrRelayBroken: the relay's breaker is open for the day (R8).
	ErrRelayBroken = errors.New("relay: relay breaker open for the day")
	// ErrRelayExhausted: the relay reported its own quota used up today.
	ErrRelayExhausted = errors.New("relay: relay quota exhausted for the day")
)

// DayOf returns the calendar day of t in loc (nil = UTC) as midnight UTC of
// that date, the form stores take.
func DayOf(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// MemoryStore is the in-memory Store: the embedded default for one process,
// and the store for tests. It is sharded by account, so accounts do not
// contend. It keeps only each account's latest day. Safe for concurrent use.
type MemoryStore struct {
	seed   maphash.Seed
	shards [64]memShard
}

type memShard struct {
	mu       sync.Mutex
	accounts map[string]*memAccount
	_        [40]byte // keep shards on separate cache lines
}

type memAccount struct {
	day      int64 // Unix seconds of the day
	total    int64
	relays   map[string]int64
	breakers map[string]*BreakerState
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].accounts = map[string]*memAccount{}
	}
	return s
}

func (s *MemoryStore) shard(account string) *memShard {
	return &s.shards[maphash.String(s.seed, account)%uint64(len(s.shards))]
}

// day returns the account's state for day, locked by the caller; a newer
// day replaces an older one, an older day gets a throwaway state.
func (sh *memShard) day(account string, day time.Time) *memAccount {
	d := day.Unix()
	a := sh.accounts[account]
	if a == nil || a.day < d {
		a = &memAccount{day: d, relays: map[string]int64{}, breakers: map[string]*BreakerState{}}
		sh.accounts[account] = a
	} else if a.day > d {
		return &memAccount{day: d, relays: map[string]int64{}, breakers: map[string]*BreakerState{}}
	}
	return a
}

func checkReservation(r Reservation) error {
	if r.Account == "" {
		return errors.New("relay: reservation without account")
	}
	if r.N < 0 {
		return fmt.Errorf("relay: negative reservation %d", r.N)
	}
	return nil
}

// Reserve implements Store.
func (s *MemoryStore) Reserve(ctx context.Context, r Reservation) error {
	if err := checkReservation(r); err != nil {
		return err
	}
	sh := s.shard(r.Account)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.day(r.Account, r.Day)
	if r.Relay != "" {
		if b := a.breakers[r.Relay]; b != nil {
			if b.Open {
				return ErrRelayBroken
			}
			if b.Exhausted {
				return ErrRelayExhausted
			}
		}
	}
	if r.PlanCap > 0 && a.total+r.N > r.PlanCap {
		return ErrPlanCapReached
	}
	if r.Relay != "" {
		n := a.relays[r.Relay]
		if r.RelayCap > 0 && n+r.N > r.RelayCap {
			return ErrRelayCapReached
		}
		a.relays[r.Relay] = n + r.N
	}
	a.total += r.N
	return nil
}

// Refund implements Store.
func (s *MemoryStore) Refund(ctx context.Context, r Reservation, keepTotal bool) error {
	if err := checkReservation(r); err != nil {
		return err
	}
	sh := s.shard(r.Account)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.day(r.Account, r.Day)
	if r.Relay != "" {
		a.relays[r.Relay] = max(0, a.relays[r.Relay]-r.N)
	}
	if !keepTotal {
		a.total = max(0, a.total-r.N)
	}
	return nil
}

// Usage implements Store.
func (s *MemoryStore) Usage(ctx context.Context, account string, day time.Time) (Usage, error) {
	sh := s.shard(account)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	u := Usage{Relays: map[string]int64{}}
	a := sh.accounts[account]
	if a == nil || a.day != day.Unix() {
		return u, nil
	}
	u.Total = a.total
	for k, v := range a.relays {
		if v != 0 {
			u.Relays[k] = v
		}
	}
	return u, nil
}

// RecordOutcome implements Store.
func (s *MemoryStore) RecordOutcome(ctx context.Context, account, relay string, day time.Time, o Outcome, threshold int) (BreakerState, error) {
	sh := s.shard(account)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.day(account, day)
	b := a.breakers[relay]
	if b == nil {
		b = &BreakerState{}
		a.breakers[relay] = b
	}
	b.JustOpened = false
	switch o {
	case OutcomeSuccess:
		b.Faults = 0
	case OutcomeFault:
		b.Faults++
		if threshold > 0 && b.Faults >= threshold && !b.Open {
			b.Open = true
			b.JustOpened = true
		}
	case OutcomeQuota:
		b.Exhausted = true
	default:
		return BreakerState{}, fmt.Errorf("relay: unknown outcome %d", o)
	}
	st := *b
	b.JustOpened = false
	return st, nil
}

// Breaker implements Store.
func (s *MemoryStore) Breaker(ctx context.Context, account, relay string, day time.Time) (BreakerState, error) {
	sh := s.shard(account)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.accounts[account]
	if a == nil || a.day != day.Unix() {
		return BreakerState{}, nil
	}
	if b := a.breakers[relay]; b != nil {
		return *b, nil
	}
	return BreakerState{}, nil
}
