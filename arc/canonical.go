package arc

import (
	"bytes"
	"strings"
)

// Relaxed and simple canonicalization (RFC 6376 section 3.4), as the
// ARC-Message-Signature uses it and, relaxed only, the ARC-Seal. go-msgauth
// keeps its canonicalizers unexported, so they are written out here.

// relaxedHeader canonicalizes one raw header field (name, colon, value,
// folding and the final CRLF included): the name lower-cased, the value
// unfolded, runs of whitespace turned into one space, whitespace at both
// ends of the value and around the colon removed, and CRLF at the end.
func relaxedHeader(field string) string {
	name, value, ok := strings.Cut(field, ":")
	if !ok {
		return strings.ToLower(strings.TrimSpace(field)) + ":\r\n"
	}
	var b strings.Builder
	b.Grow(len(field))
	b.WriteString(strings.ToLower(strings.TrimRight(name, " \t")))
	b.WriteByte(':')
	space := false
	wrote := false
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			space = true
			continue
		}
		if space && wrote {
			b.WriteByte(' ')
		}
		space = false
		wrote = true
		b.WriteByte(c)
	}
	b.WriteString("\r\n")
	return b.String()
}

// canonHeader canonicalizes a raw header field with the named algorithm;
// simple keeps it as it is.
func canonHeader(field string, relaxed bool) string {
	if relaxed {
		return relaxedHeader(field)
	}
	return field
}

// canonBody canonicalizes a body (CRLF or bare LF line ends; bare LF is
// read as CRLF): relaxed removes trailing whitespace of each line and
// turns runs of whitespace into one space; both drop empty lines at the
// end. Simple ends a non-empty body (and an empty one) with one CRLF;
// relaxed leaves an empty body empty.
func canonBody(body []byte, relaxed bool) []byte {
	out := make([]byte, 0, len(body)+2)
	pendingEmpty := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if relaxed {
			line = relaxedLine(line)
		}
		if len(line) == 0 {
			pendingEmpty++
			continue
		}
		for ; pendingEmpty > 0; pendingEmpty-- {
			out = append(out, '\r', '\n')
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
	}
	if len(out) == 0 && !relaxed {
		return []byte("\r\n")
	}
	return out
}

func relaxedLine(line []byte) []byte {
	out := make([]byte, 0, len(line))
	space := false
	for _, c := range line {
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return out
}

// stripB returns a signature field with the value of its b= tag removed
// ("b=" kept), as the signature is computed over it (RFC 6376 section
// 3.7). Only a tag named exactly b counts, not bh=.
func stripB(field string) string {
	colon := strings.IndexByte(field, ':')
	if colon < 0 {
		return field
	}
	head, rest := field[:colon+1], field[colon+1:]
	var b strings.Builder
	b.WriteString(head)
	for {
		semi := strings.IndexByte(rest, ';')
		part := rest
		if semi >= 0 {
			part = rest[:semi]
		}
		if name, _, ok := strings.Cut(part, "="); ok && strings.Trim(name, " \t\r\n") == "b" {
			eq := strings.IndexByte(part, '=')
			b.WriteString(part[:eq+1])
		} else {
			b.WriteString(part)
		}
		if semi < 0 {
			break
		}
		b.WriteByte(';')
		rest = rest[semi+1:]
	}
	return b.String()
}
