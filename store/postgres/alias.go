package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/alias"
)

// AliasStore is alias.Store on PostgreSQL. Accounts are JSON documents in
// deskmail_alias_accounts; the address index deskmail_alias_addresses is
// rewritten from the account in the same transaction, and its primary key
// makes addresses unique across accounts.
type AliasStore struct{ db *DB }

var (
	_ alias.Store = (*AliasStore)(nil)
)

// AliasStore returns the alias.Store of db.
func (db *DB) AliasStore() *AliasStore { return &AliasStore{db: db} }

// Account implements alias.Store.
func (s *AliasStore) Account(ctx context.Context, account string) (*alias.Account, error) {
	var doc []byte
	err := s.db.pool.QueryRow(ctx, `select doc from deskmail_alias_accounts where account = $1`, account).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: account %q", alias.ErrNotFound, account)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: alias account: %w", err)
	}
	a := new(alias.Account)
	if err := json.Unmarshal(doc, a); err != nil {
		return nil, fmt.Errorf("postgres: alias account %q: %w", account, err)
	}
	return a, nil
}

// UpdateAccount implements alias.Store. It locks the account's row (creating
// it inside the transaction when missing, so concurrent creators queue up),
// runs fn and Validate, then writes the document and rewrites the address
// index. A deadlock between two accounts exchanging addresses is retried,
// which may call fn again.
func (s *AliasStore) UpdateAccount(ctx context.Context, account string, fn func(*alias.Account) error) error {
	return s.db.inTx(ctx, func(tx pgx.Tx) error {
		var doc []byte
		var version int64
		err := tx.QueryRow(ctx, `insert into deskmail_alias_accounts as a (account, doc, version)
			values ($1, '{}', 0)
			on conflict (account) do update set version = a.version
			returning doc, version`, account).Scan(&doc, &version)
		if err != nil {
			return fmt.Errorf("postgres: alias update: %w", err)
		}
		a := &alias.Account{ID: account}
		if version > 0 {
			if err := json.Unmarshal(doc, a); err != nil {
				return fmt.Errorf("postgres: alias account %q: %w", account, err)
			}
		}
		if err := fn(a); err != nil {
			return err
		}
		a.ID = account
		if err := a.Validate(); err != nil {
			return err
		}
		a.Version = version + 1
		doc, err = json.Marshal(a)
		if err != nil {
			return fmt.Errorf("postgres: alias account %q: %w", account, err)
		}
		b := &pgx.Batch{}
		b.Queue(`update deskmail_alias_accounts set doc = $2, version = $3, updated = now() where account = $1`, account, doc, a.Version)
		b.Queue(`delete from deskmail_alias_addresses where account = $1`, account)
		keys, entries := []string{}, []string{}
		seen := map[string]bool{}
		for _, sa := range a.Addresses {
			e := alias.Entry{Account: account, Address: sa, Department: a.DepartmentOf(&sa)}
			for _, k := range []string{sa.Address, sa.PlatformAddress} {
				if k == "" || seen[k] {
					continue
				}
				seen[k] = true
				e.Platform = k == sa.PlatformAddress && k != sa.Address
				ej, err := json.Marshal(e)
				if err != nil {
					return fmt.Errorf("postgres: alias account %q: %w", account, err)
				}
				keys, entries = append(keys, k), append(entries, string(ej))
			}
		}
		if len(keys) > 0 {
			b.Queue(`insert into deskmail_alias_addresses (key, account, entry)
				select k, $1, e from unnest($2::text[], $3::jsonb[]) as u(k, e)`, account, keys, entries)
		}
		err = tx.SendBatch(ctx, b).Close()
		if pgCode(err) == "23505" { // unique_violation on the address key
			return fmt.Errorf("%w: %s", alias.ErrAddressTaken, takenKey(ctx, s.db, account, keys))
		}
		if err != nil {
			return fmt.Errorf("postgres: alias update: %w", err)
		}
		return nil
	})
}

// takenKey names one of keys that another account holds, for the error
// message; best effort.
func takenKey(ctx context.Context, db *DB, account string, keys []string) string {
	var k string
	if err := db.pool.QueryRow(ctx, `select key from deskmail_alias_addresses
		where key = any($1) and account <> $2 limit 1`, keys, account).Scan(&k); err != nil {
		return "an address"
	}
	return k
}

// Lookup implements alias.Store with one primary-key read.
func (s *AliasStore) Lookup(ctx context.Context, key string) (alias.Entry, error) {
	var doc []byte
	err := s.db.pool.QueryRow(ctx, `select entry from deskmail_alias_addresses where key = $1`, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return alias.Entry{}, fmt.Errorf("%w: address", alias.ErrNotFound)
	}
	if err != nil {
		return alias.Entry{}, fmt.Errorf("postgres: alias lookup: %w", err)
	}
	var e alias.Entry
	if err := json.Unmarshal(doc, &e); err != nil {
		return alias.Entry{}, fmt.Errorf("postgres: alias lookup: %w", err)
	}
	return e, nil
}

// LookupKeys implements alias.Store: the entries of the keys that
// exist, with one query, so routing costs one round trip per message.
func (s *AliasStore) LookupKeys(ctx context.Context, keys []string) ([]alias.Entry, error) {
	if len(keys) == 0 {
		return nil, ctx.Err()
	}
	rows, err := s.db.pool.Query(ctx, `select entry from deskmail_alias_addresses where key = any($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: alias lookup: %w", err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("postgres: alias lookup: %w", err)
	}
	out := make([]alias.Entry, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal(d, &out[i]); err != nil {
			return nil, fmt.Errorf("postgres: alias lookup: %w", err)
		}
	}
	return out, nil
}

// FetchHealth implements alias.Store.
func (s *AliasStore) FetchHealth(ctx context.Context, account, source string) (alias.FetchHealth, error) {
	var doc []byte
	err := s.db.pool.QueryRow(ctx, `select doc from deskmail_alias_fetch_health where account = $1 and source = $2`, account, source).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return alias.FetchHealth{}, fmt.Errorf("%w: fetch source %q", alias.ErrNotFound, source)
	}
	if err != nil {
		return alias.FetchHealth{}, fmt.Errorf("postgres: alias fetch health: %w", err)
	}
	var h alias.FetchHealth
	if err := json.Unmarshal(doc, &h); err != nil {
		return alias.FetchHealth{}, fmt.Errorf("postgres: alias fetch health: %w", err)
	}
	return h, nil
}

// UpdateFetchHealth implements alias.Store under a row lock, in two round
// trips.
func (s *AliasStore) UpdateFetchHealth(ctx context.Context, account, source string, fn func(*alias.FetchHealth) error) (alias.FetchHealth, error) {
	var doc []byte
	var fresh bool
	var h alias.FetchHealth
	err := s.db.lockedUpdate(ctx, `insert into deskmail_alias_fetch_health as h (account, source, doc)
			values ($1, $2, 'null')
			on conflict (account, source) do update set doc = h.doc
			returning doc, xmax = 0`, []any{account, source},
		func(row pgx.Row) error {
			if err := row.Scan(&doc, &fresh); err != nil {
				return fmt.Errorf("postgres: alias fetch health: %w", err)
			}
			return nil
		},
		func() (string, []any, error) {
			if !fresh {
				if err := json.Unmarshal(doc, &h); err != nil {
					return "", nil, fmt.Errorf("postgres: alias fetch health: %w", err)
				}
			}
			if err := fn(&h); err != nil {
				return "", nil, err
			}
			out, err := json.Marshal(h)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: alias fetch health: %w", err)
			}
			return `update deskmail_alias_fetch_health set doc = $3 where account = $1 and source = $2`,
				[]any{account, source, out}, nil
		})
	if err != nil {
		return alias.FetchHealth{}, err
	}
	return h, nil
}
