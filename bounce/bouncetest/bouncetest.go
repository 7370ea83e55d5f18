// Package bouncetest holds the conformance suite every bounce.Store
// implementation runs, in the manner of testing/fstest.
package bouncetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/storetest"

	"github.com/deskmail/deskmail/bounce"
)

// TestStore runs the contract of bounce.Store against stores made by
// newStore, one subtest per clause.
func TestStore(t *testing.T, newStore func(t *testing.T) bounce.Store) {
	ctx := context.Background()

	t.Run("round trip", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		got, err := s.Update(ctx, p+"acct", "a@example.com", func(st *bounce.AddressState) error {
			if st.State != bounce.StateOK || st.Account != p+"acct" || st.Address != "a@example.com" {
				return fmt.Errorf("new state = %+v", *st)
			}
			st.State, st.SoftCount, st.SendsLeft, st.LastReason, st.Updated = bounce.StateSoftBlocked, 2, 5, bounce.ReasonMailboxFull, at
			st.Events = append(st.Events, bounce.Event{At: at, Type: bounce.EventSoftBounce, Reason: bounce.ReasonMailboxFull, MessageID: "m1", Detail: "552 full"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Get(ctx, p+"acct", "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if back.State != got.State || back.SoftCount != 2 || back.SendsLeft != 5 || back.LastReason != bounce.ReasonMailboxFull ||
			!back.Updated.Equal(at) || len(back.Events) != 1 || back.Events[0].Detail != "552 full" || !back.Events[0].At.Equal(at) {
			t.Errorf("Get = %+v, want %+v", back, got)
		}
	})

	t.Run("not found", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		if _, err := s.Get(ctx, p+"acct", "nobody@example.com"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("Get: %v, want ErrNotFound", err)
		}
		if _, err := s.Deliveries(ctx, p+"acct", "none@x"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("Deliveries: %v, want ErrNotFound", err)
		}
		if _, err := s.GetAccount(ctx, p+"acct"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("GetAccount: %v, want ErrNotFound", err)
		}
		if _, err := s.Sent(ctx, p+"acct", "none@x"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("Sent: %v, want ErrNotFound", err)
		}
	})

	t.Run("pending sends and idempotency keys round trip", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		_, err := s.Update(ctx, p+"acct", "a@example.com", func(st *bounce.AddressState) error {
			if len(st.Pending) != 0 || len(st.Seen) != 0 {
				return fmt.Errorf("new state = %+v", *st)
			}
			st.State, st.SoftCount, st.SendsLeft = bounce.StateSoftBlocked, 1, 4
			st.Pending = []bounce.PendingSend{{MessageID: "m1@x", At: at}, {At: at.Add(time.Hour)}}
			st.Seen = []bounce.Seen{{Key: "k1", At: at}, {Key: "k2", At: at.Add(time.Minute)}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		back, err := s.Get(ctx, p+"acct", "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Pending) != 2 || back.Pending[0].MessageID != "m1@x" || !back.Pending[0].At.Equal(at) || back.Pending[1].MessageID != "" ||
			!back.Pending[1].At.Equal(at.Add(time.Hour)) || len(back.Seen) != 2 || back.Seen[1].Key != "k2" || !back.Seen[1].At.Equal(at.Add(time.Minute)) {
			t.Errorf("Get = pending %+v, seen %+v", back.Pending, back.Seen)
		}
		// Clearing them stores empty lists.
		s.Update(ctx, p+"acct", "a@example.com", func(st *bounce.AddressState) error { st.Pending, st.Seen = nil, nil; return nil })
		if back, _ := s.Get(ctx, p+"acct", "a@example.com"); len(back.Pending) != 0 || len(back.Seen) != 0 {
			t.Errorf("after clearing: pending %+v, seen %+v", back.Pending, back.Seen)
		}
	})

	t.Run("sent recipients merge sorted and unique", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		acct := p + "acct"
		at := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		if err := s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "m@x", Recipients: []string{"b@example.com", "a@example.com"}, At: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "m@x", Recipients: []string{"c@example.com", "a@example.com", "C@example.com"}, At: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// An earlier time does not move the record back.
		if err := s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "m@x", Recipients: []string{"d@example.com"}, At: at.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "M@x", Recipients: []string{"z@example.com"}, At: at})
		m, err := s.Sent(ctx, acct, "m@x")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"C@example.com", "a@example.com", "b@example.com", "c@example.com", "d@example.com"}
		if m.MessageID != "m@x" || fmt.Sprint(m.Recipients) != fmt.Sprint(want) || !m.At.Equal(at.Add(time.Hour)) {
			t.Errorf("Sent = %+v, want recipients %v at %v", m, want, at.Add(time.Hour))
		}
		if !m.Has("B@Example.com") || m.Has("e@example.com") {
			t.Errorf("Has: b %v, e %v", m.Has("B@Example.com"), m.Has("e@example.com"))
		}
		if m2, _ := s.Sent(ctx, acct, "M@x"); len(m2.Recipients) != 1 {
			t.Errorf("Message-IDs differing in case share a record: %+v", m2)
		}
		if _, err := s.Sent(ctx, p+"other", "m@x"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("another account sees the record: %v", err)
		}
	})

	t.Run("sent records expire by PruneSent", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		acct := p + "acct"
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) // before any other subtest's records
		s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "old@x", Recipients: []string{"a@example.com"}, At: old})
		s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "new@x", Recipients: []string{"a@example.com"}, At: old.Add(48 * time.Hour)})
		n, err := s.PruneSent(ctx, old.Add(time.Hour))
		if err != nil || n < 1 {
			t.Fatalf("PruneSent = %d, %v; want at least 1", n, err)
		}
		if _, err := s.Sent(ctx, acct, "old@x"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("pruned record still there: %v", err)
		}
		if _, err := s.Sent(ctx, acct, "new@x"); err != nil {
			t.Errorf("newer record pruned: %v", err)
		}
	})

	t.Run("no recipient lost under concurrent AddSent", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		acct := p + "acct"
		at := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		const n = 40
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := fmt.Sprintf("r%02d@example.com", i)
				if err := s.AddSent(ctx, acct, bounce.SentMessage{MessageID: "m@x", Recipients: []string{r, "common@example.com"}, At: at}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		m, err := s.Sent(ctx, acct, "m@x")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Recipients) != n+1 {
			t.Errorf("%d recipients, want %d: %v", len(m.Recipients), n+1, m.Recipients)
		}
	})

	t.Run("failed update stores nothing", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		boom := errors.New("boom")
		_, err := s.Update(ctx, p+"acct", "a@example.com", func(st *bounce.AddressState) error {
			st.State = bounce.StateHardBlocked
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v, want the callback's error", err)
		}
		if _, err := s.Get(ctx, p+"acct", "a@example.com"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("Get after failed update: %v, want ErrNotFound", err)
		}
	})

	t.Run("per-account isolation", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		s.Update(ctx, p+"a", "x@example.com", func(st *bounce.AddressState) error { st.State = bounce.StateHardBlocked; return nil })
		if _, err := s.Get(ctx, p+"b", "x@example.com"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("account b sees a's address: %v", err)
		}
		s.PutDelivery(ctx, p+"a", bounce.Delivery{MessageID: "m@x", Recipient: "x@example.com", Status: bounce.DeliverySent, Updated: day})
		if _, err := s.Deliveries(ctx, p+"b", "m@x"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("account b sees a's deliveries: %v", err)
		}
		s.AddCounts(ctx, p+"a", day, 10, 3)
		if n, h, err := s.Counts(ctx, p+"b", day.AddDate(0, 0, -7)); err != nil || n != 0 || h != 0 {
			t.Errorf("account b counts = %d, %d, %v; want 0, 0", n, h, err)
		}
		s.UpdateAccount(ctx, p+"a", func(a *bounce.AccountState) error { a.Exempt = true; return nil })
		if _, err := s.GetAccount(ctx, p+"b"); !errors.Is(err, bounce.ErrNotFound) {
			t.Errorf("account b sees a's settings: %v", err)
		}
	})

	t.Run("deliveries upsert per message and recipient", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		acct := p + "acct"
		s.PutDelivery(ctx, acct, bounce.Delivery{MessageID: "m@x", Recipient: "b@example.com", Status: bounce.DeliverySent, Updated: at})
		s.PutDelivery(ctx, acct, bounce.Delivery{MessageID: "m@x", Recipient: "a@example.com", Status: bounce.DeliverySent, Updated: at})
		s.PutDelivery(ctx, acct, bounce.Delivery{MessageID: "m@x", Recipient: "b@example.com", Status: bounce.DeliveryHardBounce, Reason: bounce.ReasonUserUnknown, Detail: "550 5.1.1", Updated: at})
		s.PutDelivery(ctx, acct, bounce.Delivery{MessageID: "other@x", Recipient: "a@example.com", Status: bounce.DeliverySent, Updated: at})
		ds, err := s.Deliveries(ctx, acct, "m@x")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 || ds[0].Recipient != "a@example.com" || ds[1].Recipient != "b@example.com" ||
			ds[1].Status != bounce.DeliveryHardBounce || ds[1].Reason != bounce.ReasonUserUnknown || !ds[1].Updated.Equal(at) {
			t.Errorf("Deliveries = %+v", ds)
		}
	})

	t.Run("window rollover on a fake clock", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		acct := p + "acct"
		d0 := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
		s.AddCounts(ctx, acct, d0, 100, 10)
		s.AddCounts(ctx, acct, d0.Add(2*time.Minute), 50, 1) // the next UTC day
		if n, h, _ := s.Counts(ctx, acct, d0); n != 150 || h != 11 {
			t.Errorf("counts since day 0 = %d, %d; want 150, 11", n, h)
		}
		if n, h, _ := s.Counts(ctx, acct, d0.Add(time.Hour)); n != 50 || h != 1 {
			t.Errorf("counts since day 1 = %d, %d; want 50, 1", n, h)
		}
		if n, h, _ := s.Counts(ctx, acct, d0.AddDate(0, 0, 8)); n != 0 || h != 0 {
			t.Errorf("counts a week later = %d, %d; want 0, 0", n, h)
		}
	})

	t.Run("no lost update under concurrent writers", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		acct := p + "acct"
		day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		const n = 50
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Update(ctx, acct, "a@example.com", func(st *bounce.AddressState) error {
					st.SoftCount++
					st.Events = append(st.Events, bounce.Event{At: day, Type: bounce.EventSent})
					return nil
				}); err != nil {
					t.Error(err)
				}
				if err := s.AddCounts(ctx, acct, day, 1, 1); err != nil {
					t.Error(err)
				}
				if _, err := s.UpdateAccount(ctx, acct, func(a *bounce.AccountState) error { a.Exempt = !a.Exempt; return nil }); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		st, err := s.Get(ctx, acct, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if st.SoftCount != n || len(st.Events) != n {
			t.Errorf("soft count %d, events %d; want %d each", st.SoftCount, len(st.Events), n)
		}
		if sends, hard, _ := s.Counts(ctx, acct, day); sends != n || hard != n {
			t.Errorf("counts %d, %d; want %d each", sends, hard, n)
		}
		if a, _ := s.GetAccount(ctx, acct); a.Exempt != (n%2 == 1) {
			t.Errorf("exempt flipped %d times ends %v", n, a.Exempt)
		}
	})

	t.Run("context cancelled", func(t *testing.T) {
		s, p := newStore(t), storetest.Prefix("bt")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Update(cctx, p+"acct", "a@example.com", func(*bounce.AddressState) error { return nil }); err == nil {
			t.Error("Update with a cancelled context succeeded")
		}
	})
}
