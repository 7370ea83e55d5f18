package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail/relay"
)

var (
	fuzzOnce sync.Once
	fuzzDB   *DB
	fuzzErr  error
	fuzzSeq  atomic.Int64
)

// FuzzRelayMatchesMemory is a differential test: a sequence of
// reservations (alone, of two accounts, or decided together as a batch
// of one account and day), refunds and breaker outcomes, decoded from the input, must give the same
// outcome per call and the same usage on PostgreSQL as on
// relay.MemoryStore, the reference of the contract.
func FuzzRelayMatchesMemory(f *testing.F) {
	dsn := os.Getenv("DESKMAIL_POSTGRES_DSN")
	if dsn == "" {
		f.Skip("DESKMAIL_POSTGRES_DSN not set: skipping PostgreSQL tests; .ci/run sets it")
	}
	fuzzOnce.Do(func() {
		ctx := context.Background()
		fuzzDB, fuzzErr = Open(ctx, dsn)
		if fuzzErr == nil {
			fuzzErr = fuzzDB.Migrate(ctx)
		}
	})
	if fuzzErr != nil {
		f.Fatal(fuzzErr)
	}
	f.Add([]byte{0x13, 0x24, 0x35, 0x46, 0x57, 0x68, 0x79, 0x8a})
	f.Add([]byte{0xf0, 0x11, 0x11, 0x11, 0x11, 0x91, 0x22, 0x33, 0x44, 0x05})
	f.Add([]byte("reserve refund fault quota other"))
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 200 {
			return
		}
		ctx := context.Background()
		acct := fmt.Sprintf("fuzz-%d-%d", time.Now().UnixNano(), fuzzSeq.Add(1))
		pg, mem := fuzzDB.RelayStore(), relay.NewMemoryStore()
		relays := []string{"", "r1", "r2"}
		for i := 0; i+1 < len(in); {
			op, arg := in[i], in[i+1]
			i += 2
			res := relay.Reservation{
				Account:  acct,
				Relay:    relays[int(arg)%3],
				Day:      day,
				N:        int64(arg>>2) % 6,
				RelayCap: int64(op>>3) % 9,
				PlanCap:  int64(op>>5) * 3,
			}
			switch op % 8 {
			case 0, 1, 2: // a reservation, of this account or another
				if arg&0x80 != 0 {
					res.Account = acct + "b"
				}
				checkSame(t, "Reserve", pg.Reserve(ctx, res), mem.Reserve(ctx, res))
			case 3, 4: // a batch of up to 4 reservations of one account and day
				n := 1 + int(op>>6)
				rs := []relay.Reservation{res}
				for k := 1; k < n && i < len(in); k++ {
					r := res
					r.Relay = relays[int(in[i])%3]
					r.N = int64(in[i]>>2) % 6
					i++
					rs = append(rs, r)
				}
				errs, err := pg.decide(ctx, fuzzDB.pool, rs)
				if err != nil {
					t.Fatal(err)
				}
				for k, r := range rs {
					checkSame(t, "batched Reserve", errs[k], mem.Reserve(ctx, r))
				}
			case 5: // refund
				keep := arg&0x80 != 0
				checkSame(t, "Refund", pg.Refund(ctx, res, keep), mem.Refund(ctx, res, keep))
			case 6, 7: // breaker outcome
				o := relay.Outcome(1 + int(op>>3)%3)
				if res.Relay == "" {
					res.Relay = "r1"
				}
				bp, errp := pg.RecordOutcome(ctx, acct, res.Relay, day, o, 2)
				bm, errm := mem.RecordOutcome(ctx, acct, res.Relay, day, o, 2)
				checkSame(t, "RecordOutcome", errp, errm)
				if bp != bm {
					t.Fatalf("RecordOutcome(%v) = %+v on PostgreSQL, %+v in memory", o, bp, bm)
				}
			}
			for _, a := range []string{acct, acct + "b"} {
				up, err := pg.Usage(ctx, a, day)
				if err != nil {
					t.Fatal(err)
				}
				um, _ := mem.Usage(ctx, a, day)
				if up.Total != um.Total || len(up.Relays) != len(um.Relays) || up.Relays["r1"] != um.Relays["r1"] || up.Relays["r2"] != um.Relays["r2"] {
					t.Fatalf("after op %d (%+v): usage of %s %+v on PostgreSQL, %+v in memory", op%8, res, a, up, um)
				}
			}
		}
	})
}

func checkSame(t *testing.T, what string, pg, mem error) {
	t.Helper()
	if (pg == nil) != (mem == nil) || (mem != nil && !errors.Is(pg, mem)) {
		t.Fatalf("%s: %v on PostgreSQL, %v in memory", what, pg, mem)
	}
}
