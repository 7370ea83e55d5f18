package deskmail

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextLen is the longest text, in bytes, that Sanitize returns before it
// cuts and appends "…".
const MaxTextLen = 256

// Sanitize makes text taken from a mail (a display name, a subject, the
// prose of a bounce, a server's reply) safe to put in a log line, an error,
// a Reason or a terminal. Control characters (C0 including CR, LF, TAB, ESC
// and NUL; DEL; C1) and the Unicode format characters that reorder or hide
// text (bidirectional overrides, zero-width characters) become Go-style
// escapes such as \n, \x1b and \u202e; invalid UTF-8 becomes \ufffd; and the
// result is cut to at most MaxTextLen bytes plus "…", on a character
// boundary. Printable text, whatever its script, passes unchanged.
//
// Every deskmail package passes mail text through Sanitize before it leaves
// the library in a reason, an error or a log attribute; a host should do the
// same with anything it prints from a mail.
func Sanitize(s string) string {
	return sanitize(s, MaxTextLen)
}

// SanitizeN is Sanitize with a length bound of max bytes (0 or less: no
// bound).
func SanitizeN(s string, max int) string {
	return sanitize(s, max)
}

func sanitize(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean && (max <= 0 || len(s) <= max) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = `\ufffd`
		case r == '\n':
			piece = `\n`
		case r == '\r':
			piece = `\r`
		case r == '\t':
			piece = `\t`
		case r < 0x20 || r == 0x7f:
			piece = `\x` + hex2(byte(r))
		case r >= 0x80 && r < 0xa0, unicode.Is(unicode.Cf, r), r == 0x2028, r == 0x2029:
			piece = `\u` + hex2(byte(r>>8)) + hex2(byte(r))
			if r > 0xffff {
				piece = `\U` + hex2(byte(r>>24)) + hex2(byte(r>>16)) + hex2(byte(r>>8)) + hex2(byte(r))
			}
		default:
			piece = s[i : i+size]
		}
		if max > 0 && b.Len()+len(piece) > max {
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
