package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCombiner: every call completes exactly once with the outcome its
// batch gave it; batches of one key never overlap; calls whose context
// ends while queued are withdrawn, never run; at most width batches of a
// key are in flight.
func TestCombiner(t *testing.T) {
	for _, width := range []int{1, 3} {
		t.Run(fmt.Sprintf("width=%d", width), func(t *testing.T) { testCombiner(t, width) })
	}
}

func testCombiner(t *testing.T, width int) {
	c := combiner[int]{width: width}
	var inFlight [2]atomic.Int32
	var ran, batches atomic.Int64
	run := func(key int) func(ctx context.Context, batch []*call[int]) {
		return func(ctx context.Context, batch []*call[int]) {
			if inFlight[key].Add(1) > int32(width) {
				t.Errorf("more than %d batches of one key in flight", width)
			}
			if ctx.Err() != nil {
				t.Error("batch context already done")
			}
			time.Sleep(200 * time.Microsecond)
			for _, cl := range batch {
				if cl.arg%5 == 0 {
					cl.err = errors.New("odd one")
				}
				ran.Add(1)
			}
			batches.Add(1)
			inFlight[key].Add(-1)
		}
	}
	var wg sync.WaitGroup
	var okCalls, failed, withdrawn atomic.Int64
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				key := g % 2
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%4)*100*time.Microsecond)
				err := c.do(ctx, []string{"a", "b"}[key], g*1000+i, run(key))
				cancel()
				switch {
				case err == nil:
					okCalls.Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					withdrawn.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := okCalls.Load() + failed.Load(); got != ran.Load() {
		t.Errorf("%d calls returned an outcome, %d ran", got, ran.Load())
	}
	if okCalls.Load()+failed.Load()+withdrawn.Load() != 32*200 {
		t.Errorf("calls lost: %d + %d + %d", okCalls.Load(), failed.Load(), withdrawn.Load())
	}
	if len(c.queues) != 0 {
		t.Errorf("%d queues left behind", len(c.queues))
	}
	t.Logf("%d calls ran in %d batches, %d withdrawn", ran.Load(), batches.Load(), withdrawn.Load())
}

// TestCombinerPanic: a panic while a batch runs reaches its leader, and the
// other calls of the batch complete with an error instead of waiting
// forever; the key stays usable.
func TestCombinerPanic(t *testing.T) {
	var c combiner[int]
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer func() { recover() }()
		c.do(context.Background(), "k", 0, func(context.Context, []*call[int]) {
			close(started)
			<-release
		})
	}()
	<-started
	errs := make(chan error, 3)
	for i := 1; i <= 3; i++ {
		go func() {
			defer func() {
				if v := recover(); v != nil {
					errs <- fmt.Errorf("panicked: %v", v)
				}
			}()
			errs <- c.do(context.Background(), "k", i, func(context.Context, []*call[int]) { panic("boom") })
		}()
	}
	for {
		c.mu.Lock()
		n := len(c.queues["k"].pending)
		c.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	for i := 0; i < 3; i++ {
		select {
		case err := <-errs:
			if err == nil {
				t.Error("a call of a panicking batch succeeded")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a call of a panicking batch never returned")
		}
	}
	if err := c.do(context.Background(), "k", 9, func(_ context.Context, b []*call[int]) {}); err != nil {
		t.Errorf("key unusable after a panic: %v", err)
	}
}
