package deskmail_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Mary Major", "Mary Major"},
		{"unicode passes", "Jürgen 山田 — Привет", "Jürgen 山田 — Привет"},
		{"CR LF injection", "x\r\nBcc: all@example.com", `x\r\nBcc: all@example.com`},
		{"terminal escape", "\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"NUL and DEL", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1", "a\u009bb", `a\u009bb`},
		{"bidi override", "invoice\u202egpj.exe", `invoice\u202egpj.exe`},
		{"zero width", "ad\u200bmin", `ad\u200bmin`},
		{"bad utf8", "a\xffb", `a\ufffdb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deskmail.Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeBoundsLength(t *testing.T) {
	long := strings.Repeat("é", 10000)
	got := deskmail.Sanitize(long)
	if len(got) > deskmail.MaxTextLen+len("…") {
		t.Errorf("len %d > %d", len(got), deskmail.MaxTextLen)
	}
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("cut badly: %q", got[len(got)-8:])
	}
	if got := deskmail.SanitizeN(long, 0); got != long {
		t.Error("SanitizeN(s, 0) bounded the text")
	}
}

func TestNewReasonSanitizesArguments(t *testing.T) {
	r := deskmail.NewReason("from", "mail from %s", "Eve\r\n\x1b[31m")
	if strings.ContainsAny(r.Text, "\r\n\x1b") {
		t.Errorf("raw control characters in %q", r.Text)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("a\r\n\x1b\x00\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		got := deskmail.Sanitize(s)
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control %U in %q", r, got)
			}
		}
		if !utf8.ValidString(got) || len(got) > deskmail.MaxTextLen+len("…") {
			t.Fatalf("bad output %q", got)
		}
	})
}
