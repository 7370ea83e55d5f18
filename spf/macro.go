package spf

import (
	"net/netip"
	"strconv"
	"strings"
)

// MacroEnv holds the values the macros of RFC 7208 section 7 expand to.
type MacroEnv struct {
	Sender   string     // %{s}: local-part@domain
	Local    string     // %{l}
	Domain   string     // %{o}: the sender's domain
	Current  string     // %{d}: the domain being checked
	IP       netip.Addr // %{i}, %{c}, %{v}
	HELO     string     // %{h}
	Receiver string     // %{r}; "" = "unknown"
	Time     int64      // %{t}
	// PTR returns the validated domain name for %{p}; nil means "unknown".
	PTR func() string
}

// ExpandMacros expands the macros of s, a domain-spec or (with exp) an
// explanation string. Syntax errors wrap ErrMacro.
func ExpandMacros(s string, env *MacroEnv, exp bool) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		if err := checkMacroString(s, exp); err != nil {
			return "", err
		}
		return s, nil
	}
	return expand(s, env, exp, nil)
}

// expand expands s; chk, when not nil, computes %{p}.
func expand(s string, env *MacroEnv, exp bool, chk *checker) (string, error) {
	var b strings.Builder
	b.Grow(len(s) + 32)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if (c < 0x21 || c > 0x7e) && !(exp && c == ' ') {
				return "", checkMacroString(s[i:i+1], exp)
			}
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", checkMacroString("%", exp)
		}
		switch s[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		case '{':
		default:
			return "", checkMacroString(s[i-1:i+1], exp)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", checkMacroString(s[i-1:], exp)
		}
		m, err := parseMacro(s[i+1:i+end], exp)
		if err != nil {
			return "", err
		}
		i += end
		m.write(&b, env, chk)
	}
	return b.String(), nil
}

func (m *macro) value(env *MacroEnv, chk *checker) string {
	switch m.letter {
	case 's':
		return env.Sender
	case 'l':
		return env.Local
	case 'o':
		return env.Domain
	case 'd':
		return env.Current
	case 'i':
		return dottedIP(env.IP)
	case 'c':
		return env.IP.String()
	case 'v':
		if env.IP.Is4() {
			return "in-addr"
		}
		return "ip6"
	case 'h':
		if env.HELO == "" {
			return "unknown"
		}
		return env.HELO
	case 'r':
		if env.Receiver == "" {
			return "unknown"
		}
		return env.Receiver
	case 't':
		return strconv.FormatInt(env.Time, 10)
	case 'p':
		if chk != nil {
			return chk.macroPTR()
		}
		if env.PTR == nil {
			return "unknown"
		}
		return env.PTR()
	}
	return ""
}

func isDelim(c byte, delims string) bool {
	if delims == "" {
		return c == '.'
	}
	return strings.IndexByte(delims, c) >= 0
}

func (m *macro) write(b *strings.Builder, env *MacroEnv, chk *checker) {
	v := m.value(env, chk)
	if m.digits == 0 && !m.reverse && (m.delims == "" || m.delims == ".") {
		writeEscaped(b, v, m.upper)
		return
	}
	// Split into parts on the delimiters; at most a few dozen parts.
	var buf [32]string
	parts := buf[:0]
	st := 0
	for k := 0; k < len(v); k++ {
		if isDelim(v[k], m.delims) {
			parts = append(parts, v[st:k])
			st = k + 1
		}
	}
	parts = append(parts, v[st:])
	if m.reverse {
		for a, z := 0, len(parts)-1; a < z; a, z = a+1, z-1 {
			parts[a], parts[z] = parts[z], parts[a]
		}
	}
	if m.digits > 0 && m.digits < len(parts) {
		parts = parts[len(parts)-m.digits:]
	}
	for k, p := range parts {
		if k > 0 {
			b.WriteByte('.')
		}
		writeEscaped(b, p, m.upper)
	}
}

func writeEscaped(b *strings.Builder, v string, upper bool) {
	if !upper {
		b.WriteString(v)
		return
	}
	const hex = "0123456789ABCDEF"
	for k := 0; k < len(v); k++ {
		c := v[k]
		if isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
}

// dottedIP returns the %{i} form: dotted quad, or dot-separated nibbles.
func dottedIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	// Upper-case nibbles, as the reference implementation (pyspf) and the
	// RFC 7208 suite's expected explanations have them; DNS is
	// case-insensitive.
	const hex = "0123456789ABCDEF"
	a := ip.As16()
	var out [63]byte
	for k := 0; k < 16; k++ {
		out[k*4] = hex[a[k]>>4]
		out[k*4+1] = '.'
		out[k*4+2] = hex[a[k]&0xf]
		if k < 15 {
			out[k*4+3] = '.'
		}
	}
	return string(out[:])
}

// truncateDomain drops left labels until the name fits in 253 octets
// (RFC 7208 section 7.3), and removes one trailing dot.
func truncateDomain(d string) string {
	d = strings.TrimSuffix(d, ".")
	for len(d) > 253 {
		k := strings.IndexByte(d, '.')
		if k < 0 {
			return d[len(d)-253:]
		}
		d = d[k+1:]
	}
	return d
}
