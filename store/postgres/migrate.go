package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the advisory lock that serialises Migrate across
// processes: "deskmail" as a 64-bit integer.
const migrationLockKey int64 = 0x6465736b6d61696c

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("postgres: migration %s: name must start with a number and _", base)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// Migrate brings the schema up to date. It is idempotent and safe when
// several processes start at once: one transaction takes an advisory lock,
// reads the version table (deskmail_schema_version), and applies the
// embedded migrations that are missing, in order. A process that waited for
// the lock finds them applied and does nothing.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `create table if not exists deskmail_schema_version (
		version integer primary key,
		name text not null,
		applied_at timestamptz not null default now())`); err != nil {
		return fmt.Errorf("postgres: migrate: version table: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.Query(ctx, `select version from deskmail_schema_version`)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, v := range vs {
		applied[int(v)] = true
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `insert into deskmail_schema_version (version, name) values ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration, or 0 before Migrate.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int32
	err := db.pool.QueryRow(ctx, `select coalesce(max(version), 0) from deskmail_schema_version`).Scan(&v)
	if err != nil {
		if pgCode(err) == "42P01" { // undefined_table: never migrated
			return 0, nil
		}
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return int(v), nil
}
