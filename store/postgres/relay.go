package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskmail/deskmail/relay"
)

// RelayStore is relay.Store on PostgreSQL. One row of deskmail_relay_usage
// per account and day holds the plan total and every relay's count (a JSON
// object), so Reserve checks the relay's breaker and both caps and moves
// both counters in one statement that writes one row: the row lock makes concurrent reservations, from
// any number of processes, queue on it, and none can overshoot a cap.
// Breakers live in deskmail_relay_breakers, one row per account, day and
// relay, each RecordOutcome one UPSERT.
type RelayStore struct{ db *DB }

var _ relay.Store = (*RelayStore)(nil)

// RelayStore returns the relay.Store of db.
func (db *DB) RelayStore() *RelayStore { return &RelayStore{db: db} }

func checkReservation(r relay.Reservation) error {
	if r.Account == "" {
		return errors.New("postgres: relay: reservation without account")
	}
	if r.N < 0 {
		return fmt.Errorf("postgres: relay: negative reservation %d", r.N)
	}
	return nil
}

// reserveSQL is the whole reservation, one statement. brk reads the
// relay's breaker for the day. The INSERT's source row exists only when the
// breaker is neither open nor exhausted and n fits under each cap (a first
// reservation larger than a cap fails); the ON CONFLICT update applies only
// when both the plan total and the relay count stay within their caps (a
// cap of 0 is none). The outer SELECT returns 0 when it applied, else why
// not: 1 breaker open, 2 relay exhausted, 3 a cap, with the total before
// the statement (from its snapshot), which tells which cap refused.
const reserveSQL = `with brk as (
	select open, exhausted from deskmail_relay_breakers
	where $3::text <> '' and account = $1::text and day = $2::date and relay = $3::text
), up as (
	insert into deskmail_relay_usage as u (account, day, total, relays)
	select $1::text, $2::date, $4::bigint,
		case when $3::text = '' then '{}'::jsonb else jsonb_build_object($3::text, $4::bigint) end
	where ($5::bigint = 0 or $4::bigint <= $5::bigint)
		and ($3::text = '' or $6::bigint = 0 or $4::bigint <= $6::bigint)
		and not exists (select from brk where open or exhausted)
	on conflict (account, day) do update set
		total = u.total + $4::bigint,
		relays = case when $3::text = '' then u.relays
			else jsonb_set(u.relays, array[$3::text], to_jsonb(coalesce((u.relays->>$3::text)::bigint, 0) + $4::bigint)) end
	where ($5::bigint = 0 or u.total + $4::bigint <= $5::bigint)
		and ($3::text = '' or $6::bigint = 0 or coalesce((u.relays->>$3::text)::bigint, 0) + $4::bigint <= $6::bigint)
	returning 1)
select 0, 0::bigint from up
union all
select case when exists (select from brk where open) then 1
		when exists (select from brk where exhausted) then 2
		else 3 end,
	coalesce((select total from deskmail_relay_usage where account = $1::text and day = $2::date), 0)
where not exists (select from up)`

// Reserve implements relay.Store. Each reservation is decided by one
// statement that checks the relay's breaker and both caps and moves both
// counters of the account's day row, so none overshoots a cap whatever the
// number of processes.
//
// Reservations of one account and day that arrive while another of the
// same process is in flight wait for it and then go together in the next
// statement (deskmail_relay_reserve, which decides them in arrival order,
// each as if alone): writes to one row are bounded by commit latency, and a
// batch shares one commit. A reservation whose ctx ends while it waits is
// withdrawn and returns ctx.Err(); once sent it waits for its outcome
// (for at most 30 seconds), so an error never hides units that were
// counted, except when the connection fails after the commit: then the
// counts err toward fewer sends, never more.
func (s *RelayStore) Reserve(ctx context.Context, r relay.Reservation) error {
	if err := checkReservation(r); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db := s.db
	req := &reserveReq{r: r, done: make(chan struct{}), lead: make(chan struct{})}
	k := relayKey{r.Account, civilDay(r.Day).Unix()}
	db.relayMu.Lock()
	if db.relayQueues == nil {
		db.relayQueues = map[relayKey]*reserveQueue{}
	}
	q := db.relayQueues[k]
	if q == nil {
		q = &reserveQueue{}
		db.relayQueues[k] = q
	}
	q.pending = append(q.pending, req)
	if q.running {
		db.relayMu.Unlock()
		select {
		case <-req.done:
			return req.err
		case <-req.lead:
		case <-ctx.Done():
			db.relayMu.Lock()
			select {
			case <-req.lead:
				// Promoted meanwhile: lead; the batch decides this
				// request too, and Reserve reports its outcome.
				goto lead
			default:
			}
			for i, p := range q.pending {
				if p == req {
					q.pending = append(q.pending[:i], q.pending[i+1:]...)
					db.relayMu.Unlock()
					return ctx.Err()
				}
			}
			db.relayMu.Unlock()
			// Sent: its outcome is the database's.
			<-req.done
			return req.err
		}
		db.relayMu.Lock()
	}
lead:
	// This call leads: it sends everything pending (itself included) as
	// one batch, then hands the lead to the first request that arrived
	// meanwhile, so no caller serves more than one batch.
	q.running = true
	batch := q.pending
	q.pending = nil
	db.relayMu.Unlock()

	s.reserveBatch(ctx, batch)

	db.relayMu.Lock()
	if len(q.pending) > 0 {
		close(q.pending[0].lead)
	} else {
		q.running = false
		delete(db.relayQueues, k)
	}
	db.relayMu.Unlock()
	<-req.done
	return req.err
}

// relayKey identifies the row a reservation writes: account and day.
type relayKey struct {
	account string
	day     int64 // Unix seconds of the day's midnight UTC
}

// reserveQueue holds the reservations of one key that wait for a batch.
type reserveQueue struct {
	pending []*reserveReq
	running bool // a batch is in flight
}

type reserveReq struct {
	r    relay.Reservation
	err  error
	done chan struct{} // closed when err is set
	lead chan struct{} // closed when this request is to send the next batch
}

// batchTimeout bounds a batch sent on behalf of several callers, which no
// single caller's context may cancel.
const batchTimeout = 30 * time.Second

// reserveBatch decides batch (one account and day) and completes every
// request in it.
func (s *RelayStore) reserveBatch(ctx context.Context, batch []*reserveReq) {
	live := batch
	// Once sent, a statement runs to its outcome: a context ending
	// mid-statement would leave the caller told "failed" about units the
	// database may have committed.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()
	if len(live) == 1 {
		q := live[0]
		q.err = s.reserveOne(bctx, q.r)
		close(q.done)
		return
	}
	n := len(live)
	relays, ns, relayCaps, planCaps := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, q := range live {
		relays[i], ns[i], relayCaps[i], planCaps[i] = q.r.Relay, q.r.N, q.r.RelayCap, q.r.PlanCap
	}
	r0 := live[0].r
	var codes []int32
	err := s.db.pool.QueryRow(bctx, `select deskmail_relay_reserve($1, $2, $3, $4, $5, $6)`,
		r0.Account, civilDay(r0.Day), relays, ns, relayCaps, planCaps).Scan(&codes)
	if err == nil && len(codes) != n {
		err = fmt.Errorf("%d outcomes for %d reservations", len(codes), n)
	}
	for i, q := range live {
		switch {
		case err != nil:
			q.err = fmt.Errorf("postgres: relay reserve: %w", err)
		case codes[i] == 0:
			q.err = nil
		case codes[i] == 1:
			q.err = relay.ErrRelayBroken
		case codes[i] == 2:
			q.err = relay.ErrRelayExhausted
		case codes[i] == 3:
			q.err = relay.ErrPlanCapReached
		default:
			q.err = relay.ErrRelayCapReached
		}
		close(q.done)
	}
}

// reserveOne decides one reservation with reserveSQL.
func (s *RelayStore) reserveOne(ctx context.Context, r relay.Reservation) error {
	var why int
	var total int64
	err := s.db.pool.QueryRow(ctx, reserveSQL, r.Account, civilDay(r.Day), r.Relay, r.N, r.PlanCap, r.RelayCap).Scan(&why, &total)
	if err != nil {
		return fmt.Errorf("postgres: relay reserve: %w", err)
	}
	switch {
	case why == 0:
		return nil
	case why == 1:
		return relay.ErrRelayBroken
	case why == 2:
		return relay.ErrRelayExhausted
	case r.PlanCap > 0 && total+r.N > r.PlanCap:
		return relay.ErrPlanCapReached
	case r.Relay != "" && r.RelayCap > 0:
		return relay.ErrRelayCapReached
	default:
		// The snapshot predates a reservation that filled the plan.
		return relay.ErrPlanCapReached
	}
}

// Refund implements relay.Store in one statement; counts stop at zero.
func (s *RelayStore) Refund(ctx context.Context, r relay.Reservation, keepTotal bool) error {
	if err := checkReservation(r); err != nil {
		return err
	}
	_, err := s.db.pool.Exec(ctx, `update deskmail_relay_usage set
		total = case when $5::boolean then total else greatest(0, total - $4::bigint) end,
		relays = case when $3::text = '' or relays->$3::text is null then relays
			else jsonb_set(relays, array[$3::text], to_jsonb(greatest(0, (relays->>$3::text)::bigint - $4::bigint))) end
		where account = $1 and day = $2`, r.Account, civilDay(r.Day), r.Relay, r.N, keepTotal)
	if err != nil {
		return fmt.Errorf("postgres: relay refund: %w", err)
	}
	return nil
}

// Usage implements relay.Store.
func (s *RelayStore) Usage(ctx context.Context, account string, day time.Time) (relay.Usage, error) {
	u := relay.Usage{Relays: map[string]int64{}}
	var relays []byte
	err := s.db.pool.QueryRow(ctx, `select total, relays from deskmail_relay_usage where account = $1 and day = $2`,
		account, civilDay(day)).Scan(&u.Total, &relays)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return relay.Usage{}, fmt.Errorf("postgres: relay usage: %w", err)
	}
	var m map[string]int64
	if err := json.Unmarshal(relays, &m); err != nil {
		return relay.Usage{}, fmt.Errorf("postgres: relay usage: %w", err)
	}
	for k, v := range m {
		if v != 0 {
			u.Relays[k] = v
		}
	}
	return u, nil
}

// RecordOutcome implements relay.Store in one UPSERT. JustOpened is computed
// from the row before the update, inside the statement, so exactly one of
// many concurrent faults reports it.
func (s *RelayStore) RecordOutcome(ctx context.Context, account, relayID string, day time.Time, o relay.Outcome, threshold int) (relay.BreakerState, error) {
	switch o {
	case relay.OutcomeSuccess, relay.OutcomeFault, relay.OutcomeQuota:
	default:
		return relay.BreakerState{}, fmt.Errorf("postgres: relay: unknown outcome %d", o)
	}
	var b relay.BreakerState
	err := s.db.pool.QueryRow(ctx, `insert into deskmail_relay_breakers as b
		(account, day, relay, faults, open, exhausted, just_opened)
		values ($1, $2, $3,
			case when $5::boolean then 1 else 0 end,
			$5::boolean and $7::int > 0 and 1 >= $7::int,
			$6::boolean,
			$5::boolean and $7::int > 0 and 1 >= $7::int)
		on conflict (account, day, relay) do update set
			faults = case when $4::boolean then 0 when $5::boolean then b.faults + 1 else b.faults end,
			open = b.open or ($5::boolean and $7::int > 0 and b.faults + 1 >= $7::int),
			exhausted = b.exhausted or $6::boolean,
			just_opened = not b.open and $5::boolean and $7::int > 0 and b.faults + 1 >= $7::int
		returning faults, open, exhausted, just_opened`,
		account, civilDay(day), relayID, o == relay.OutcomeSuccess, o == relay.OutcomeFault, o == relay.OutcomeQuota, threshold).
		Scan(&b.Faults, &b.Open, &b.Exhausted, &b.JustOpened)
	if err != nil {
		return relay.BreakerState{}, fmt.Errorf("postgres: relay record outcome: %w", err)
	}
	return b, nil
}

// Breaker implements relay.Store.
func (s *RelayStore) Breaker(ctx context.Context, account, relayID string, day time.Time) (relay.BreakerState, error) {
	var b relay.BreakerState
	err := s.db.pool.QueryRow(ctx, `select faults, open, exhausted from deskmail_relay_breakers
		where account = $1 and day = $2 and relay = $3`, account, civilDay(day), relayID).Scan(&b.Faults, &b.Open, &b.Exhausted)
	if errors.Is(err, pgx.ErrNoRows) {
		return relay.BreakerState{}, nil
	}
	if err != nil {
		return relay.BreakerState{}, fmt.Errorf("postgres: relay breaker: %w", err)
	}
	return b, nil
}
