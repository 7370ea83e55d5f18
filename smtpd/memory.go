package smtpd

import (
	"container/list"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// prefixRoom is kept free before the message text in every buffer, for the
// Received and Authentication-Results fields, so that handing the mail on
// copies nothing.
const prefixRoom = 2048

// firstBuffer is the buffer a mail without a declared SIZE starts in.
const firstBuffer = 64 << 10

// smallLane is the largest buffer of the small lane: mails up to about
// this size grow in place; larger ones move to a big lane.
const smallLane = 1 << 20

// errTooLarge: the mail exceeds MaxMessageBytes.
var errTooLarge = errors.New("smtpd: message too large")

// memory bounds the bytes of mail all sessions hold. Mails start in the
// small lane, a shared budget from which each session takes its first
// buffer (blocking, holding nothing) and then grows without waiting. A
// mail that outgrows it, or whose budget is taken, waits for one of the
// big lanes, each the size of the largest mail. Only sessions that hold
// nothing, or hold a small buffer and wait for a big lane (whose holders
// need nothing more), ever wait, so the budget cannot deadlock.
type memory struct {
	small, big *budget
	bigSize    int // prefixRoom + the largest mail
	smallMax   int // the largest small-lane buffer
	first      sync.Pool
	// bigFree keeps the big buffers between mails: at most one per lane
	// is ever allocated while mail keeps coming (a sync.Pool would drop
	// them at each GC and leave the garbage to the next cycle, doubling
	// the peak). They are freed after idleTrim without big mail.
	bigFree chan []byte
	lastBig atomic.Int64 // unix nanoseconds of the last big-lane use
	trimSet atomic.Bool
}

// idleTrim is how long big buffers are kept without big mail.
const idleTrim = 30 * time.Second

func newMemory(total, msg int) *memory {
	m := &memory{bigSize: prefixRoom + msg}
	lanes := total / 2 / m.bigSize
	if lanes < 1 {
		lanes = 1
	}
	small := total - lanes*m.bigSize
	if small < 2*smallLane {
		small = 2 * smallLane
	}
	m.smallMax = min(smallLane, m.bigSize)
	m.small = newBudget(int64(small))
	m.big = newBudget(int64(lanes * m.bigSize))
	m.first.New = func() any { b := make([]byte, firstBuffer); return &b }
	m.bigFree = make(chan []byte, lanes)
	return m
}

// message is one mail in memory: buf[start:] is the text as received;
// buf[:start] is free room for fields to prepend.
type message struct {
	m     *memory
	buf   []byte
	start int
	small int64 // bytes held from the small lane
	big   bool  // a big lane is held
	// pooled is the pool buf came from, if any (a big buffer goes back
	// to bigFree instead).
	pooled *sync.Pool
}

// text returns the mail as received.
func (msg *message) text() []byte { return msg.buf[msg.start:] }

// release returns the buffer and its budget.
func (msg *message) release() {
	msg.dropBuffer()
	if msg.small > 0 {
		msg.m.small.release(msg.small)
		msg.small = 0
	}
	if msg.big {
		msg.m.big.release(int64(msg.m.bigSize))
		msg.big = false
	}
}

// read reads one mail from r. hint is the size the client declared (0:
// none); limit is MaxMessageBytes. It returns errTooLarge, ctx's error while
// waiting for memory, or r's error; the message is released on error.
func (m *memory) read(ctx context.Context, r io.Reader, hint int64, limit int) (*message, error) {
	msg := &message{m: m, start: prefixRoom}
	if err := msg.fill(ctx, r, hint, limit); err != nil {
		msg.release()
		return nil, err
	}
	return msg, nil
}

func (msg *message) fill(ctx context.Context, r io.Reader, hint int64, limit int) error {
	m := msg.m
	if hint > 0 && int(hint)+prefixRoom+1 > m.smallMax {
		if err := msg.moveBig(ctx); err != nil {
			return err
		}
	} else {
		size := firstBuffer
		if hint > 0 {
			size = max(int(hint)+prefixRoom+1, 4<<10)
		}
		if err := m.small.acquire(ctx, int64(size)); err != nil {
			return err
		}
		msg.small = int64(size)
		if size == firstBuffer {
			p := m.first.Get().(*[]byte)
			msg.buf, msg.pooled = (*p)[:prefixRoom], &m.first
		} else {
			msg.buf = make([]byte, prefixRoom, size)
		}
	}
	for {
		if len(msg.buf) == cap(msg.buf) {
			if len(msg.buf)-prefixRoom >= limit {
				// Full at the limit: one more byte means too large.
				var probe [1]byte
				n, err := r.Read(probe[:])
				switch {
				case n > 0 || err == smtp.ErrDataTooLarge:
					return errTooLarge
				case err == io.EOF:
					return nil
				case err != nil:
					return err
				}
				continue
			}
			if err := msg.grow(ctx); err != nil {
				return err
			}
		}
		n, err := r.Read(msg.buf[len(msg.buf):cap(msg.buf)])
		msg.buf = msg.buf[:len(msg.buf)+n]
		if err == io.EOF {
			return nil
		}
		if err == smtp.ErrDataTooLarge || len(msg.buf)-prefixRoom > limit {
			return errTooLarge
		}
		if err != nil {
			return err
		}
	}
}

// grow makes room for more text: doubling within the small lane when its
// budget allows, else moving to a big lane.
func (msg *message) grow(ctx context.Context) error {
	m := msg.m
	if !msg.big {
		if c := min(2*cap(msg.buf), m.smallMax); c > cap(msg.buf) && m.small.tryAcquire(int64(c)-msg.small) {
			nb := make([]byte, len(msg.buf), c)
			copy(nb, msg.buf)
			msg.dropBuffer()
			msg.buf, msg.small = nb, int64(c)
			return nil
		}
		return msg.moveBig(ctx)
	}
	return errTooLarge // a big buffer holds the largest mail
}

// moveBig waits for a big lane and moves the text there.
func (msg *message) moveBig(ctx context.Context) error {
	m := msg.m
	if err := m.big.acquire(ctx, int64(m.bigSize)); err != nil {
		return err
	}
	msg.big = true
	nb := m.getBig()[:max(len(msg.buf), prefixRoom)]
	copy(nb, msg.buf)
	msg.dropBuffer()
	msg.buf = nb
	if msg.small > 0 {
		m.small.release(msg.small)
		msg.small = 0
	}
	return nil
}

func (msg *message) dropBuffer() {
	switch {
	case msg.pooled != nil:
		b := msg.buf[:cap(msg.buf)]
		msg.pooled.Put(&b)
		msg.pooled = nil
	case msg.big && cap(msg.buf) == msg.m.bigSize:
		msg.m.putBig(msg.buf[:cap(msg.buf)])
	}
	msg.buf = nil
}

func (m *memory) getBig() []byte {
	m.lastBig.Store(time.Now().UnixNano())
	select {
	case b := <-m.bigFree:
		return b
	default:
		return make([]byte, m.bigSize)
	}
}

func (m *memory) putBig(b []byte) {
	m.lastBig.Store(time.Now().UnixNano())
	select {
	case m.bigFree <- b:
	default:
	}
	if m.trimSet.CompareAndSwap(false, true) {
		time.AfterFunc(idleTrim, m.trim)
	}
}

// trim frees the kept big buffers once no big mail came for idleTrim.
func (m *memory) trim() {
	if idle := time.Since(time.Unix(0, m.lastBig.Load())); idle < idleTrim {
		time.AfterFunc(idleTrim-idle, m.trim)
		return
	}
	m.trimSet.Store(false)
	for {
		select {
		case <-m.bigFree:
		default:
			return
		}
	}
}

// budget is a weighted semaphore with FIFO waiters.
type budget struct {
	mu      sync.Mutex
	free    int64
	waiters list.List // of *waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(n int64) *budget { return &budget{free: n} }

func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted meanwhile: give it back.
			b.free += n
			b.wake()
		default:
			b.waiters.Remove(e)
			b.wake()
		}
		b.mu.Unlock()
		return ctx.Err()
	}
}

func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		return true
	}
	return false
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	b.wake()
	b.mu.Unlock()
}

// wake grants waiters in order while the budget allows; b.mu is held.
func (b *budget) wake() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*waiter)
		if b.free < w.n {
			return
		}
		b.free -= w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}
