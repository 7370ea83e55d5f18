package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail/relay"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is deskmail's state on one PostgreSQL database. It implements every
// store interface of the library; the methods that return a package's Store
// (AliasStore, BounceStore, …) hand out views of the same pool. A DB is safe
// for concurrent use by any number of goroutines and processes.
type DB struct {
	pool   *pgxpool.Pool
	closer bool // Close closes the pool: Open made it

	// Writes of one account's row for a day in flight (rowbatch.go).
	reservations rowBatcher[relay.Reservation]
	bounceCounts rowBatcher[bounceCount]
}

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string, see pgxpool.ParseConfig) and returns a DB that owns its pool. It
// does not migrate: call Migrate once at start-up.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can quote the DSN, password included.
		return nil, errors.New("postgres: cannot parse the connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", redact(err, cfg.ConnConfig.Password))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", redact(err, cfg.ConnConfig.Password))
	}
	db := &DB{pool: pool, closer: true}
	return db, nil
}

// ErrNoPool is returned by New without a pool.
var ErrNoPool = errors.New("postgres: no pool")

// New returns a DB on a pool the host owns; Close leaves the pool open. It
// returns ErrNoPool for a nil pool.
func New(pool *pgxpool.Pool) (*DB, error) {
	if pool == nil {
		return nil, ErrNoPool
	}
	return &DB{pool: pool}, nil
}

// Pool returns the underlying pool.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool when Open created it.
func (db *DB) Close() {
	if db.closer {
		db.pool.Close()
	}
}

// redactedError hides a password that a driver error might quote.
type redactedError struct{ msg string }

func (e *redactedError) Error() string { return e.msg }

func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx")}
}

// pgCode returns the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports a serialization failure or a deadlock: the transaction
// was rolled back and may be run again.
func retryable(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}

// maxAttempts bounds the retries of a transaction that keeps failing on
// serialization or deadlock.
const maxAttempts = 10

// inTx runs fn in a READ COMMITTED transaction and commits it, retrying the
// whole transaction on a serialization failure or deadlock.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// utc returns t in UTC; the database hands times back in the local zone.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// civilDay returns the date of t (in t's location) as midnight UTC, the form
// a date column round-trips.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// lockedUpdate runs a read-modify-write of one row in two round trips
// instead of four: [BEGIN; lockSQL] pipelined, then modify in Go, then
// [the write; COMMIT] pipelined. lockSQL inserts a placeholder row or locks
// the existing one (INSERT … ON CONFLICT DO UPDATE … RETURNING), so the row
// lock is held from the read to the commit and concurrent writers of the
// same row, in any process, queue up; scan reads its result. modify returns
// the write statement; an error from it rolls back (the placeholder too)
// and is returned as is. modify runs exactly once.
func (db *DB) lockedUpdate(ctx context.Context, lockSQL string, lockArgs []any, scan func(pgx.Row) error, modify func() (string, []any, error)) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection released inside a transaction (after an error that the
	// rollback could not clear) is destroyed by the pool, never reused.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(lockSQL, lockArgs...)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		err = scan(br.QueryRow())
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(ctx, conn)
		return err
	}
	sql, args, err := modify()
	if err != nil {
		rollback(ctx, conn)
		return err
	}
	b = &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue("commit")
	br = conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		if err == nil && tag.String() != "COMMIT" {
			err = pgx.ErrTxCommitRollback
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(ctx, conn)
	}
	return err
}

func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "rollback")
}
