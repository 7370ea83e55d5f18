package dkim_test

import (
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dkim/dkimtest"
)

func TestMemoryStore(t *testing.T) {
	dkimtest.TestStore(t, func(t *testing.T) dkim.KeyStore { return dkim.NewMemoryStore() })
}
