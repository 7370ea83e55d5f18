package dkim

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Signature is a parsed DKIM-Signature field (RFC 6376 section 3.5).
type Signature struct {
	Version string // v=, always "1"
	// Algorithm is a= ("rsa-sha256", "ed25519-sha256").
	Algorithm string
	Domain    string // d=, lower-case
	Selector  string // s=
	// Identifier is i=, or "@"+Domain when absent.
	Identifier string
	// Headers is h=, the signed header field names in order.
	Headers []string
	// HeaderCanonicalization and BodyCanonicalization come from c=
	// (default simple/simple).
	HeaderCanonicalization string
	BodyCanonicalization   string
	// BodyLength is l=, or -1 when absent.
	BodyLength int64
	// Timestamp is t= and Expiration is x=; zero when absent.
	Timestamp  time.Time
	Expiration time.Time
	// BodyHash is bh= and Data is b=, both decoded.
	BodyHash []byte
	Data     []byte
	// B is b= as written, folding whitespace removed; BPrefix returns the
	// short form RFC 6008 uses to tell signatures apart.
	B string

	// keyName is SELECTOR._domainkey.DOMAIN, built while parsing.
	keyName string
}

// BPrefix returns the first n characters of b= (RFC 6008 header.b; 8 is
// the customary length), or all of it when shorter.
func (s *Signature) BPrefix(n int) string {
	if len(s.B) <= n {
		return s.B
	}
	return s.B[:n]
}

// KeyAlgorithm returns the key half of a= ("rsa", "ed25519").
func (s *Signature) KeyAlgorithm() string {
	k, _, _ := strings.Cut(s.Algorithm, "-")
	return k
}

// ParseSignature parses the value of a DKIM-Signature header field. It
// checks what RFC 6376 makes a permanent error: required tags (v a b bh d h
// s), v=1, h= including From, i= within d=, numeric t=/x=/l=, x= not before
// t=, and base64 in b= and bh=.
func ParseSignature(value string) (*Signature, error) {
	s := &Signature{}
	if err := parseSignature(s, []byte(value), true, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// The DKIM-Signature tags parseSignature reads, as indexes and as bits of
// a presence mask.
const (
	sigV = iota
	sigA
	sigB
	sigBH
	sigD
	sigH
	sigS
	sigI
	sigC
	sigT
	sigX
	sigL
	sigKnown // the number of tags above; the id of any other tag
)

func sigTagID(name []byte) int {
	switch string(name) {
	case "v":
		return sigV
	case "a":
		return sigA
	case "b":
		return sigB
	case "bh":
		return sigBH
	case "d":
		return sigD
	case "h":
		return sigH
	case "s":
		return sigS
	case "i":
		return sigI
	case "c":
		return sigC
	case "t":
		return sigT
	case "x":
		return sigX
	case "l":
		return sigL
	}
	return sigKnown
}

// byteTag is a tag of a tag-list, as subslices of the bytes parsed.
type byteTag struct{ name, value []byte }

// scanTags is parseTags over bytes: the same tag-list syntax, the same
// errors, and no copy of the input.
func scanTags(s []byte, buf []byteTag) ([]byteTag, error) {
	tags := buf[:0]
	for len(s) > 0 {
		part := s
		if i := bytes.IndexByte(s, ';'); i >= 0 {
			part, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		if len(bytes.TrimSpace(part)) == 0 {
			continue
		}
		eq := bytes.IndexByte(part, '=')
		if eq < 0 {
			return nil, &RecordError{Reason: fmt.Sprintf("malformed tag %q: no '='", truncate(strings.TrimSpace(string(part)), 40))}
		}
		name := trimFWSBytes(part[:eq])
		if len(name) == 0 || !isTagName(string(name)) {
			return nil, &RecordError{Reason: fmt.Sprintf("malformed tag name %q", truncate(string(name), 40))}
		}
		for _, t := range tags {
			if string(t.name) == string(name) {
				return nil, &RecordError{Tag: string(name), Reason: "appears twice"}
			}
		}
		tags = append(tags, byteTag{name, trimFWSBytes(part[eq+1:])})
	}
	if len(tags) == 0 {
		return nil, &RecordError{Reason: "empty tag list"}
	}
	return tags, nil
}

func trimFWSBytes(s []byte) []byte {
	for len(s) > 0 && isFWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isFWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// writeStripped writes v to b without folding whitespace, as stripFWS
// does, lower-casing ASCII letters when lower is set. A value with
// non-ASCII bytes goes through stripFWS itself (which turns invalid UTF-8
// into U+FFFD when it strips anything), part by part between colons when
// colons is set (colonList strips each list element on its own).
func writeStripped(b *strings.Builder, v []byte, lower, colons bool) {
	if !isASCII(v) {
		if !colons {
			b.WriteString(stripFWS(string(v)))
			return
		}
		for i, p := range bytes.Split(v, []byte{':'}) {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(stripFWS(string(p)))
		}
		return
	}
	for len(v) > 0 {
		// v is ASCII: the bytes that end a printable run are FWS or
		// controls, and controls stay.
		i := printablePrefix(v)
		for i < len(v) && !isFWS(v[i]) {
			i++
			i += printablePrefix(v[i:])
		}
		if lower && hasUpper(v[:i]) {
			for _, c := range v[:i] {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
		} else {
			b.Write(v[:i])
		}
		for i < len(v) && isFWS(v[i]) {
			i++
		}
		v = v[i:]
	}
}

// bPrefixLen is how much of b= parseSignature keeps when it does not
// decode: the RFC 6008 header.b prefix Verify reports.
const bPrefixLen = 8

// writeStrippedPrefix writes the first n bytes of what writeStripped
// would write for v (not lower-cased), reading no further into v than it
// needs to.
func writeStrippedPrefix(b *strings.Builder, v []byte, n int) {
	var pre [bPrefixLen]byte
	k := 0
	for _, c := range v {
		if k == n || k == len(pre) {
			break
		}
		if c >= utf8.RuneSelf {
			// stripFWS takes the rune-wise path; so does the prefix.
			s := stripFWS(string(v))
			b.WriteString(s[:min(n, len(s))])
			return
		}
		if !isFWS(c) {
			pre[k] = c
			k++
		}
	}
	b.Write(pre[:k])
}

// splitColon splits a colon-separated list whose folding whitespace is
// already stripped, dropping empty elements, into buf when it has room.
func splitColon(s string, buf []string) []string {
	out := buf[:0]
	if out == nil {
		out = make([]string, 0, strings.Count(s, ":")+1)
	}
	for s != "" {
		p := s
		if i := strings.IndexByte(s, ':'); i >= 0 {
			p, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out[:len(out):len(out)]
}

// parseSignature parses a DKIM-Signature value into s, which must be
// zero; with decode false it leaves b= and bh= undecoded (Verify lets
// go-msgauth decode them) and keeps only the first bPrefixLen characters
// of b= in s.B, so the long values are never copied. It reads value in place and copies what it
// keeps, folding whitespace stripped, into one string, together with
// Identifier when i= is absent and the key record's name; the list of
// signed header fields goes into hdrs when it has room. value is not
// retained.
func parseSignature(s *Signature, value []byte, decode bool, hdrs []string) error {
	var buf [16]byteTag
	tags, err := scanTags(value, buf[:0])
	if err != nil {
		return err
	}
	var raw [sigKnown][]byte
	var has uint16
	for _, tg := range tags {
		if id := sigTagID(tg.name); id < sigKnown {
			raw[id], has = tg.value, has|1<<id
		}
	}
	const required = 1<<sigV | 1<<sigA | 1<<sigB | 1<<sigBH | 1<<sigD | 1<<sigH | 1<<sigS
	if has&required != required {
		for _, r := range [...]struct {
			id  int
			tag string
		}{{sigV, "v"}, {sigA, "a"}, {sigB, "b"}, {sigBH, "bh"}, {sigD, "d"}, {sigH, "h"}, {sigS, "s"}} {
			if has&(1<<r.id) == 0 {
				return &RecordError{Tag: r.tag, Reason: "required tag missing"}
			}
		}
	}
	s.BodyLength = -1
	if string(raw[sigV]) != "1" {
		return &RecordError{Tag: "v", Reason: fmt.Sprintf("version %q, want 1", raw[sigV])}
	}
	s.Version = "1"

	// One string for every value kept, with room for "@"+d= and the key
	// record's name at the end.
	n := 1 + 2*len(raw[sigD]) + len(raw[sigS]) + len("._domainkey.")
	for id := sigA; id < sigKnown; id++ {
		switch {
		case decode || id != sigBH && id != sigB:
			n += len(raw[id])
		case id == sigB:
			n += bPrefixLen
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	var off [sigKnown + 1]int
	for id := sigA; id < sigKnown; id++ {
		off[id] = sb.Len()
		switch {
		case decode || id != sigBH && id != sigB:
			writeStripped(&sb, raw[id], id == sigA || id == sigD || id == sigC, id == sigH)
		case id == sigB:
			writeStrippedPrefix(&sb, raw[id], bPrefixLen)
		}
	}
	off[sigKnown] = sb.Len()
	str := sb.String()
	val := func(id int) string { return str[off[id]:off[id+1]] }

	s.Algorithm = strings.ToLower(val(sigA))
	if k, hash, ok := strings.Cut(s.Algorithm, "-"); !ok || k == "" || hash == "" {
		return &RecordError{Tag: "a", Reason: fmt.Sprintf("malformed algorithm %q", truncate(s.Algorithm, 40))}
	}
	s.Domain = strings.ToLower(strings.TrimSuffix(val(sigD), "."))
	if s.Domain == "" {
		return &RecordError{Tag: "d", Reason: "empty domain"}
	}
	if s.Selector = val(sigS); s.Selector == "" {
		return &RecordError{Tag: "s", Reason: "empty selector"}
	}
	s.Headers = splitColon(val(sigH), hdrs)
	from := false
	for _, name := range s.Headers {
		if strings.EqualFold(name, "From") {
			from = true
			break
		}
	}
	if !from {
		return &RecordError{Tag: "h", Reason: "From is not signed"}
	}
	if has&(1<<sigI) != 0 {
		s.Identifier = val(sigI)
		at := strings.LastIndexByte(s.Identifier, '@')
		if at < 0 {
			return &RecordError{Tag: "i", Reason: "no '@'"}
		}
		idom := strings.ToLower(s.Identifier[at+1:])
		if idom != s.Domain && !strings.HasSuffix(idom, "."+s.Domain) {
			return &RecordError{Tag: "i", Reason: fmt.Sprintf("domain %q is not %q or a subdomain of it", idom, s.Domain)}
		}
	}
	s.HeaderCanonicalization, s.BodyCanonicalization = "simple", "simple"
	if has&(1<<sigC) != 0 {
		hc, bc, _ := strings.Cut(val(sigC), "/")
		s.HeaderCanonicalization = strings.ToLower(hc)
		if bc != "" {
			s.BodyCanonicalization = strings.ToLower(bc)
		}
		for _, v := range [...]string{s.HeaderCanonicalization, s.BodyCanonicalization} {
			if v != "simple" && v != "relaxed" {
				return &RecordError{Tag: "c", Reason: fmt.Sprintf("unknown canonicalization %q", truncate(v, 20))}
			}
		}
	}
	num := func(tag string, id int) (int64, bool, error) {
		if has&(1<<id) == 0 {
			return 0, false, nil
		}
		v := val(id)
		if v == "" || len(v) > 12 {
			return 0, false, &RecordError{Tag: tag, Reason: "not a number of at most 12 digits"}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, false, &RecordError{Tag: tag, Reason: "not a number of at most 12 digits"}
		}
		return n, true, nil
	}
	if n, ok, err := num("t", sigT); err != nil {
		return err
	} else if ok {
		s.Timestamp = time.Unix(n, 0).UTC()
	}
	if n, ok, err := num("x", sigX); err != nil {
		return err
	} else if ok {
		s.Expiration = time.Unix(n, 0).UTC()
		if !s.Timestamp.IsZero() && s.Expiration.Before(s.Timestamp) {
			return &RecordError{Tag: "x", Reason: "expiration is before the timestamp t="}
		}
	}
	if n, ok, err := num("l", sigL); err != nil {
		return err
	} else if ok {
		s.BodyLength = n
	}
	s.B = val(sigB)

	// "@"+d= and the key record's name, in the room left in sb.
	if has&(1<<sigI) == 0 {
		at := sb.Len()
		sb.WriteByte('@')
		sb.WriteString(s.Domain)
		s.Identifier = sb.String()[at:]
	}
	at := sb.Len()
	sb.WriteString(s.Selector)
	sb.WriteString("._domainkey.")
	sb.WriteString(s.Domain)
	s.keyName = sb.String()[at:]

	if !decode {
		return nil
	}
	if s.BodyHash, err = base64.StdEncoding.DecodeString(val(sigBH)); err != nil {
		return &RecordError{Tag: "bh", Reason: "invalid base64"}
	}
	if s.Data, err = base64.StdEncoding.DecodeString(s.B); err != nil {
		return &RecordError{Tag: "b", Reason: "invalid base64"}
	}
	if len(s.Data) == 0 {
		return &RecordError{Tag: "b", Reason: "empty signature"}
	}
	return nil
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// isASCII reports whether v has no byte at or above 0x80, eight bytes at
// a time.
func isASCII(v []byte) bool {
	var acc uint64
	for len(v) >= 8 {
		acc |= binary.LittleEndian.Uint64(v)
		v = v[8:]
	}
	for _, c := range v {
		acc |= uint64(c)
	}
	return acc&msb8 == 0
}

// printablePrefix returns the length of v's longest prefix of bytes in
// '!'..0x7f (no FWS, no control, no non-ASCII), eight bytes at a time: a
// word holds only such bytes when subtracting '!' from every byte borrows
// nowhere and no byte has its top bit set.
func printablePrefix(v []byte) int {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := binary.LittleEndian.Uint64(v[i:])
		if (w-'!'*lsb8|w)&msb8 != 0 {
			break
		}
	}
	for i < len(v) && v[i]-'!' < utf8.RuneSelf-'!' {
		i++
	}
	return i
}

func hasUpper(v []byte) bool {
	for _, c := range v {
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// printablePrefixString is printablePrefix for a string.
func printablePrefixString(v string) int {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		if (w-'!'*lsb8|w)&msb8 != 0 {
			break
		}
	}
	for i < len(v) && v[i]-'!' < utf8.RuneSelf-'!' {
		i++
	}
	return i
}
