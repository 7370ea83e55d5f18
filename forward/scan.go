package forward

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deskmail/deskmail"
)

const (
	maxGapLines = 3 // blank lines between a separator and its header block
)

// line is one line of the body with its quote markers counted.
type line struct {
	orig  string // as in the body
	text  string // quote markers and surrounding white space removed
	depth int    // number of '>' quote markers
}

// continued reports a line that begins with white space after its quote
// markers: the continuation of a folded field.
func (l line) continued() bool {
	s := l.orig
	for l.depth > 0 && s != "" {
		s = strings.TrimPrefix(strings.TrimLeft(s, " \t"), ">")
		if l.depth--; l.depth == 0 && strings.HasPrefix(s, " ") {
			s = s[1:] // the space after the last marker
		}
	}
	return strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\t")
}

func splitLines(body string) []line {
	n := strings.Count(body, "\n") + 1
	out := make([]line, 0, n)
	for body != "" || len(out) == 0 {
		r := body
		if i := strings.IndexByte(body, '\n'); i >= 0 {
			r, body = body[:i], body[i+1:]
		} else {
			body = ""
		}
		t, d := unquote(r)
		out = append(out, line{orig: r, text: strings.TrimSpace(t), depth: d})
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

// invisible maps the characters clients put around labels that change
// nothing visible: direction marks and isolates, zero-width spaces, the
// byte-order mark; no-break and other wide spaces become a space.
var invisible = strings.NewReplacer(
	"\r\n", "\n", "\r", "\n",
	"\ufeff", "", "\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "",
	"\u200e", "", "\u200f", "", "\u061c", "",
	"\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "",
	"\u00a0", " ", "\u2007", " ", "\u202f", " ", "\u3000", " ",
)

// normalize makes body text safe to scan: line ends become \n, invisible
// marks go, wide spaces become spaces, and the text is cut to max bytes on
// a rune boundary.
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
	for i := 0; i < len(body); i++ {
		if c := body[i]; c == '\r' || c >= 0xc2 {
			return invisible.Replace(body)
		}
	}
	return body
}

// ParseText finds a forwarded message in the text of a mail: its subject
// (may be empty) and its plain-text body. A forward shows a header block:
// consecutive "Label: value" lines, in any of the languages the package
// knows, with a From address. What makes the block a forward:
//
//   - a separator line naming a forward ("---------- Forwarded message
//     ---------", "Begin forwarded message:", "-------- Weitergeleitete
//     Nachricht --------", "----- Messaggio inoltrato -----" …) above it:
//     always a forward;
//   - a separator that clients write above replies too ("-----Original
//     Message-----", a line of underscores): a forward unless the subject
//     begins with a reply prefix (Re:, AW:, SV: …);
//   - no separator (new Outlook, a pasted header): a forward when the
//     subject begins with a forward prefix; under a reply prefix it is the
//     quoted history of a reply;
//   - a block quoted with ">" and no separator: as above, and also under a
//     subject without prefix when the block has the full shape of a
//     forwarded header (From address, a date, and a subject or a
//     recipient);
//   - an attribution line ("On 28/10/2021, "John Doe" <john@x> wrote:"):
//     a forward only under a forward prefix; otherwise a reply, and what
//     follows is its history.
//
// The first of these in the body wins, so in a forward of a forward the
// outermost original is returned. Under a reply subject the first reply
// marker ends the search. Anything else is not a forward.
//
// The error wraps ErrTooLarge when body is longer than Options.MaxBytes;
// only the first Options.MaxScan bytes are searched.
func ParseText(subject, body string, opts *Options) (Forward, error) {
	if int64(len(body)) > opts.maxBytes() {
		return Forward{}, &LimitError{Limit: "bytes", Max: opts.maxBytes()}
	}
	return parseText(subject, body, opts, nil), nil
}

// envelope is what the forwarding mail's own header tells (Parse only):
// its recipients, and whether it is an auto-reply (RFC 3834).
type envelope struct {
	recipients map[string]bool // lower-case addresses of To and Cc
	autoReply  bool
}

// toRecipient reports a sender the mail is addressed to: a mail that
// quotes a message from its own recipient, with nothing that names a
// forward, answers that sender.
func (e *envelope) toRecipient(a deskmail.Address) bool {
	return e != nil && e.recipients[strings.ToLower(a.Addr())]
}

func parseText(subject, body string, opts *Options, env *envelope) Forward {
	body = normalize(body, opts.maxScan())
	lines := splitLines(body)
	subj := classifySubject(subject)
	if env != nil && env.autoReply && subj.fwd.none() {
		subj = subjectInfo{prefix: "(auto-reply)", rest: subj.rest, reply: allLangs}
	}
	prefix := deskmail.Sanitize(subj.prefix)
	// answers reports a block that, with nothing naming a forward and no
	// prefix, quotes a message from the mail's own recipient: a reply.
	answers := func(f fields) bool {
		return subj.resolve(f.langs) == subjectPlain && env.toRecipient(f.from)
	}
	const replyToSender = "a header block quoting a recipient of this mail, under a subject without prefix: a reply"
	strongAt, strongKnown := 0, false // the last unquoted forward separator, found when first needed
	for i := 0; i < len(lines); i++ {
		ln := &lines[i]
		if ln.text == "" || len(ln.text) > maxLabelLine {
			continue
		}
		if kind, label, rest := separator(ln.text); kind != sepNone {
			if f, end, depth, ok := sepBlock(lines, i, kind, rest); ok {
				switch {
				case kind == sepGeneric && f.shape():
					// Words we do not know: the block's full shape decides.
					if subj.resolve(f.langs) == subjectReply {
						return notForward(body, "subject prefix "+prefix+" and a header block below "+quoteEvidence(label)+": a reply")
					}
					if answers(f) {
						return notForward(body, replyToSender)
					}
					return finish(f, lines, i, end, depth, subj, "a header block with sender, date and subject or recipient below "+quoteEvidence(label))
				case kind == sepWeak && subj.resolve(f.langs) == subjectReply:
					// A reply: what follows is quoted history, not a forward.
					return notForward(body, "subject prefix "+prefix+" and a reply separator "+quoteEvidence(label)+": a reply")
				case kind == sepStrong && ln.depth > 0 && subj.resolve(f.langs) == subjectReply:
					// A forward inside the quoted history of a reply.
					return notForward(body, "subject prefix "+prefix+" and a forward quoted in its history: a reply")
				case kind == sepWeak && answers(f):
					return notForward(body, replyToSender)
				case kind != sepGeneric:
					return finish(f, lines, i, end, depth, subj, "separator "+quoteEvidence(label))
				}
			}
		}
		if f, end, ok := parseBlock(lines, i); ok && f.otherFields > 0 {
			switch subj.resolve(f.langs) {
			case subjectReply:
				return notForward(body, "subject prefix "+prefix+" and a quoted header block: a reply")
			case subjectForward:
				return finish(f, lines, i, end, ln.depth, subj, "subject prefix "+prefix+" and a header block")
			default:
				if f.shape() && answers(f) {
					return notForward(body, replyToSender)
				}
				if f.shape() && ln.depth > 0 {
					return finish(f, lines, i, end, ln.depth, subj, "a quoted header block with sender, date and subject or recipient")
				}
				if f.shape() && f.rawMail {
					return finish(f, lines, i, end, ln.depth, subj, "a mail's own header (Received, Message-ID …) with sender, date and subject or recipient")
				}
			}
			i = end - 1
			continue
		}
		if f, end, ok := wroteAt(lines, i); ok {
			switch subj.kind() {
			case subjectForward:
				return finish(f, lines, i, end, ln.depth, subj, "subject prefix "+prefix+" and an attribution line")
			case subjectReply:
				return notForward(body, "subject prefix "+prefix+" and an attribution line: a reply")
			}
			if quotedAfter(lines, end-1) {
				return notForward(body, "an attribution line above quoted text: a reply")
			}
			if !strongKnown {
				strongAt, strongKnown = lastStrongSeparator(lines), true
			}
			if strongAt < i {
				return notForward(body, "an attribution line under a subject without prefix: a reply")
			}
			// A note that names someone ("Jane <jane@x> wrote to us:")
			// above a separator that names a forward: the separator decides.
			i = end - 1
		}
	}
	ev := "no forward separator or header block found"
	if subj.kind() == subjectForward {
		ev = "subject prefix " + prefix + " but no original sender found in the body"
	}
	return notForward(body, ev)
}

// sepBlock finds what a separator at lines[i] introduces: a header block
// (blockAfter) or, below a separator that names a forward, the
// date-and-sender line Mail.ru and Yandex write ("28.10.2021, 12:46,
// "Name" <addr>:").
func sepBlock(lines []line, i int, kind sepKind, rest string) (fields, int, int, bool) {
	if f, _, end, depth, ok := blockAfter(lines, i, rest); ok {
		return f, end, depth, true
	}
	if kind == sepStrong || (kind == sepGeneric && gmailRule(lines[i].text)) {
		if f, end, depth, ok := unknownFrom(lines, i); ok {
			return f, end, depth, true
		}
	}
	if kind == sepStrong {
		if j := nextText(lines, i); j > 0 {
			if w, ok := parseWrote(lines[j].text); ok {
				return w, j + 1, lines[j].depth, true
			}
		}
	}
	return fields{}, 0, 0, false
}

// unknownFrom reads the block below a separator (one that names a
// forward, or in Gmail's shape) whose first line has a label the package
// does not know, as Gmail writes in a language missing
// from the table: it localizes From only ("Kusuka ku: Name <addr>") and
// writes Date, Subject and To in English. The first line is taken for
// From when its value is "Name <addr>" and the known labels below give
// the block its full shape (a date, and a subject or a recipient).
func unknownFrom(lines []line, i int) (fields, int, int, bool) {
	j := nextText(lines, i)
	if j < 0 {
		return fields{}, 0, 0, false
	}
	t := lines[j].text
	c := strings.IndexAny(t, ":：")
	if c <= 0 || utf8.RuneCountInString(t[:c]) > 24 || strings.IndexFunc(t[:c], unicode.IsDigit) >= 0 {
		return fields{}, 0, 0, false
	}
	_, size := utf8.DecodeRuneInString(t[c:])
	val := strings.TrimSpace(t[c+size:])
	if _, ok := lookupLabel(t[:c]); ok || !strings.Contains(val, "@") || !strings.Contains(val, "<") {
		return fields{}, 0, 0, false
	}
	n := min(len(lines)-j, maxBlockLines)
	sub := make([]line, n)
	copy(sub, lines[j:j+n])
	sub[0].text = "From: " + val
	f, end, ok := parseBlock(sub, 0)
	if !ok || !f.shape() || end < 3 {
		return fields{}, 0, 0, false
	}
	return f, j + end, lines[j].depth, true
}

// gmailRule reports Gmail's separator shape, words between runs of at
// least nine dashes ("---------- Forwarded message ---------"), which
// headings in notifications and digests rarely copy.
func gmailRule(t string) bool {
	l := len(t) - len(strings.TrimLeft(t, "-"))
	r := len(t) - len(strings.TrimRight(t, "-"))
	return l >= 9 && r >= 9 && l+r < len(t) && t[l] == ' ' && t[len(t)-r-1] == ' '
}

// blockAfter finds the header block of a separator at lines[i]: on the
// same line (Yahoo), or after at most maxGapLines blank lines.
func blockAfter(lines []line, i int, rest string) (f fields, start, end, depth int, ok bool) {
	if rest != "" {
		if f, ok := parseRun(rest); ok {
			return f, i, i + 1, lines[i].depth, true
		}
	}
	j := i + 1
	for gap := 0; j < len(lines) && lines[j].text == "" && gap < maxGapLines; gap++ {
		j++
	}
	if j < len(lines) {
		if f, end, ok := parseBlock(lines, j); ok {
			return f, j, end, lines[j].depth, true
		}
	}
	return fields{}, 0, 0, 0, false
}

// generic turns an unknown separator label into sepGeneric when it holds a
// letter: "---------- Xyz ---------" or "Xyz:" in a language the package
// does not know still has the shape of a separator.
func generic(k sepKind, label string) sepKind {
	if k != sepNone {
		return k
	}
	if strings.IndexFunc(label, unicode.IsLetter) >= 0 {
		return sepGeneric
	}
	return sepNone
}

// nextText returns the index of the first non-blank line within
// maxGapLines after lines[i], or -1.
func nextText(lines []line, i int) int {
	for j := i + 1; j < len(lines) && j <= i+1+maxGapLines; j++ {
		if lines[j].text != "" {
			return j
		}
	}
	return -1
}

// quotedAfter reports quoted lines right after lines[i] (a reply's
// attribution line above the quote).
// lastStrongSeparator returns the index of the last unquoted line that is
// a separator naming a forward, or -1.
func lastStrongSeparator(lines []line) int {
	for j := len(lines) - 1; j >= 0; j-- {
		if lines[j].depth == 0 && lines[j].text != "" && len(lines[j].text) <= maxLabelLine {
			if kind, _, _ := separator(lines[j].text); kind == sepStrong {
				return j
			}
		}
	}
	return -1
}

func quotedAfter(lines []line, i int) bool {
	for j := i + 1; j < len(lines) && j <= i+3; j++ {
		if lines[j].depth > lines[i].depth {
			return true
		}
		if lines[j].text != "" {
			return false
		}
	}
	return false
}

func notForward(body, evidence string) Forward {
	return Forward{Evidence: evidence, Note: strings.TrimSpace(body)}
}

func quoteEvidence(s string) string {
	return "\"" + deskmail.SanitizeN(strings.TrimSpace(s), 80) + "\""
}

// finish builds the result: the note is everything above line marker, the
// body everything from line body on with depth quote markers removed.
//
// When the forward shows no subject (Outlook's attribution line), the
// subject of the forwarding mail without its forward prefix is used.
func finish(f fields, lines []line, marker, body, depth int, subj subjectInfo, evidence string) Forward {
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
	if out.Subject == "" && subj.kind() == subjectForward {
		out.Subject = subj.rest
	}
	return out
}

// sepKind is the strength of a separator line.
type sepKind uint8

const (
	sepNone    sepKind = iota
	sepStrong          // names a forward
	sepWeak            // written above replies and forwards alike
	sepGeneric         // has the shape of a separator, in words we do not know
)

// separator classifies one trimmed, unquoted line. rest is what follows
// the closing dashes on the same line (Yahoo puts the header block there).
func separator(t string) (kind sepKind, label, rest string) {
	if len(t) >= 8 && strings.Trim(t, "_") == "" {
		return sepWeak, t, ""
	}
	n := 0
	for n < len(t) && (t[n] == '-' || t[n] == '=' || t[n] == '*' || t[n] == '_') {
		n++
	}
	if n >= 2 {
		inner := t[n:]
		if i := strings.Index(inner, "--"); i >= 0 {
			label = inner[:i]
			rest = strings.TrimSpace(strings.TrimLeft(inner[i:], "-=*_ "))
		} else {
			label = strings.TrimRight(inner, "-=*_ ")
		}
		return generic(classifyLabel(label), label), label, rest
	}
	trimmed := strings.TrimRight(t, " \t")
	if (strings.HasSuffix(trimmed, ":") || strings.HasSuffix(trimmed, "：")) &&
		utf8.RuneCountInString(trimmed) <= 80 && !strings.Contains(trimmed, "@") {
		return generic(classifyLabel(trimmed), trimmed), trimmed, ""
	}
	return sepNone, "", ""
}
