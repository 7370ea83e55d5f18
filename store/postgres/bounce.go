package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/bounce"
)

// BounceStore is bounce.Store on PostgreSQL. Update and UpdateAccount run
// fn under a row lock (the row is created inside the transaction when
// missing, so concurrent first writers queue up too); AddCounts is one
// UPSERT with arithmetic. No update is lost, across any number of
// processes, and fn runs exactly once per call.
type BounceStore struct{ db *DB }

var _ bounce.Store = (*BounceStore)(nil)

// BounceStore returns the bounce.Store of db.
func (db *DB) BounceStore() *BounceStore { return &BounceStore{db: db} }

const bounceAddressColumns = `state, soft_count, sends_left, last_reason, updated, events, pending, seen`

func scanBounceAddress(row pgx.Row, st *bounce.AddressState, extra ...any) error {
	var events, pending, seen []byte
	if err := row.Scan(append([]any{&st.State, &st.SoftCount, &st.SendsLeft, &st.LastReason, &st.Updated, &events, &pending, &seen}, extra...)...); err != nil {
		return err
	}
	st.Updated = utc(st.Updated)
	st.Events, st.Pending, st.Seen = nil, nil, nil
	for _, f := range []struct {
		raw []byte
		v   any
	}{{events, &st.Events}, {pending, &st.Pending}, {seen, &st.Seen}} {
		if len(f.raw) > 0 && string(f.raw) != "null" && string(f.raw) != "[]" {
			if err := json.Unmarshal(f.raw, f.v); err != nil {
				return err
			}
		}
	}
	for i := range st.Pending {
		st.Pending[i].At = utc(st.Pending[i].At)
	}
	for i := range st.Seen {
		st.Seen[i].At = utc(st.Seen[i].At)
	}
	return nil
}

// jsonList is v as a JSON array ("[]" for an empty slice).
func jsonList[T any](v []T) ([]byte, error) {
	if len(v) == 0 {
		return []byte("[]"), nil
	}
	return json.Marshal(v)
}

// Update implements bounce.Store in two round trips (see the package
// documentation); fn runs exactly once, and the caller's context bounds
// the whole transaction.
func (s *BounceStore) Update(ctx context.Context, account, address string, fn func(*bounce.AddressState) error) (bounce.AddressState, error) {
	var st bounce.AddressState
	var fresh bool
	// Insert a placeholder row or lock the existing one; the placeholder
	// exists only inside this transaction unless it commits. xmax = 0
	// tells an inserted row from a locked one.
	err := s.db.lockedUpdate(ctx, `insert into deskmail_bounce_addresses as b
			(account, address, state, soft_count, sends_left, last_reason, updated, events, pending, seen)
			values ($1, $2, '', 0, 0, '', 'epoch', 'null', '[]', '[]')
			on conflict (account, address) do update set state = b.state
			returning `+bounceAddressColumns+`, xmax = 0`, []any{account, address},
		func(row pgx.Row) error {
			if err := scanBounceAddress(row, &st, &fresh); err != nil {
				return fmt.Errorf("postgres: bounce update: %w", err)
			}
			return nil
		},
		func() (string, []any, error) {
			if fresh {
				st = bounce.AddressState{State: bounce.StateOK}
			}
			st.Account, st.Address = account, address
			if err := fn(&st); err != nil {
				return "", nil, err
			}
			st.Account, st.Address = account, address
			events, err := json.Marshal(st.Events)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: bounce update: %w", err)
			}
			pending, err := jsonList(st.Pending)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: bounce update: %w", err)
			}
			seen, err := jsonList(st.Seen)
			if err != nil {
				return "", nil, fmt.Errorf("postgres: bounce update: %w", err)
			}
			return `update deskmail_bounce_addresses
				set state = $3, soft_count = $4, sends_left = $5, last_reason = $6, updated = $7, events = $8, pending = $9, seen = $10
				where account = $1 and address = $2`,
				[]any{account, address, string(st.State), st.SoftCount, st.SendsLeft, string(st.LastReason), st.Updated, events, pending, seen}, nil
		})
	if err != nil {
		return bounce.AddressState{}, err
	}
	return st, nil
}

// Get implements bounce.Store.
func (s *BounceStore) Get(ctx context.Context, account, address string) (bounce.AddressState, error) {
	st := bounce.AddressState{Account: account, Address: address}
	err := scanBounceAddress(s.db.pool.QueryRow(ctx, `select `+bounceAddressColumns+`
		from deskmail_bounce_addresses where account = $1 and address = $2`, account, address), &st)
	if errors.Is(err, pgx.ErrNoRows) {
		return bounce.AddressState{}, fmt.Errorf("%w: address %q", bounce.ErrNotFound, address)
	}
	if err != nil {
		return bounce.AddressState{}, fmt.Errorf("postgres: bounce get: %w", err)
	}
	return st, nil
}

// PutDelivery implements bounce.Store with one UPSERT.
func (s *BounceStore) PutDelivery(ctx context.Context, account string, d bounce.Delivery) error {
	_, err := s.db.pool.Exec(ctx, `insert into deskmail_bounce_deliveries
		(account, message_id, recipient, status, reason, detail, updated)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (account, message_id, recipient) do update
		set status = excluded.status, reason = excluded.reason, detail = excluded.detail, updated = excluded.updated`,
		account, d.MessageID, d.Recipient, string(d.Status), string(d.Reason), d.Detail, d.Updated)
	if err != nil {
		return fmt.Errorf("postgres: bounce put delivery: %w", err)
	}
	return nil
}

// Deliveries implements bounce.Store.
func (s *BounceStore) Deliveries(ctx context.Context, account, messageID string) ([]bounce.Delivery, error) {
	rows, err := s.db.pool.Query(ctx, `select recipient, status, reason, detail, updated
		from deskmail_bounce_deliveries where account = $1 and message_id = $2 order by recipient`, account, messageID)
	if err != nil {
		return nil, fmt.Errorf("postgres: bounce deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bounce.Delivery, error) {
		d := bounce.Delivery{MessageID: messageID}
		err := r.Scan(&d.Recipient, &d.Status, &d.Reason, &d.Detail, &d.Updated)
		d.Updated = utc(d.Updated)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: bounce deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: deliveries of %q", bounce.ErrNotFound, messageID)
	}
	return ds, nil
}

// bounceCount is one AddCounts call.
type bounceCount struct{ sends, hard int64 }

// AddCounts implements bounce.Store with one UPSERT … SET n = n + $.
// Calls for the same account and day that arrive while one is in flight
// in this process go together, their sums in one UPSERT, in one
// transaction (see the package documentation, "Throughput"); calls of
// other accounts or days never wait for them.
func (s *BounceStore) AddCounts(ctx context.Context, account string, day time.Time, sends, hardBounces int) error {
	d := bounce.Day(day)
	return s.db.bounceCounts.do(ctx, s.db.pool, rowKey{account, d}, bounceCount{int64(sends), int64(hardBounces)},
		func(ctx context.Context, q querier, cs []bounceCount) ([]error, error) {
			var n, h int64
			for _, c := range cs {
				n, h = n+c.sends, h+c.hard
			}
			_, err := q.Exec(ctx, `insert into deskmail_bounce_counts as c (account, day, sends, hard_bounces)
				values ($1, $2, $3, $4)
				on conflict (account, day) do update
				set sends = c.sends + excluded.sends, hard_bounces = c.hard_bounces + excluded.hard_bounces`,
				account, d, n, h)
			if err != nil {
				return nil, fmt.Errorf("postgres: bounce add counts: %w", err)
			}
			return make([]error, len(cs)), nil
		})
}

// Counts implements bounce.Store.
func (s *BounceStore) Counts(ctx context.Context, account string, since time.Time) (sends, hardBounces int, err error) {
	var n, h int64
	err = s.db.pool.QueryRow(ctx, `select coalesce(sum(sends), 0)::bigint, coalesce(sum(hard_bounces), 0)::bigint
		from deskmail_bounce_counts where account = $1 and day >= $2`, account, bounce.Day(since)).Scan(&n, &h)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: bounce counts: %w", err)
	}
	return int(n), int(h), nil
}

// UpdateAccount implements bounce.Store in two round trips; fn runs once.
func (s *BounceStore) UpdateAccount(ctx context.Context, account string, fn func(*bounce.AccountState) error) (bounce.AccountState, error) {
	a := bounce.AccountState{Account: account}
	var fresh bool
	err := s.db.lockedUpdate(ctx, `insert into deskmail_bounce_accounts as a (account, exempt, updated)
			values ($1, false, 'epoch')
			on conflict (account) do update set exempt = a.exempt
			returning exempt, updated, xmax = 0`, []any{account},
		func(row pgx.Row) error {
			if err := row.Scan(&a.Exempt, &a.Updated, &fresh); err != nil {
				return fmt.Errorf("postgres: bounce update account: %w", err)
			}
			return nil
		},
		func() (string, []any, error) {
			if fresh {
				a = bounce.AccountState{}
			}
			a.Account, a.Updated = account, utc(a.Updated)
			if err := fn(&a); err != nil {
				return "", nil, err
			}
			a.Account = account
			return `update deskmail_bounce_accounts set exempt = $2, updated = $3 where account = $1`,
				[]any{account, a.Exempt, a.Updated}, nil
		})
	if err != nil {
		return bounce.AccountState{}, err
	}
	return a, nil
}

// GetAccount implements bounce.Store.
func (s *BounceStore) GetAccount(ctx context.Context, account string) (bounce.AccountState, error) {
	a := bounce.AccountState{Account: account}
	err := s.db.pool.QueryRow(ctx, `select exempt, updated from deskmail_bounce_accounts where account = $1`, account).Scan(&a.Exempt, &a.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return bounce.AccountState{}, fmt.Errorf("%w: account %q", bounce.ErrNotFound, account)
	}
	if err != nil {
		return bounce.AccountState{}, fmt.Errorf("postgres: bounce get account: %w", err)
	}
	a.Updated = utc(a.Updated)
	return a, nil
}

// AddSent implements bounce.Store with one UPSERT that merges the
// recipient lists (sorted, without duplicates) under the row lock.
func (s *BounceStore) AddSent(ctx context.Context, account string, m bounce.SentMessage) error {
	rs := slices.Clone(m.Recipients)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	if rs == nil {
		rs = []string{}
	}
	_, err := s.db.pool.Exec(ctx, `insert into deskmail_bounce_sent as s (account, message_id, recipients, at)
		values ($1, $2, $3::text[], $4)
		on conflict (account, message_id) do update set
			recipients = (select coalesce(array_agg(distinct r order by r), '{}')
				from unnest(s.recipients || excluded.recipients) as r),
			at = greatest(s.at, excluded.at)`, account, m.MessageID, rs, m.At)
	if err != nil {
		return fmt.Errorf("postgres: bounce add sent: %w", err)
	}
	return nil
}

// Sent implements bounce.Store.
func (s *BounceStore) Sent(ctx context.Context, account, messageID string) (bounce.SentMessage, error) {
	m := bounce.SentMessage{MessageID: messageID}
	err := s.db.pool.QueryRow(ctx, `select recipients, at from deskmail_bounce_sent where account = $1 and message_id = $2`,
		account, messageID).Scan(&m.Recipients, &m.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return bounce.SentMessage{}, fmt.Errorf("%w: sent message %q", bounce.ErrNotFound, messageID)
	}
	if err != nil {
		return bounce.SentMessage{}, fmt.Errorf("postgres: bounce sent: %w", err)
	}
	m.At = utc(m.At)
	return m, nil
}

// PruneSent implements bounce.Store with one DELETE on the at index.
func (s *BounceStore) PruneSent(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.db.pool.Exec(ctx, `delete from deskmail_bounce_sent where at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgres: bounce prune sent: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
