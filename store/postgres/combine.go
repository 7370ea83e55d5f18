package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// combiner batches concurrent calls that write the same row. Writes to one
// row are bounded by commit latency (each waits for the previous one's
// commit to reach the disk), so calls that arrive while one of the same
// key is in flight wait for it, then go together as one statement and
// share one commit. Each batch is sent by the first call of it (its
// leader), which then hands the lead to the first call that arrived
// meanwhile: no caller sends more than one batch.
type combiner[T any] struct {
	mu     sync.Mutex
	queues map[string]*combineQueue[T]
}

type combineQueue[T any] struct {
	pending []*call[T]
	running bool // a batch is in flight
}

// call is one caller's request in a batch; run sets err.
type call[T any] struct {
	arg  T
	err  error
	done chan struct{} // closed when err is set
	lead chan struct{} // closed when this call is to send the next batch
}

// batchTimeout bounds a batch. Once sent, a batch runs to its outcome
// whatever the callers' contexts: a context ending mid-statement would
// leave its caller told "failed" about a write the database may have
// committed.
const batchTimeout = 30 * time.Second

// do queues arg under key and returns its outcome. run decides a batch
// (the calls of one key, in arrival order) with one statement and sets
// every call's err; it gets a context that no caller can cancel. A call
// whose ctx ends while it waits is withdrawn and returns ctx.Err().
func (c *combiner[T]) do(ctx context.Context, key string, arg T, run func(ctx context.Context, batch []*call[T])) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	me := &call[T]{arg: arg, done: make(chan struct{}), lead: make(chan struct{})}
	c.mu.Lock()
	if c.queues == nil {
		c.queues = map[string]*combineQueue[T]{}
	}
	q := c.queues[key]
	if q == nil {
		q = &combineQueue[T]{}
		c.queues[key] = q
	}
	q.pending = append(q.pending, me)
	if q.running {
		c.mu.Unlock()
		select {
		case <-me.done:
			return me.err
		case <-me.lead:
			c.mu.Lock()
		case <-ctx.Done():
			c.mu.Lock()
			select {
			case <-me.lead:
				// Promoted meanwhile: lead; the batch decides this call
				// too, and its outcome is returned.
			default:
				for i, p := range q.pending {
					if p == me {
						q.pending = append(q.pending[:i], q.pending[i+1:]...)
						c.mu.Unlock()
						return ctx.Err()
					}
				}
				c.mu.Unlock()
				// Sent: the outcome is the database's.
				<-me.done
				return me.err
			}
		}
	}
	q.running = true
	batch := q.pending
	q.pending = nil
	c.mu.Unlock()

	// Whatever happens in run, even a panic, every call of the batch
	// completes and the lead passes on, so no caller waits forever.
	defer func() {
		if v := recover(); v != nil {
			for _, p := range batch {
				p.err = fmt.Errorf("postgres: batch aborted by a panic: %v", v)
			}
			c.finish(key, q, batch)
			panic(v)
		}
	}()
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	defer cancel()
	run(bctx, batch)
	c.finish(key, q, batch)
	return me.err
}

// finish completes the calls of batch and hands the lead of key's queue to
// the first call waiting, or retires the queue.
func (c *combiner[T]) finish(key string, q *combineQueue[T], batch []*call[T]) {
	for _, p := range batch {
		close(p.done)
	}
	c.mu.Lock()
	if len(q.pending) > 0 {
		close(q.pending[0].lead)
	} else {
		q.running = false
		delete(c.queues, key)
	}
	c.mu.Unlock()
}
