package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// combiner batches concurrent calls. Writes are bounded by commit latency
// (each commit waits for the disk), so calls that arrive while width
// batches of the same key are in flight wait, then go together in one
// statement or transaction and share one commit. Each batch is sent by
// its first call (its leader); when a batch completes, the calls waiting
// meanwhile become the next batch, led by the first of them: no caller
// sends more than one batch.
type combiner[T any] struct {
	// width is the number of batches of one key in flight at once; 0
	// means 1.
	width  int
	mu     sync.Mutex
	queues map[string]*combineQueue[T]
}

type combineQueue[T any] struct {
	pending []*call[T]
	running int // batches in flight
}

// call is one caller's request in a batch; run sets err.
type call[T any] struct {
	arg   T
	err   error
	done  chan struct{} // closed when err is set
	lead  chan struct{} // closed when this call is to send batch
	batch []*call[T]    // set, before lead is closed, to the batch to send
}

// batchTimeout bounds a batch. Once sent, a batch runs to its outcome
// whatever the callers' contexts: a context ending mid-statement would
// leave its caller told "failed" about a write the database may have
// committed.
const batchTimeout = 30 * time.Second

// do queues arg under key and returns its outcome. run decides a batch
// (calls in arrival order) and sets every call's err; it gets a context
// that no caller can cancel. A call whose ctx ends while it waits is
// withdrawn and returns ctx.Err().
func (c *combiner[T]) do(ctx context.Context, key string, arg T, run func(ctx context.Context, batch []*call[T])) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	me := &call[T]{arg: arg, done: make(chan struct{}), lead: make(chan struct{})}
	width := max(c.width, 1)
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
	if q.running < width {
		q.running++
		me.batch = q.pending
		q.pending = nil
		c.mu.Unlock()
	} else {
		c.mu.Unlock()
		select {
		case <-me.done:
			return me.err
		case <-me.lead:
		case <-ctx.Done():
			c.mu.Lock()
			select {
			case <-me.lead:
				// Promoted meanwhile: lead; the batch decides this call
				// too, and its outcome is returned.
				c.mu.Unlock()
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
	batch := me.batch

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

// finish completes the calls of batch and makes the calls waiting on key's
// queue the next batch, or retires the queue.
func (c *combiner[T]) finish(key string, q *combineQueue[T], batch []*call[T]) {
	for _, p := range batch {
		close(p.done)
	}
	c.mu.Lock()
	if len(q.pending) > 0 {
		next := q.pending[0]
		next.batch = q.pending
		q.pending = nil
		close(next.lead)
	} else {
		q.running--
		if q.running == 0 {
			delete(c.queues, key)
		}
	}
	c.mu.Unlock()
}
