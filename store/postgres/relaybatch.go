package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskmail/deskmail/relay"
)

// querier is what decide needs of a pool or a transaction's connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reserveQueues groups concurrent reservations by account and day. Writes
// to one row queue on its lock, and each waits for the previous commit to
// reach the disk: reservations that arrive while one of the same row is in
// flight therefore go together, in one transaction and one commit. Rows of
// different accounts or days never share a batch, so no tenant waits for
// another tenant's.
type reserveQueues struct {
	mu sync.Mutex
	m  map[reserveKey]*reserveQueue
}

type reserveKey struct {
	account string
	day     time.Time
}

type reserveQueue struct {
	pending []*reserveCall
}

// reserveCall is one Reserve waiting for, or in, a batch.
type reserveCall struct {
	ctx  context.Context
	r    relay.Reservation
	err  error
	done chan struct{}       // closed when err is set
	lead chan []*reserveCall // receives the batch the call is to send
}

type decideFunc func(ctx context.Context, q querier, rs []relay.Reservation) ([]int32, error)

// do decides r, alone or in a batch of its account and day.
func (qs *reserveQueues) do(ctx context.Context, pool *pgxpool.Pool, r relay.Reservation, decide decideFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := reserveKey{r.Account, civilDay(r.Day)}
	me := &reserveCall{ctx: ctx, r: r, done: make(chan struct{}), lead: make(chan []*reserveCall, 1)}
	var batch []*reserveCall
	qs.mu.Lock()
	if qs.m == nil {
		qs.m = map[reserveKey]*reserveQueue{}
	}
	if q := qs.m[key]; q == nil {
		// Nothing of this row in flight: lead at once.
		qs.m[key] = &reserveQueue{}
		qs.mu.Unlock()
		batch = []*reserveCall{me}
	} else {
		q.pending = append(q.pending, me)
		qs.mu.Unlock()
		select {
		case <-me.done:
			return me.err
		case batch = <-me.lead:
		case <-ctx.Done():
			qs.mu.Lock()
			for i, p := range q.pending {
				if p == me {
					q.pending = append(q.pending[:i], q.pending[i+1:]...)
					qs.mu.Unlock()
					return ctx.Err()
				}
			}
			qs.mu.Unlock()
			// Taken into a batch meanwhile: the batch sees the context.
			select {
			case <-me.done:
				return me.err
			case batch = <-me.lead:
			}
		}
	}
	for {
		qs.lead(pool, key, batch, decide)
		// Decided, or to be decided again in the next batch (which this
		// call may lead).
		select {
		case <-me.done:
			return me.err
		case batch = <-me.lead:
		}
	}
}

// lead sends batch, then hands the calls to decide again and those that
// arrived meanwhile to the first of them, or retires the row's queue.
func (qs *reserveQueues) lead(pool *pgxpool.Pool, key reserveKey, batch []*reserveCall, decide decideFunc) {
	var again []*reserveCall
	defer func() {
		// Whatever happens, even a panic, the row's queue moves on.
		qs.mu.Lock()
		q := qs.m[key]
		next := append(again, q.pending...)
		q.pending = nil
		if len(next) == 0 {
			delete(qs.m, key)
		}
		qs.mu.Unlock()
		if len(next) > 0 {
			next[0].lead <- next
		}
	}()
	again = send(pool, batch, decide)
}

// send decides batch and completes its calls, except those to decide again
// (their batch was rolled back for another call's context), which it
// returns.
func send(pool *pgxpool.Pool, batch []*reserveCall, decide decideFunc) (again []*reserveCall) {
	finish := func(c *reserveCall, err error) {
		c.err = err
		close(c.done)
	}
	if len(batch) == 1 {
		c := batch[0]
		codes, err := decide(c.ctx, pool, []relay.Reservation{c.r})
		if err != nil {
			finish(c, fmt.Errorf("postgres: relay reserve: %w", err))
		} else {
			finish(c, reserveCode(codes[0]))
		}
		return nil
	}
	// The batch's context ends when any of its calls' does.
	bctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range batch {
		stop := context.AfterFunc(c.ctx, cancel)
		defer stop()
	}
	// A call whose context ended: it returns ctx.Err(), the rest go again.
	split := func() bool {
		ended := false
		for _, c := range batch {
			if c.ctx.Err() != nil {
				ended = true
			}
		}
		if !ended {
			return false
		}
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				finish(c, err)
			} else {
				again = append(again, c)
			}
		}
		return true
	}
	fail := func(err error) {
		for _, c := range batch {
			finish(c, fmt.Errorf("postgres: relay reserve: %w", err))
		}
	}
	conn, err := pool.Acquire(bctx)
	if err != nil {
		if !split() {
			fail(err)
		}
		return again
	}
	defer conn.Release()
	rs := make([]relay.Reservation, len(batch))
	for i, c := range batch {
		rs[i] = c.r
	}
	var codes []int32
	if _, err = conn.Exec(bctx, "begin"); err == nil {
		codes, err = decide(bctx, conn, rs)
	}
	if err != nil || bctx.Err() != nil {
		// Nothing is committed: roll back, and let the calls still
		// waiting go again without those whose context ended.
		rollback(bctx, conn)
		if !split() {
			fail(err)
		}
		return again
	}
	var tag pgconn.CommandTag
	tag, err = conn.Exec(bctx, "commit")
	if err == nil && tag.String() != "COMMIT" {
		err = pgx.ErrTxCommitRollback
	}
	if err != nil {
		rollback(bctx, conn)
		fail(err) // the commit may have happened: err toward fewer sends
		return nil
	}
	for i, c := range batch {
		finish(c, reserveCode(codes[i]))
	}
	return nil
}
