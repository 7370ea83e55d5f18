package bounce

import (
	"strings"
)

// diagStatus is firstStatus, and reports whether the code follows a reply
// code.
func diagStatus(s string) (string, bool) {
	st := firstStatus(s)
	if st == "" {
		return "", false
	}
	i := strings.Index(s, st)
	j := i - 1
	for j > 0 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' || s[j] == '#') && i-j < 4 {
		j--
	}
	return st, j >= 2 && isDigit(s[j]) && isDigit(s[j-1]) && s[j-2] == st[0]
}

// firstStatus returns the RFC 3463 enhanced status code of s: the first
// one that follows a reply code ("550 5.1.1", "550-'5.2.2"), else the first
// failure code (4.x.x, 5.x.x), else the first.
func firstStatus(s string) string {
	var first, failure string
	for i := 0; i+4 < len(s); i++ {
		st, n := statusAt(s, i)
		if st == "" {
			continue
		}
		if first == "" {
			first = st
		}
		if st[0] != '2' {
			if failure == "" {
				failure = st
			}
			if j := i - 1; j >= 3 {
				for j > 0 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' || s[j] == '#') && i-j < 4 {
					j--
				}
				if j >= 2 && isDigit(s[j]) && isDigit(s[j-1]) && s[j-2] == st[0] && (j < 3 || !isDigit(s[j-3])) {
					return st
				}
			}
		}
		i = n - 1
	}
	if failure != "" {
		return failure
	}
	return first
}

// statusAt returns the enhanced status code starting at s[i] and where it
// ends, or "".
func statusAt(s string, i int) (string, int) {
	c := s[i]
	if c != '2' && c != '4' && c != '5' {
		return "", 0
	}
	if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
		return "", 0
	}
	if s[i+1] != '.' {
		return "", 0
	}
	j := i + 2
	k := j
	for k < len(s) && isDigit(s[k]) && k-j < 3 {
		k++
	}
	if k == j || k >= len(s) || s[k] != '.' {
		return "", 0
	}
	m := k + 1
	n := m
	for n < len(s) && isDigit(s[n]) && n-m < 3 {
		n++
	}
	if n == m || (n < len(s) && (isDigit(s[n]) || s[n] == '.' && n+1 < len(s) && isDigit(s[n+1]))) {
		return "", 0
	}
	return s[i:n], n
}

// replyCode returns the first SMTP reply code in s: three digits starting
// with 2, 4 or 5, standing alone or followed by '-'.
func replyCode(s string) int {
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.' || s[i-1] == '#' || isAlpha(s[i-1]) || s[i-1] == '-') {
			continue
		}
		if !isDigit(s[i+1]) || !isDigit(s[i+2]) || s[i+1] > '7' {
			continue
		}
		if i+3 < len(s) {
			n := s[i+3]
			if n != ' ' && n != '-' && n != '\t' && n != ']' && n != ')' && n != ',' {
				continue
			}
		}
		return int(c-'0')*100 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// leadingCode returns the class digit of a reply code that starts a
// transcript line ("550 ...", "<<< 421 ..."), or 0.
func leadingCode(t string) byte {
	t = strings.TrimPrefix(t, "<<< ")
	if len(t) >= 4 && (t[0] == '4' || t[0] == '5') && isDigit(t[1]) && isDigit(t[2]) && (t[3] == ' ' || t[3] == '-') {
		return t[0]
	}
	return 0
}
