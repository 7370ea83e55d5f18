package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/commands"
)

// maxBatch bounds the messages of one UID FETCH of bodies.
const maxBatch = 100

// pass reads the new messages of the source's folder once.
func (s *imapSession) pass(ctx context.Context, res *Result) error {
	f, src := s.f, s.src
	mbox, err := s.c.Select(src.folder(), src.after() == AfterLeave)
	if err != nil {
		if s.dropped(err) {
			return s.err("select", err)
		}
		return s.err("select", fmt.Errorf("folder %q: %s", src.folder(), err))
	}
	st, err := f.o.Store.State(ctx, src.Account, src.ID)
	if err != nil && !isNotFound(err) {
		return &hostError{fmt.Errorf("fetch: state: %w", err)}
	}
	if st.UIDValidity != mbox.UidValidity {
		first := st.UIDValidity == 0 && st.LastUID == 0
		var last uint32
		if first && src.OnlyNew && mbox.Messages > 0 {
			if last, err = s.maxUID(mbox); err != nil {
				return err
			}
		}
		if err := f.saveState(ctx, src, func(x *State) { x.UIDValidity, x.LastUID = mbox.UidValidity, last }); err != nil {
			return err
		}
		st.UIDValidity, st.LastUID = mbox.UidValidity, last
	}
	if mbox.Messages == 0 || mbox.UidNext > 0 && mbox.UidNext-1 <= st.LastUID {
		return s.done(ctx)
	}
	todo, err := s.list(st.LastUID)
	if err != nil {
		return err
	}
	if len(todo) > f.o.MaxPerFetch {
		todo, res.More = todo[:f.o.MaxPerFetch], true
	}
	for len(todo) > 0 {
		n, bytes := 0, int64(0)
		for n < len(todo) && n < maxBatch && todo[n].size <= int64(f.o.MaxMessageBytes) &&
			(n == 0 || bytes+todo[n].size <= int64(f.o.BatchBytes)) {
			bytes += todo[n].size
			n++
		}
		if n == 0 {
			// Too large: left on the server, and done.
			m := todo[0]
			res.Skipped = append(res.Skipped, Skipped{UID: strconv.FormatUint(uint64(m.uid), 10), Size: m.size, Reason: "too_large"})
			if err := f.saveState(ctx, src, func(x *State) { x.LastUID = max(x.LastUID, m.uid) }); err != nil {
				return err
			}
			todo = todo[1:]
			continue
		}
		if err := s.batch(ctx, res, todo[:n]); err != nil {
			return err
		}
		todo = todo[n:]
	}
	return s.done(ctx)
}

func (s *imapSession) done(ctx context.Context) error {
	return s.f.saveState(ctx, s.src, func(x *State) { x.LastFetch = s.f.o.Now().UTC() })
}

// maxUID returns the highest UID of the selected folder.
func (s *imapSession) maxUID(mbox *imap.MailboxStatus) (uint32, error) {
	if mbox.UidNext > 0 {
		return mbox.UidNext - 1, nil
	}
	set := new(imap.SeqSet)
	set.AddNum(0) // "*": the last message
	ch := make(chan *imap.Message, 4)
	errc := make(chan error, 1)
	go func() { errc <- s.c.Fetch(set, []imap.FetchItem{imap.FetchUid}, ch) }()
	var last uint32
	for m := range ch {
		last = max(last, m.Uid)
	}
	if err := <-errc; err != nil {
		return 0, s.err("list", err)
	}
	return last, nil
}

// list returns the messages above last, in UID order, with their sizes.
func (s *imapSession) list(last uint32) ([]listed, error) {
	set := new(imap.SeqSet)
	set.AddRange(last+1, 0)
	ch := make(chan *imap.Message, 64)
	errc := make(chan error, 1)
	go func() { errc <- s.c.UidFetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchRFC822Size}, ch) }()
	var out []listed
	for m := range ch {
		// "n:*" names the last message even when its UID is below n.
		if m.Uid > last {
			out = append(out, listed{uid: m.Uid, size: int64(m.Size)})
		}
	}
	if err := <-errc; err != nil {
		return nil, s.err("list", err)
	}
	slices.SortFunc(out, func(a, b listed) int { return cmp.Compare(a.uid, b.uid) })
	out = slices.CompactFunc(out, func(a, b listed) bool { return a.uid == b.uid })
	return out, nil
}

// batch fetches the bodies of msgs in one UID FETCH and delivers each as
// it arrives, then applies the after-action to those done and records the
// highest done UID. A host error stops the deliveries; what was done
// before it is still acted on and recorded.
func (s *imapSession) batch(ctx context.Context, res *Result, msgs []listed) error {
	f := s.f
	set := new(imap.SeqSet)
	want := make(map[uint32]bool, len(msgs))
	for _, m := range msgs {
		set.AddNum(m.uid)
		want[m.uid] = true
	}
	section := &imap.BodySectionName{Peek: true}
	ch := make(chan *imap.Message, 4)
	errc := make(chan error, 1)
	go func() { errc <- s.c.UidFetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, ch) }()
	received := make(map[uint32]bool, len(msgs))
	delivered := make(map[uint32]bool, len(msgs))
	limit := int64(f.o.BatchBytes) + int64(f.o.MaxMessageBytes)
	var total int64
	var over bool
	var hostErr error
	for m := range ch {
		raw := body(m)
		if !want[m.Uid] || raw == nil || received[m.Uid] || over {
			continue
		}
		received[m.Uid] = true
		if total += int64(len(raw)); total > limit {
			// The server sends more than it announced: stop reading.
			over = true
			s.raw.Close()
			continue
		}
		if hostErr != nil || ctx.Err() != nil {
			continue
		}
		if _, err := f.deliver(ctx, s.src, res, raw); err != nil {
			hostErr = err
			continue
		}
		delivered[m.Uid] = true
	}
	err := <-errc
	if over {
		err = fmt.Errorf("%w: the messages are larger than their announced sizes", ErrTooLong)
	}
	if err != nil {
		fe := s.err("fetch", err)
		if errors.Is(fe, ErrTooLong) && hostErr == nil {
			return s.oversized(ctx, res, msgs, delivered, fe)
		}
		return fe
	}
	if err := ctx.Err(); err != nil {
		// Stopped by the host: what was delivered is found again by the
		// next fetch, as a duplicate, and acted on then.
		return err
	}
	// Done: the longest run, in UID order, of messages delivered or gone
	// (expunged meanwhile by another client, so absent from the answer).
	var done []uint32
	for _, m := range msgs {
		if !delivered[m.uid] && (received[m.uid] || hostErr != nil) {
			break
		}
		done = append(done, m.uid)
	}
	if len(done) > 0 {
		if err := s.act(done); err != nil {
			return err
		}
		top := done[len(done)-1]
		if err := f.saveState(ctx, s.src, func(x *State) { x.LastUID = max(x.LastUID, top) }); err != nil {
			return err
		}
	}
	return hostErr
}

// body returns the message data of a FETCH answer, or nil. go-imap keeps
// a literal in a bytes.Buffer: its bytes are used without a copy.
func body(m *imap.Message) []byte {
	for _, lit := range m.Body {
		if lit == nil {
			continue
		}
		if b, ok := lit.(interface{ Bytes() []byte }); ok {
			return b.Bytes()
		}
		b, err := io.ReadAll(lit)
		if err != nil {
			return nil
		}
		return b
	}
	return nil
}

// oversized handles a batch whose reading stopped at a message larger than
// its bound: the first message not delivered is taken for the culprit,
// left on the server, reported, and recorded as done with those before it
// (which were delivered but, the connection being gone, not acted on), so
// that the next fetch moves on.
func (s *imapSession) oversized(ctx context.Context, res *Result, msgs []listed, delivered map[uint32]bool, fe *Error) error {
	for _, m := range msgs {
		if delivered[m.uid] {
			continue
		}
		res.Skipped = append(res.Skipped, Skipped{UID: strconv.FormatUint(uint64(m.uid), 10), Size: m.size, Reason: "too_large"})
		if err := s.f.saveState(ctx, s.src, func(x *State) { x.LastUID = max(x.LastUID, m.uid) }); err != nil {
			return err
		}
		break
	}
	return fe
}

// act applies the source's after-action to uids.
func (s *imapSession) act(uids []uint32) error {
	set := new(imap.SeqSet)
	set.AddNum(uids...)
	deleted := []any{imap.DeletedFlag}
	add := imap.FormatFlagsOp(imap.AddFlags, true)
	var err error
	switch s.src.after() {
	case AfterLeave:
		return nil
	case AfterSeen:
		err = s.c.UidStore(set, add, []any{imap.SeenFlag}, nil)
	case AfterMove:
		var ok bool
		if ok, err = s.c.Support("MOVE"); err == nil && ok {
			err = s.c.UidMove(set, s.src.MoveTo)
			if err != nil && !s.dropped(err) {
				// A server that announces MOVE and refuses it: copy.
				ok = false
			}
		}
		if err == nil && !ok || err != nil && !s.dropped(err) && !ok {
			if err = s.c.UidCopy(set, s.src.MoveTo); err == nil {
				if err = s.c.UidStore(set, add, deleted, nil); err == nil {
					err = s.expunge(set)
				}
			}
		}
	case AfterDelete:
		if err = s.c.UidStore(set, add, deleted, nil); err == nil {
			err = s.expunge(set)
		}
	}
	if err != nil {
		return s.err("flag", err)
	}
	return nil
}

// expunge removes the \Deleted messages of set: UID EXPUNGE (RFC 4315)
// where the server has UIDPLUS, else EXPUNGE, which also removes what
// another client marked \Deleted.
func (s *imapSession) expunge(set *imap.SeqSet) error {
	ok, err := s.c.Support("UIDPLUS")
	if err != nil {
		return err
	}
	if !ok {
		return s.c.Expunge(nil)
	}
	status, err := s.c.Execute(&commands.Uid{Cmd: uidExpunge{set}}, nil)
	if err != nil {
		return err
	}
	return status.Err()
}

type uidExpunge struct{ set *imap.SeqSet }

func (u uidExpunge) Command() *imap.Command {
	return &imap.Command{Name: "EXPUNGE", Arguments: []any{u.set}}
}
