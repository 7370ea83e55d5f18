package relay_test

import (
	"testing"

	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/relay/relaytest"
)

func TestMemoryStore(t *testing.T) {
	relaytest.TestStore(t, func(*testing.T) relay.Store { return relay.NewMemoryStore() })
}
