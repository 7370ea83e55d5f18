package postgres_test

import (
	"testing"

	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/inbound/allow/allowtest"
)

// TestAllowStore runs the allow.Store conformance suite on PostgreSQL. It
// skips without DESKMAIL_POSTGRES_DSN.
func TestAllowStore(t *testing.T) {
	db := testDB(t)
	allowtest.TestStore(t, func(*testing.T) allow.Store { return db.AllowStore() })
}
