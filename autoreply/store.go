package autoreply

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrEmptyKey is returned by a Store when the account or recipient is
// empty.
var ErrEmptyKey = errors.New("autoreply: empty account or recipient")

// Reservation is the outcome of Store.Reserve, with snake_case JSON names
// for logs.
type Reservation struct {
	// Reserved reports that the mail was counted and may be sent.
	Reserved bool `json:"reserved"`
	// Count is the number of automatic mails counted for the recipient on
	// that day after the call (equal to the limit, or more if the limit
	// was lowered, when Reserved is false).
	Count int `json:"count"`
}

// Store counts the automatic mails sent to each recipient per account and
// day. The host implements it on its database (store/postgres does), or
// uses NewMemoryStore.
//
// A Postgres implementation is a single statement, e.g.
//
//	INSERT INTO autoreply_counts (account, recipient, day, count)
//	VALUES ($1, $2, $3, 1)
//	ON CONFLICT (account, recipient, day)
//	DO UPDATE SET count = autoreply_counts.count + 1
//	WHERE autoreply_counts.count < $4
//	RETURNING count
//
// with no row returned meaning "not reserved" (then read the count), and
// limit <= 0 handled before the statement.
type Store interface {
	// Reserve counts one automatic mail to recipient on day for account if
	// fewer than limit have been counted, atomically: however many callers
	// race, no more than limit reservations succeed for one key. day is the
	// civil date at midnight UTC (the Limiter computes it in its time
	// zone); implementations use only its year, month and day. recipient
	// is an opaque key compared byte for byte (the Limiter canonicalises
	// addresses). A limit <= 0 reserves nothing. An empty account or
	// recipient returns ErrEmptyKey. Safe for concurrent use.
	//
	// Implementations may forget counts for days more than two days
	// before the latest day they have seen.
	Reserve(ctx context.Context, account, recipient string, day time.Time, limit int) (Reservation, error)
}

// MemoryStore is the in-memory Store: the embedded default for a single
// process, and the store for tests. It is safe for concurrent use and
// forgets counts older than two days before the latest day it has seen.
type MemoryStore struct {
	mu     sync.Mutex
	counts map[memKey]int
	latest time.Time
}

type memKey struct {
	account, recipient string
	day                time.Time
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{counts: make(map[memKey]int)}
}

// dayOf returns midnight UTC of t's year, month and day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Reserve implements Store.
func (s *MemoryStore) Reserve(ctx context.Context, account, recipient string, day time.Time, limit int) (Reservation, error) {
	if err := ctx.Err(); err != nil {
		return Reservation{}, err
	}
	if account == "" || recipient == "" {
		return Reservation{}, ErrEmptyKey
	}
	day = dayOf(day)
	k := memKey{account, recipient, day}
	s.mu.Lock()
	defer s.mu.Unlock()
	if day.After(s.latest) {
		s.latest = day
		cutoff := day.AddDate(0, 0, -2)
		for key := range s.counts {
			if key.day.Before(cutoff) {
				delete(s.counts, key)
			}
		}
	}
	n := s.counts[k]
	if limit <= 0 || n >= limit {
		return Reservation{Count: n}, nil
	}
	n++
	s.counts[k] = n
	return Reservation{Reserved: true, Count: n}, nil
}
