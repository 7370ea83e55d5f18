package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/threading"
)

// MessageIndex is threading.Store on PostgreSQL: the table
// deskmail_message_index with primary key (account, message_id). Add is one
// INSERT … ON CONFLICT DO NOTHING, Lookup one indexed query over all the ids.
type MessageIndex struct{ db *DB }

var _ threading.Store = (*MessageIndex)(nil)

// MessageIndex returns the threading.Store (message index) of db.
func (db *DB) MessageIndex() *MessageIndex { return &MessageIndex{db: db} }

// errEmptyMessageKey is returned for an empty account or message id.
var errEmptyMessageKey = errors.New("postgres: threading: empty account or message id")

// Add implements threading.Store. Created is stored to the microsecond.
func (s *MessageIndex) Add(ctx context.Context, account string, e threading.Entry) error {
	if account == "" || e.MessageID == "" {
		return errEmptyMessageKey
	}
	tag, err := s.db.pool.Exec(ctx, `insert into deskmail_message_index (account, message_id, ticket, outbound, created)
		values ($1, $2, $3, $4, $5) on conflict (account, message_id) do nothing`,
		account, e.MessageID, e.Ticket, e.Outbound, e.Created)
	if err != nil {
		return fmt.Errorf("postgres: threading add: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return threading.ErrDuplicate
	}
	return nil
}

// Lookup implements threading.Store.
func (s *MessageIndex) Lookup(ctx context.Context, account string, ids []string) (threading.Entry, error) {
	if len(ids) == 0 {
		if err := ctx.Err(); err != nil {
			return threading.Entry{}, err
		}
		return threading.Entry{}, threading.ErrNotFound
	}
	var e threading.Entry
	err := s.db.pool.QueryRow(ctx, `select message_id, ticket, outbound, created from deskmail_message_index
		where account = $1 and message_id = any($2)
		order by array_position($2, message_id) limit 1`, account, ids).
		Scan(&e.MessageID, &e.Ticket, &e.Outbound, &e.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return threading.Entry{}, threading.ErrNotFound
	}
	if err != nil {
		return threading.Entry{}, fmt.Errorf("postgres: threading lookup: %w", err)
	}
	e.Created = utc(e.Created)
	return e, nil
}
