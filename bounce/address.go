package bounce

import (
	"strconv"
	"strings"
)

// recipientInLine returns the address a report line names as a recipient,
// or "".
func recipientInLine(line string) string {
	t := strings.TrimSpace(line)
	if len(t) < 3 || strings.IndexByte(t, '@') < 0 {
		return ""
	}
	t = trimListMarker(t)
	lt := strings.ToLower(t)
	// "RCPT TO:<addr>" in an SMTP transcript.
	if i := strings.Index(lt, "rcpt to:"); i >= 0 {
		if a := addrAt(lt[i+8:]); a != "" {
			return a
		}
	}
	// "<addr>:", "<addr>... User unknown", "addr on DATE", "addr [reason]".
	if lt[0] == '<' || isAddrChar(lt[0]) {
		if a := addrAt(lt); a != "" {
			return a
		}
	}
	// "550 5.1.1 <addr>... User unknown" (sendmail).
	if i := strings.Index(lt, ">..."); i > 0 {
		if j := strings.LastIndexByte(lt[:i], '<'); j >= 0 {
			if a := cleanAddr(lt[j+1 : i]); a != "" {
				return a
			}
		}
	}
	// An X.400 originator/recipient address (old Exchange, X.400
	// gateways): "c=US;a= ;p=Org;o=Site;dda:SMTP=addr;".
	for _, k := range []string{"smtp=", "rfc-822="} {
		if i := strings.Index(lt, k); i >= 0 && strings.Contains(lt[:i], ";") {
			if a := addrAt(lt[i+len(k):]); a != "" {
				return a
			}
		}
	}
	for _, pre := range []string{"original-recipient:", "final-recipient:", "recipient address:", "recipient:", "address:", "failed recipient:", "error-for:", "failed address:",
		"empfänger:", "empfaenger:", "destinataire :", "destinataire:", "destinatario:", "destinatário:", "受信者:", "宛先:", "получатель:", "адресат:", "收件人:"} {
		if strings.HasPrefix(lt, pre) {
			return addrAt(strings.TrimSpace(stripType(strings.TrimSpace(lt[len(pre):]))))
		}
	}
	return ""
}

// trimListMarker removes what sets an address off as an item of a list:
// a bullet ("*", "-", "--", "•", "·", "o"), an item number ("1.", "2)")
// and quotes around the whole address.
func trimListMarker(t string) string {
	for _, m := range []string{"--", "*", "-", "•", "·", "+", "o "} {
		if strings.HasPrefix(t, m) && len(t) > len(m) && (t[len(m)] == ' ' || t[len(m)] == '\t') {
			t = strings.TrimSpace(t[len(m):])
			break
		}
	}
	if i := strings.IndexAny(t, ".)"); i > 0 && i <= 3 && i+1 < len(t) && t[i+1] == ' ' {
		if _, err := strconv.Atoi(t[:i]); err == nil {
			t = strings.TrimSpace(t[i+1:])
		}
	}
	if len(t) > 2 && (t[0] == '"' || t[0] == '\'') {
		// "addr" alone on a line, not a quoted local part ("a b"@x).
		if j := strings.IndexByte(t[1:], t[0]); j > 0 && strings.IndexByte(t[1:1+j], '@') > 0 && (1+j+1 == len(t) || t[1+j+1] != '@') {
			t = t[1:1+j] + t[1+j+1:]
		}
	}
	return t
}

// restoreCase returns the address a (lower case) as it is written in line,
// or a when it is not found there.
func restoreCase(line, a string) string {
	for i := 0; i+len(a) <= len(line); i++ {
		if strings.EqualFold(line[i:i+len(a)], a) {
			return line[i : i+len(a)]
		}
	}
	return a
}

// addrAt returns the address at the start of s (after an optional '<'), or
// "" when s does not start with one.
func addrAt(s string) string {
	s = strings.TrimLeft(s, " \t'")
	angle := strings.HasPrefix(s, "<")
	if angle {
		s = s[1:]
	}
	end := 0
	if strings.HasPrefix(s, `"`) {
		// A quoted local part ("john..doe"@x, "a b"@x) is kept exactly.
		q := quotedEnd(s)
		if q < 0 || q+1 >= len(s) || s[q+1] != '@' {
			s = strings.TrimLeft(s, `"`)
		} else {
			end = q + 2
		}
	}
	for end < len(s) && isAddrChar(s[end]) {
		end++
	}
	a := cleanAddr(s[:end])
	if a == "" {
		return ""
	}
	if angle {
		if end >= len(s) || s[end] != '>' {
			return ""
		}
	}
	return a
}

func isAddrChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("@.-_+=!#$%&'*/?^`{|}~", c) >= 0
}

// cleanAddr returns s as a lower-case bare address when it looks like one.
func cleanAddr(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, `"@`); i > 0 {
		if j := strings.IndexByte(s, '"'); j < i {
			return cleanQuoted(s[j:i+1], s[i+2:])
		}
	}
	s = strings.Trim(s, "<>\"'().,;:[] \t")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return ""
	}
	dom := s[at+1:]
	if strings.IndexByte(dom, '.') < 0 || strings.HasPrefix(dom, ".") || strings.HasSuffix(dom, ".") {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' {
			return ""
		}
	}
	return strings.ToLower(s)
}

// splitAddrs returns the bare addresses in a header value.
func splitAddrs(v string) []string {
	var out []string
	for len(v) > 0 {
		i := strings.IndexByte(v, '@')
		if i < 0 {
			break
		}
		start := i
		if start > 0 && v[start-1] == '"' {
			if j := strings.LastIndexByte(v[:start-1], '"'); j >= 0 {
				start = j
			}
		}
		for start > 0 && isAddrChar(v[start-1]) && v[start] != '"' {
			start--
		}
		end := i + 1
		for end < len(v) && isAddrChar(v[end]) {
			end++
		}
		if a := cleanAddr(v[start:end]); a != "" {
			out = appendUnique(out, a)
		}
		v = v[end:]
	}
	return out
}

// textRecipients returns the addresses the prose names as recipients, for
// delivery-status fields that hold no address.
func (p *parser) textRecipients() []string {
	exclude := map[string]bool{}
	for _, a := range splitAddrs(p.rep.From) {
		exclude[a] = true
	}
	for _, a := range splitAddrs(p.rep.To) {
		exclude[a] = true
	}
	var out []string
	for _, line := range strings.Split(p.reportText(), "\n") {
		if a := recipientInLine(line); a != "" && !exclude[a] {
			out = appendUnique(out, a)
		}
	}
	return out
}

// recipientOnly reports whether a line holds nothing but the address, as
// "<addr>:" or "addr:": a recipient even when it equals the report's To.
func recipientOnly(line, addr string) bool {
	t := strings.ToLower(strings.TrimSpace(line))
	t = strings.TrimSuffix(t, ":")
	t = strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
	return t == addr && strings.HasSuffix(strings.TrimSpace(line), ":")
}

// quotedEnd returns the index of the quote closing the quoted string that
// s starts with, or -1.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		case '\n':
			return -1
		}
	}
	return -1
}

// cleanQuoted returns the address with quoted local part local (quotes
// included) and the domain at the start of rest, lower case, or "".
func cleanQuoted(local, rest string) string {
	end := 0
	for end < len(rest) && isAddrChar(rest[end]) {
		end++
	}
	dom := strings.TrimRight(rest[:end], ".")
	if len(local) < 3 || strings.IndexByte(dom, '.') <= 0 || strings.ContainsAny(dom, "@") {
		return ""
	}
	return strings.ToLower(local + "@" + dom)
}
