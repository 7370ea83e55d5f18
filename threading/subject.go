package threading

import (
	"errors"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// maxNumber bounds a ticket number in a subject tag.
const maxNumber = 32

// subjectTag is a parsed tag format: the text before and after %s.
type subjectTag struct {
	prefix, suffix string
}

func parseSubjectTag(f string) (subjectTag, error) {
	i := strings.Index(f, "%s")
	if i <= 0 || strings.Contains(f[i+2:], "%s") || strings.ContainsAny(f, "\r\n\x00") {
		return subjectTag{}, errors.New(`threading: subject tag format needs text, then one %s, as in "[#%s]"`)
	}
	return subjectTag{prefix: f[:i], suffix: f[i+2:]}, nil
}

func (g subjectTag) format(number string) string { return g.prefix + number + g.suffix }

// add appends the tag for number to subject unless subject holds it.
func (g subjectTag) add(subject, number string) string {
	tag := g.format(number)
	if strings.Contains(subject, tag) {
		return subject
	}
	if strings.TrimSpace(subject) == "" {
		return tag
	}
	return strings.TrimRight(subject, " \t") + " " + tag
}

// find returns the ticket number of the last tag in subject, or "". A number
// is 1 to 32 letters, digits, '-' or '_'; the prefix is matched without
// regard to ASCII case.
func (g subjectTag) find(subject string) string {
	found := ""
	for s := subject; ; {
		i := indexFold(s, g.prefix)
		if i < 0 {
			return found
		}
		s = s[i+len(g.prefix):]
		n := 0
		for n < len(s) && n <= maxNumber && isNumberByte(s[n]) {
			n++
		}
		if n == 0 || n > maxNumber {
			continue
		}
		if g.suffix != "" && !strings.HasPrefix(s[n:], g.suffix) {
			continue
		}
		if g.suffix == "" && n < len(s) && isNumberByte(s[n]) {
			continue
		}
		found = s[:n]
	}
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// indexFold is strings.Index ignoring case. Candidates are filtered on the
// needle's first byte when it is ASCII, so scanning a long body for an
// ASCII marker stays cheap.
func indexFold(s, needle string) int {
	if i := strings.Index(s, needle); i >= 0 {
		return i
	}
	if needle == "" || strings.ToLower(needle) == strings.ToUpper(needle) {
		return -1
	}
	first := needle[0]
	ascii := first < utf8.RuneSelf
	lo, up := first|0x20, first&^0x20
	for i := 0; i+len(needle) <= len(s); i++ {
		if ascii {
			c := s[i]
			if c != first && !(lo >= 'a' && lo <= 'z' && (c == lo || c == up)) {
				continue
			}
		}
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// SubjectTag returns the subject tag for number in the configured format:
// "[#123]" by default.
func (t *Threader) SubjectTag(number string) string { return t.tag.format(number) }

// SubjectNumber returns the ticket number in subject's tag (the last one if
// there are several), or "" without a tag. The subject is decoded from
// RFC 2047 first.
func (t *Threader) SubjectNumber(subject string) string {
	return t.tag.find(decodeSubject(subject))
}

// wordDecoder decodes RFC 2047 words in every charset go-message knows,
// ISO-2022-JP, Shift_JIS, GB18030 and Big5 among them.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// maxSubject bounds the subject text BaseSubject works on.
const maxSubject = 16 << 10

// DecodeSubject returns a Subject header value as text: RFC 2047 words
// decoded in any charset go-message knows, invalid UTF-8 replaced by
// U+FFFD, and at most 16 KiB of input read.
func DecodeSubject(s string) string { return decodeSubject(s) }

func decodeSubject(s string) string {
	if len(s) > maxSubject {
		s = s[:maxSubject]
	}
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// BaseSubject returns the base subject of a Subject header value, as
// RFC 5256 §2.1 defines it for threading and sorting, extended with the
// reply and forward prefixes of localized mail clients:
//
//   - RFC 2047 encoded words are decoded (any charset go-message knows);
//     tabs, CR, LF and runs of white space become one space;
//   - trailing "(fwd)" is removed;
//   - leading prefixes are removed, repeatedly: "Re:", "Fw:", "Fwd:", the
//     localized ones (AW, SV, VS, WG, TR, RV, Antw, Odp, PD, R, RIF, I, RES,
//     ENC, YNT, İLT, VL, VB, Doorst, ΑΠ, ΣΧΕΤ, ПРВ, 回复, 答复, 回覆, 转发,
//     轉寄, 転送, 返信, 회신, 전달…), in any case, with an optional counter
//     ("Re[2]:", "Re^2:", "Re(2):"), a colon or a full-width colon, and the
//     [blob] tags RFC 5256 removes ("[list] Re: x" → "x");
//   - "[fwd: …]" wrappers are removed.
//
// The result keeps the case of the original; compare base subjects with
// strings.EqualFold or through SubjectKey.
func BaseSubject(subject string) string {
	b, _ := baseSubject(subject)
	return b
}

// IsReplyOrForward reports whether subject had a reply or forward prefix,
// trailer or wrapper that BaseSubject removed (RFC 5256 uses this to decide
// which message of a subject group is the original).
func IsReplyOrForward(subject string) bool {
	_, r := baseSubject(subject)
	return r
}

// SubjectKey returns the key under which subjects group: the base subject
// folded to lower case.
func SubjectKey(subject string) string {
	return strings.ToLower(BaseSubject(subject))
}

func baseSubject(s string) (string, bool) {
	s = normalizeSpace(decodeSubject(s))
	reply := false
	for {
		// (2) trailers
		for {
			t := strings.TrimRight(s, " ")
			if len(t) >= 5 && strings.EqualFold(t[len(t)-5:], "(fwd)") {
				s = t[:len(t)-5]
				reply = true
				continue
			}
			s = t
			break
		}
		// (3)-(5) leaders and blobs
		for {
			changed := false
			if n, ok := leader(s); ok {
				s = s[n:]
				reply = true
				changed = true
			}
			if n := blob(s); n > 0 && strings.TrimSpace(s[n:]) != "" {
				s = s[n:]
				changed = true
			}
			if !changed {
				break
			}
		}
		// (6) [fwd: ...]
		if len(s) >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s = s[5 : len(s)-1]
			reply = true
			continue
		}
		break
	}
	return strings.TrimSpace(s), reply
}

// normalizeSpace turns tabs, CR, LF and runs of spaces into one space and
// trims leading space.
func normalizeSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\r' || c == '\n' || (c == ' ' && (i == 0 || s[i-1] == ' ')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading space
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\r' || c == '\n' || c == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// prefixes are the reply and forward words, lower case.
var prefixes = []string{
	// RFC 5256 and English clients
	"re", "fw", "fwd",
	// German, Dutch, Scandinavian, Finnish
	"aw", "wg", "antw", "doorst", "sv", "vs", "vl", "vb", "fs",
	// French, Spanish, Portuguese, Italian
	"tr", "rv", "ref", "res", "enc", "r", "rif", "i",
	// Polish, Czech, Turkish, Hungarian
	"odp", "pd", "ynt", "ilt", "i̇lt", "fyi",
	// Greek, Russian, Hebrew, Arabic
	"απ", "σχετ", "πρθ", "на", "пр", "прв", "השב", "הועבר", "رد",
	// Chinese, Japanese, Korean
	"回复", "答复", "回覆", "转发", "轉寄", "轉發", "転送", "返信", "회신", "답장", "전달",
}

// leader returns the length of a subj-leader at the start of s:
// *subj-blob subj-refwd, or leading white space.
func leader(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for {
		n := blob(s[j:])
		if n == 0 {
			break
		}
		j += n
	}
	if n := refwd(s[j:]); n > 0 {
		return j + n, true
	}
	return i, i > 0
}

// blob returns the length of "[" *BLOBCHAR "]" *WSP at the start of s.
func blob(s string) int {
	if len(s) == 0 || s[0] != '[' {
		return 0
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '[':
			return 0
		case ']':
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			return i
		}
	}
	return 0
}

// refwd returns the length of a reply/forward word, an optional counter,
// *WSP *subj-blob and a colon, at the start of s.
func refwd(s string) int {
	w := 0
	for w < len(s) {
		r, n := utf8.DecodeRuneInString(s[w:])
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		w += n
		if w > 40 {
			return 0
		}
	}
	if w == 0 || !isPrefixWord(s[:w]) {
		return 0
	}
	i := w
	// counter: [2] ^2 (2)
	if i < len(s) {
		switch s[i] {
		case '[', '(':
			close := byte(']')
			if s[i] == '(' {
				close = ')'
			}
			k := i + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > i+1 && k < len(s) && s[k] == close {
				i = k + 1
			}
		case '^':
			k := i + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > i+1 {
				i = k
			}
		}
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	for {
		n := blob(s[i:])
		if n == 0 {
			break
		}
		i += n
	}
	switch {
	case strings.HasPrefix(s[i:], ":"):
		return i + 1
	case strings.HasPrefix(s[i:], "："):
		return i + len("：")
	}
	return 0
}

func isPrefixWord(w string) bool {
	if len(w) <= 6 {
		var buf [6]byte
		ascii := true
		for i := 0; i < len(w); i++ {
			c := w[i]
			if c >= 0x80 {
				ascii = false
				break
			}
			buf[i] = c | 0x20
		}
		if ascii {
			lw := string(buf[:len(w)])
			for _, p := range prefixes {
				if p == lw {
					return true
				}
			}
			return false
		}
	}
	lw := strings.ToLower(w)
	for _, p := range prefixes {
		if p == lw {
			return true
		}
	}
	return false
}
