package threadingtest_test

import (
	"testing"

	"github.com/deskmail/deskmail/threading"
	"github.com/deskmail/deskmail/threading/threadingtest"
)

func TestMemoryStore(t *testing.T) {
	threadingtest.TestStore(t, func(*testing.T) threading.Store { return threading.NewMemoryStore() })
}

func TestMemoryStoreShared(t *testing.T) {
	s := threading.NewMemoryStore()
	threadingtest.TestStore(t, func(*testing.T) threading.Store { return s })
}
