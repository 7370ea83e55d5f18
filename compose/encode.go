package compose

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

// formatAddr writes a mailbox for a header. Without SMTPUTF8 the display
// name is RFC 2047 encoded when needed and the local part must be ASCII;
// with it, the name is raw UTF-8 (RFC 6532), quoted when it holds specials.
func formatAddr(a deskmail.Address, u8 bool) (string, error) {
	if !isASCII(a.Local) && !u8 {
		return "", fmt.Errorf("%w: %s", ErrNeedsSMTPUTF8, deskmail.Sanitize(a.Addr()))
	}
	switch {
	case a.Name == "":
		return a.Addr(), nil
	case hasControl(a.Name) || (!u8 && !isASCII(a.Name)) || strings.Contains(a.Name, "=?") || longestRun(a.Name) > maxRun:
		// A name that reads as an encoded word is encoded too, or a
		// reader would decode it into something else.
		return encodeWords(a.Name, true) + " <" + a.Addr() + ">", nil
	case u8:
		return quoteName(a.Name) + " <" + a.Addr() + ">", nil
	}
	return deskmail.FormatName(a.Name) + " <" + a.Addr() + ">", nil
}

func formatList(as []deskmail.Address, u8 bool) (string, error) {
	parts := make([]string, len(as))
	for i, a := range as {
		v, err := formatAddr(a, u8)
		if err != nil {
			return "", err
		}
		parts[i] = v
	}
	return strings.Join(parts, ", "), nil
}

// quoteName returns a UTF-8 display name as an RFC 6532 phrase: as is when
// it is atoms (UTF-8 counts as atext), else a quoted string.
func quoteName(name string) string {
	plain := !strings.HasPrefix(name, " ") && !strings.HasSuffix(name, " ") && !strings.Contains(name, "  ")
	for _, r := range name {
		if r >= utf8.RuneSelf || r == ' ' || isAtext(r) {
			continue
		}
		plain = false
		break
	}
	if plain {
		return name
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range name {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// encodeText encodes an unstructured header value (Subject). Without
// SMTPUTF8, non-ASCII text, control characters and text that would read
// as an encoded word become RFC 2047 words; with SMTPUTF8, UTF-8 stays
// raw (RFC 6532).
func encodeText(s string, u8 bool) string {
	if (u8 || isASCII(s)) && !hasControl(s) && !strings.Contains(s, "=?") && longestRun(s) <= maxRun {
		return s
	}
	return encodeWords(s, false)
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
