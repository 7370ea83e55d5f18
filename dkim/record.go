package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrRevoked is returned (wrapped) for a key record whose p= tag is empty:
// RFC 6376 section 3.6.1 makes that a revoked key.
var ErrRevoked = errors.New("dkim: key revoked (empty p=)")

// RecordError is a syntax error in a DKIM key record or a DKIM-Signature
// value. Tag names the offending tag ("" for a structural error).
type RecordError struct {
	Tag    string
	Reason string
}

func (e *RecordError) Error() string {
	if e.Tag == "" {
		return "dkim: " + e.Reason
	}
	return fmt.Sprintf("dkim: tag %s=: %s", e.Tag, e.Reason)
}

// KeyRecord is a DKIM public key record, the TXT record published at
// SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.1, RFC 8463 for Ed25519).
type KeyRecord struct {
	// Version is the v= tag; "" when absent (it is optional), else "DKIM1".
	Version string `json:"version,omitempty"`
	// KeyType is the k= tag: "rsa" (also when absent) or "ed25519".
	KeyType string `json:"key_type,omitempty"`
	// PublicKey is the decoded p= tag: a DER SubjectPublicKeyInfo (or
	// PKCS #1 RSAPublicKey) for rsa, the raw 32 bytes for ed25519. Empty
	// means the key is revoked.
	PublicKey []byte `json:"public_key,omitempty"`
	// Hashes is the h= tag (acceptable hash algorithms); nil means any.
	Hashes []string `json:"hashes,omitempty"`
	// Services is the s= tag; nil means "*".
	Services []string `json:"services,omitempty"`
	// Flags is the t= tag: "y" (testing) and "s" (strict identity).
	Flags []string `json:"flags,omitempty"`
	// Notes is the n= tag.
	Notes string `json:"notes,omitempty"`

	// parsed caches the key parsed from parsedFrom (== PublicKey).
	parsed     crypto.PublicKey
	parsedFrom []byte
}

// Testing reports whether the record carries t=y: the domain is testing
// DKIM, and verifiers must not treat its failures differently from unsigned
// mail.
func (r *KeyRecord) Testing() bool { return hasFlag(r.Flags, "y") }

// Strict reports whether the record carries t=s: the i= domain of a
// signature must equal its d= domain, not be a subdomain of it.
func (r *KeyRecord) Strict() bool { return hasFlag(r.Flags, "s") }

// Revoked reports whether the record's p= is empty.
func (r *KeyRecord) Revoked() bool { return len(r.PublicKey) == 0 }

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// Key returns the record's public key: *rsa.PublicKey or ed25519.PublicKey.
// It wraps ErrRevoked for an empty p=.
func (r *KeyRecord) Key() (crypto.PublicKey, error) {
	if r.Revoked() {
		return nil, ErrRevoked
	}
	if r.parsed != nil && bytes.Equal(r.parsedFrom, r.PublicKey) {
		return r.parsed, nil
	}
	k, err := r.parseKey()
	if err == nil {
		r.parsed, r.parsedFrom = k, r.PublicKey
	}
	return k, err
}

func (r *KeyRecord) parseKey() (crypto.PublicKey, error) {
	switch r.KeyType {
	case "", "rsa":
		pub, err := x509.ParsePKIXPublicKey(r.PublicKey)
		if err != nil {
			pk, err2 := x509.ParsePKCS1PublicKey(r.PublicKey)
			if err2 != nil {
				return nil, &RecordError{Tag: "p", Reason: "not an RSA public key (neither SubjectPublicKeyInfo nor PKCS #1)"}
			}
			return pk, nil
		}
		pk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, &RecordError{Tag: "p", Reason: fmt.Sprintf("k=rsa but p= holds a %T", pub)}
		}
		return pk, nil
	case "ed25519":
		if len(r.PublicKey) != ed25519.PublicKeySize {
			return nil, &RecordError{Tag: "p", Reason: fmt.Sprintf("an Ed25519 key is %d bytes, p= holds %d", ed25519.PublicKeySize, len(r.PublicKey))}
		}
		return ed25519.PublicKey(append([]byte(nil), r.PublicKey...)), nil
	}
	return nil, &RecordError{Tag: "k", Reason: fmt.Sprintf("unsupported key type %q", r.KeyType)}
}

// KeySize returns the key size in bits (the RSA modulus length, or 256 for
// Ed25519), or 0 when the key cannot be parsed.
func (r *KeyRecord) KeySize() int {
	if r.parsed == nil {
		// Read the size off the bytes, without parsing a key.
		switch r.KeyType {
		case "rsa", "":
			if n := rsaModulusBits(r.PublicKey); n > 0 {
				return n
			}
		case "ed25519":
			if len(r.PublicKey) == ed25519.PublicKeySize {
				return 256
			}
			return 0
		}
	}
	k, err := r.Key()
	if err != nil {
		return 0
	}
	return keyBits(k)
}

func keyBits(k crypto.PublicKey) int {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case ed25519.PublicKey:
		return 256
	}
	return 0
}

// String formats the record as published: "v=DKIM1; k=rsa; p=...", with
// the optional tags that are set.
func (r *KeyRecord) String() string {
	var b strings.Builder
	b.WriteString("v=DKIM1")
	kt := r.KeyType
	if kt == "" {
		kt = "rsa"
	}
	b.WriteString("; k=" + kt)
	if len(r.Hashes) > 0 {
		b.WriteString("; h=" + strings.Join(r.Hashes, ":"))
	}
	if len(r.Services) > 0 {
		b.WriteString("; s=" + strings.Join(r.Services, ":"))
	}
	if len(r.Flags) > 0 {
		b.WriteString("; t=" + strings.Join(r.Flags, ":"))
	}
	if r.Notes != "" {
		b.WriteString("; n=" + r.Notes)
	}
	b.WriteString("; p=" + base64.StdEncoding.EncodeToString(r.PublicKey))
	return b.String()
}

// TXTStrings returns the record split into character-strings of at most
// 255 bytes, as a DNS TXT record must carry it (RFC 1035 section 3.3.14;
// a 2048-bit RSA record is about 410 bytes). A resolver joins them back
// without separators. Zone files quote each: "v=DKIM1; k=rsa; p=MIIB..." "...".
func (r *KeyRecord) TXTStrings() []string { return SplitTXT(r.String()) }

// SplitTXT splits s into strings of at most 255 bytes.
func SplitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

// ZoneLine returns the record as a zone-file line for
// SELECTOR._domainkey.DOMAIN, with the value split into quoted strings.
func (r *KeyRecord) ZoneLine(selector, domain string) string {
	parts := r.TXTStrings()
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return fmt.Sprintf("%s._domainkey.%s. IN TXT ( %s )", selector, strings.TrimSuffix(domain, "."), strings.Join(parts, " "))
}

// ParseKeyRecord parses a DKIM key record (the TXT strings joined without
// separators). It is strict about the syntax RFC 6376 section 3.6.1 fixes
// (v= first when present and equal to DKIM1, p= present and valid base64,
// k= rsa or ed25519, no duplicate tags) and lenient where the RFC says
// unknown tags and values are ignored. A revoked key (empty p=) parses
// without error; KeyRecord.Revoked reports it.
func ParseKeyRecord(s string) (*KeyRecord, error) {
	r := &KeyRecord{}
	if err := parseKeyRecord(r, s, true, nil); err != nil {
		return nil, err
	}
	return r, nil
}

// parseKeyRecord parses a key record into r, which must be zero; with
// validate false it leaves the key bytes unparsed (Verify lets go-msgauth
// parse them). It allocates only the t=, h= and s= lists and the decoded
// p=, which goes into pbuf instead when it fits.
func parseKeyRecord(r *KeyRecord, s string, validate bool, pbuf []byte) error {
	if len(s) > MaxTagList {
		return &RecordError{Reason: fmt.Sprintf("key record of %d bytes is over the %d-byte limit", len(s), MaxTagList)}
	}
	var buf [8]tag
	tags, err := parseTags(s, buf[:0])
	if err != nil {
		return err
	}
	sawP := false
	for i, t := range tags {
		switch t.name {
		case "v":
			if i != 0 {
				return &RecordError{Tag: "v", Reason: "must be the first tag"}
			}
			if t.value != "DKIM1" {
				return &RecordError{Tag: "v", Reason: fmt.Sprintf("version %q, want DKIM1", t.value)}
			}
			r.Version = t.value
		case "k":
			kt := strings.ToLower(t.value)
			if kt != "rsa" && kt != "ed25519" {
				return &RecordError{Tag: "k", Reason: fmt.Sprintf("unsupported key type %q (want rsa or ed25519)", t.value)}
			}
			r.KeyType = kt
		case "p":
			sawP = true
			p := stripFWS(t.value)
			if p == "" {
				continue
			}
			var b []byte
			var err error
			if base64.StdEncoding.DecodedLen(len(p)) <= len(pbuf) {
				var n int
				n, err = base64.StdEncoding.Decode(pbuf, []byte(p))
				b = pbuf[:n:n]
			} else {
				b, err = base64.StdEncoding.DecodeString(p)
			}
			if err != nil {
				return &RecordError{Tag: "p", Reason: "invalid base64"}
			}
			r.PublicKey = b
		case "h":
			r.Hashes = colonList(t.value)
		case "s":
			r.Services = colonList(t.value)
		case "t":
			r.Flags = colonList(t.value)
		case "n":
			r.Notes = t.value
		}
	}
	if !sawP {
		return &RecordError{Tag: "p", Reason: "missing (every key record needs p=)"}
	}
	if r.KeyType == "" {
		r.KeyType = "rsa"
	}
	if validate && !r.Revoked() {
		if _, err := r.Key(); err != nil {
			return err
		}
	}
	return nil
}

func colonList(s string) []string {
	out := make([]string, 0, strings.Count(s, ":")+1)
	for s != "" {
		var p string
		p, s, _ = strings.Cut(s, ":")
		if p = stripFWS(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isFWS reports whether c is one of the folding whitespace bytes a tag
// value may carry (RFC 6376 section 2.8).
func isFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// stripFWS removes spaces, tabs, CRs and LFs from s. It returns s itself
// when there are none, and otherwise allocates once for ASCII input; a
// value with other bytes takes the rune-wise path, which (like before)
// turns invalid UTF-8 into U+FFFD.
func stripFWS(s string) string {
	n, ascii := 0, true
	for i := 0; ; i++ {
		// Skip printable ASCII eight bytes at a time: FWS bytes are
		// below '!', and non-ASCII ones at or above 0x80.
		if i += printablePrefixString(s[i:]); i >= len(s) {
			break
		}
		if c := s[i]; isFWS(c) {
			n++
		} else if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	if n == 0 {
		return s
	}
	if !ascii {
		return strings.Map(func(r rune) rune {
			switch r {
			case ' ', '\t', '\r', '\n':
				return -1
			}
			return r
		}, s)
	}
	var b strings.Builder
	b.Grow(len(s) - n)
	for s != "" {
		i := 0
		for i < len(s) && !isFWS(s[i]) {
			i++
		}
		b.WriteString(s[:i])
		for i < len(s) && isFWS(s[i]) {
			i++
		}
		s = s[i:]
	}
	return b.String()
}

// trimFWS is strings.Trim(s, " \t\r\n") without building a cutset.
func trimFWS(s string) string {
	for s != "" && isFWS(s[0]) {
		s = s[1:]
	}
	for s != "" && isFWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

type tag struct{ name, value string }

// parseTags parses an RFC 6376 section 3.2 tag-list, appending the tags
// to buf; callers pass a stack array's slice, so a list of ordinary length
// costs no allocation.
func parseTags(s string, buf []tag) ([]tag, error) {
	tags := buf[:0]
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ";")
		if strings.TrimSpace(part) == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, &RecordError{Reason: fmt.Sprintf("malformed tag %q: no '='", truncate(strings.TrimSpace(part), 40))}
		}
		name = trimFWS(name)
		if name == "" || !isTagName(name) {
			return nil, &RecordError{Reason: fmt.Sprintf("malformed tag name %q", truncate(name, 40))}
		}
		for _, t := range tags {
			if t.name == name {
				return nil, &RecordError{Tag: name, Reason: "appears twice"}
			}
		}
		tags = append(tags, tag{name, trimFWS(value)})
	}
	if len(tags) == 0 {
		return nil, &RecordError{Reason: "empty tag list"}
	}
	return tags, nil
}

func isTagName(s string) bool {
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !(alpha || i > 0 && (c == '_' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Tag is one tag=value pair of a tag list (RFC 6376 section 3.2), folding
// whitespace around the name and the value removed.
type Tag struct{ Name, Value string }

// MaxTagList is the longest tag list ParseTagList reads, in bytes.
const MaxTagList = 16 << 10

// ParseTagList parses a tag list (RFC 6376 section 3.2) as DKIM key
// records and signatures use it, and as ARC (RFC 8617) reuses it: tags in
// order, a duplicate tag or a tag without '=' is a *RecordError, and so is
// a list longer than MaxTagList bytes. It is the one tag-list parser of
// the dkim and arc packages.
func ParseTagList(s string) ([]Tag, error) {
	if len(s) > MaxTagList {
		return nil, &RecordError{Reason: fmt.Sprintf("tag list of %d bytes is over the %d-byte limit", len(s), MaxTagList)}
	}
	tags, err := parseTags(s, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{t.name, t.value}
	}
	return out, nil
}

// StripFWS removes folding whitespace (spaces, tabs, CR, LF) from a tag
// value, as RFC 6376 requires for b=, bh=, h= and the like.
func StripFWS(s string) string { return stripFWS(s) }
