package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/dkim"
)

// DKIMKeyStore is dkim.KeyStore on PostgreSQL: one row per account and
// signing domain in deskmail_dkim_domains, holding the dkim.KeyState as
// JSON. Private keys are stored as given (PKCS #8 PEM): grant access to
// that table as to any secret, or encrypt the database at rest. They never
// appear in an error message.
type DKIMKeyStore struct{ db *DB }

var _ dkim.KeyStore = (*DKIMKeyStore)(nil)

// DKIMKeyStore returns the dkim.KeyStore of db.
func (db *DB) DKIMKeyStore() *DKIMKeyStore { return &DKIMKeyStore{db: db} }

// Get implements dkim.KeyStore.
func (s *DKIMKeyStore) Get(ctx context.Context, account, domain string) (*dkim.KeyState, error) {
	domain = strings.ToLower(domain)
	var doc []byte
	err := s.db.pool.QueryRow(ctx, `select state from deskmail_dkim_domains where account = $1 and domain = $2`, account, domain).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", dkim.ErrNotFound, domain)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: dkim get: %w", err)
	}
	st := new(dkim.KeyState)
	if err := json.Unmarshal(doc, st); err != nil {
		// json errors quote no input, but say nothing more to be safe.
		return nil, fmt.Errorf("postgres: dkim get %s: stored key state does not decode", domain)
	}
	return st, nil
}

// Update implements dkim.KeyStore under a row lock, in two round trips; fn
// runs once.
func (s *DKIMKeyStore) Update(ctx context.Context, account, domain string, fn func(*dkim.KeyState) error) error {
	domain = strings.ToLower(domain)
	var doc []byte
	var fresh bool
	return s.db.lockedUpdate(ctx, `insert into deskmail_dkim_domains as d (account, domain, state)
			values ($1, $2, 'null')
			on conflict (account, domain) do update set state = d.state
			returning state, xmax = 0`, []any{account, domain},
		func(row pgx.Row) error {
			if err := row.Scan(&doc, &fresh); err != nil {
				return fmt.Errorf("postgres: dkim update: %w", err)
			}
			return nil
		},
		func() (string, []any, error) {
			st := &dkim.KeyState{Domain: domain}
			if !fresh {
				if err := json.Unmarshal(doc, st); err != nil {
					return "", nil, fmt.Errorf("postgres: dkim update %s: stored key state does not decode", domain)
				}
			}
			if err := fn(st); err != nil {
				return "", nil, err
			}
			out, err := json.Marshal(st)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: dkim update %s: key state does not encode", domain)
			}
			return `update deskmail_dkim_domains set state = $3 where account = $1 and domain = $2`,
				[]any{account, domain, out}, nil
		})
}
