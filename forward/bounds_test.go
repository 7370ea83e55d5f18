package forward

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/emersion/go-message"
)

// TestLimits: every entry point stops at its documented bound with a
// *LimitError wrapping ErrTooLarge (issue 17).
func TestLimits(t *testing.T) {
	multipart := func(n int) string {
		var b strings.Builder
		b.WriteString("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < n; i++ {
			b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n")
		}
		b.WriteString("--b--\r\n")
		return b.String()
	}
	tests := []struct {
		name  string
		run   func() error
		limit string
	}{
		{"F1/ParseText body over MaxBytes", func() error {
			_, err := ParseText("", strings.Repeat("x", 101), &Options{MaxBytes: 100})
			return err
		}, "bytes"},
		{"F1/Parse message over MaxBytes", func() error {
			_, err := Parse(strings.NewReader("From: a@example.com\r\n\r\n"+strings.Repeat("x\r\n", 100)), &Options{MaxBytes: 100})
			return err
		}, "bytes"},
		{"F1/Parse line over MaxLineBytes", func() error {
			_, err := Parse(strings.NewReader("From: a@example.com\r\nSubject: "+strings.Repeat("x", 2000)+"\r\n\r\nhi"), &Options{MaxLineBytes: 1000})
			return err
		}, "line bytes"},
		{"F1/Parse header over MaxHeaderBytes", func() error {
			_, err := Parse(strings.NewReader("From: a@example.com\r\n"+strings.Repeat("X-A: b\r\n", 200)+"\r\nhi"), &Options{MaxHeaderBytes: 1000})
			return err
		}, "header bytes"},
		{"F1/Parse parts over MaxParts", func() error {
			_, err := Parse(strings.NewReader(multipart(20)), &Options{MaxParts: 10})
			return err
		}, "parts"},
		{"F1/ParseBytes line over MaxLineBytes", func() error {
			_, err := ParseBytes([]byte("From: a@example.com\n\n"+strings.Repeat("y", 3000)), &Options{MaxLineBytes: 1000})
			return err
		}, "line bytes"},
		{"F1/ParseEntity body over MaxBytes", func() error {
			e, _ := readEntity("From: a@example.com\r\n\r\n" + strings.Repeat("z\r\n", 100))
			_, err := ParseEntity(e, &Options{MaxBytes: 50})
			return err
		}, "bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var le *LimitError
			if !errors.Is(err, ErrTooLarge) || !errors.As(err, &le) || le.Limit != tc.limit {
				t.Fatalf("err = %v, want a *LimitError for %q wrapping ErrTooLarge", err, tc.limit)
			}
			if !strings.HasPrefix(err.Error(), "forward: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	// Within the bounds nothing fails.
	if _, err := Parse(strings.NewReader(multipart(5)), &Options{MaxParts: 10}); err != nil {
		t.Errorf("F1/within the bounds: %v", err)
	}
}

// allocated returns the bytes allocated while fn runs.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBoundedMemory: a 30 MB header line and a 30 MB body cost memory
// bounded by the Options, not by the input (issue 17). The bounds are
// generous: a reader that tells its length (strings.Reader) is refused
// before it is read; from any other reader the header line stops at
// MaxLineBytes (1 MiB) and the body at MaxBytes (25 MiB), read into a
// buffer that at most doubles.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 60 MB of input")
	}
	const size = 30 << 20
	line := "From: a@example.com\r\nSubject: " + strings.Repeat("x", size) + "\r\n\r\nhi\r\n"
	body := "From: a@example.com\r\nSubject: Fwd: x\r\n\r\n" + strings.Repeat("Hello, my printer is on fire.\r\n", size/31)
	tests := []struct {
		name  string
		input string
		max   uint64
	}{
		{"F1/30 MB header line", line, 8 << 20},
		{"F1/30 MB body", body, 64 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, via := range []string{"strings.Reader", "plain io.Reader"} {
				var err error
				n := allocated(func() {
					var r io.Reader = strings.NewReader(tc.input)
					if via != "strings.Reader" {
						r = io.MultiReader(r) // hides Len
					}
					_, err = Parse(r, nil)
				})
				if !errors.Is(err, ErrTooLarge) {
					t.Errorf("%s: err = %v, want ErrTooLarge", via, err)
				}
				t.Logf("%s: %d MiB allocated for %d MiB of input", via, n>>20, len(tc.input)>>20)
				if n > tc.max {
					t.Errorf("%s: %d MiB allocated, want at most %d MiB", via, n>>20, tc.max>>20)
				}
			}
		})
	}
	t.Run("F1/ParseText on 30 MB", func(t *testing.T) {
		text := body[40:]
		var err error
		n := allocated(func() { _, err = ParseText("Fwd: x", text, nil) })
		if !errors.Is(err, ErrTooLarge) || n > 1<<20 {
			t.Errorf("err %v, %d bytes allocated; want ErrTooLarge and no allocation of the input's size", err, n)
		}
	})
}

// TestForwardJSON: Forward has snake_case JSON names and survives a round
// trip.
func TestForwardJSON(t *testing.T) {
	f := Forward{
		Forwarded: true, Method: MethodInline, Evidence: "separator",
		From:    deskmail.Address{Name: "Ann Lee", Local: "ann", Domain: "example.com"},
		To:      []deskmail.Address{{Local: "desk", Domain: "example.org"}},
		Subject: "Order", Date: "Wed, 27 Oct 2021 09:31:00 +0200",
		Time: time.Date(2021, 10, 27, 9, 31, 0, 0, time.FixedZone("", 7200)),
		Body: "hi", Note: "fyi",
		Forwarder: deskmail.Address{Local: "agent", Domain: "desk.example"},
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"forwarded":true`, `"method":"inline"`, `"evidence":`, `"from":{"name":"Ann Lee","address":"ann@example.com"`, `"to":[`, `"subject":`, `"date":`, `"time":"2021-10-27T09:31:00+02:00"`, `"body":`, `"note":`, `"forwarder":`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("F1/JSON %s lacks %s", b, key)
		}
	}
	var back Forward
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(f.Time) {
		t.Errorf("F1/time round trip: %v", back.Time)
	}
	back.Time, f.Time = time.Time{}, time.Time{}
	b1, _ := json.Marshal(f)
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b1, b2) || back.From != f.From || len(back.To) != 1 || back.To[0] != f.To[0] || back.Forwarder != f.Forwarder {
		t.Errorf("F1/round trip:\n%s\n%s", b1, b2)
	}
	var le LimitError
	b, _ = json.Marshal(&LimitError{Limit: "parts", Max: 3})
	if string(b) != `{"limit":"parts","max":3}` || json.Unmarshal(b, &le) != nil || le.Max != 3 {
		t.Errorf("F1/LimitError JSON %s", b)
	}
}

// TestEvidenceSanitised: mail text quoted in Evidence and errors is
// escaped; the data fields keep the mail's text.
func TestEvidenceSanitised(t *testing.T) {
	body := "---------- Forwarded message \x1b[31m\u202e ---------\nFrom: Ann\x07 <ann@example.com>\nSubject: x\x1by\n\nhi"
	got := text("Fwd: x", body, nil)
	if !got.Forwarded {
		t.Fatalf("not forwarded: %s", got.Evidence)
	}
	if strings.ContainsAny(got.Evidence, "\x1b\u202e\x07") {
		t.Errorf("F1/Evidence carries control characters: %q", got.Evidence)
	}
	if got.Subject != "x\x1by" {
		t.Errorf("F1/Subject is data and stays raw: %q", got.Subject)
	}
	_, err := Parse(strings.NewReader("\x1b[2J: \x00\n"), nil)
	if err != nil && strings.ContainsAny(err.Error(), "\x1b\x00") {
		t.Errorf("F1/error carries control characters: %q", err)
	}
}

func readEntity(raw string) (*message.Entity, error) {
	return message.Read(strings.NewReader(raw))
}
