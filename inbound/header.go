package inbound

import (
	"bytes"

	"github.com/emersion/go-message/textproto"
)

// maxFastFields bounds the fields the fast header path keeps offsets for
// on the stack; a longer header takes textproto.ReadHeader.
const maxFastFields = 128

// fastHeader parses the header of in without copying it: each field of the
// returned Header is a slice of in (textproto.Header.AddRaw), so the
// per-field line buffers of textproto.ReadHeader are not allocated. It
// gives exactly the Header ReadHeader gives, and therefore takes only the
// plain case: CRLF line ends throughout (no bare CR or LF), a first line
// that is not a continuation, every field line with a colon and a
// non-empty key of printable ASCII, at most maxFastFields fields, and an
// empty line ending the header inside in. ok is false for anything else,
// and the caller falls back to ReadHeader. off is the offset of the body.
func fastHeader(in []byte) (h textproto.Header, off int, ok bool) {
	var starts [maxFastFields + 1]int
	n := 0
	pos := 0
	for {
		i := bytes.IndexByte(in[pos:], '\n')
		if i < 1 || in[pos+i-1] != '\r' {
			return h, 0, false
		}
		line := in[pos : pos+i-1] // without CRLF
		if bytes.IndexByte(line, '\r') >= 0 {
			return h, 0, false
		}
		next := pos + i + 1
		switch {
		case len(line) == 0:
			if n == 0 {
				return h, 0, false
			}
			starts[n] = pos
			for j := n - 1; j >= 0; j-- {
				h.AddRaw(in[starts[j]:starts[j+1]])
			}
			return h, next, true
		case line[0] == ' ' || line[0] == '\t':
			if n == 0 {
				return h, 0, false
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon < 0 || n == maxFastFields {
				return h, 0, false
			}
			key := bytes.TrimRight(line[:colon], " \t")
			if len(key) == 0 {
				return h, 0, false
			}
			for _, c := range key {
				if c < 33 || c > 126 {
					return h, 0, false
				}
			}
			starts[n] = pos
			n++
		}
		pos = next
	}
}
