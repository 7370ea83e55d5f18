package forward

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

// Method says how a mail carries the message it forwards.
type Method string

// Methods.
const (
	MethodNone     Method = ""         // not a forward
	MethodInline   Method = "inline"   // quoted in the body below a separator or header block
	MethodAttached Method = "attached" // attached as a message/rfc822 part
	MethodResent   Method = "resent"   // resent with Resent-* header fields (RFC 5322 §3.6.6)
)

// Forward is the result of ParseText and Parse.
//
// When Forwarded is false every other field except Evidence, Note, Subject
// (Parse only) and Forwarder (Parse only) is empty: the package never
// guesses a sender.
type Forward struct {
	// Forwarded reports that the mail forwards a message whose sender is
	// known: From has an address whenever Forwarded is true.
	Forwarded bool
	// Method says how the original is carried.
	Method Method
	// Evidence is a short human-readable account of what decided: the
	// separator line, "subject prefix FW + header block", "message/rfc822
	// part", "Resent-From header", or why the mail is not a forward.
	Evidence string

	// From is the original sender. Name may be empty; Local and Domain are
	// set whenever Forwarded is true.
	From deskmail.Address
	// To and Cc are the original recipients, as far as the forward names
	// them (inline forwards often show names only; those are left out).
	To, Cc []deskmail.Address
	// Subject is the original subject (inline: as the forward shows it).
	Subject string
	// Date is the original date as written, in the client's language.
	Date string
	// Time is Date parsed when it is an RFC 5322 date; zero otherwise.
	Time time.Time
	// Body is the text of the original message, quote markers of the
	// forward removed.
	Body string
	// Note is what the forwarder wrote above the forwarded message.
	Note string
	// Forwarder is the author of the forwarding mail: its From header, or
	// Resent-From for a resent mail. Set by Parse only.
	Forwarder deskmail.Address
}

// Options bound the work done on one mail. A nil *Options means the
// defaults.
type Options struct {
	// MaxBytes is how much of a raw message Parse reads; the rest is
	// ignored. Zero means 25 MiB.
	MaxBytes int64
	// MaxScan is how many bytes of body text are searched for a forward.
	// Longer text is cut (a forward header sits near the top). Zero means
	// 256 KiB.
	MaxScan int
	// MaxParts is how many MIME parts Parse visits. Zero means 200.
	MaxParts int
}

const (
	defaultMaxBytes = 25 << 20
	defaultMaxScan  = 256 << 10
	defaultMaxParts = 200
	maxBlockLines   = 40   // lines in one forward header block
	maxRunBytes     = 4096 // one-line header run (Yahoo)
	maxGapLines     = 3    // blank lines between a separator and its header block
	maxWroteLine    = 400  // bytes in an "On …, X <x@y> wrote:" line
)

func (o *Options) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return defaultMaxBytes
	}
	return o.MaxBytes
}

func (o *Options) maxScan() int {
	if o == nil || o.MaxScan <= 0 {
		return defaultMaxScan
	}
	return o.MaxScan
}

func (o *Options) maxParts() int {
	if o == nil || o.MaxParts <= 0 {
		return defaultMaxParts
	}
	return o.MaxParts
}

// subjectKind classifies a subject by its first prefix.
type subjectKind uint8

const (
	subjectPlain subjectKind = iota
	subjectForward
	subjectReply
)

// classifySubject looks at the first prefix of subject, after any leading
// "[tag]" blocks: "FW:", "WG:", "TR:", "İLT:", "Fwd[2]:" mark a forward,
// "Re:", "AW:", "SV:" a reply.
func classifySubject(subject string) (subjectKind, string) {
	k, p, _ := splitSubject(subject)
	return k, p
}

// splitSubject is classifySubject that also returns the subject after the
// prefix.
func splitSubject(subject string) (subjectKind, string, string) {
	s := strings.TrimSpace(subject)
	for i := 0; i < 5 && strings.HasPrefix(s, "["); i++ {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		s = strings.TrimSpace(s[end+1:])
	}
	head := s
	if len(head) > 64 {
		head = head[:64]
	}
	c := strings.IndexAny(head, ":：")
	if c <= 0 {
		return subjectPlain, "", ""
	}
	_, size := utf8.DecodeRuneInString(s[c:])
	rest := strings.TrimSpace(s[c+size:])
	p := strings.TrimSpace(head[:c])
	// "Re[2]", "Re^2", "Fwd(2)"
	if i := strings.IndexAny(p, "[^("); i > 0 {
		p = strings.TrimSpace(p[:i])
	}
	lp := strings.ToLower(p)
	switch {
	case forwardPrefixes[lp]:
		return subjectForward, p, rest
	case replyPrefixes[lp]:
		return subjectReply, p, rest
	}
	return subjectPlain, "", ""
}

// IsForwardSubject reports whether subject begins with a forward prefix in
// one of the languages this package knows ("Fwd:", "FW:", "WG:", "TR:",
// "RV:", "VS:", "I:", "PD:", "ENC:", "İLT:", "转发:" …), after any leading
// "[tag]".
func IsForwardSubject(subject string) bool {
	k, _ := classifySubject(subject)
	return k == subjectForward
}

// line is one line of the body with its quote markers counted.
type line struct {
	orig  string // as in the body
	text  string // quote markers and surrounding white space removed
	depth int    // number of '>' quote markers
}

func splitLines(body string) []line {
	raw := strings.Split(body, "\n")
	out := make([]line, len(raw))
	for i, r := range raw {
		t, d := unquote(r)
		out[i] = line{orig: r, text: strings.TrimSpace(t), depth: d}
	}
	return out
}

// unquote strips leading '>' quote markers (and the spaces between them).
func unquote(s string) (string, int) {
	d := 0
	i := 0
	for i < len(s) {
		switch s[i] {
		case ' ', '\t':
			i++
			continue
		case '>':
			d++
			i++
			continue
		}
		break
	}
	if d == 0 {
		return s, 0
	}
	return s[i:], d
}

// stripQuote removes n quote markers from s, and one space after the last.
func stripQuote(s string, n int) string {
	for ; n > 0; n-- {
		t := strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(t, ">") {
			return s
		}
		s = t[1:]
	}
	return strings.TrimPrefix(s, " ")
}

// normalize makes body text safe to scan: line ends become \n, byte-order
// marks go, and the text is cut to max bytes on a rune boundary.
func normalize(body string, max int) string {
	if len(body) > max {
		body = body[:max]
		// drop a rune cut in half
		for i := 0; i < utf8.UTFMax && len(body) > 0; i++ {
			r, size := utf8.DecodeLastRuneInString(body)
			if r != utf8.RuneError || size != 1 {
				break
			}
			body = body[:len(body)-1]
		}
	}
	if strings.Contains(body, "\r") {
		body = strings.ReplaceAll(body, "\r\n", "\n")
		body = strings.ReplaceAll(body, "\r", "\n")
	}
	if strings.Contains(body, "\ufeff") {
		body = strings.ReplaceAll(body, "\ufeff", "")
	}
	return body
}

// ParseText finds a forwarded message in the text of a mail: its subject
// (may be empty) and its plain-text body. It recognises, in this order of
// strength:
//
//   - a separator line naming a forward ("---------- Forwarded message
//     ---------", "Begin forwarded message:", "-------- Weitergeleitete
//     Nachricht --------", "----- Messaggio inoltrato -----" …) followed by
//     a header block with a From address: always a forward;
//   - a separator that clients write above replies too ("-----Original
//     Message-----", a line of underscores): a forward unless the subject
//     begins with a reply prefix;
//   - a bare header block ("From: … Sent: … To: … Subject: …") or an
//     attribution line ("On 28/10/2021, "John Doe" <john@x> wrote:"): a
//     forward only when the subject begins with a forward prefix.
//
// The first of these in the body wins, so in a forward of a forward the
// outermost original is returned. Anything else is not a forward.
func ParseText(subject, body string, opts *Options) Forward {
	body = normalize(body, opts.maxScan())
	lines := splitLines(body)
	subj, prefix := classifySubject(subject)
	for i := range lines {
		ln := &lines[i]
		if ln.text == "" {
			continue
		}
		kind, label, rest := separator(ln.text)
		if kind != sepNone {
			if kind == sepWeak && subj == subjectReply {
				// A reply: what follows is quoted history, not a forward.
				return notForward(body, "subject prefix "+prefix+" and a reply separator "+quoteEvidence(label)+": a reply")
			}
			if rest != "" {
				if f, ok := parseRun(rest); ok {
					return finish(f, lines, i, i+1, ln.depth, subject, "separator "+quoteEvidence(label))
				}
			}
			j := i + 1
			for gap := 0; j < len(lines) && lines[j].text == "" && gap < maxGapLines; gap++ {
				j++
			}
			if f, end, ok := parseBlock(lines, j); ok {
				return finish(f, lines, i, end, lines[j].depth, subject, "separator "+quoteEvidence(label))
			}
			continue
		}
		if subj == subjectPlain {
			continue
		}
		if f, end, ok := parseBlock(lines, i); ok && f.otherFields > 0 {
			if subj == subjectReply {
				return notForward(body, "subject prefix "+prefix+" and a quoted header block: a reply")
			}
			return finish(f, lines, i, end, ln.depth, subject, "subject prefix "+prefix+" and a header block")
		}
		if f, ok := parseWrote(ln.text); ok {
			if subj == subjectReply {
				return notForward(body, "subject prefix "+prefix+" and an attribution line: a reply")
			}
			return finish(f, lines, i, i+1, ln.depth, subject, "subject prefix "+prefix+" and an attribution line")
		}
	}
	ev := "no forward separator or header block found"
	if subj == subjectForward {
		ev = "subject prefix " + prefix + " but no original sender found in the body"
	}
	return notForward(body, ev)
}

func notForward(body, evidence string) Forward {
	return Forward{Evidence: evidence, Note: strings.TrimSpace(body)}
}

func quoteEvidence(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 80 {
		s = s[:80]
	}
	return "\"" + strings.ToValidUTF8(s, "") + "\""
}

// fields is a parsed forward header block.
type fields struct {
	from        deskmail.Address
	to, cc      []deskmail.Address
	subject     string
	date        string
	otherFields int // fields other than From
}

// set stores one header field's value and reports whether it gave the block
// its sender (a From with a parsable address).
func (f *fields) set(fd field, val string) bool {
	switch fd {
	case fieldFrom:
		if list := parseList(val); len(list) > 0 {
			f.from = list[0]
			return true
		}
	case fieldTo:
		f.to = parseList(val)
		f.otherFields++
	case fieldCc:
		f.cc = parseList(val)
		f.otherFields++
	case fieldSubject:
		f.subject = val
		f.otherFields++
	case fieldDate:
		f.date = val
		f.otherFields++
	}
	return false
}

// finish builds the result: the note is everything above line marker, the
// body everything from line body on with depth quote markers removed.
//
// When the forward shows no subject (Outlook's attribution line), the
// subject of the forwarding mail without its forward prefix is used.
func finish(f fields, lines []line, marker, body, depth int, subject, evidence string) Forward {
	var note, b strings.Builder
	for _, ln := range lines[:marker] {
		note.WriteString(ln.orig)
		note.WriteByte('\n')
	}
	for body < len(lines) && lines[body].text == "" {
		body++
	}
	for _, ln := range lines[body:] {
		b.WriteString(stripQuote(ln.orig, depth))
		b.WriteByte('\n')
	}
	out := Forward{
		Forwarded: true,
		Method:    MethodInline,
		Evidence:  evidence,
		From:      f.from,
		To:        f.to,
		Cc:        f.cc,
		Subject:   f.subject,
		Date:      f.date,
		Body:      strings.TrimRight(b.String(), " \t\n"),
		Note:      strings.TrimSpace(note.String()),
	}
	if looksRFC5322Date(f.date) {
		if t, err := mail.ParseDate(f.date); err == nil {
			out.Time = t
		}
	}
	if out.Subject == "" {
		if k, _, rest := splitSubject(subject); k == subjectForward {
			out.Subject = rest
		}
	}
	return out
}

// sepKind is the strength of a separator line.
type sepKind uint8

const (
	sepNone   sepKind = iota
	sepStrong         // names a forward
	sepWeak           // written above replies and forwards alike
)

// separator classifies one trimmed, unquoted line. rest is what follows
// the closing dashes on the same line (Yahoo puts the header block there).
func separator(t string) (kind sepKind, label, rest string) {
	if len(t) >= 8 && strings.Trim(t, "_") == "" {
		return sepWeak, t, ""
	}
	n := 0
	for n < len(t) && (t[n] == '-' || t[n] == '=' || t[n] == '*') {
		n++
	}
	if n >= 2 {
		inner := t[n:]
		if i := strings.Index(inner, "--"); i >= 0 {
			label = inner[:i]
			rest = strings.TrimSpace(strings.TrimLeft(inner[i:], "-=* "))
		} else {
			label = inner
		}
		return classifyLabel(label), label, rest
	}
	trimmed := strings.TrimRight(t, " \t")
	if (strings.HasSuffix(trimmed, ":") || strings.HasSuffix(trimmed, "：")) &&
		utf8.RuneCountInString(trimmed) <= 80 && !strings.Contains(trimmed, "@") {
		return classifyLabel(trimmed), trimmed, ""
	}
	return sepNone, "", ""
}

func classifyLabel(label string) sepKind {
	if len(label) > 200 {
		return sepNone
	}
	l := strings.ToLower(label)
	for _, s := range forwardStems {
		if strings.Contains(l, s) {
			return sepStrong
		}
	}
	for _, s := range originalStems {
		if strings.Contains(l, s) {
			return sepWeak
		}
	}
	return sepNone
}

// splitLabel splits "Label: value" when Label is a known header label.
func splitLabel(t string) (field, string, bool) {
	head := t
	if len(head) > 4*maxLabelRunes+4 {
		head = head[:4*maxLabelRunes+4]
	}
	c := strings.IndexAny(head, ":：")
	if c <= 0 {
		return 0, "", false
	}
	// "*From:* x" and "**From:** x", as plain-text renderings of bold labels
	f, ok := lookupLabel(strings.Trim(head[:c], "* "))
	if !ok {
		return 0, "", false
	}
	_, size := utf8.DecodeRuneInString(t[c:])
	return f, strings.TrimSpace(strings.TrimLeft(t[c+size:], "*")), true
}

// parseBlock parses the header block that begins at lines[start]. It needs
// a From with an address; end is the first line after the block.
func parseBlock(lines []line, start int) (fields, int, bool) {
	var f fields
	var haveFrom bool
	var seen uint32
	last := fieldNone
	k := start
	for ; k < len(lines) && k < start+maxBlockLines; k++ {
		ln := lines[k]
		if ln.text == "" {
			break
		}
		fd, val, ok := splitLabel(ln.text)
		if !ok {
			// A folded address list: an indented line with an address.
			if k > start && (last == fieldTo || last == fieldCc) && strings.Contains(ln.text, "@") &&
				(strings.HasPrefix(strings.TrimLeft(ln.orig, ">"), " ") || strings.HasPrefix(ln.orig, "\t")) {
				list := parseList(ln.text)
				if last == fieldTo {
					f.to = append(f.to, list...)
				} else {
					f.cc = append(f.cc, list...)
				}
				continue
			}
			break
		}
		if fd != fieldNone && seen&(1<<fd) != 0 {
			break // a second From: the next block begins
		}
		seen |= 1 << fd
		last = fd
		if f.set(fd, val) {
			haveFrom = true
		}
	}
	if k == start || !haveFrom {
		return fields{}, 0, false
	}
	return f, k, true
}

// parseRun parses a header block written on one line, as Yahoo does:
// "From: John <j@x>To: b@x; c@xSent: Tuesday, …Subject: Hello".
func parseRun(s string) (fields, bool) {
	if len(s) > maxRunBytes {
		s = s[:maxRunBytes]
	}
	type hit struct {
		start, val int
		f          field
	}
	var hits []hit
	prevEnd := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != ':' && r != '：' {
			i += size
			continue
		}
		e := i
		for e > prevEnd && s[e-1] == ' ' {
			e--
		}
		// candidate starts: up to maxLabelRunes runes back from e
		starts := make([]int, 0, maxLabelRunes)
		for p, n := e, 0; p > prevEnd && n < maxLabelRunes; n++ {
			_, sz := utf8.DecodeLastRuneInString(s[prevEnd:p])
			p -= sz
			starts = append(starts, p)
		}
		for k := len(starts) - 1; k >= 0; k-- {
			if f, ok := labels[strings.ToLower(s[starts[k]:e])]; ok {
				hits = append(hits, hit{start: starts[k], val: i + size, f: f})
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
	var haveFrom bool
	for n, h := range hits {
		end := len(s)
		if n+1 < len(hits) {
			end = hits[n+1].start
		}
		val := strings.TrimSpace(s[h.val:end])
		if h.f != fieldFrom || !haveFrom {
			if f.set(h.f, val) {
				haveFrom = true
			}
		}
	}
	return f, haveFrom
}

// parseWrote parses an attribution line naming the original sender, as
// Outlook for Mac writes above a forward: `On 28/10/2021 12:46, "John Doe"
// <john@x> wrote:`, `Le …, « John Doe » <john@x> a écrit :`, `28/10/2021
// 12:46 používateľ John Doe (<john@x>) napísal:`.
func parseWrote(t string) (fields, bool) {
	if len(t) > maxWroteLine || !(strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：")) {
		return fields{}, false
	}
	lt := strings.IndexByte(t, '<')
	if lt < 0 {
		return fields{}, false
	}
	gt := strings.IndexByte(t[lt:], '>')
	if gt < 0 {
		return fields{}, false
	}
	addr := strings.TrimPrefix(t[lt+1:lt+gt], "mailto:")
	if !strings.Contains(addr, "@") {
		return fields{}, false
	}
	before := strings.TrimRight(t[:lt], " (")
	name := ""
	if q := closingQuote(before); q != "" {
		open := map[string]string{`"`: `"`, "»": "«", "”": "“", "'": "'", "“": "„"}[q]
		inner := strings.TrimSuffix(before, q)
		if i := strings.LastIndex(inner, open); i >= 0 {
			name = strings.TrimSpace(inner[i+len(open):])
		}
	} else {
		name = trailingName(before)
	}
	a, err := deskmail.NewAddress(name, addr)
	if err != nil || a.Domain == "" {
		return fields{}, false
	}
	return fields{from: a}, true
}

func closingQuote(s string) string {
	for _, q := range []string{`"`, "»", "”", "“", "'"} {
		if strings.HasSuffix(s, q) {
			return q
		}
	}
	return ""
}

// attributionWords are words around a name in attribution lines that are
// not part of it.
var attributionWords = map[string]bool{
	"at": true, "am": true, "pm": true, "a.m.": true, "p.m.": true, "um": true, "à": true,
	"às": true, "alle": true, "om": true, "kl": true, "kl.": true, "klo": true, "o": true,
	"в": true, "о": true, "г.": true, "р.": true, "de": true, "el": true, "le": true,
	"on": true, "dne": true, "em": true, "il": true, "giorno": true, "den": true,
	"používateľ": true, "uživatel": true, "użytkownik": true, "user": true, "utilizatorul": true,
	"kullanıcısı": true, "napsal": true, "schrieb": true,
}

// trailingName returns the run of words at the end of s that holds no
// digit and no attribution word: "Dne 28/10/2021 12:46, John Doe" gives
// "John Doe".
func trailingName(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		s = s[i+1:]
	}
	words := strings.Fields(s)
	k := len(words)
	for k > 0 {
		w := words[k-1]
		if attributionWords[strings.ToLower(w)] || strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			break
		}
		k--
	}
	return strings.Join(words[k:], " ")
}

// looksRFC5322Date is a cheap filter before mail.ParseDate, which is slow
// on the localized dates most forwards show: ASCII, a time, and an English
// month abbreviation as a word.
func looksRFC5322Date(d string) bool {
	if len(d) < 15 || len(d) > 80 || !strings.Contains(d, ":") {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, w := range strings.FieldsFunc(d, func(r rune) bool { return r == ' ' || r == ',' }) {
		switch w {
		case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
			return true
		}
	}
	return false
}
