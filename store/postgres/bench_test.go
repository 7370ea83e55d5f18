package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/store/postgres"
)

// benchWorkers is the number of concurrent workers of the throughput
// benchmarks, and the pool size they use.
const benchWorkers = 16

var (
	benchOnce sync.Once
	benchPool *pgxpool.Pool
	benchErr  error
)

// benchDB returns the test database on a pool of benchWorkers connections,
// shared by all benchmarks and opened before any timer starts (connecting
// is not what they measure).
func benchDB(b *testing.B) *postgres.DB {
	b.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skip(dsnEnv + " not set: skipping PostgreSQL benchmarks; .ci/run sets it")
	}
	benchOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			benchErr = errors.New("cannot parse " + dsnEnv)
			return
		}
		cfg.MaxConns = benchWorkers
		ctx := context.Background()
		benchPool, benchErr = pgxpool.NewWithConfig(ctx, cfg)
		if benchErr != nil {
			return
		}
		// Establish every connection now.
		conns := make([]*pgxpool.Conn, 0, benchWorkers)
		for range benchWorkers {
			c, err := benchPool.Acquire(ctx)
			if err != nil {
				benchErr = err
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Release()
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	db, err := postgres.New(benchPool)
	if err != nil {
		b.Fatal(err)
	}
	migrateOnce(b, db)
	return db
}

// parallel runs body from benchWorkers goroutines, each with its own index,
// and reports operations per second.
func parallel(b *testing.B, body func(worker int) error) {
	b.SetParallelism((benchWorkers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(next.Add(1) - 1)
		for pb.Next() {
			if err := body(w); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func benchBounce(b *testing.B, s bounce.Store, hot bool) {
	ctx := context.Background()
	p := fmt.Sprintf("bb%d-", time.Now().UnixNano())
	parallel(b, func(w int) error {
		acct := p + "acct"
		if !hot {
			acct = fmt.Sprintf("%s%d", p, w)
		}
		_, err := s.Update(ctx, acct, "a@example.com", func(st *bounce.AddressState) error {
			st.SoftCount++
			return nil
		})
		return err
	})
}

func benchBounceCounts(b *testing.B, s bounce.Store, hot bool) {
	ctx := context.Background()
	p := fmt.Sprintf("bc%d-", time.Now().UnixNano())
	day := time.Now()
	parallel(b, func(w int) error {
		acct := p + "acct"
		if !hot {
			acct = fmt.Sprintf("%s%d", p, w)
		}
		return s.AddCounts(ctx, acct, day, 1, 0)
	})
}

// BenchmarkBounceUpdate measures bounce.Store.Update (a row-locked
// read-modify-write) with 16 workers, each on its own account ("spread")
// or all on one address ("hot"), beside the memory store.
func BenchmarkBounceUpdate(b *testing.B) {
	b.Run("store=memory/keys=spread", func(b *testing.B) { benchBounce(b, bounce.NewMemoryStore(), false) })
	b.Run("store=memory/keys=hot", func(b *testing.B) { benchBounce(b, bounce.NewMemoryStore(), true) })
	b.Run("store=postgres/keys=spread", func(b *testing.B) { benchBounce(b, benchDB(b).BounceStore(), false) })
	b.Run("store=postgres/keys=hot", func(b *testing.B) { benchBounce(b, benchDB(b).BounceStore(), true) })
}

// BenchmarkBounceAddCounts measures bounce.Store.AddCounts (one UPSERT).
func BenchmarkBounceAddCounts(b *testing.B) {
	b.Run("store=memory/keys=spread", func(b *testing.B) { benchBounceCounts(b, bounce.NewMemoryStore(), false) })
	b.Run("store=memory/keys=hot", func(b *testing.B) { benchBounceCounts(b, bounce.NewMemoryStore(), true) })
	b.Run("store=postgres/keys=spread", func(b *testing.B) { benchBounceCounts(b, benchDB(b).BounceStore(), false) })
	b.Run("store=postgres/keys=hot", func(b *testing.B) { benchBounceCounts(b, benchDB(b).BounceStore(), true) })
}
