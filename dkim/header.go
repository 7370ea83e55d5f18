package dkim

import (
	"bytes"
	"strings"

	"github.com/deskmail/deskmail"
)

// eachField calls fn for each header field of msg with its name and raw
// value (after the colon, folding kept), until fn returns false. It
// accepts CRLF and bare LF line ends and allocates nothing itself.
func eachField(msg []byte, fn func(name, value []byte) bool) {
	for len(msg) > 0 {
		line, rest := cutLine(msg)
		if blankLine(line) {
			return
		}
		// Collect continuation lines.
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			var cont []byte
			cont, rest = cutLine(rest)
			line = line[:len(line)+len(cont)] // contiguous in msg
		}
		msg = rest
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\t') {
			name = name[:len(name)-1]
		}
		if !fn(name, value) {
			return
		}
	}
}

// blankLine reports whether line holds only CRs and LFs (the end of the
// header section).
func blankLine(line []byte) bool {
	for _, c := range line {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

var unfolder = strings.NewReplacer("\r\n", "", "\n", "")

func unfoldValue(v string) string {
	return strings.TrimSpace(unfolder.Replace(v))
}

// FromDomain returns the lower-case domain of the (first) address in the
// From header of msg, or "" when there is none.
func FromDomain(msg []byte) string {
	domain := ""
	eachField(msg, func(name, value []byte) bool {
		if !bytes.EqualFold(name, []byte("From")) {
			return true
		}
		addrs, err := deskmail.ParseAddressList(unfoldValue(string(value)))
		if err == nil && len(addrs) > 0 {
			domain = strings.ToLower(addrs[0].Domain)
		}
		return false
	})
	return domain
}

// signatureFields calls fn with the value of each DKIM-Signature field of
// msg, enumerating the header exactly as go-msgauth's verifier does (so
// its n-th result is for the n-th value): lines end at LF with one CR
// before it dropped, a line starting with a space or tab continues the
// field before it, the first empty line ends the header, and a field's
// name is what precedes its first colon, blanks trimmed — the whole line
// when it has no colon, whose value is then empty.
func signatureFields(msg []byte, fn func(value string)) {
	const name = "DKIM-Signature"
	var field []byte // the current field with its continuation lines
	flush := func() {
		if field == nil {
			return
		}
		k, v, _ := bytes.Cut(field, []byte{':'})
		if k = bytes.TrimSpace(k); len(k) == len(name) && bytes.EqualFold(k, []byte(name)) {
			fn(string(v))
		}
		field = nil
	}
	for len(msg) > 0 {
		line, rest := cutLine(msg)
		msg = rest
		text := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if len(text) == 0 {
			break
		}
		if field != nil && (text[0] == ' ' || text[0] == '\t') {
			field = field[:len(field)+len(line)] // contiguous in msg
			continue
		}
		flush()
		field = line
	}
	flush()
}
