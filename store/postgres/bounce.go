package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

const bounceAddressColumns = `state, soft_count, sends_left, last_reason, updated, events`

func scanBounceAddress(row pgx.Row, st *bounce.AddressState, extra ...any) error {
	var events []byte
	if err := row.Scan(append([]any{&st.State, &st.SoftCount, &st.SendsLeft, &st.LastReason, &st.Updated, &events}, extra...)...); err != nil {
		return err
	}
	st.Updated = utc(st.Updated)
	st.Events = nil
	if len(events) > 0 && string(events) != "null" {
		if err := json.Unmarshal(events, &st.Events); err != nil {
			return err
		}
	}
	return nil
}

// bounceUpdate is one Update call waiting for a batch.
type bounceUpdate struct {
	account, address string
	fn               func(*bounce.AddressState) error
	st               bounce.AddressState // the outcome, when err is nil
	panicked         any                 // what fn panicked with, run in a batch
}

// Update implements bounce.Store; fn runs once. A lone call is two round
// trips (see the package documentation); calls that arrive while others
// are in flight go together in one transaction (updateBatch).
func (s *BounceStore) Update(ctx context.Context, account, address string, fn func(*bounce.AddressState) error) (bounce.AddressState, error) {
	u := &bounceUpdate{account: account, address: address, fn: fn}
	if err := s.db.bounceUpdates.do(ctx, "", u, s.updateBatch); err != nil {
		if u.panicked != nil {
			panic(u.panicked) // in the caller's goroutine, not the batch's
		}
		return bounce.AddressState{}, err
	}
	return u.st, nil
}

// updateBatch runs the updates of a batch: a lone one with updateOne,
// more in one transaction that locks every row of the batch (creating the
// missing ones) in key order, runs each fn once in arrival order on its
// row's evolving state, writes the rows that changed in one statement,
// drops the placeholders no fn kept, and commits once. A fn error (or panic) fails
// that call only; a database error fails every call of the batch, whose
// writes then all roll back.
func (s *BounceStore) updateBatch(ctx context.Context, batch []*call[*bounceUpdate]) {
	if len(batch) == 1 {
		u := batch[0].arg
		u.st, batch[0].err = s.updateOne(ctx, u.account, u.address, u.fn)
		return
	}
	type key struct{ account, address string }
	type row struct {
		st           bounce.AddressState
		fresh, wrote bool
	}
	rows := map[key]*row{}
	var accounts, addresses []string
	for _, c := range batch {
		k := key{c.arg.account, c.arg.address}
		if rows[k] == nil {
			rows[k] = &row{}
			accounts, addresses = append(accounts, k.account), append(addresses, k.address)
		}
	}
	fail := func(err error) {
		for _, c := range batch {
			c.err = fmt.Errorf("postgres: bounce update: %w", err)
		}
	}
	conn, err := s.db.pool.Acquire(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(`insert into deskmail_bounce_addresses as b
		(account, address, state, soft_count, sends_left, last_reason, updated, events)
		select t.account, t.address, '', 0, 0, '', 'epoch', 'null'
		from unnest($1::text[], $2::text[]) as t(account, address)
		order by t.account, t.address
		on conflict (account, address) do update set state = b.state
		returning `+bounceAddressColumns+`, xmax = 0, account, address`, accounts, addresses)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		var rs pgx.Rows
		rs, err = br.Query()
		for err == nil && rs.Next() {
			var k key
			var st bounce.AddressState
			var fresh bool
			if err = scanBounceAddress(rs, &st, &fresh, &k.account, &k.address); err != nil {
				break
			}
			r := rows[k]
			if r == nil {
				err = fmt.Errorf("unexpected row %q %q", k.account, k.address)
				break
			}
			r.st, r.fresh = st, fresh
			if fresh {
				r.st = bounce.AddressState{State: bounce.StateOK}
			}
		}
		if rs != nil {
			rs.Close()
			if err == nil {
				err = rs.Err()
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(ctx, conn)
		fail(err)
		return
	}

	// Run each fn once, in arrival order, on a copy of its row's state.
	for _, c := range batch {
		u := c.arg
		r := rows[key{u.account, u.address}]
		st := r.st
		st.Events = slices.Clone(r.st.Events)
		st.Account, st.Address = u.account, u.address
		if err := runFn(u, &st); err != nil {
			c.err = err
			continue
		}
		st.Account, st.Address = u.account, u.address
		r.st, r.wrote = st, true
		u.st = st
		u.st.Events = slices.Clone(st.Events)
	}

	var w struct {
		accounts, addresses, states, reasons, events []string
		softs, lefts                                 []int64
		updated                                      []time.Time
	}
	var dropAccounts, dropAddresses []string
	for i := range accounts {
		k := key{accounts[i], addresses[i]}
		r := rows[k]
		if !r.wrote {
			if r.fresh {
				dropAccounts, dropAddresses = append(dropAccounts, k.account), append(dropAddresses, k.address)
			}
			continue
		}
		ev, err := json.Marshal(r.st.Events)
		if err != nil {
			rollback(ctx, conn)
			fail(err)
			return
		}
		w.accounts, w.addresses = append(w.accounts, k.account), append(w.addresses, k.address)
		w.states, w.reasons = append(w.states, string(r.st.State)), append(w.reasons, string(r.st.LastReason))
		w.softs, w.lefts = append(w.softs, int64(r.st.SoftCount)), append(w.lefts, int64(r.st.SendsLeft))
		w.updated, w.events = append(w.updated, r.st.Updated), append(w.events, string(ev))
	}
	b = &pgx.Batch{}
	if len(w.accounts) > 0 {
		b.Queue(`update deskmail_bounce_addresses as b set state = t.state, soft_count = t.soft_count,
				sends_left = t.sends_left, last_reason = t.last_reason, updated = t.updated, events = t.events::jsonb
			from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::timestamptz[], $8::text[])
				as t(account, address, state, soft_count, sends_left, last_reason, updated, events)
			where b.account = t.account and b.address = t.address`,
			w.accounts, w.addresses, w.states, w.softs, w.lefts, w.reasons, w.updated, w.events)
	}
	if len(dropAccounts) > 0 {
		b.Queue(`delete from deskmail_bounce_addresses as b
			using unnest($1::text[], $2::text[]) as t(account, address)
			where b.account = t.account and b.address = t.address`, dropAccounts, dropAddresses)
	}
	b.Queue("commit")
	br = conn.SendBatch(ctx, b)
	for range b.Len() - 1 {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		if err == nil && tag.String() != "COMMIT" {
			err = pgx.ErrTxCommitRollback
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(ctx, conn)
		for _, c := range batch {
			if c.err == nil {
				c.err = fmt.Errorf("postgres: bounce update: %w", err)
			}
		}
	}
}

// runFn runs u.fn on st; a panic fails the call, and Update panics with
// it in its caller's goroutine.
func runFn(u *bounceUpdate, st *bounce.AddressState) (err error) {
	defer func() {
		if v := recover(); v != nil {
			u.panicked = v
			err = fmt.Errorf("postgres: bounce update: fn panicked: %v", v)
		}
	}()
	return u.fn(st)
}

// updateOne is Update of a lone call, in two round trips.
func (s *BounceStore) updateOne(ctx context.Context, account, address string, fn func(*bounce.AddressState) error) (bounce.AddressState, error) {
	var st bounce.AddressState
	var fresh bool
	// Insert a placeholder row or lock the existing one; the placeholder
	// exists only inside this transaction unless it commits. xmax = 0
	// tells an inserted row from a locked one.
	err := s.db.lockedUpdate(ctx, `insert into deskmail_bounce_addresses as b
			(account, address, state, soft_count, sends_left, last_reason, updated, events)
			values ($1, $2, '', 0, 0, '', 'epoch', 'null')
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
			return `update deskmail_bounce_addresses
				set state = $3, soft_count = $4, sends_left = $5, last_reason = $6, updated = $7, events = $8
				where account = $1 and address = $2`,
				[]any{account, address, string(st.State), st.SoftCount, st.SendsLeft, string(st.LastReason), st.Updated, events}, nil
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

// bounceCount is one AddCounts call waiting for a batch.
type bounceCount struct {
	account     string
	day         time.Time
	sends, hard int64
}

// AddCounts implements bounce.Store with one UPSERT … SET n = n + $.
// Concurrent calls of one process, of any accounts and days, go together
// in one UPSERT of their sums per account and day (see the package
// documentation).
func (s *BounceStore) AddCounts(ctx context.Context, account string, day time.Time, sends, hardBounces int) error {
	arg := bounceCount{account, bounce.Day(day), int64(sends), int64(hardBounces)}
	return s.db.bounceCounts.do(ctx, "", arg, func(ctx context.Context, batch []*call[bounceCount]) {
		type key struct {
			account string
			day     time.Time
		}
		at := map[key]int{}
		var accounts []string
		var days []time.Time
		var ns, hs []int64
		for _, c := range batch {
			k := key{c.arg.account, c.arg.day}
			i, ok := at[k]
			if !ok {
				i = len(accounts)
				at[k] = i
				accounts, days, ns, hs = append(accounts, k.account), append(days, k.day), append(ns, 0), append(hs, 0)
			}
			ns[i], hs[i] = ns[i]+c.arg.sends, hs[i]+c.arg.hard
		}
		var err error
		if len(accounts) == 1 {
			_, err = s.db.pool.Exec(ctx, `insert into deskmail_bounce_counts as c (account, day, sends, hard_bounces)
				values ($1, $2, $3, $4)
				on conflict (account, day) do update
				set sends = c.sends + excluded.sends, hard_bounces = c.hard_bounces + excluded.hard_bounces`,
				accounts[0], days[0], ns[0], hs[0])
		} else {
			// Rows in key order, so two batches never deadlock.
			_, err = s.db.pool.Exec(ctx, `insert into deskmail_bounce_counts as c (account, day, sends, hard_bounces)
			select t.account, t.day, t.sends, t.hard from unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[]) as t(account, day, sends, hard)
			order by t.account, t.day
			on conflict (account, day) do update
			set sends = c.sends + excluded.sends, hard_bounces = c.hard_bounces + excluded.hard_bounces`,
				accounts, days, ns, hs)
		}
		if err != nil {
			err = fmt.Errorf("postgres: bounce add counts: %w", err)
		}
		for _, c := range batch {
			c.err = err
		}
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
