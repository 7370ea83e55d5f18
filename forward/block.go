package forward

import (
	"strings"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

const (
	maxBlockLines = 60   // lines in one forward header block
	maxRunBytes   = 4096 // one-line header run (Yahoo)
	maxLabelLine  = 8192 // longer lines are never header lines
	maxRunColons  = 64   // colons looked at in one run
)

// fields is a parsed forward header block.
type fields struct {
	from           deskmail.Address
	to, cc         []deskmail.Address
	subject        string
	date           string
	haveFrom       bool // From with an address
	haveDate       bool
	haveSubject    bool
	haveTo         bool
	otherFields    int     // fields other than From
	langs          langSet // languages every label of the block belongs to
	fromNameNoAddr string  // a From that showed a name only
	rawMail        bool    // fields only a real mail header has (Received, Message-ID …)
}

// shape reports whether the block has the shape of a forwarded header
// whatever the subject says: a From address, a date, and a subject or a
// recipient.
func (f *fields) shape() bool {
	return f.haveFrom && f.haveDate && (f.haveSubject || f.haveTo)
}

// addLangs narrows the block's languages to those of one more label.
func (f *fields) addLangs(l langSet) {
	if f.langs.none() {
		f.langs = l
	} else if !f.langs.and(l).none() {
		f.langs = f.langs.and(l)
	}
}

// set stores one header field's value and reports whether it gave the block
// its sender (a From with a parsable address).
func (f *fields) set(fd field, val string) bool {
	switch fd {
	case fieldFrom:
		if list := parseList(val); len(list) > 0 {
			f.from = list[0]
			f.haveFrom = true
			return true
		}
		if strings.TrimSpace(val) != "" && !strings.Contains(val, "@") {
			f.fromNameNoAddr = unquoteName(strings.TrimSpace(val))
		}
	case fieldTo:
		f.to = parseList(val)
		f.haveTo = true
		f.otherFields++
	case fieldCc:
		f.cc = parseList(val)
		f.otherFields++
	case fieldSubject:
		if strings.Contains(val, "=?") {
			val = decodeHeader(val)
		}
		f.subject = val
		f.haveSubject = true
		f.otherFields++
	case fieldDate:
		f.date = val
		f.haveDate = true
		f.otherFields++
	}
	return false
}

// splitLabel splits "Label: value" when Label is a known header label, or,
// when raw is set, any RFC 5322 field name (for a forwarded mail pasted
// with its whole header).
func splitLabel(t string, raw bool) (label, string, bool) {
	if len(t) > maxLabelLine {
		return label{}, "", false
	}
	head := t
	if n := 4*vocab.maxLabelRunes + 8; len(head) > n {
		head = head[:n]
	}
	c := strings.IndexAny(head, ":：")
	if c <= 0 {
		return label{}, "", false
	}
	_, size := utf8.DecodeRuneInString(t[c:])
	val := strings.TrimSpace(strings.TrimLeft(t[c+size:], "*_ \t"))
	// "*From:* x" and "**From:** x", as plain-text renderings of bold labels
	l, ok := lookupLabel(head[:c])
	if !ok {
		if mailOnlyField(head[:c]) || (raw && isFieldName(head[:c])) {
			return label{f: fieldNone, raw: mailOnlyField(head[:c])}, val, true
		}
		return label{}, "", false
	}
	return l, val, true
}

// mailOnlyField reports a field that a mail's own header carries and a
// forward's summary block never shows.
func mailOnlyField(name string) bool {
	switch strings.ToLower(name) {
	case "received", "return-path", "message-id", "mime-version", "dkim-signature", "delivered-to",
		"content-type", "content-transfer-encoding", "x-mailer", "x-originating-ip", "authentication-results", "arc-seal":
		return true
	}
	return false
}

// isFieldName reports an RFC 5322 field name that a raw header shows and
// a prose line does not: ASCII letters, digits and hyphens, with a hyphen
// or one of the few single-word fields.
func isFieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	hyphen := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			hyphen = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	if hyphen {
		return true
	}
	switch strings.ToLower(s) {
	case "received", "references", "sender", "precedence", "organization", "comments", "keywords", "importance", "priority":
		return true
	}
	return false
}

// parseBlock parses the header block that begins at lines[start]. It needs
// a From with an address; end is the first line after the block.
//
// Beside "Label: value" lines it reads what clients and HTML renderings
// make of them: a label alone on its line with the value on the next, a
// From name with the address on the next line, indented continuation lines
// of an address list, and, in a pasted raw header, any field name with
// folded continuation lines.
func parseBlock(lines []line, start int) (fields, int, bool) {
	if t := lines[start].text; len(t) > 40 && strings.Contains(t, "@") && strings.Count(t, ":")+strings.Count(t, "：") >= 2 && startsWithLabel(t) {
		// The whole block on one line ("From: A <a@x> Sent: Monday To: …"):
		// read it as a run, so that no label lands in the sender's name.
		if f, ok := parseRun(t); ok && f.otherFields > 0 {
			return f, start + 1, true
		}
	}
	var f fields
	var seen uint32
	last := fieldNone
	depth := -1
	raw := false
	gaps := 0
	k := start
	for ; k < len(lines) && k < start+maxBlockLines; k++ {
		ln := lines[k]
		if ln.text == "" {
			// One blank line inside the block, as renderings that put each
			// field in a paragraph leave, when a field not seen yet follows.
			if gaps == 0 && k > start && !raw && !f.shape() && k+1 < len(lines) {
				if l, _, ok := splitLabel(lines[k+1].text, false); ok && l.f != fieldNone && seen&(1<<l.f) == 0 {
					gaps++
					continue
				}
			}
			break
		}
		if depth < 0 {
			depth = ln.depth
		} else if ln.depth != depth {
			break
		}
		l, val, ok := splitLabel(ln.text, raw || k == start)
		if ok && (l.raw || (l.langs.none() && k == start)) {
			raw = true // a raw header: field names we do not translate, folded lines
		}
		if !ok {
			if k == start {
				break
			}
			cont := ln.continued()
			switch {
			case raw && cont:
				// folded field of a raw header
				if last == fieldTo || last == fieldCc {
					f.appendList(last, ln.text)
				}
				continue
			case (last == fieldTo || last == fieldCc) && strings.Contains(ln.text, "@") && cont:
				// a folded address list
				f.appendList(last, ln.text)
				continue
			case last == fieldFrom && !f.haveFrom && strings.Contains(ln.text, "@") && len(ln.text) < 400:
				// "From: John Doe" with "<john@x>" on the next line
				name := f.fromNameNoAddr
				if list := parseList(name + " " + ln.text); len(list) > 0 {
					f.from = list[0]
					if !strings.ContainsAny(ln.text, "<([") || list[0].Name == "" || strings.HasPrefix(ln.text, "<") || strings.HasPrefix(ln.text, "[") {
						// the next line is the address alone: the name is the whole From value
						if a, err := deskmail.NewAddress(name, list[0].Addr()); err == nil && name != "" {
							f.from = a
						}
					}
					f.haveFrom = true
					continue
				}
			}
			break
		}
		if val == "" && k+1 < len(lines) && lines[k+1].text != "" && lines[k+1].depth == depth && l.f != fieldNone {
			// the label alone on its line, the value on the next
			if _, _, next := splitLabel(lines[k+1].text, raw); !next {
				val = lines[k+1].text
				k++
			}
		}
		fd := l.f
		if fd != fieldNone && seen&(1<<fd) != 0 {
			break // a second From: the next block begins
		}
		seen |= 1 << fd
		last = fd
		if !l.langs.none() {
			f.addLangs(l.langs)
		}
		if l.raw {
			f.rawMail = true
		}
		f.set(fd, val)
	}
	if k == start || !f.haveFrom {
		return fields{}, 0, false
	}
	return f, k, true
}

// startsWithLabel reports a line that begins with a known label.
func startsWithLabel(t string) bool {
	_, _, ok := splitLabel(t, false)
	return ok
}

func (f *fields) appendList(fd field, s string) {
	list := parseList(s)
	if fd == fieldTo {
		f.to = append(f.to, list...)
	} else {
		f.cc = append(f.cc, list...)
	}
}

// parseRun parses a header block written on one line, as Yahoo does:
// "From: John <j@x>To: b@x; c@xSent: Tuesday, …Subject: Hello", or as an
// HTML rendering that lost the line breaks does, with spaces between.
func parseRun(s string) (fields, bool) {
	if len(s) > maxRunBytes {
		s = s[:maxRunBytes]
	}
	type hit struct {
		start, val int
		l          label
	}
	var hits []hit
	prevEnd := 0
	starts := make([]int, 0, vocab.maxLabelRunes)
	colons := 0
	for i := 0; i < len(s) && colons < maxRunColons; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != ':' && r != '：' {
			i += size
			continue
		}
		colons++
		e := i
		for e > prevEnd && s[e-1] == ' ' {
			e--
		}
		// candidate starts: up to maxLabelRunes runes back from e
		starts = starts[:0]
		for p, n := e, 0; p > prevEnd && n < vocab.maxLabelRunes; n++ {
			_, sz := utf8.DecodeLastRuneInString(s[prevEnd:p])
			p -= sz
			starts = append(starts, p)
		}
		for k := len(starts) - 1; k >= 0; k-- {
			if l, ok := vocab.labels[foldLabel(s[starts[k]:e])]; ok {
				hits = append(hits, hit{start: starts[k], val: i + size, l: l})
				prevEnd = i + size
				break
			}
		}
		i += size
	}
	if len(hits) < 2 || strings.TrimSpace(s[:hits[0].start]) != "" {
		return fields{}, false
	}
	var f fields
	for n, h := range hits {
		end := len(s)
		if n+1 < len(hits) {
			end = hits[n+1].start
		}
		val := strings.TrimSpace(s[h.val:end])
		if h.l.f != fieldFrom || !f.haveFrom {
			f.addLangs(h.l.langs)
			f.set(h.l.f, val)
		}
	}
	return f, f.haveFrom
}
