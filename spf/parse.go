package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind is the kind of a term of an SPF record.
type Kind uint8

// The mechanisms and modifiers of RFC 7208 sections 5 and 6.
const (
	KindAll      Kind = iota + 1 // all
	KindInclude                  // include:domain
	KindA                        // a[:domain][/cidr][//cidr6]
	KindMX                       // mx[:domain][/cidr][//cidr6]
	KindPTR                      // ptr[:domain]
	KindIP4                      // ip4:network[/cidr]
	KindIP6                      // ip6:network[/cidr]
	KindExists                   // exists:domain
	KindRedirect                 // redirect=domain
	KindExp                      // exp=domain
	KindModifier                 // an unknown modifier name=value, ignored
)

var kindNames = [...]string{"", "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "redirect", "exp", "modifier"}

// String returns the mechanism or modifier name ("include").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// IsMechanism reports whether k is a mechanism (not a modifier).
func (k Kind) IsMechanism() bool { return k >= KindAll && k <= KindExists }

// CountsLookup reports whether a term of kind k queries DNS and counts
// towards the 10-lookup limit.
func (k Kind) CountsLookup() bool {
	switch k {
	case KindInclude, KindA, KindMX, KindPTR, KindExists, KindRedirect:
		return true
	}
	return false
}

// Qualifier is the prefix of a mechanism: '+', '-', '~' or '?'.
type Qualifier byte

// The qualifiers.
const (
	QualifierPass     Qualifier = '+'
	QualifierFail     Qualifier = '-'
	QualifierSoftFail Qualifier = '~'
	QualifierNeutral  Qualifier = '?'
)

// Result returns the result a matching mechanism with this qualifier gives.
func (q Qualifier) Result() Result {
	switch q {
	case QualifierFail:
		return Fail
	case QualifierSoftFail:
		return SoftFail
	case QualifierNeutral:
		return Neutral
	}
	return Pass
}

// Term is one mechanism or modifier of a record.
type Term struct {
	Kind Kind

	// Qualifier of a mechanism; QualifierPass when none was written.
	// Zero for modifiers.
	Qualifier Qualifier

	// CIDR4 and CIDR6 are the prefix lengths of a and mx (32 and 128 when
	// not written).
	CIDR4, CIDR6 uint8

	// Pos is the byte offset of the term in the record.
	Pos int

	// Text is the term as written.
	Text string

	// Name is the modifier name as written, for KindModifier.
	Name string

	// Domain is the domain-spec as written (macros unexpanded) of include,
	// a, mx, ptr, exists, redirect and exp, and the value of an unknown
	// modifier; "" when a, mx or ptr name none (the current domain).
	Domain string

	// Prefix is the network of ip4 and ip6 (bits as written, address not
	// masked).
	Prefix netip.Prefix
}

// String returns the term in canonical form: lower-case names, the
// qualifier only when not '+', default prefix lengths left out.
func (t *Term) String() string {
	var b strings.Builder
	t.appendTo(&b)
	return b.String()
}

func (t *Term) appendTo(b *strings.Builder) {
	if t.Kind.IsMechanism() && t.Qualifier != QualifierPass && t.Qualifier != 0 {
		b.WriteByte(byte(t.Qualifier))
	}
	switch t.Kind {
	case KindModifier:
		b.WriteString(t.Name)
		b.WriteByte('=')
		b.WriteString(t.Domain)
		return
	case KindRedirect, KindExp:
		b.WriteString(t.Kind.String())
		b.WriteByte('=')
		b.WriteString(t.Domain)
		return
	}
	b.WriteString(t.Kind.String())
	switch t.Kind {
	case KindIP4, KindIP6:
		b.WriteByte(':')
		b.WriteString(t.Prefix.Addr().String())
		if (t.Kind == KindIP4 && t.Prefix.Bits() != 32) || (t.Kind == KindIP6 && t.Prefix.Bits() != 128) {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(t.Prefix.Bits()))
		}
		return
	}
	if t.Domain != "" {
		b.WriteByte(':')
		b.WriteString(t.Domain)
	}
	if t.Kind == KindA || t.Kind == KindMX {
		if t.CIDR4 != 32 {
			b.WriteByte('/')
			b.WriteString(strconv.Itoa(int(t.CIDR4)))
		}
		if t.CIDR6 != 128 {
			b.WriteString("//")
			b.WriteString(strconv.Itoa(int(t.CIDR6)))
		}
	}
}

// Record is a parsed SPF record.
type Record struct {
	// Raw is the record text as parsed.
	Raw string
	// Terms in order, modifiers included.
	Terms []Term
	// Redirect and Exp point into Terms, or are nil.
	Redirect, Exp *Term
}

// String serializes the record in canonical form ("v=spf1 mx -all").
func (r *Record) String() string {
	var b strings.Builder
	b.Grow(len(r.Raw))
	b.WriteString("v=spf1")
	for i := range r.Terms {
		b.WriteByte(' ')
		r.Terms[i].appendTo(&b)
	}
	return b.String()
}

// HasAll reports whether the record has an "all" mechanism.
func (r *Record) HasAll() bool {
	for i := range r.Terms {
		if r.Terms[i].Kind == KindAll {
			return true
		}
	}
	return false
}

// SyntaxError is a syntax error in an SPF record; errors.Is(err,
// ErrSyntax) holds.
type SyntaxError struct {
	Pos  int    // byte offset in the record
	Term string // the offending term, or "" for the record as a whole
	Msg  string
}

// Error returns the message with the offset and the term.
func (e *SyntaxError) Error() string {
	if e.Term == "" {
		return "spf: syntax error at offset " + strconv.Itoa(e.Pos) + ": " + e.Msg
	}
	return "spf: syntax error at offset " + strconv.Itoa(e.Pos) + " in " + strconv.Quote(e.Term) + ": " + e.Msg
}

// Is makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// IsSPF reports whether a TXT record is an SPF version 1 record: it starts
// with "v=spf1" (any case) followed by a space or the end.
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// Parse parses an SPF record. Errors are *SyntaxError values giving the
// offset of the fault. The record must start with "v=spf1".
func Parse(record string) (*Record, error) {
	r := &Record{Raw: record}
	if err := parseInto(r, record); err != nil {
		return nil, err
	}
	return r, nil
}

func parseInto(r *Record, s string) error {
	if !IsSPF(s) {
		return &SyntaxError{Pos: 0, Msg: `record does not start with "v=spf1 "`}
	}
	// Count terms to size the slice once.
	n := 0
	for i := 6; i < len(s); i++ {
		if s[i] == ' ' && i+1 < len(s) && s[i+1] != ' ' {
			n++
		}
	}
	r.Terms = make([]Term, 0, n)
	i := 6
	for i < len(s) {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			c := s[j]
			if c < 0x21 || c > 0x7e {
				return &SyntaxError{Pos: j, Term: s[i:min(len(s), j+1)], Msg: fmt.Sprintf("character %q is not allowed (terms are printable ASCII separated by spaces)", c)}
			}
			j++
		}
		r.Terms = append(r.Terms, Term{Pos: i, Text: s[i:j]})
		t := &r.Terms[len(r.Terms)-1]
		if err := parseTerm(t); err != nil {
			return err
		}
		switch t.Kind {
		case KindRedirect:
			if r.Redirect != nil {
				return &SyntaxError{Pos: i, Term: t.Text, Msg: "redirect= given twice"}
			}
			r.Redirect = t
		case KindExp:
			if r.Exp != nil {
				return &SyntaxError{Pos: i, Term: t.Text, Msg: "exp= given twice"}
			}
			r.Exp = t
		}
		i = j
	}
	// Pointers into Terms stay valid: the slice was sized up front, but
	// re-point in case append grew it.
	r.Redirect, r.Exp = nil, nil
	for k := range r.Terms {
		switch r.Terms[k].Kind {
		case KindRedirect:
			r.Redirect = &r.Terms[k]
		case KindExp:
			r.Exp = &r.Terms[k]
		}
	}
	return nil
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func parseTerm(t *Term) error {
	s := t.Text
	errf := func(off int, format string, args ...any) error {
		return &SyntaxError{Pos: t.Pos + off, Term: s, Msg: fmt.Sprintf(format, args...)}
	}
	q := Qualifier(0)
	i := 0
	switch s[0] {
	case '+', '-', '~', '?':
		q = Qualifier(s[0])
		i = 1
	}
	// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
	start := i
	if i >= len(s) || !isAlpha(s[i]) {
		return errf(i, "a term must start with a letter")
	}
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.') {
		i++
	}
	name := s[start:i]
	if i < len(s) && s[i] == '=' {
		if q != 0 {
			return errf(0, "a modifier takes no qualifier")
		}
		val := s[i+1:]
		switch {
		case strings.EqualFold(name, "redirect"):
			t.Kind = KindRedirect
		case strings.EqualFold(name, "exp"):
			t.Kind = KindExp
		default:
			t.Kind = KindModifier
			t.Name = name
			t.Domain = val
			if err := checkMacroString(val, false); err != nil {
				return errf(i+1, "%v", err)
			}
			return nil
		}
		t.Domain = val
		if err := checkDomainSpec(val); err != nil {
			return errf(i+1, "%v", err)
		}
		return nil
	}
	if q == 0 {
		q = QualifierPass
	}
	t.Qualifier = q
	t.Kind = mechanismKind(name)
	if t.Kind == 0 {
		return errf(start, "unknown mechanism %q", name)
	}
	rest := s[i:]
	switch t.Kind {
	case KindAll:
		if rest != "" {
			return errf(i, "all takes no argument")
		}
	case KindInclude, KindExists:
		if len(rest) < 2 || rest[0] != ':' {
			return errf(i, "%s needs :domain", name)
		}
		t.Domain = rest[1:]
		if err := checkDomainSpec(t.Domain); err != nil {
			return errf(i+1, "%v", err)
		}
	case KindPTR:
		if rest != "" {
			if rest[0] != ':' {
				return errf(i, "ptr takes only :domain")
			}
			t.Domain = rest[1:]
			if err := checkDomainSpec(t.Domain); err != nil {
				return errf(i+1, "%v", err)
			}
		}
	case KindA, KindMX:
		t.CIDR4, t.CIDR6 = 32, 128
		dom := rest
		off := i
		// The dual-cidr-length is a suffix "/n", "//m" or "/n//m"; the
		// domain-spec before it may itself hold '/' and ':'.
		cut := len(dom) - cidrSuffix(dom)
		if dom != "" && dom[0] == ':' {
			t.Domain = dom[1:cut]
			if err := checkDomainSpec(t.Domain); err != nil {
				return errf(off+1, "%v", err)
			}
			dom = dom[cut:]
			off += cut
		}
		if dom != "" {
			if dom[0] != '/' {
				return errf(off, "expected :domain or /cidr")
			}
			c4, c6, err := parseDualCIDR(dom)
			if err != nil {
				return errf(off, "%v", err)
			}
			t.CIDR4, t.CIDR6 = uint8(c4), uint8(c6)
		}
	case KindIP4, KindIP6:
		if len(rest) < 2 || rest[0] != ':' {
			return errf(i, "%s needs :address", name)
		}
		addr := rest[1:]
		bits := -1
		if k := strings.IndexByte(addr, '/'); k >= 0 {
			max := 32
			if t.Kind == KindIP6 {
				max = 128
			}
			b, ok := parseCIDR(addr[k+1:], max)
			if !ok {
				return errf(i+1+k, "invalid prefix length %q", addr[k:])
			}
			bits = b
			addr = addr[:k]
		}
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" {
			return errf(i+1, "invalid address %q", addr)
		}
		if t.Kind == KindIP4 {
			if !ip.Is4() {
				return errf(i+1, "ip4 needs an IPv4 address, got %q", addr)
			}
			if bits < 0 {
				bits = 32
			}
		} else {
			if !ip.Is6() || strings.IndexByte(addr, ':') < 0 {
				return errf(i+1, "ip6 needs an IPv6 address, got %q", addr)
			}
			if bits < 0 {
				bits = 128
			}
		}
		t.Prefix = netip.PrefixFrom(ip, bits)
	}
	return nil
}

func mechanismKind(name string) Kind {
	switch len(name) {
	case 1:
		if name[0]|0x20 == 'a' {
			return KindA
		}
	case 2:
		if strings.EqualFold(name, "mx") {
			return KindMX
		}
	case 3:
		switch {
		case strings.EqualFold(name, "all"):
			return KindAll
		case strings.EqualFold(name, "ptr"):
			return KindPTR
		case strings.EqualFold(name, "ip4"):
			return KindIP4
		case strings.EqualFold(name, "ip6"):
			return KindIP6
		}
	case 6:
		if strings.EqualFold(name, "exists") {
			return KindExists
		}
	case 7:
		if strings.EqualFold(name, "include") {
			return KindInclude
		}
	}
	return 0
}

// cidrSuffix returns the length of the trailing "/digits", "//digits" or
// "/digits//digits" of s.
func cidrSuffix(s string) int {
	end := len(s)
	digitsBefore := func(e int) int {
		k := e
		for k > 0 && isDigit(s[k-1]) {
			k--
		}
		return k
	}
	k := digitsBefore(end)
	if k == end || k == 0 || s[k-1] != '/' {
		return 0
	}
	k--
	if k > 0 && s[k-1] == '/' { // "//m"
		k--
		if j := digitsBefore(k); j < k && j > 0 && s[j-1] == '/' {
			return end - (j - 1)
		}
		return end - k
	}
	return end - k
}

// parseCIDR parses a prefix length: "0" or a number without leading zero,
// at most max.
func parseCIDR(s string, max int) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > max {
		return 0, false
	}
	return n, true
}

// parseDualCIDR parses "/n", "//m" or "/n//m".
func parseDualCIDR(s string) (int, int, error) {
	c4, c6 := 32, 128
	if strings.HasPrefix(s, "//") {
		n, ok := parseCIDR(s[2:], 128)
		if !ok {
			return 0, 0, fmt.Errorf("invalid IPv6 prefix length %q", s)
		}
		return c4, n, nil
	}
	s = s[1:]
	v4 := s
	if k := strings.Index(s, "//"); k >= 0 {
		v4 = s[:k]
		n, ok := parseCIDR(s[k+2:], 128)
		if !ok {
			return 0, 0, fmt.Errorf("invalid IPv6 prefix length %q", s[k:])
		}
		c6 = n
	}
	n, ok := parseCIDR(v4, 32)
	if !ok {
		return 0, 0, fmt.Errorf("invalid IPv4 prefix length %q", "/"+v4)
	}
	return n, c6, nil
}

// checkDomainSpec checks domain-spec = macro-string domain-end.
func checkDomainSpec(s string) error {
	if s == "" {
		return fmt.Errorf("empty domain")
	}
	if err := checkMacroString(s, false); err != nil {
		return err
	}
	// domain-end = ( "." toplabel [ "." ] ) / macro-expand
	if s[len(s)-1] == '}' {
		if k := strings.LastIndexByte(s, '%'); k >= 0 && k+1 < len(s) && s[k+1] == '{' && (k == 0 || s[k-1] != '%') {
			return nil
		}
	}
	d := strings.TrimSuffix(s, ".")
	k := strings.LastIndexByte(d, '.')
	if k < 0 {
		return fmt.Errorf("domain %q has no top-level label", s)
	}
	if !isTopLabel(d[k+1:]) {
		return fmt.Errorf("invalid top-level label %q", d[k+1:])
	}
	return nil
}

// isTopLabel: ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
func isTopLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	alpha, dash := false, false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			dash = true
		default:
			return false
		}
	}
	if dash {
		return l[0] != '-' && l[len(l)-1] != '-'
	}
	return alpha
}

// checkMacroString checks the macro syntax of s; exp allows the c, r and t
// letters of explanation strings.
func checkMacroString(s string, exp bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			if exp && c == ' ' {
				continue
			}
			return fmt.Errorf("character %q is not allowed", c)
		}
		if c != '%' {
			continue
		}
		i++
		if i >= len(s) {
			return fmt.Errorf("%w: %% at the end", ErrMacro)
		}
		switch s[i] {
		case '%', '_', '-':
			continue
		case '{':
		default:
			return fmt.Errorf("%w: %%%c (write %%%% for a percent sign)", ErrMacro, s[i])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return fmt.Errorf("%w: unterminated %%{", ErrMacro)
		}
		if _, err := parseMacro(s[i+1:i+end], exp); err != nil {
			return err
		}
		i += end
	}
	return nil
}

type macro struct {
	letter  byte // lower-case
	upper   bool // URL-escape
	digits  int  // 0 = all
	reverse bool
	delims  string // "" = "."
}

// parseMacro parses the inside of %{...}.
func parseMacro(s string, exp bool) (macro, error) {
	var m macro
	if s == "" {
		return m, fmt.Errorf("%w: empty %%{}", ErrMacro)
	}
	c := s[0]
	if 'A' <= c && c <= 'Z' {
		m.upper = true
		c |= 0x20
	}
	switch c {
	case 's', 'l', 'o', 'd', 'i', 'p', 'v', 'h':
	case 'c', 'r', 't':
		if !exp {
			return m, fmt.Errorf("%w: %%{%c} is only allowed in explanations", ErrMacro, c)
		}
	default:
		return m, fmt.Errorf("%w: unknown macro letter %q", ErrMacro, s[0])
	}
	m.letter = c
	i := 1
	if i < len(s) && isDigit(s[i]) {
		n := 0
		for i < len(s) && isDigit(s[i]) {
			n = n*10 + int(s[i]-'0')
			if n > 128 {
				return m, fmt.Errorf("%w: digit transformer too large in %%{%s}", ErrMacro, s)
			}
			i++
		}
		if n == 0 {
			return m, fmt.Errorf("%w: digit transformer 0 in %%{%s}", ErrMacro, s)
		}
		m.digits = n
	}
	if i < len(s) && (s[i] == 'r' || s[i] == 'R') {
		m.reverse = true
		i++
	}
	for k := i; k < len(s); k++ {
		switch s[k] {
		case '.', '-', '+', ',', '/', '_', '=':
		default:
			return m, fmt.Errorf("%w: invalid delimiter %q in %%{%s}", ErrMacro, s[k], s)
		}
	}
	m.delims = s[i:]
	return m, nil
}
