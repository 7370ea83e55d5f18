package dkim

import (
	"bytes"
	"strings"
	"testing"
)

// TestStripFWSMatchesRuneMap checks that the byte-wise stripFWS, trimFWS
// and blankLine give what the strings functions they replaced gave,
// including for non-ASCII and invalid UTF-8 input.
func TestStripFWSMatchesRuneMap(t *testing.T) {
	old := func(s string) string {
		if !strings.ContainsAny(s, " \t\r\n") {
			return s
		}
		return strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	for _, s := range []string{
		"", " ", "abc", " a b\tc\r\n d ", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\r\n\t xyz==",
		"ex\u00e4mple.com", "ex\u00e4 mple", "\xff\xfe x", "\xff", "a\x00 b\x7f", "\r\n\r\n",
	} {
		if got, want := stripFWS(s), old(s); got != want {
			t.Errorf("stripFWS(%q) = %q, want %q", s, got, want)
		}
		if got, want := trimFWS(s), strings.Trim(s, " \t\r\n"); got != want {
			t.Errorf("trimFWS(%q) = %q, want %q", s, got, want)
		}
		if got, want := blankLine([]byte(s)), len(bytes.TrimRight([]byte(s), "\r\n")) == 0; got != want {
			t.Errorf("blankLine(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzStripFWS(f *testing.F) {
	f.Add(" a b\tc\r\n d ")
	f.Add("\xff\xfe x")
	f.Fuzz(func(t *testing.T, s string) {
		// The function stripFWS replaced: s itself without FWS, else
		// mapped rune by rune.
		want := s
		if strings.ContainsAny(s, " \t\r\n") {
			want = strings.Map(func(r rune) rune {
				switch r {
				case ' ', '\t', '\r', '\n':
					return -1
				}
				return r
			}, s)
		}
		if got := stripFWS(s); got != want {
			t.Errorf("stripFWS(%q) = %q, want %q", s, got, want)
		}
		if got, want := trimFWS(s), strings.Trim(s, " \t\r\n"); got != want {
			t.Errorf("trimFWS(%q) = %q, want %q", s, got, want)
		}
		if got, want := blankLine([]byte(s)), len(bytes.TrimRight([]byte(s), "\r\n")) == 0; got != want {
			t.Errorf("blankLine(%q) = %v, want %v", s, got, want)
		}
	})
}
