package dkim

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Signature is a parsed DKIM-Signature field (RFC 6376 section 3.5).
type Signature struct {
	Version string `json:"version,omitempty"` // v=, always "1"
	// Algorithm is a= ("rsa-sha256", "ed25519-sha256").
	Algorithm string `json:"algorithm,omitempty"`
	Domain    string `json:"domain,omitempty"`   // d=, lower-case
	Selector  string `json:"selector,omitempty"` // s=
	// Identifier is i=, or "@"+Domain when absent.
	Identifier string `json:"identifier,omitempty"`
	// Headers is h=, the signed header field names in order.
	Headers []string `json:"headers,omitempty"`
	// HeaderCanonicalization and BodyCanonicalization come from c=
	// (default simple/simple).
	HeaderCanonicalization string `json:"header_canonicalization,omitempty"`
	BodyCanonicalization   string `json:"body_canonicalization,omitempty"`
	// BodyLength is l=, or -1 when absent.
	BodyLength int64 `json:"body_length,omitempty"`
	// Timestamp is t= and Expiration is x=; zero when absent.
	Timestamp  time.Time `json:"timestamp,omitzero"`
	Expiration time.Time `json:"expiration,omitzero"`
	// BodyHash is bh= and Data is b=, both decoded.
	BodyHash []byte `json:"body_hash,omitempty"`
	Data     []byte `json:"data,omitempty"`
	// B is b= as written, folding whitespace removed; BPrefix returns the
	// short form RFC 6008 uses to tell signatures apart.
	B string `json:"b,omitempty"`

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
// t=, and base64 in b= and bh=. A value over MaxTagList bytes is a
// *RecordError.
func ParseSignature(value string) (*Signature, error) {
	s := &Signature{}
	if err := parseSignature(s, value, true); err != nil {
		return nil, err
	}
	return s, nil
}

// parseSignature parses a DKIM-Signature value into s, which must be
// zero; with decode false it leaves b= and bh= undecoded (Verify lets
// go-msgauth decode them) and keeps only the first bPrefixLen characters
// of b= in s.B.
func parseSignature(s *Signature, value string, decode bool) error {
	if len(value) > MaxTagList {
		return &RecordError{Reason: fmt.Sprintf("signature of %d bytes is over the %d-byte limit", len(value), MaxTagList)}
	}
	var buf [16]tag
	tags, err := parseTags(value, buf[:0])
	if err != nil {
		return err
	}
	// One pass over the tags; the checks below keep RFC order.
	var v, a, b, bh, d, h, sel, i, c, t, x, l string
	var has uint16
	const (
		hasV = 1 << iota
		hasA
		hasB
		hasBH
		hasD
		hasH
		hasS
		hasI
		hasC
		hasT
		hasX
		hasL
	)
	for _, tg := range tags {
		switch tg.name {
		case "v":
			v, has = tg.value, has|hasV
		case "a":
			a, has = tg.value, has|hasA
		case "b":
			b, has = tg.value, has|hasB
		case "bh":
			bh, has = tg.value, has|hasBH
		case "d":
			d, has = tg.value, has|hasD
		case "h":
			h, has = tg.value, has|hasH
		case "s":
			sel, has = tg.value, has|hasS
		case "i":
			i, has = tg.value, has|hasI
		case "c":
			c, has = tg.value, has|hasC
		case "t":
			t, has = tg.value, has|hasT
		case "x":
			x, has = tg.value, has|hasX
		case "l":
			l, has = tg.value, has|hasL
		}
	}
	if has&(hasV|hasA|hasB|hasBH|hasD|hasH|hasS) != hasV|hasA|hasB|hasBH|hasD|hasH|hasS {
		for _, r := range [...]struct {
			bit uint16
			tag string
		}{{hasV, "v"}, {hasA, "a"}, {hasB, "b"}, {hasBH, "bh"}, {hasD, "d"}, {hasH, "h"}, {hasS, "s"}} {
			if has&r.bit == 0 {
				return &RecordError{Tag: r.tag, Reason: "required tag missing"}
			}
		}
	}
	s.BodyLength = -1
	if s.Version = v; s.Version != "1" {
		return &RecordError{Tag: "v", Reason: fmt.Sprintf("version %q, want 1", s.Version)}
	}
	s.Algorithm = strings.ToLower(stripFWS(a))
	if k, hash, ok := strings.Cut(s.Algorithm, "-"); !ok || k == "" || hash == "" {
		return &RecordError{Tag: "a", Reason: fmt.Sprintf("malformed algorithm %q", truncate(s.Algorithm, 40))}
	}
	s.Domain = strings.ToLower(strings.TrimSuffix(stripFWS(d), "."))
	if s.Domain == "" {
		return &RecordError{Tag: "d", Reason: "empty domain"}
	}
	if s.Selector = stripFWS(sel); s.Selector == "" {
		return &RecordError{Tag: "s", Reason: "empty selector"}
	}
	s.Headers = colonList(h)
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
	if has&hasI != 0 {
		s.Identifier = stripFWS(i)
		at := strings.LastIndexByte(s.Identifier, '@')
		if at < 0 {
			return &RecordError{Tag: "i", Reason: "no '@'"}
		}
		idom := strings.ToLower(s.Identifier[at+1:])
		if idom != s.Domain && !strings.HasSuffix(idom, "."+s.Domain) {
			return &RecordError{Tag: "i", Reason: fmt.Sprintf("domain %q is not %q or a subdomain of it", idom, s.Domain)}
		}
	} else {
		s.Identifier = "@" + s.Domain
	}
	s.HeaderCanonicalization, s.BodyCanonicalization = "simple", "simple"
	if has&hasC != 0 {
		hc, bc, _ := strings.Cut(stripFWS(c), "/")
		s.HeaderCanonicalization = strings.ToLower(hc)
		if bc != "" {
			s.BodyCanonicalization = strings.ToLower(bc)
		}
		for _, v := range []string{s.HeaderCanonicalization, s.BodyCanonicalization} {
			if v != "simple" && v != "relaxed" {
				return &RecordError{Tag: "c", Reason: fmt.Sprintf("unknown canonicalization %q", truncate(v, 20))}
			}
		}
	}
	num := func(tag string, bit uint16, v string) (int64, bool, error) {
		if has&bit == 0 {
			return 0, false, nil
		}
		v = stripFWS(v)
		if v == "" || len(v) > 12 {
			return 0, false, &RecordError{Tag: tag, Reason: "not a number of at most 12 digits"}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, false, &RecordError{Tag: tag, Reason: "not a number of at most 12 digits"}
		}
		return n, true, nil
	}
	if n, ok, err := num("t", hasT, t); err != nil {
		return err
	} else if ok {
		s.Timestamp = time.Unix(n, 0).UTC()
	}
	if n, ok, err := num("x", hasX, x); err != nil {
		return err
	} else if ok {
		s.Expiration = time.Unix(n, 0).UTC()
		if !s.Timestamp.IsZero() && s.Expiration.Before(s.Timestamp) {
			return &RecordError{Tag: "x", Reason: "expiration is before the timestamp t="}
		}
	}
	if n, ok, err := num("l", hasL, l); err != nil {
		return err
	} else if ok {
		s.BodyLength = n
	}
	s.keyName = s.Selector + "._domainkey." + s.Domain
	if !decode {
		s.B = fwsPrefix(b, bPrefixLen)
		return nil
	}
	s.B = stripFWS(b)
	if s.BodyHash, err = base64.StdEncoding.DecodeString(stripFWS(bh)); err != nil {
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

// fwsPrefix returns the first n bytes of stripFWS(v) for ASCII v,
// reading no further into v than it needs to.
func fwsPrefix(v string, n int) string {
	var pre [bPrefixLen]byte
	k := 0
	for i := 0; i < len(v) && k < n && k < len(pre); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			s := stripFWS(v)
			return s[:min(n, len(s))]
		}
		if !isFWS(c) {
			pre[k] = c
			k++
		}
	}
	return string(pre[:k])
}

// bPrefixLen is how much of b= Verify keeps: the RFC 6008 header.b prefix.
const bPrefixLen = 8

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// printablePrefixString returns the length of v's longest prefix of bytes
// in '!'..0x7f (no FWS, no control, no non-ASCII), eight bytes at a time:
// a word holds only such bytes when subtracting '!' from every byte
// borrows nowhere and no byte has its top bit set.
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
