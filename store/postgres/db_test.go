package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/store/postgres"
)

// TestSecretsStayOutOfErrors: a password in the DSN never reaches an error
// string, whether the DSN does not parse, the server is unreachable or the
// password is wrong.
func TestSecretsStayOutOfErrors(t *testing.T) {
	const secret = "s3cret-Pa55word"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dsns := []string{
		"postgres://deskmail:" + secret + "@127.0.0.1:1/deskmail?sslmode=disable&connect_timeout=2",
		"postgres://deskmail:" + secret + "@127.0.0.1:5432/deskmail?sslmode=bogus-" + secret,
		"host=127.0.0.1 port=1 password=" + secret + " sslmode=disable connect_timeout=2",
		"postgres://deskmail:" + secret + "@[::1:bad/deskmail",
	}
	if dsn := os.Getenv(dsnEnv); dsn != "" {
		u, err := url.Parse(dsn)
		if err == nil && u.User != nil {
			u.User = url.UserPassword(u.User.Username(), secret)
			dsns = append(dsns, u.String())
		}
	}
	for _, dsn := range dsns {
		db, err := postgres.Open(ctx, dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open with a wrong password or address succeeded")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// TestMigrateConcurrently: eight processes' worth of pools migrate a fresh
// schema at once; the schema ends at the latest version, applied once, and
// Migrate stays idempotent.
func TestMigrateConcurrently(t *testing.T) {
	admin := testDB(t)
	ctx := context.Background()
	schema := fmt.Sprintf("deskmail_mig_%d", time.Now().UnixNano())
	if _, err := admin.Pool().Exec(ctx, "create schema "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Pool().Exec(context.Background(), "drop schema "+schema+" cascade") })
	dsn := withParam(os.Getenv(dsnEnv), "search_path", schema)

	fresh, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if v, err := fresh.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate = %d, %v; want 0", v, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := fresh.Migrate(ctx); err != nil {
		t.Errorf("second Migrate: %v", err)
	}
	v, err := fresh.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	var rows, tables int
	fresh.Pool().QueryRow(ctx, `select count(*) from deskmail_schema_version`).Scan(&rows)
	fresh.Pool().QueryRow(ctx, `select count(*) from information_schema.tables where table_schema = $1`, schema).Scan(&tables)
	if rows != v || tables < 13 {
		t.Errorf("%d version rows for version %d, %d tables", rows, v, tables)
	}
	// The fresh schema works.
	if _, err := fresh.AutoreplyStore().Reserve(ctx, "a", "r", time.Now(), 1); err != nil {
		t.Error(err)
	}
}

// withParam adds a run-time parameter to a URL or key=value DSN.
func withParam(dsn, k, v string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + k + "=" + url.QueryEscape(v)
	}
	return dsn + " " + k + "=" + v
}

func TestPrune(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	acct := fmt.Sprintf("prune-%d", time.Now().UnixNano())
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	// Far in the past, so the test prunes only rows of its own making.
	if _, err := db.AutoreplyStore().Reserve(ctx, acct, "r@example.com", old, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.RelayStore().Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: old, N: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RelayStore().RecordOutcome(ctx, acct, "x", old, relay.OutcomeFault, 3); err != nil {
		t.Fatal(err)
	}
	if err := db.RelayStore().Reserve(ctx, relay.Reservation{Account: acct, Relay: "x", Day: old.AddDate(0, 0, 1), N: 1}); err != nil {
		t.Fatal(err)
	}
	n, err := db.Prune(ctx, old.AddDate(0, 0, 1))
	if err != nil || n < 3 {
		t.Fatalf("Prune = %d, %v; want at least 3 rows", n, err)
	}
	if u, _ := db.RelayStore().Usage(ctx, acct, old); u.Total != 0 {
		t.Errorf("pruned usage still there: %+v", u)
	}
	if u, _ := db.RelayStore().Usage(ctx, acct, old.AddDate(0, 0, 1)); u.Total != 1 {
		t.Errorf("the day of before was pruned: %+v", u)
	}
	if r, _ := db.AutoreplyStore().Reserve(ctx, acct, "r@example.com", old, 1); !r.Reserved {
		t.Errorf("pruned autoreply count still there: %+v", r)
	}
}
