package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/inbound/allow"
)

// AllowStore is allow.Store on PostgreSQL: the table deskmail_allow, whose
// primary key is the whole allow.Key. Put is one INSERT … ON CONFLICT DO
// UPDATE, Find one indexed query over all the keys, Delete one DELETE.
type AllowStore struct{ db *DB }

var _ allow.Store = (*AllowStore)(nil)

// AllowStore returns the allow list (inbound/allow) of db.
func (db *DB) AllowStore() *AllowStore { return &AllowStore{db: db} }

// Put implements allow.Store. At is stored to the microsecond, in UTC.
func (s *AllowStore) Put(ctx context.Context, e allow.Entry) error {
	k := e.Key.Normal()
	if !k.Valid() {
		return allow.ErrInvalidKey
	}
	_, err := s.db.pool.Exec(ctx, `insert into deskmail_allow (account, sender, failure, spf, spf_domain, dkim, network, by_whom, at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (account, sender, failure, spf, spf_domain, dkim, network) do update set by_whom = excluded.by_whom, at = excluded.at`,
		k.Account, k.Sender, k.Failure, k.SPF, k.SPFDomain, k.DKIM, k.Network, e.By, utc(e.At))
	if err != nil {
		return fmt.Errorf("postgres: allow put: %w", err)
	}
	return nil
}

// Find implements allow.Store: one query, the first of keys that has an
// entry winning.
func (s *AllowStore) Find(ctx context.Context, keys ...allow.Key) (allow.Entry, error) {
	if len(keys) == 0 {
		if err := ctx.Err(); err != nil {
			return allow.Entry{}, err
		}
		return allow.Entry{}, allow.ErrNotFound
	}
	var b strings.Builder
	b.WriteString(`select k.ord, a.account, a.sender, a.failure, a.spf, a.spf_domain, a.dkim, a.network, a.by_whom, a.at
		from (values `)
	args := make([]any, 0, 7*len(keys))
	for i, k := range keys {
		k = k.Normal()
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "(%d, $%d::text, $%d::text, $%d::text, $%d::text, $%d::text, $%d::text, $%d::cidr)", i, n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		network := any(nil)
		if k.Network.IsValid() {
			network = k.Network
		}
		args = append(args, k.Account, k.Sender, k.Failure, k.SPF, k.SPFDomain, k.DKIM, network)
	}
	b.WriteString(`) as k (ord, account, sender, failure, spf, spf_domain, dkim, network)
		join deskmail_allow a on a.account = k.account and a.sender = k.sender and a.failure = k.failure
			and a.spf = k.spf and a.spf_domain = k.spf_domain and a.dkim = k.dkim and a.network = k.network
		order by k.ord limit 1`)
	var (
		e   allow.Entry
		ord int
		net netip.Prefix
	)
	err := s.db.pool.QueryRow(ctx, b.String(), args...).Scan(&ord, &e.Account, &e.Sender, &e.Failure, &e.SPF, &e.SPFDomain, &e.DKIM, &net, &e.By, &e.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return allow.Entry{}, allow.ErrNotFound
	}
	if err != nil {
		return allow.Entry{}, fmt.Errorf("postgres: allow find: %w", err)
	}
	e.Network, e.At = net, e.At.UTC()
	return e, nil
}

// Delete implements allow.Store.
func (s *AllowStore) Delete(ctx context.Context, key allow.Key) error {
	k := key.Normal()
	if !k.Network.IsValid() {
		return allow.ErrNotFound
	}
	tag, err := s.db.pool.Exec(ctx, `delete from deskmail_allow where account = $1 and sender = $2 and failure = $3
		and spf = $4 and spf_domain = $5 and dkim = $6 and network = $7`,
		k.Account, k.Sender, k.Failure, k.SPF, k.SPFDomain, k.DKIM, k.Network)
	if err != nil {
		return fmt.Errorf("postgres: allow delete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return allow.ErrNotFound
	}
	return nil
}

// List implements allow.Store.
func (s *AllowStore) List(ctx context.Context, account string) ([]allow.Entry, error) {
	rows, err := s.db.pool.Query(ctx, `select account, sender, failure, spf, spf_domain, dkim, network, by_whom, at
		from deskmail_allow where account = $1 order by at, sender, failure, spf, spf_domain, dkim, network`, account)
	if err != nil {
		return nil, fmt.Errorf("postgres: allow list: %w", err)
	}
	defer rows.Close()
	var out []allow.Entry
	for rows.Next() {
		var e allow.Entry
		if err := rows.Scan(&e.Account, &e.Sender, &e.Failure, &e.SPF, &e.SPFDomain, &e.DKIM, &e.Network, &e.By, &e.At); err != nil {
			return nil, fmt.Errorf("postgres: allow list: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: allow list: %w", err)
	}
	return out, nil
}
