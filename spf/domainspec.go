package spf

import (
	"fmt"
	"strings"
)

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
