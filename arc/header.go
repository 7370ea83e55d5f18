package arc

import (
	"bytes"
	"fmt"
	"strings"
)

// header is a message's header section as raw fields, each with its
// folding and a final CRLF (bare LF line ends are read as CRLF).
type header []string

// splitMessage splits msg into its header fields and its body. The header
// section must end with an empty line, or the message must end after the
// last field; it may be at most MaxHeaderBytes long and hold at most
// MaxFields fields.
func splitMessage(msg []byte) (header, []byte, error) {
	var h header
	n := 0
	for len(msg) > 0 {
		line := msg
		i := bytes.IndexByte(msg, '\n')
		if i >= 0 {
			line, msg = msg[:i+1], msg[i+1:]
		} else {
			msg = nil
		}
		n += len(line)
		if n > MaxHeaderBytes {
			return nil, nil, fmt.Errorf("%w: header section over %d bytes", ErrTooLarge, MaxHeaderBytes)
		}
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if text == "" {
			return h, msg, nil
		}
		if len(h) > 0 && (text[0] == ' ' || text[0] == '\t') {
			h[len(h)-1] += text + "\r\n"
			continue
		}
		if len(h) == MaxFields {
			return nil, nil, fmt.Errorf("%w: more than %d header fields", ErrTooLarge, MaxFields)
		}
		h = append(h, text+"\r\n")
	}
	return h, nil, nil
}

// fieldName returns the name of a raw field, without surrounding blanks.
func fieldName(field string) string {
	name, _, _ := strings.Cut(field, ":")
	return strings.TrimSpace(name)
}

// fieldValue returns the value of a raw field, unfolded is not applied.
func fieldValue(field string) string {
	_, v, _ := strings.Cut(field, ":")
	return v
}

// picker hands out the instances of each header field from the bottom up,
// as RFC 6376 section 5.4.2 signs repeated fields.
type picker struct {
	h    header
	used map[string]int
}

func newPicker(h header) *picker { return &picker{h: h, used: map[string]int{}} }

// pick returns the next unused instance of name from the bottom, or "".
func (p *picker) pick(name string) string {
	key := strings.ToLower(name)
	skip := p.used[key]
	for i := len(p.h) - 1; i >= 0; i-- {
		if strings.EqualFold(fieldName(p.h[i]), name) {
			if skip == 0 {
				p.used[key]++
				return p.h[i]
			}
			skip--
		}
	}
	return ""
}
