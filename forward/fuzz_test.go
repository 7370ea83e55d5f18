package forward

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseText checks that no input panics, that Forwarded always comes
// with a sender address, and that the result never holds more text than
// was given.
func FuzzParseText(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "crisp", "*_body*.txt"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add("FW: x", string(b))
			f.Add("", string(b))
		}
	}
	f.Add("Fwd:", "----- Forwarded Message ----- From: a <a@b.c>To: d@e.fSubject: x")
	f.Fuzz(func(t *testing.T, subject, body string) {
		got := text(subject, body, &Options{MaxScan: 64 << 10})
		if got.Forwarded && (got.From.Local == "" || got.From.Domain == "") {
			t.Fatalf("forwarded without a sender address: %+v", got.From)
		}
		if !got.Forwarded && (got.From.Local != "" || got.Method != MethodNone) {
			t.Fatalf("not forwarded but From %+v Method %q", got.From, got.Method)
		}
		if len(got.Body)+len(got.Note) > len(body)+2 {
			t.Fatalf("output longer than input")
		}
	})
}

// FuzzParse runs the whole-message parser over arbitrary bytes.
func FuzzParse(f *testing.F) {
	f.Add("From: a@b.c\r\nSubject: Fwd: x\r\n\r\n---------- Forwarded message ---------\r\nFrom: d <d@e.f>\r\n\r\nhi")
	f.Add("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.z\r\n\r\nhi\r\n--b--\r\n")
	f.Add("Resent-From: a@b.c\r\nFrom: x@y.z\r\n\r\nhi")
	f.Add("From: a@b.c\r\nContent-Type: text/html\r\n\r\n<blockquote><div>---------- Forwarded message ---------<br>From: d &lt;d@e.f&gt;</div></blockquote>")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Parse(strings.NewReader(raw), &Options{MaxScan: 64 << 10, MaxParts: 50})
		if err != nil {
			return
		}
		if got.Forwarded && got.From.Domain == "" {
			t.Fatalf("forwarded without a sender address: %+v", got.From)
		}
	})
}
