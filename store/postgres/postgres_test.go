package postgres_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/alias/aliastest"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/autoreply/autoreplytest"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/bounce/bouncetest"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dkim/dkimtest"
	"github.com/deskmail/deskmail/store/postgres"
	"github.com/deskmail/deskmail/threading"
	"github.com/deskmail/deskmail/threading/threadingtest"
)

// dsnEnv names the variable that holds the test database's DSN.
const dsnEnv = "DESKMAIL_POSTGRES_DSN"

// testDB opens the test database, migrates it and closes it when t ends.
// It skips t when DESKMAIL_POSTGRES_DSN is not set.
func testDB(t testing.TB) *postgres.DB {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip(dsnEnv + " not set: skipping PostgreSQL tests; .ci/run sets it")
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	migrateOnce(t, db)
	return db
}

var migrated sync.Once

func migrateOnce(t testing.TB, db *postgres.DB) {
	var err error
	migrated.Do(func() { err = db.Migrate(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestAliasStore(t *testing.T) {
	db := testDB(t)
	aliastest.TestStore(t, func(*testing.T) alias.Store { return db.AliasStore() })
}

func TestMessageIndex(t *testing.T) {
	db := testDB(t)
	threadingtest.TestStore(t, func(*testing.T) threading.Store { return db.MessageIndex() })
}

func TestAutoreplyStore(t *testing.T) {
	db := testDB(t)
	autoreplytest.TestStore(t, func(*testing.T) autoreply.Store { return db.AutoreplyStore() })
}

func TestBounceStore(t *testing.T) {
	db := testDB(t)
	bouncetest.TestStore(t, func(*testing.T) bounce.Store { return db.BounceStore() })
}

func TestDKIMKeyStore(t *testing.T) {
	db := testDB(t)
	dkimtest.TestStore(t, func(*testing.T) dkim.KeyStore { return db.DKIMKeyStore() })
}

func TestNewWithoutPool(t *testing.T) {
	if _, err := postgres.New(nil); !errors.Is(err, postgres.ErrNoPool) {
		t.Errorf("New(nil) = %v, want ErrNoPool", err)
	}
}
