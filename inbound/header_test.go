package inbound

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/dkim"
)

// headerDump lists a header's fields in order, key, value and raw bytes.
func headerDump(h textproto.Header) string {
	var b strings.Builder
	for f := h.Fields(); f.Next(); {
		raw, err := f.Raw()
		b.WriteString(f.Key() + "\x00" + f.Value() + "\x00" + string(raw) + "\x00")
		if err != nil {
			b.WriteString(err.Error())
		}
		b.WriteString("\n")
	}
	for _, k := range []string{"From", "Received", "To", "Subject", "X-Empty"} {
		b.WriteString(k + "=" + h.Get(k) + "=" + strings.Join(h.Values(k), "|") + "\n")
	}
	return b.String()
}

// checkFastHeader fails when fastHeader accepts in and gives anything but
// what textproto.ReadHeader gives.
func checkFastHeader(t *testing.T, in []byte) bool {
	got, off, ok := fastHeader(in)
	if !ok {
		return false
	}
	rd := bytes.NewReader(in)
	br := bufio.NewReaderSize(rd, 4096)
	want, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatalf("fast path took %q, ReadHeader fails: %v", in, err)
	}
	if g, w := headerDump(got), headerDump(want); g != w {
		t.Fatalf("header of %q:\nfast %q\nReadHeader %q", in, g, w)
	}
	if wantOff := len(in) - rd.Len() - br.Buffered(); off != wantOff {
		t.Fatalf("body offset of %q: fast %d, ReadHeader %d", in, off, wantOff)
	}
	return true
}

func TestFastHeader(t *testing.T) {
	tests := []struct {
		in   string
		fast bool
	}{
		{"From: a@b.example\r\nTo: c@d.example\r\n\r\nbody", true},
		{"Received: one\r\n\tfolded\r\nreceived: two\r\nFrom: x\r\nX-Empty:\r\nsubject :  padded  \r\n \r\n\r\n", true},
		{"From: a\r\n\r\n", true},
		{"From: a\nTo: b\n\n", false},     // LF line ends: ReadHeader
		{"From: a\r\nTo: b\n\r\n", false}, // a bare LF
		{"From: a\rb\r\n\r\n", false},     // a bare CR
		{" folded: first\r\n\r\n", false}, // continuation first
		{"no colon\r\n\r\n", false},       // malformed
		{": empty key\r\n\r\n", false},    // ReadHeader skips it
		{"Bad Key: x\r\n\r\n", false},     // a space in the key
		{"From: a\r\n", false},            // no empty line
		{"\r\n\r\n", false},               // no fields
		{"Caf\xc3\xa9: x\r\n\r\n", false}, // 8-bit key
		{"From: a\r\nSubject: \xe6\x97\xa5\r\n\r\n", true},
	}
	for _, tt := range tests {
		if got := checkFastHeader(t, []byte(tt.in)); got != tt.fast {
			t.Errorf("fastHeader(%q) took the fast path: %v, want %v", tt.in, got, tt.fast)
		}
	}
	many := strings.Repeat("X-A: b\r\n", maxFastFields+1) + "\r\n"
	if checkFastHeader(t, []byte(many)) {
		t.Errorf("fast path took %d fields", maxFastFields+1)
	}
}

// FuzzFastHeader checks that the fast header path agrees with
// textproto.ReadHeader whenever it takes a header.
func FuzzFastHeader(f *testing.F) {
	for _, s := range []string{
		"From: a@b.example\r\nTo: c@d.example\r\n\r\nbody",
		"Received: one\r\n\tfolded\r\nreceived: two\r\nX-Empty:\r\nsubject :  padded  \r\n \r\n\r\n",
		"A: b\r\n c\r\n\t\r\nA:d\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkFastHeader(t, in) })
}

func TestMayHoldMarker(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"see ref:dm.inst.abc:ref thanks", true},
		{"REF:DM.INST.ABC:REF", true},
		{"ref:dm.", true},
		{"no marker: here, ref: dm. nor reference:dm", false},
		{"ref:d", false},
		{":ref:dm.x", true},
		{"", false},
	}
	for _, tt := range tests {
		if got := mayHoldMarker([]byte(tt.body)); got != tt.want {
			t.Errorf("mayHoldMarker(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

// checkParseFrom fails when parseFrom disagrees with firstAddress or with
// dkim.FromDomain, the two parses it stands for.
func checkParseFrom(t *testing.T, raw []byte) {
	h, _, err := readHeader(raw, DefaultMaxHeaderBytes)
	if err != nil {
		return
	}
	from, domain := parseFrom(&h)
	if want := firstAddress(h.Get("From")); from != want {
		t.Fatalf("parseFrom(%q) = %#v, firstAddress gives %#v", raw, from, want)
	}
	if want := dkim.FromDomain(raw); domain != "" && domain != want {
		t.Fatalf("parseFrom(%q) domain %q, dkim.FromDomain gives %q", raw, domain, want)
	}
}

func TestParseFrom(t *testing.T) {
	for _, s := range []string{
		"From: Mary Major <mary@Customer.Example>\r\n\r\n",
		"From: mary@customer.example\r\nFrom: b@evil.example\r\n\r\n",
		"From: Mary\r\n <mary@customer.example>\r\n\r\n",
		"From: a@b.example, c@d.example\r\n\r\n",
		"From: group: a@b.example;\r\n\r\n",
		"From: \"Major,  Mary\" <mary@customer.example>\r\n\r\n",
		"From: =?utf-8?q?M=C3=A4ry?= <mary@xn--bcher-kva.example>\r\n\r\n",
		"From: broken <<\r\n\r\n",
		"From: mary@customer.example \r\n\r\n",
		"From: mary@customer.example\n\n",
		"To: x@y.example\r\n\r\n",
	} {
		checkParseFrom(t, []byte(s))
	}
	from, domain := parseFrom(&textproto.Header{})
	if from.Local != "" || domain != "" {
		t.Errorf("parseFrom of an empty header: %#v %q", from, domain)
	}
	h, _, _ := fastHeader([]byte("From: Mary Major <mary@Customer.Example>\r\n\r\n"))
	if _, domain := parseFrom(&h); domain != "customer.example" {
		t.Errorf("the plain case takes one parse: domain %q", domain)
	}
}

// FuzzParseFrom checks parseFrom against the two parses it replaces.
func FuzzParseFrom(f *testing.F) {
	f.Add([]byte("From: Mary Major <mary@customer.example>\r\nTo: a@b.example\r\n\r\n"))
	f.Add([]byte("From: \"a b\" <a@b.example>\r\n\r\n"))
	f.Add([]byte("From: (c) a@b.example (d)\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) { checkParseFrom(t, raw) })
}
