package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// querier is what a decide func needs of a pool or of a transaction's
// connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// rowKey names the hot row of a write: an account and a day.
type rowKey struct {
	account string
	day     time.Time
}

// rowBatcher groups concurrent writes by the row they write. Writes to one
// row queue on its lock, and each waits for the previous commit to reach
// the disk: writes that arrive while one of the same row is in flight in
// this process therefore go together, in one transaction and one commit.
// Writes of different rows never share a batch, so no tenant waits for
// another tenant's writes.
//
// Every call honours its own context. One that ends while waiting is
// withdrawn. One that ends while its batch is decided rolls the batch back
// (nothing of it is committed) and returns ctx.Err(); the other calls of
// the batch are decided again without it. A context ending during the
// commit fails the whole batch with an error although the commit may have
// happened: callers document that this errs toward fewer sends.
type rowBatcher[A any] struct {
	mu sync.Mutex
	m  map[rowKey]*rowQueue[A]
}

type rowQueue[A any] struct {
	pending []*rowCall[A]
}

// rowCall is one call waiting for, or in, a batch.
type rowCall[A any] struct {
	ctx  context.Context
	arg  A
	err  error
	done chan struct{}      // closed when err is set
	lead chan []*rowCall[A] // receives the batch the call is to send
}

// decideFunc writes args (of one row, in arrival order) on q, and returns
// one outcome per arg, or an error for the whole batch.
type decideFunc[A any] func(ctx context.Context, q querier, args []A) ([]error, error)

// do writes arg, alone or in a batch of its row.
func (b *rowBatcher[A]) do(ctx context.Context, pool *pgxpool.Pool, key rowKey, arg A, decide decideFunc[A]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	me := &rowCall[A]{ctx: ctx, arg: arg, done: make(chan struct{}), lead: make(chan []*rowCall[A], 1)}
	var batch []*rowCall[A]
	b.mu.Lock()
	if b.m == nil {
		b.m = map[rowKey]*rowQueue[A]{}
	}
	if q := b.m[key]; q == nil {
		// Nothing of this row in flight: lead at once.
		b.m[key] = &rowQueue[A]{}
		b.mu.Unlock()
		batch = []*rowCall[A]{me}
	} else {
		q.pending = append(q.pending, me)
		b.mu.Unlock()
		select {
		case <-me.done:
			return me.err
		case batch = <-me.lead:
		case <-ctx.Done():
			b.mu.Lock()
			for i, p := range q.pending {
				if p == me {
					q.pending = append(q.pending[:i], q.pending[i+1:]...)
					b.mu.Unlock()
					return ctx.Err()
				}
			}
			b.mu.Unlock()
			// Taken into a batch meanwhile: the batch sees the context.
			select {
			case <-me.done:
				return me.err
			case batch = <-me.lead:
			}
		}
	}
	for {
		b.lead(pool, key, batch, decide)
		// Decided, or to be decided again in the next batch, which this
		// call may lead.
		select {
		case <-me.done:
			return me.err
		case batch = <-me.lead:
		}
	}
}

// lead sends batch, then hands the calls to decide again and those that
// arrived meanwhile to the first of them, or retires the row's queue.
func (b *rowBatcher[A]) lead(pool *pgxpool.Pool, key rowKey, batch []*rowCall[A], decide decideFunc[A]) {
	var again []*rowCall[A]
	defer func() {
		// Whatever happens, even a panic, the row's queue moves on.
		b.mu.Lock()
		q := b.m[key]
		next := append(again, q.pending...)
		q.pending = nil
		if len(next) == 0 {
			delete(b.m, key)
		}
		b.mu.Unlock()
		if len(next) > 0 {
			next[0].lead <- next
		}
	}()
	again = sendBatch(pool, batch, decide)
}

// sendBatch decides batch and completes its calls, except those to decide
// again (their batch was rolled back for another call's context), which it
// returns. A lone call is decided on the pool, outside a transaction.
func sendBatch[A any](pool *pgxpool.Pool, batch []*rowCall[A], decide decideFunc[A]) (again []*rowCall[A]) {
	finish := func(c *rowCall[A], err error) {
		c.err = err
		close(c.done)
	}
	args := make([]A, len(batch))
	for i, c := range batch {
		args[i] = c.arg
	}
	complete := func(errs []error, err error) {
		if err == nil && len(errs) != len(batch) {
			err = fmt.Errorf("postgres: %d outcomes for %d writes", len(errs), len(batch))
		}
		for i, c := range batch {
			if err != nil {
				finish(c, err)
			} else {
				finish(c, errs[i])
			}
		}
	}
	if len(batch) == 1 {
		complete(decide(batch[0].ctx, pool, args))
		return nil
	}
	// The batch's context ends when any of its calls' does.
	bctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range batch {
		stop := context.AfterFunc(c.ctx, cancel)
		defer stop()
	}
	// split completes the calls whose context ended with ctx.Err() and
	// keeps the others to decide again; false when no context ended.
	split := func() bool {
		if bctx.Err() == nil {
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
	conn, err := pool.Acquire(bctx)
	if err != nil {
		if !split() {
			complete(nil, fmt.Errorf("postgres: %w", err))
		}
		return again
	}
	defer conn.Release()
	var errs []error
	if _, err = conn.Exec(bctx, "begin"); err != nil {
		err = fmt.Errorf("postgres: begin: %w", err)
	} else {
		errs, err = decide(bctx, conn, args)
	}
	if err != nil || bctx.Err() != nil {
		// Nothing is committed.
		rollback(bctx, conn)
		if !split() {
			complete(nil, err)
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
		complete(nil, fmt.Errorf("postgres: commit: %w", err)) // the commit may have happened
		return nil
	}
	complete(errs, nil)
	return nil
}
