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
// both counters in one statement that writes one row: the row lock makes
// concurrent reservations, from any number of processes, queue on it, and
// none can overshoot a cap.
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

// Reserve implements relay.Store. A lone reservation is one statement
// (reserveSQL); a batch is the function deskmail_relay_reserve, which
// locks the account's row for the day and decides each reservation in
// order as if alone. Both check the relay's breaker and both caps and move
// both counters together, so none overshoots a cap whatever the number of
// processes.
//
// Reservations of the same account and day that arrive while one of them
// is in flight in this process wait and then go together, in arrival
// order, in one transaction that shares one commit (see the package
// documentation, "Throughput"); reservations of other accounts or days
// never wait for them. Every call honours its own context: one that ends
// while waiting is withdrawn, and one that ends while its batch is being
// decided rolls the batch back and returns ctx.Err() with nothing counted,
// the others of the batch then being decided again without it. A Reserve
// that returns an error may still have counted its units only when the
// connection failed, or a context of its batch ended, during the commit;
// that errs toward fewer sends, never more.
func (s *RelayStore) Reserve(ctx context.Context, r relay.Reservation) error {
	if err := checkReservation(r); err != nil {
		return err
	}
	return s.db.reservations.do(ctx, s.db.pool, rowKey{r.Account, civilDay(r.Day)}, r, s.decide)
}

// reserveCode maps deskmail_relay_reserve's outcome codes to errors.
func reserveCode(code int32) error {
	switch code {
	case 0:
		return nil
	case 1:
		return relay.ErrRelayBroken
	case 2:
		return relay.ErrRelayExhausted
	case 3:
		return relay.ErrPlanCapReached
	default:
		return relay.ErrRelayCapReached
	}
}

// decide decides reservations of one account and day on q, in order, and
// returns each one's outcome: a lone one with reserveSQL, more with
// deskmail_relay_reserve.
func (s *RelayStore) decide(ctx context.Context, q querier, rs []relay.Reservation) ([]error, error) {
	n := len(rs)
	if n == 1 {
		code, err := reserveOne(ctx, q, rs[0])
		if err != nil {
			return nil, fmt.Errorf("postgres: relay reserve: %w", err)
		}
		return []error{reserveCode(code)}, nil
	}
	relays, ns, relayCaps, planCaps := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, r := range rs {
		relays[i], ns[i], relayCaps[i], planCaps[i] = r.Relay, r.N, r.RelayCap, r.PlanCap
	}
	var codes []int32
	err := q.QueryRow(ctx, `select deskmail_relay_reserve($1, $2, $3, $4, $5, $6)`,
		rs[0].Account, civilDay(rs[0].Day), relays, ns, relayCaps, planCaps).Scan(&codes)
	if err == nil && len(codes) != n {
		err = fmt.Errorf("%d outcomes for %d reservations", len(codes), n)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: relay reserve: %w", err)
	}
	errs := make([]error, n)
	for i, c := range codes {
		errs[i] = reserveCode(c)
	}
	return errs, nil
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

// reserveOne decides one reservation with reserveSQL and returns its code.
func reserveOne(ctx context.Context, q querier, r relay.Reservation) (int32, error) {
	var why int32
	var total int64
	if err := q.QueryRow(ctx, reserveSQL, r.Account, civilDay(r.Day), r.Relay, r.N, r.PlanCap, r.RelayCap).Scan(&why, &total); err != nil {
		return 0, err
	}
	switch {
	case why != 3:
		return why, nil
	case r.PlanCap > 0 && total+r.N > r.PlanCap:
		return 3, nil
	case r.Relay != "" && r.RelayCap > 0:
		return 4, nil
	default:
		// The snapshot predates a reservation that filled the plan.
		return 3, nil
	}
}
