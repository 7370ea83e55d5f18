package storetest

import "testing"

func TestPrefixIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		p := Prefix("x")
		if seen[p] {
			t.Fatalf("%q twice", p)
		}
		seen[p] = true
	}
}
