package inbound

import (
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/dkim"
)

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
	h, _, _ := readHeader([]byte("From: Mary Major <mary@Customer.Example>\r\n\r\n"), DefaultMaxHeaderBytes)
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

// TestReadHeaderLongLines: fields longer than the read buffer, folded or
// not, parse whole and the body starts where it should.
func TestReadHeaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 3000)
	for _, raw := range []string{
		"Subject: " + long + "\r\nFrom: a@b.example\r\n\r\nbody",
		"Subject: a\r\n\t" + long + "\r\n " + long + "\r\nFrom: a@b.example\r\n\r\nbody",
		"Subject: " + long + "\n\nbody",
	} {
		h, off, err := readHeader([]byte(raw), DefaultMaxHeaderBytes)
		if err != nil || raw[off:] != "body" || !strings.Contains(h.Get("Subject"), long) {
			t.Fatalf("readHeader: off %d, err %v, subject %d bytes", off, err, len(h.Get("Subject")))
		}
	}
}
