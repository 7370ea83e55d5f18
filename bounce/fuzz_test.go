package bounce

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/sisimai/bsd/*.eml")
	for i, p := range files {
		if i%4 != 0 {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	independent, _ := filepath.Glob("testdata/independent/*/*.txt")
	parser, _ := filepath.Glob("testdata/independent/*/*.msg")
	for _, p := range append(independent, parser...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	written, _ := filepath.Glob("testdata/written/*.eml")
	for _, p := range written {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("From: MAILER-DAEMON@x\n\n<a@b.c>:\n550 5.1.1 user unknown\n"))
	f.Add([]byte("From: MAILER-DAEMON@x\n\n<\"a b\"@c.d>:\n550 5.1.1 <\"x\\\"y\"@c.d> user unknown\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := ParseBytes(b)
		if err != nil {
			return
		}
		for _, rc := range rep.Recipients {
			if rc.Reason == "" || !rc.Reason.Valid() {
				t.Fatalf("recipient %q has reason %q", rc.Address, rc.Reason)
			}
		}
	})
}

func FuzzClassifyReply(f *testing.F) {
	f.Add(550, "5.1.1", "User unknown")
	f.Add(452, "4.2.2", "Mailbox full")
	f.Fuzz(func(t *testing.T, code int, enh, text string) {
		c := ClassifyReply(code, enh, text, nil)
		if !c.Reason.Valid() {
			t.Fatalf("reason %q", c.Reason)
		}
	})
}

// TestLargeBounceBoundedMemory parses a 20 MB bounce and checks that the
// bytes allocated stay near MaxBytes, not the input size.
func TestLargeBounceBoundedMemory(t *testing.T) {
	head := "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; big@example.com\r\nAction: failed\r\nStatus: 5.3.4\r\n" +
		"Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit\r\n\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n" +
		"From: a@example.com\r\nMessage-ID: <big@example.com>\r\nSubject: big\r\n\r\n"
	line := strings.Repeat("x", 76) + "\r\n"
	var sb strings.Builder
	sb.WriteString(head)
	for sb.Len() < 20<<20 {
		sb.WriteString(line)
	}
	sb.WriteString("--B--\r\n")
	input := sb.String()
	var rep *Report
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := Parse(strings.NewReader(input))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("20 MB bounce: %d bytes allocated", alloc)
	if alloc > 8*DefaultMaxBytes {
		t.Errorf("allocated %d bytes for a 20 MB input; want at most %d", alloc, 8*DefaultMaxBytes)
	}
	if len(rep.Recipients) != 1 || rep.Recipients[0].Reason != ReasonMesgTooBig || !rep.Truncated {
		t.Errorf("report = %+v", rep)
	}
	if rep.Original.MessageID != "big@example.com" {
		t.Errorf("original = %+v", rep.Original)
	}
	if h, err := rep.Original.Header(); err != nil || h.Get("Subject") != "big" || h.Get("From") != "a@example.com" {
		t.Errorf("original header: %v, %v", h, err)
	}
	// No panic on a huge header either.
	if _, err := ParseBytes(bytes.Repeat([]byte("X-A: b\n"), 3<<20)); err == nil {
		t.Log("huge header parsed")
	}
}

// TestPathologicalReports parses reports built to make naive scanning
// quadratic: thousands of recipient lines, delivery-status fields and
// MIME parts. It bounds the work by bytes allocated, not by time.
func TestPathologicalReports(t *testing.T) {
	var prose, dsn, parts strings.Builder
	prose.WriteString("From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n")
	dsn.WriteString("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n")
	parts.WriteString("From: MAILER-DAEMON@x.example\nContent-Type: multipart/mixed; boundary=b\n\n")
	for i := 0; prose.Len() < DefaultMaxBytes; i++ {
		fmt.Fprintf(&prose, "<user%d@example.com>:\nno\n\n", i)
		fmt.Fprintf(&dsn, "Final-Recipient: rfc822; @bad%d\nAction: failed\n\n", i)
		fmt.Fprintf(&parts, "--b\nContent-Type: text/plain\n\n<u%d@example.com>:\n", i)
	}
	for _, in := range []string{prose.String(), dsn.String(), parts.String()} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rep, err := ParseBytes([]byte(in))
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(rep.Recipients); n > maxRecipients {
			t.Errorf("%d recipients, want at most %d", n, maxRecipients)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64*DefaultMaxBytes {
			t.Errorf("allocated %d bytes for a %d-byte report", alloc, len(in))
		}
	}
}

func fuzzVERP(t interface{ Fatal(...any) }) *VERP {
	k, err := deskmail.NewKeyring([]byte("fuzz-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVERP(k, "bounces.example.net", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// FuzzVERPVerify: the token decoder never panics, accepts only what
// ReturnPath made, and ReturnPath's tokens read back exactly.
func FuzzVERPVerify(f *testing.F) {
	v := fuzzVERP(f)
	for _, a := range []string{"acme", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "507f1f77bcf86cd799439011", "18446744073709551615", "0", "会社"} {
		rp, _ := v.ReturnPath(a, "jane@example.com", "dm.abc.def@desk.example")
		f.Add(a, "jane@example.com", "dm.abc.def@desk.example", rp)
	}
	f.Add("x", "y", "", "b-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@bounces.example.net")
	f.Add("00", "y", "", "b-@bounces.example.net")
	f.Fuzz(func(t *testing.T, account, rcpt, id, addr string) {
		if tok, err := v.Verify(addr); err == nil {
			// Only a token of ours verifies: it must be what ReturnPath
			// gives for its account.
			if tok.Account == "" {
				t.Fatalf("verified %q with no account", addr)
			}
		}
		rp, err := v.ReturnPath(account, rcpt, id)
		if err != nil {
			return
		}
		if len(rp) > 254 {
			t.Fatalf("return path of %d octets", len(rp))
		}
		tok, err := v.Verify(rp)
		if err != nil || tok.Account != account || !tok.RecipientIs(rcpt) && normAddr(rcpt) != "" {
			t.Fatalf("ReturnPath(%q, %q, %q) = %q reads back as %+v, %v", account, rcpt, id, rp, tok, err)
		}
		if strings.Trim(strings.TrimSpace(id), "<>") != "" && !tok.MessageIs(id) {
			t.Fatalf("message %q does not match its token", id)
		}
	})
}

// FuzzVERPAccount: the account codec behind the MAC never panics, and what
// it decodes encodes back to an account that decodes the same.
func FuzzVERPAccount(f *testing.F) {
	for _, a := range []string{"acme", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "507f1f77bcf86cd799439011", "18446744073709551615", "0", "007"} {
		b := appendAccount(nil, a)
		f.Add(b[0], b[1:], a)
	}
	f.Fuzz(func(t *testing.T, tag byte, b []byte, account string) {
		if account != "" {
			e := appendAccount(nil, account)
			if got, ok := decodeAccount(e[0], e[1:]); !ok || got != account {
				t.Fatalf("account %q encodes as %x and decodes as %q, %v", account, e, got, ok)
			}
		}
		a, ok := decodeAccount(tag, b)
		if !ok {
			return
		}
		e := appendAccount(nil, a)
		if got, ok := decodeAccount(e[0], e[1:]); !ok || got != a {
			t.Fatalf("decoded %q re-encodes as %x, decodes as %q", a, e, got)
		}
	})
}
