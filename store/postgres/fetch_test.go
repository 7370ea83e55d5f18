package postgres_test

import (
	"testing"

	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/fetch/fetchtest"
)

// TestFetchStore runs the fetch.Store conformance suite on PostgreSQL. It
// skips without DESKMAIL_POSTGRES_DSN.
func TestFetchStore(t *testing.T) {
	db := testDB(t)
	fetchtest.TestStore(t, func(*testing.T) fetch.Store { return db.FetchStore() })
}
