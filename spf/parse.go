package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Parse parses an SPF record. Errors are *SyntaxError values giving the
// offset of the fault. The record must start with "v=spf1".
func Parse(record string) (*Record, error) {
	r := &Record{Raw: record}
	if err := parseInto(r, record); err != nil {
		return nil, err
	}
	return r, nil
}

// MaxRecordLen is the longest SPF record Parse and a check read, in
// bytes; a longer one is a *SyntaxError (permerror in a check). RFC 7208
// section 3.4 asks publishers to stay under 450 bytes.
const MaxRecordLen = 4096

func parseInto(r *Record, s string) error {
	if len(s) > MaxRecordLen {
		return &SyntaxError{Pos: MaxRecordLen, Msg: "record of " + strconv.Itoa(len(s)) + " bytes is over the " + strconv.Itoa(MaxRecordLen) + "-byte limit"}
	}
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

func mechanismKind(name string) TermKind {
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
