package deskmail

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/net/idna"
)

// Address errors. Parse errors wrap ErrInvalidAddress.
var (
	// ErrInvalidAddress is wrapped by every address parse error.
	ErrInvalidAddress = errors.New("deskmail: invalid address")
	// ErrHeaderInjection reports a CR or LF in a value that becomes a header.
	ErrHeaderInjection = errors.New("deskmail: CR or LF in header value")
)

// DefaultSubaddressSeparator separates the base local part from a tag:
// "support+billing@example.com" has the base "support" and the tag "billing".
const DefaultSubaddressSeparator = "+"

// maxAddressLen bounds the input of ParseAddress and ParseAddressList, so a
// hostile header cannot make parsing expensive. RFC 5321 limits a path to 256
// octets; a header line with many addresses is allowed far more.
const maxAddressListLen = 64 << 10

// Address is a parsed mailbox: an optional display name, the local part and
// the domain.
//
// Local holds the local part in its unquoted form (`a b` for `"a b"@x`); Addr
// quotes it again when needed. Domain is always lower case and in ASCII: an
// internationalized domain is converted to its A-labels (xn--…), so
// "bücher.DE" and "xn--bcher-kva.de" are the same Domain. A domain literal
// such as "[192.0.2.1]" is kept as written.
type Address struct {
	Name   string // display name, decoded from RFC 2047; may be empty
	Local  string // local part, unquoted
	Domain string // lower-case ASCII domain
}

// addressJSON is the JSON form of an Address: the three fields and the
// addr-spec, so a reader of a log needs no code to see the address.
type addressJSON struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Local   string `json:"local,omitempty"`
	Domain  string `json:"domain,omitempty"`
}

// MarshalJSON writes {"name", "address", "local", "domain"}, address being
// the addr-spec (Addr).
func (a Address) MarshalJSON() ([]byte, error) {
	j := addressJSON{Name: a.Name, Local: a.Local, Domain: a.Domain}
	if a.Local != "" || a.Domain != "" {
		j.Address = a.Addr()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes. When local and domain are
// absent, address is parsed instead.
func (a *Address) UnmarshalJSON(b []byte) error {
	var j addressJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Address{Name: j.Name, Local: j.Local, Domain: j.Domain}
	if a.Local == "" && a.Domain == "" && j.Address != "" {
		p, err := ParseAddress(j.Address)
		if err != nil {
			return err
		}
		a.Local, a.Domain = p.Local, p.Domain
	}
	return nil
}

// addressParser decodes RFC 2047 words in every charset go-message knows
// (ISO-2022-JP and Shift_JIS among them), not only the three net/mail knows.
var addressParser = &mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}}

// ParseAddress parses a single address as in a From or To header:
// "Name <local@domain>", "local@domain" or "local@domain (Name)".
//
// It accepts what net/mail accepts, RFC 2047 encoded names in any common
// charset, UTF-8 in names and local parts (RFC 6532), and common malformed
// forms real clients send, such as an unquoted display name with special
// characters before an angle address ("Müller, Hans <h@example.com>"). It
// rejects CR and LF inside the address, and input over 64 KiB. The error
// wraps ErrInvalidAddress.
func ParseAddress(s string) (Address, error) {
	if len(s) > maxAddressListLen {
		return Address{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidAddress, maxAddressListLen)
	}
	s = unfold(s)
	if strings.ContainsAny(s, "\r\n") {
		return Address{}, fmt.Errorf("%w: CR or LF in address", ErrInvalidAddress)
	}
	a, err := addressParser.Parse(s)
	if err != nil {
		if a2, ok := parseLenient(s); ok {
			return a2, nil
		}
		return Address{}, fmt.Errorf("%w %q: %v", ErrInvalidAddress, truncate(s, 80), trimMailPrefix(err))
	}
	return fromMail(a.Name, a.Address)
}

// ParseAddressList parses a list of addresses as in a To or Cc header. Groups
// are flattened, and an empty group ("undisclosed-recipients:;") yields no
// addresses and no error. When the strict parse fails, the list is split at
// top-level commas and each part parsed alone; parts that still fail are
// skipped and reported in the error, while the addresses that parsed are
// returned, so one bad entry does not hide the others.
func ParseAddressList(s string) ([]Address, error) {
	if len(s) > maxAddressListLen {
		return nil, fmt.Errorf("%w: list longer than %d bytes", ErrInvalidAddress, maxAddressListLen)
	}
	s = unfold(s)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if list, err := addressParser.ParseList(s); err == nil {
		out := make([]Address, 0, len(list))
		var bad error
		for _, a := range list {
			ad, err := fromMail(a.Name, a.Address)
			if err != nil {
				bad = err
				continue
			}
			out = append(out, ad)
		}
		return out, bad
	}
	var out []Address
	var bad []string
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		if part == "" || isEmptyGroup(part) {
			continue
		}
		// A group "name: a, b;" was split at its commas; strip its label.
		if i := groupColon(part); i >= 0 {
			part = strings.TrimSpace(part[i+1:])
		}
		part = strings.TrimSuffix(strings.TrimSpace(part), ";")
		if part == "" {
			continue
		}
		a, err := ParseAddress(part)
		if err != nil {
			bad = append(bad, truncate(part, 40))
			continue
		}
		out = append(out, a)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%w: could not parse %q", ErrInvalidAddress, bad)
	}
	return out, nil
}

// NewAddress builds an Address from a display name and an addr-spec
// ("local@domain"), normalising the domain. It rejects CR or LF in either
// with an error wrapping ErrHeaderInjection.
func NewAddress(name, addr string) (Address, error) {
	if err := CheckHeaderValue(name); err != nil {
		return Address{}, err
	}
	if err := CheckHeaderValue(addr); err != nil {
		return Address{}, err
	}
	a, err := ParseAddress("<" + strings.Trim(strings.TrimSpace(addr), "<>") + ">")
	if err != nil {
		return Address{}, err
	}
	a.Name = name
	return a, nil
}

// CheckHeaderValue returns an error wrapping ErrHeaderInjection when v holds
// a CR, LF or NUL, which would end a header line early and let a caller's
// input add headers of its own.
func CheckHeaderValue(v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%w at byte %d", ErrHeaderInjection, i)
	}
	return nil
}

// Addr returns the addr-spec "local@domain", quoting the local part when it
// is not a dot-atom.
func (a Address) Addr() string {
	if a.Domain == "" {
		return quoteLocal(a.Local)
	}
	return quoteLocal(a.Local) + "@" + a.Domain
}

// String returns the address in header form: `"Name" <local@domain>`, with
// the name RFC 2047 encoded when it is not plain ASCII. Control characters in
// the name are encoded too, so the result never holds CR or LF whatever the
// fields contain. Without a name it is `<local@domain>`... written bare as
// "local@domain".
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr()
	}
	return FormatName(a.Name) + " <" + a.Addr() + ">"
}

// Key returns the canonical form used to match addresses: the local part
// folded to lower case and the ASCII domain, "local@domain". Sub-addresses
// are kept; use Base first to match "support+x@" with "support@".
//
// Folding the local part is a deliberate choice: RFC 5321 lets a server treat
// local parts as case-sensitive, but no mail system in use does, and a
// helpdesk that did would open a second ticket for "Bob@" and "bob@".
func (a Address) Key() string {
	return quoteLocal(strings.ToLower(a.Local)) + "@" + a.Domain
}

// Base returns a with the sub-address tag removed from the local part:
// support+billing@x becomes support@x for the separator "+". An empty sep
// means DefaultSubaddressSeparator. A local part that begins with the
// separator is left alone.
func (a Address) Base(sep string) Address {
	base, _ := SplitSubaddress(a.Local, sep)
	a.Local = base
	return a
}

// Tag returns the sub-address tag of the local part, or "".
func (a Address) Tag(sep string) string {
	_, tag := SplitSubaddress(a.Local, sep)
	return tag
}

// SplitSubaddress splits a local part at the first sep: "support+billing"
// gives "support" and "billing". An empty sep means
// DefaultSubaddressSeparator. When sep does not occur, or the local part
// starts with it, tag is empty and base is local.
func SplitSubaddress(local, sep string) (base, tag string) {
	if sep == "" {
		sep = DefaultSubaddressSeparator
	}
	i := strings.Index(local, sep)
	if i <= 0 {
		return local, ""
	}
	return local[:i], local[i+len(sep):]
}

// CanonicalKey parses s and returns its Key; it is a shortcut for matching
// raw strings such as envelope recipients. It returns "" when s does not
// parse.
func CanonicalKey(s string) string {
	if k, ok := fastKey(s); ok {
		return k
	}
	a, err := ParseAddress(s)
	if err != nil {
		return ""
	}
	return a.Key()
}

// fastKey handles the common case of a plain ASCII addr-spec without
// parsing: letters, digits and the usual punctuation, one @.
func fastKey(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	at := -1
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '@':
			if at >= 0 {
				return "", false
			}
			at = i
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == '+', c == '=':
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if at <= 0 || at == len(s)-1 || s[0] == '.' || s[at-1] == '.' || s[at+1] == '.' || s[len(s)-1] == '.' ||
		strings.Contains(s, "..") {
		return "", false
	}
	if upper {
		s = strings.ToLower(s)
	}
	// A-labels need IDNA validation: leave them to the parser.
	if strings.HasPrefix(s[at+1:], "xn--") || strings.Contains(s[at+1:], ".xn--") {
		return "", false
	}
	return s, true
}

func fromMail(name, addr string) (Address, error) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return Address{}, fmt.Errorf("%w %q: missing local part or domain", ErrInvalidAddress, truncate(addr, 80))
	}
	dom, err := normalizeDomain(addr[at+1:])
	if err != nil {
		return Address{}, err
	}
	if strings.ContainsAny(name, "\r\n\x00") {
		name = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return ' '
			}
			return r
		}, name)
	}
	return Address{Name: name, Local: addr[:at], Domain: dom}, nil
}

// NormalizeDomain returns the lower-case ASCII (A-label) form of a domain
// name, converting internationalized labels with IDNA 2008 lookup rules. A
// trailing dot is removed. Domain literals ("[192.0.2.1]") are returned as is.
func NormalizeDomain(d string) (string, error) { return normalizeDomain(d) }

func normalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" {
		return "", fmt.Errorf("%w: empty domain", ErrInvalidAddress)
	}
	if d[0] == '[' {
		if d[len(d)-1] != ']' {
			return "", fmt.Errorf("%w: unterminated domain literal %q", ErrInvalidAddress, truncate(d, 80))
		}
		return d, nil
	}
	ascii := true
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// Lower-case first: "Xn--" is an A-label prefix too.
		d = strings.ToLower(d)
		if !strings.Contains(d, "xn--") {
			return checkLabels(d)
		}
	}
	out, err := idna.Lookup.ToASCII(d)
	if err != nil {
		// Punycode already present but not strictly valid under IDNA 2008
		// (some registries allow it): keep the lower-case ASCII form.
		if ascii {
			return checkLabels(strings.ToLower(d))
		}
		return "", fmt.Errorf("%w: domain %q: %v", ErrInvalidAddress, truncate(d, 80), err)
	}
	return checkLabels(strings.ToLower(out))
}

// checkLabels rejects a domain with an empty label (".example", "a..b",
// "a."), which IDNA mapping can produce from input such as "xn--.example"
// plus a soft hyphen, and which would not survive a round trip through a
// header.
func checkLabels(d string) (string, error) {
	if d == "" || d[0] == '.' || d[len(d)-1] == '.' || strings.Contains(d, "..") {
		return "", fmt.Errorf("%w: domain %q has an empty label", ErrInvalidAddress, truncate(d, 80))
	}
	return d, nil
}

// parseLenient handles "anything <local@domain>" that net/mail refuses,
// taking the text before the angle bracket as the display name, and a bare
// addr-spec with stray spaces.
func parseLenient(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ">") {
		i := strings.LastIndexByte(s, '<')
		if i < 0 {
			return Address{}, false
		}
		inner := strings.TrimSpace(s[i+1 : len(s)-1])
		a, err := addressParser.Parse("<" + inner + ">")
		if err != nil {
			return Address{}, false
		}
		name := strings.TrimSpace(s[:i])
		if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
			name = strings.ReplaceAll(name[1:len(name)-1], `\"`, `"`)
		}
		if dec, err := addressParser.WordDecoder.DecodeHeader(name); err == nil {
			name = dec
		}
		ad, err := fromMail(name, a.Address)
		return ad, err == nil
	}
	return Address{}, false
}

func quoteLocal(local string) string {
	if local == "" {
		return `""`
	}
	dotAtom := true
	prevDot := true
	for _, r := range local {
		if r == '.' {
			if prevDot {
				dotAtom = false
				break
			}
			prevDot = true
			continue
		}
		prevDot = false
		if !isAtext(r) && r < utf8.RuneSelf {
			dotAtom = false
			break
		}
	}
	if dotAtom && !prevDot {
		return local
	}
	return quotedString(local)
}

// quotedString returns s as an RFC 5322 quoted-string.
func quotedString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	sb.WriteByte('"')
	return sb.String()
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// unfold removes header folding (CRLF or LF followed by white space).
func unfold(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' && i+1 < len(s) && s[i+1] == '\n' && i+2 < len(s) && (s[i+2] == ' ' || s[i+2] == '\t') {
			i++
			continue
		}
		if c == '\n' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
			continue
		}
		sb.WriteByte(c)
	}
	return strings.TrimRight(sb.String(), "\r\n")
}

// splitTopLevel splits at commas outside quotes, comments and angle brackets.
func splitTopLevel(s string) []string {
	var parts []string
	depthParen, inQuote, inAngle := 0, false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (inQuote || depthParen > 0):
			i++
		case c == '"' && depthParen == 0:
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case depthParen > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func isEmptyGroup(part string) bool {
	part = strings.TrimSpace(part)
	return strings.HasSuffix(part, ":;") || (strings.HasSuffix(part, ";") && !strings.Contains(part, "@"))
}

// groupColon returns the index of a group's label colon, or -1.
func groupColon(part string) int {
	inQuote := false
	for i := 0; i < len(part); i++ {
		switch part[i] {
		case '"':
			inQuote = !inQuote
		case '<', '@':
			if !inQuote {
				return -1
			}
		case ':':
			if !inQuote {
				return i
			}
		}
	}
	return -1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func trimMailPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "mail: ")
}
