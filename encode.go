package deskmail

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// FormatName returns a display name ready for a header: as is when it is an
// RFC 5322 atom sequence, quoted when it holds specials, and RFC 2047
// encoded (UTF-8, Q or B, whichever is shorter, in words short enough that
// "From: " and one word fit a 78-character line) when it holds non-ASCII or
// control characters, reads as an encoded word itself ("=?"), or has a run
// without white space too long for a header line.
func FormatName(name string) string {
	if needsWords(name, false) {
		return encodeWords(name, true)
	}
	return quotePhrase(name, false)
}

// FormatNameUTF8 is FormatName for a message sent to a server that
// announced SMTPUTF8 (RFC 6531): non-ASCII stays raw UTF-8 (RFC 6532) and
// counts as atom text; control characters, "=?" and over-long runs are
// still encoded.
func FormatNameUTF8(name string) string {
	if needsWords(name, true) {
		return encodeWords(name, true)
	}
	return quotePhrase(name, true)
}

// EncodeText returns an unstructured header value (a Subject) ready for a
// header: as is when it is printable ASCII (or, with smtputf8, printable
// UTF-8), else in RFC 2047 words as FormatName writes them. Text that would
// read as an encoded word is encoded too, so a reader shows what was
// written.
func EncodeText(s string, smtputf8 bool) string {
	if needsWords(s, smtputf8) {
		return encodeWords(s, false)
	}
	return s
}

// needsWords reports whether s must become encoded words.
func needsWords(s string, smtputf8 bool) bool {
	return hasControl(s) || (!smtputf8 && !isASCII(s)) || strings.Contains(s, "=?") || longestRun(s) > maxRun
}

// quotePhrase returns name as is when it is atoms (with utf8, non-ASCII
// counts as atom text), else as a quoted string.
func quotePhrase(name string, utf8ok bool) string {
	plain := !strings.HasPrefix(name, " ") && !strings.HasSuffix(name, " ") && !strings.Contains(name, "  ")
	for _, r := range name {
		if !plain {
			break
		}
		if !(r == ' ' || isAtext(r) || (utf8ok && r >= utf8.RuneSelf)) {
			plain = false
		}
	}
	if plain {
		return name
	}
	return quotedString(name)
}

// maxRun is the longest run without white space written raw: a header
// folds only at white space, so a longer run (a pasted URL, a Japanese
// subject under SMTPUTF8) would pass the 998-octet line limit; it is
// encoded in words instead.
const maxRun = 900

func longestRun(s string) int {
	n, best := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			n = 0
			continue
		}
		n++
		best = max(best, n)
	}
	return best
}

// maxWord bounds an encoded word, so that "Subject: " or "From: " plus
// one word stays within the 78-character line of RFC 5322 and every word
// within the 75 of RFC 2047.
const maxWord = 62

// encodeWords encodes s as RFC 2047 words in UTF-8, Q or B, whichever is
// shorter, each at most maxWord characters and split at rune boundaries,
// separated by spaces (where a header folds). In a phrase (a display
// name) Q leaves only letters, digits and "!*+-/" unencoded (RFC 2047
// section 5(3)).
func encodeWords(s string, phrase bool) string {
	q := qWords(s, phrase)
	b := bWords(s)
	if len(q) <= len(b) {
		return q
	}
	return b
}

func bWords(s string) string {
	const maxRaw = (maxWord - 12) / 4 * 3 // "=?utf-8?b?" + "?=" is 12
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, sz := utf8.DecodeRuneInString(s[n:])
			if n+sz > maxRaw {
				break
			}
			n += sz
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func qWords(s string, phrase bool) string {
	const hex = "0123456789ABCDEF"
	var words []string
	var w strings.Builder
	for len(s) > 0 {
		r, sz := utf8.DecodeRuneInString(s)
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && qLiteral(byte(r), phrase):
			enc = string(rune(r))
		default:
			var e strings.Builder
			for i := 0; i < sz; i++ {
				e.WriteByte('=')
				e.WriteByte(hex[s[i]>>4])
				e.WriteByte(hex[s[i]&15])
			}
			enc = e.String()
		}
		if w.Len() > 0 && w.Len()+len(enc)+2 > maxWord {
			words = append(words, w.String()+"?=")
			w.Reset()
		}
		if w.Len() == 0 {
			w.WriteString("=?utf-8?q?")
		}
		w.WriteString(enc)
		s = s[sz:]
	}
	if w.Len() > 0 {
		words = append(words, w.String()+"?=")
	}
	return strings.Join(words, " ")
}

func qLiteral(c byte, phrase bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case phrase:
		return strings.IndexByte("!*+-/", c) >= 0
	}
	return c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasControl reports C0 controls other than tab, DEL, and C1 controls.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
