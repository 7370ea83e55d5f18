package forward

import (
	"strings"

	"github.com/deskmail/deskmail"
)

// maxListEntries caps the addresses taken from one To or Cc line.
const maxListEntries = 100

// parseList parses an address list as mail clients print it above a
// forward, which is looser than RFC 5322: entries separated by ";" or ",",
// unquoted display names with commas ("Doe, John <j@x>"), Outlook's
// "j@x <j@x>" and "[mailto:j@x]", and Exchange's "j@x<mailto:j@x>". An entry
// without an address (a bare name) is skipped: the package never guesses an
// address.
func parseList(s string) []deskmail.Address {
	s = cleanMailto(s)
	var out []deskmail.Address
	var pending strings.Builder
	flush := func(seg string) {
		if pending.Len() > 0 {
			seg = pending.String() + "," + seg
			pending.Reset()
		}
		if a, ok := parseEntry(seg); ok {
			out = append(out, a)
		}
	}
	depth, quoted := 0, false
	start := 0
	for i := 0; i < len(s) && len(out) < maxListEntries; i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			if depth > 0 {
				depth--
			}
		case (c == ',' || c == ';') && depth == 0:
			seg := s[start:i]
			start = i + 1
			if !strings.Contains(seg, "@") {
				// "Doe, John <j@x>": a name cut at its comma
				if strings.TrimSpace(seg) != "" && c == ',' {
					if pending.Len() > 0 {
						pending.WriteByte(',') // "Doe, John, Jr. <j@x>"
					}
					pending.WriteString(seg)
				}
				continue
			}
			flush(seg)
		}
	}
	if start < len(s) && len(out) < maxListEntries {
		flush(s[start:])
	}
	return out
}

// cleanMailto rewrites the mailto forms Outlook and Exchange print, in one
// pass: "j@x<mailto:j@x>" (the address twice) becomes "j@x", "Name
// <mailto:j@x>" becomes "Name <j@x>", and "Name [mailto:j@x]" becomes
// "Name <j@x>".
func cleanMailto(s string) string {
	if !strings.Contains(s, "mailto:") && !strings.Contains(s, "MAILTO:") && !strings.Contains(s, "Mailto:") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if (c == '<' || c == '[') && len(s)-i > len("<mailto:") && strings.EqualFold(s[i+1:i+len("<mailto:")], "mailto:") {
			end := byte('>')
			if c == '[' {
				end = ']'
			}
			if j := strings.IndexByte(s[i:], end); j > 0 {
				addr := s[i+len("<mailto:") : i+j]
				out := b.String()
				if c == '<' && addr != "" && len(out) >= len(addr) && strings.EqualFold(out[len(out)-len(addr):], addr) {
					// the address is written right before: drop the copy
				} else {
					b.WriteByte('<')
					b.WriteString(addr)
					b.WriteByte('>')
				}
				i += j + 1
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// parseEntry parses one "Name <addr>" or "addr" entry.
func parseEntry(seg string) (deskmail.Address, bool) {
	seg = strings.TrimSpace(seg)
	if seg == "" {
		return deskmail.Address{}, false
	}
	var name, addr string
	if lt := strings.LastIndexByte(seg, '<'); lt >= 0 {
		gt := strings.IndexByte(seg[lt:], '>')
		if gt < 0 {
			return deskmail.Address{}, false
		}
		addr = seg[lt+1 : lt+gt]
		name = unquoteName(strings.TrimSpace(delegate(seg[:lt])))
	} else {
		f := strings.Fields(seg)
		if len(f) == 0 {
			return deskmail.Address{}, false
		}
		// "j@x (John Doe)", a bare address, or "John Doe j@x" (a rendering
		// that lost the angle brackets)
		addr = f[0]
		if len(f) > 1 {
			rest := strings.TrimSpace(strings.TrimPrefix(seg, f[0]))
			last := f[len(f)-1]
			switch {
			case strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")"):
				name = strings.TrimSpace(rest[1 : len(rest)-1])
			case strings.Contains(last, "@") && !strings.Contains(strings.Join(f[:len(f)-1], " "), "@") && len(f) <= 6:
				addr = last
				name = unquoteName(strings.TrimSpace(strings.TrimSuffix(seg, last)))
			default:
				return deskmail.Address{}, false
			}
		}
	}
	addr = strings.Trim(strings.TrimSpace(addr), "'\"")
	if !strings.Contains(addr, "@") {
		return deskmail.Address{}, false
	}
	if strings.Contains(name, "=?") {
		// a forward that shows the original header undecoded; what the
		// words decode to may hold line breaks or other controls, which
		// a display name cannot carry: they become spaces
		name = strings.Join(strings.Fields(strings.Map(noControl, unquoteName(decodeHeader(name)))), " ")
	}
	if strings.EqualFold(name, addr) {
		name = ""
	}
	a, err := deskmail.NewAddress(name, addr)
	if err != nil || a.Local == "" || a.Domain == "" {
		return deskmail.Address{}, false
	}
	return a, true
}

// unquoteName removes the quotes around a display name.
func unquoteName(n string) string {
	for _, q := range [][2]string{{`"`, `"`}, {"'", "'"}, {"«", "»"}, {"“", "”"}, {"„", "“"}} {
		if len(n) >= len(q[0])+len(q[1]) && strings.HasPrefix(n, q[0]) && strings.HasSuffix(n, q[1]) {
			n = strings.TrimSpace(n[len(q[0]) : len(n)-len(q[1])])
			break
		}
	}
	return strings.ReplaceAll(n, `\"`, `"`)
}

// noControl maps C0 and C1 control characters and DEL to a space.
func noControl(r rune) rune {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return ' '
	}
	return r
}

// delegate cuts the name before the last address of an entry down to the
// mailbox owner's: Outlook shows a delegate's mail as "Assistant
// <a@x> on behalf of Boss <b@x>" (the From header is the owner's), in the
// language of its other labels ("im Auftrag von", "de la part de" …).
func delegate(name string) string {
	gt := strings.LastIndexByte(name, '>')
	if gt < 0 || !strings.Contains(name[:gt], "@") {
		return name
	}
	rest := strings.Fields(name[gt+1:])
	for n := min(len(rest), 5); n > 0; n-- {
		if l, ok := lookupLabel(strings.Join(rest[:n], " ")); ok && l.f == fieldNone {
			return strings.Join(rest[n:], " ")
		}
	}
	return strings.Join(rest, " ")
}
