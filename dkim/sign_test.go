package dkim_test

import (
	"errors"
	"testing"

	"github.com/deskmail/deskmail/dkim"
)

// TestRecommendedHeadersFreshCopy: changing the returned slice changes
// nothing for the next caller or for signing.
func TestRecommendedHeadersFreshCopy(t *testing.T) {
	a := dkim.RecommendedHeaders()
	a[0] = "X-Changed"
	if b := dkim.RecommendedHeaders(); b[0] != "From" || len(b) != len(a) {
		t.Errorf("RecommendedHeaders after a caller's change: %v", b)
	}
}

func TestNewSignerNilKeys(t *testing.T) {
	for _, opts := range []*dkim.SignerOptions{nil, {}} {
		if _, err := dkim.NewSigner(opts); !errors.Is(err, dkim.ErrNoKeyStore) {
			t.Errorf("NewSigner(%+v): %v, want ErrNoKeyStore", opts, err)
		}
	}
}
