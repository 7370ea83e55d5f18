package dkim

import (
	"bytes"
	"strings"

	"github.com/deskmail/deskmail"
)

// field is one header field: its name and its raw value (after the colon,
// folding kept).
type field struct {
	name  string
	value string
}

// headerFields splits the header section of msg into fields. It accepts
// CRLF and bare LF line ends.
func headerFields(msg []byte) []field {
	var out []field
	for len(msg) > 0 {
		line, rest := cutLine(msg)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
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
		out = append(out, field{name: string(bytes.TrimRight(name, " \t")), value: string(value)})
	}
	return out
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

func unfoldValue(v string) string {
	v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	return strings.TrimSpace(v)
}

// FromDomain returns the lower-case domain of the (first) address in the
// From header of msg, or "" when there is none.
func FromDomain(msg []byte) string {
	for _, f := range headerFields(msg) {
		if strings.EqualFold(f.name, "From") {
			addrs, err := deskmail.ParseAddressList(unfoldValue(f.value))
			if err != nil || len(addrs) == 0 {
				return ""
			}
			return strings.ToLower(addrs[0].Domain)
		}
	}
	return ""
}
