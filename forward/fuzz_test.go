package forward

import (
	"os"

	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

// FuzzParseText checks that no input panics, that Forwarded always comes
// with a sender address, and that the result never holds more text than
// was given.
func FuzzParseText(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "crisp", "*_body*.txt"))
	more, _ := filepath.Glob(filepath.Join("testdata", "replytrimmer", "*.txt"))
	files = append(files, more...)
	f.Add("VS: x", "Kiitos\n\n-----Alkuperäinen viesti-----\nLähettäjä: M <m@x.fi>\nLähetetty: torstai\nAihe: x\n")
	f.Add("Fwd:", "-------- Пересылаемое сообщение --------\n28.10.2021, 12:46, \"И\" <i@x.ru>:\n\nhi")
	f.Add("", "> From: A <a@x.example>\n> Date: Thu\n> Subject: s\n>\n> b")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add("FW: x", string(b))
			f.Add("", string(b))
		}
	}
	f.Add("Fwd:", "----- Forwarded Message ----- From: a <a@b.c>To: d@e.fSubject: x")
	f.Fuzz(func(t *testing.T, subject, body string) {
		got, err := ParseText(subject, body, &Options{MaxScan: 64 << 10, MaxBytes: 1 << 20})
		if err != nil {
			return
		}
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
	for _, glob := range []string{"outlook_html_*.eml", "apple_mail_html_[a-f]*.eml", "attached_*.eml", "pasted_raw_e*.eml", "resent_*.eml", "yahoo_[a-f]*.eml"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "written", glob))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
	opts := &Options{MaxScan: 64 << 10, MaxParts: 50, MaxBytes: 1 << 20, MaxLineBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Parse(strings.NewReader(raw), opts)
		got2, err2 := ParseBytes([]byte(raw), opts)
		if (err == nil) != (err2 == nil) || got.Forwarded != got2.Forwarded || got.From != got2.From {
			t.Fatalf("Parse and ParseBytes disagree: %v %+v / %v %+v", err, got.From, err2, got2.From)
		}
		if err != nil {
			return
		}
		if got.Forwarded && got.From.Domain == "" {
			t.Fatalf("forwarded without a sender address: %+v", got.From)
		}
		if deskmail.Sanitize(got.Evidence) != got.Evidence && len(got.Evidence) <= deskmail.MaxTextLen {
			t.Fatalf("Evidence not sanitised: %q", got.Evidence)
		}
	})
}
