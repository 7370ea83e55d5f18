package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/deskmail/deskmail/autoreply"
)

// AutoreplyStore is autoreply.Store on PostgreSQL: the table
// deskmail_autoreply_counts, one row per account, recipient and day.
// Reserve is a single statement.
type AutoreplyStore struct{ db *DB }

var _ autoreply.Store = (*AutoreplyStore)(nil)

// AutoreplyStore returns the autoreply.Store of db.
func (db *DB) AutoreplyStore() *AutoreplyStore { return &AutoreplyStore{db: db} }

// Reserve implements autoreply.Store with one statement: an UPSERT whose
// update only applies below the limit, and, when it did not apply, the
// current count read in the same statement (at least limit: a refused
// reservation saw a count at the limit, even if the statement's snapshot is
// older).
func (s *AutoreplyStore) Reserve(ctx context.Context, account, recipient string, day time.Time, limit int) (autoreply.Reservation, error) {
	if account == "" || recipient == "" {
		return autoreply.Reservation{}, autoreply.ErrEmptyKey
	}
	if limit <= 0 {
		// Nothing can be reserved; report the count without writing.
		var n int
		err := s.db.pool.QueryRow(ctx, `select coalesce((select count from deskmail_autoreply_counts
			where account = $1 and recipient = $2 and day = $3), 0)`, account, recipient, civilDay(day)).Scan(&n)
		if err != nil {
			return autoreply.Reservation{}, fmt.Errorf("postgres: autoreply reserve: %w", err)
		}
		return autoreply.Reservation{Count: n}, nil
	}
	var r autoreply.Reservation
	err := s.db.pool.QueryRow(ctx, `with up as (
			insert into deskmail_autoreply_counts as c (account, recipient, day, count)
			values ($1, $2, $3, 1)
			on conflict (account, recipient, day) do update set count = c.count + 1
			where c.count < $4
			returning count)
		select true, count from up
		union all
		select false, greatest($4, (select count from deskmail_autoreply_counts
			where account = $1 and recipient = $2 and day = $3))
		where not exists (select from up)`,
		account, recipient, civilDay(day), limit).Scan(&r.Reserved, &r.Count)
	if err != nil {
		return autoreply.Reservation{}, fmt.Errorf("postgres: autoreply reserve: %w", err)
	}
	return r, nil
}
