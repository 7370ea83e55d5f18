package bounce_test

import (
	"testing"

	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/bounce/bouncetest"
)

func TestMemoryStore(t *testing.T) {
	bouncetest.TestStore(t, func(t *testing.T) bounce.Store { return bounce.NewMemoryStore() })
}
