package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/fetch"
)

// FetchStore is fetch.Store on PostgreSQL: the table deskmail_fetch_state,
// one JSON document per account and source. State is one SELECT; Update
// locks the row (creating it if need be), runs fn and writes, in one
// transaction of two round trips.
type FetchStore struct{ db *DB }

var _ fetch.Store = (*FetchStore)(nil)

// FetchStore returns the fetch.Store of db.
func (db *DB) FetchStore() *FetchStore { return &FetchStore{db: db} }

// State implements fetch.Store.
func (s *FetchStore) State(ctx context.Context, account, source string) (fetch.State, error) {
	var doc []byte
	err := s.db.pool.QueryRow(ctx, `select doc from deskmail_fetch_state where account = $1 and source = $2 and doc <> 'null'`, account, source).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return fetch.State{}, fmt.Errorf("%w: source %q of account %q", fetch.ErrNotFound, source, account)
	}
	if err != nil {
		return fetch.State{}, fmt.Errorf("postgres: fetch state: %w", err)
	}
	var st fetch.State
	if err := json.Unmarshal(doc, &st); err != nil {
		return fetch.State{}, fmt.Errorf("postgres: fetch state: %w", err)
	}
	return st, nil
}

// Update implements fetch.Store under a row lock.
func (s *FetchStore) Update(ctx context.Context, account, source string, fn func(*fetch.State) error) (fetch.State, error) {
	var doc []byte
	var st fetch.State
	err := s.db.lockedUpdate(ctx, `insert into deskmail_fetch_state as f (account, source, doc)
			values ($1, $2, 'null')
			on conflict (account, source) do update set doc = f.doc
			returning doc`, []any{account, source},
		func(row pgx.Row) error {
			if err := row.Scan(&doc); err != nil {
				return fmt.Errorf("postgres: fetch state: %w", err)
			}
			return nil
		},
		func() (string, []any, error) {
			st = fetch.State{}
			if string(doc) != "null" {
				if err := json.Unmarshal(doc, &st); err != nil {
					return "", nil, fmt.Errorf("postgres: fetch state: %w", err)
				}
			}
			if err := fn(&st); err != nil {
				return "", nil, err
			}
			out, err := json.Marshal(st)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: fetch state: %w", err)
			}
			return `update deskmail_fetch_state set doc = $3 where account = $1 and source = $2`,
				[]any{account, source, out}, nil
		})
	if err != nil {
		return fetch.State{}, err
	}
	return st, nil
}
