package bounce

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/emersion/go-message/textproto"
)

// scanText finds failed recipients in the text of a non-standard report.
func (p *parser) scanText(h textproto.Header) {
	text := p.reportText()
	exclude := map[string]bool{}
	for _, a := range splitAddrs(p.rep.From) {
		exclude[a] = true
	}
	for _, a := range splitAddrs(p.rep.To) {
		exclude[a] = true
	}
	type cand struct {
		addr string
		line int
	}
	lines := strings.Split(text, "\n")
	var cands []cand
	seen := map[string]bool{}
	for i, line := range lines {
		addr := recipientInLine(line)
		if addr == "" || seen[addr] || exclude[addr] && !recipientOnly(line, addr) {
			continue
		}
		seen[addr] = true
		cands = append(cands, cand{addr, i})
	}
	// Exim and others name the failed recipients in a header field: when
	// it names some of the addresses the text gives, the others (the
	// sender quoted in "A message sent by <a@b>", a forwarding address)
	// are no recipients; when the text gives none, the field's are.
	var failed []string
	for _, v := range h.Values("X-Failed-Recipients") {
		failed = append(failed, splitAddrs(v)...)
	}
	isFailed := make(map[string]bool, len(failed))
	for _, a := range failed {
		isFailed[a] = true
	}
	var named []cand
	for _, c := range cands {
		if isFailed[c.addr] {
			named = append(named, c)
		}
	}
	if len(named) > 0 {
		cands = named
	}
	if len(cands) == 0 {
		for _, a := range failed {
			if !seen[a] {
				seen[a] = true
				cands = append(cands, cand{a, -1})
			}
		}
	}
	var lower []string
	if len(cands) == 0 {
		// The report in lower case, line by line, for the fallbacks
		// below: the same lines as lines (lower-casing keeps every
		// newline).
		lower = strings.Split(p.lowerReport(), "\n")
		// An address the report names anywhere as a sender or a help
		// address is none of the recipients below.
		for _, ll := range lower {
			if strings.IndexByte(ll, '@') < 0 {
				continue
			}
			_, other := lineAddrs(ll)
			for _, a := range other {
				exclude[a] = true
			}
		}
	}
	if len(cands) == 0 {
		// An address inside a line that speaks of delivery, recipients
		// or mailboxes, or that carries a failure (an SMTP code or a
		// phrase of the reason tables): "User's mailbox is full: <a@b>",
		// "Local mailbox a@b is unavailable: user not found".
		for i, ll := range lower {
			if strings.IndexByte(ll, '@') < 0 || !failureLine(ll) {
				continue
			}
			addrs, _ := lineAddrs(ll)
			for _, a := range addrs {
				if !exclude[a] && !seen[a] {
					seen[a] = true
					cands = append(cands, cand{a, i})
				}
			}
			if len(cands) > 0 {
				break
			}
		}
	}
	if len(cands) == 0 {
		// The first address in the few lines after a line announcing the
		// failed recipients ("The following address(es) failed:",
		// "did not reach the following recipient(s):"), in whatever form
		// the MTA wrote it: "(generated from a@b)".
		for i, ll := range lower {
			if !containsAny(ll, recipientAnnouncements) {
				continue
			}
			for k := i + 1; k < len(lower) && k <= i+6 && len(cands) == 0; k++ {
				addrs, _ := lineAddrs(lower[k])
				for _, a := range addrs {
					if !exclude[a] && !seen[a] {
						seen[a] = true
						cands = append(cands, cand{a, k})
						break
					}
				}
			}
			if len(cands) == 0 {
				// Providers that name their own users by their user name
				// alone (early AOL: "Your mail to the following recipients
				// could not be delivered ...:" and an indented
				// "screenname"): the user name at the reporting domain.
				if a := bareUser(lower[i+1:min(len(lower), i+4)], p.rep.From); a != "" && !exclude[a] {
					cands = append(cands, cand{a, -1})
				}
			}
			if len(cands) > 0 {
				break
			}
		}
	}
	if len(cands) == 0 {
		p.parseOriginal()
		for _, a := range splitAddrs(p.rep.Original.To) {
			if !seen[a] && !exclude[a] {
				seen[a] = true
				cands = append(cands, cand{a, -1})
				p.fromOriginalTo = true
			}
		}
	}
	if len(cands) > maxRecipients {
		cands = cands[:maxRecipients]
	}
	delayed := len(cands) > 0 && p.delayNotice()
	var codes, summary string
	var haveCodes, haveSummary bool
	for k, c := range cands {
		var diag string
		if c.line >= 0 {
			stop := len(lines)
			if k+1 < len(cands) && cands[k+1].line > c.line {
				stop = cands[k+1].line
			}
			diag = blockAfter(lines, c.line, stop, c.addr)
		}
		if replyCode(diag) == 0 && firstStatus(diag) == "" {
			if !haveCodes {
				codes, haveCodes = codeLines(lines), true
			}
			if codes != "" {
				diag = strings.TrimSpace(diag + " " + codes)
			}
		}
		summaryOnly := diag == ""
		if !hasDiagnostic(diag) {
			if !haveSummary {
				summary, haveSummary = bodySummary(lines), true
			}
			diag = strings.TrimSpace(diag + " " + summary)
		}
		addr := c.addr
		if a := refusedAddr(diag); a != "" && a != c.addr && !exclude[a] && !seen[a] {
			// The server's reply names another address (the one an alias
			// or forward led to): that is the address that failed.
			seen[a] = true
			addr = restoreCase(diag, a)
		} else if c.line >= 0 {
			addr = restoreCase(lines[c.line], addr)
		} else {
			addr = restoreCase(strings.Join(h.Values("X-Failed-Recipients"), " ")+" "+p.rep.Original.To, addr)
		}
		rc := Recipient{Address: addr, Diagnostic: diag, summary: summaryOnly}
		if delayed && !permanent(diag) {
			rc.Action = "delayed"
		}
		p.rep.Recipients = append(p.rep.Recipients, rc)
	}
}

// permanent reports whether a diagnostic names a failure retrying cannot
// cure, so that a report headed "Warning" is still a failure: a 5xx reply,
// a 5.x.x code, or an address or host that does not exist.
func permanent(diag string) bool {
	if replyCode(diag)/100 == 5 || statusClass(firstStatus(diag)) == '5' {
		return true
	}
	switch defaultMatcher.match(strings.ToLower(diag)) {
	case ReasonUserUnknown, ReasonHostUnknown:
		return true
	}
	return false
}

// failureWords are lower-case words a report line speaks of a failed
// delivery with.
var failureWords = []string{
	"deliver", "recipient", "address", "mailbox", "user", "account", "destinat", "empfänger",
	"postfach", "boîte", "buzón", "получател", "адрес", "ящик", "доставл", "宛先", "收件人",
}

// failureLine reports whether a lower-case line of a report speaks of a
// failed delivery: its words, an SMTP reply code or enhanced status code,
// or a phrase of the reason tables.
func failureLine(ll string) bool {
	if containsAny(ll, failureWords) {
		return true
	}
	if c := replyCode(ll); c >= 400 && c < 600 {
		return true
	}
	if st := firstStatus(ll); st != "" && st[0] != '2' {
		return true
	}
	return defaultMatcher.match(ll) != ""
}

// lineAddrs splits the addresses of a lower-case report line into those
// that may be a recipient and the others: a sender the line names ("mail
// from a@b", "sent by a@b", "accepting mail from a@b"), the report's help
// addresses (postmaster, mailer-daemon, "contact a@b") and addresses
// inside a URL.
func lineAddrs(ll string) (out, other []string) {
	for _, a := range splitAddrs(ll) {
		local := a[:strings.LastIndexByte(a, '@')]
		switch strings.Trim(local, `"`) {
		case "postmaster", "mailer-daemon", "mailer_daemon", "abuse", "hostmaster", "root":
			other = append(other, a)
			continue
		}
		i := strings.Index(ll, a)
		if i < 0 {
			out = append(out, a)
			continue
		}
		before := strings.TrimRight(ll[:i], " <\"'(")
		if strings.HasSuffix(before, "generated from") || strings.HasSuffix(before, "expanded from") {
			// The alias or list a failed address came from: a recipient
			// of the sender's, when the report names no other.
			out = append(out, a)
			continue
		}
		if strings.HasSuffix(before, "from") || strings.HasSuffix(before, "from:") || strings.HasSuffix(before, "by") ||
			strings.HasSuffix(before, "sender") || strings.HasSuffix(before, "sender:") || strings.HasSuffix(before, "mailto:") ||
			strings.HasSuffix(before, "/") || strings.HasSuffix(before, "contact") {
			other = append(other, a)
			continue
		}
		out = append(out, a)
	}
	return out, other
}

// bareUser returns user@domain for the first indented line of lines that is
// a lone user name (letters, digits, '.', '_', '-'), with the domain of the
// report's sender, or "".
func bareUser(lines []string, from string) string {
	f := splitAddrs(from)
	if len(f) == 0 {
		return ""
	}
	dom := f[0][strings.LastIndexByte(f[0], '@')+1:]
	for _, l := range lines {
		if l == "" || l[0] != ' ' && l[0] != '\t' {
			continue
		}
		u := strings.TrimSpace(l)
		if u == "" || len(u) > 64 {
			continue
		}
		for i := 0; i < len(u); i++ {
			c := u[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return ""
			}
		}
		return strings.ToLower(u) + "@" + dom
	}
	return ""
}

// recipientAnnouncements are lower-case fragments of the line with which a
// report introduces its list of failed recipients.
var recipientAnnouncements = []string{
	"following address", "following recipient", "following destination", "following user",
	"address(es) failed", "recipient(s) failed", "could not be delivered to:", "not delivered to:",
	"folgende empfänger", "folgenden empfänger", "destinataires suivants", "destinatarios siguientes",
	"destinatari seguenti", "следующим адресатам", "следующих получателей", "以下の宛先", "下列收件人",
}

// blockAfter returns the text of line i without the address, and the lines
// after it up to stop or a blank line.
func blockAfter(lines []string, i, stop int, addr string) string {
	var sb strings.Builder
	first := strings.TrimSpace(lines[i])
	if j := indexFoldASCII(first, addr); j >= 0 {
		rest := strings.TrimLeft(first[j+len(addr):], ">:.) ")
		before := strings.TrimSpace(strings.TrimRight(first[:j], "<"))
		if hasAlnum(before) && !strings.HasSuffix(strings.ToLower(before), "to:") {
			sb.WriteString(before)
			sb.WriteByte(' ')
		}
		sb.WriteString(rest)
	}
	n := 0
	class := byte(0)
	if c := leadingCode(sb.String()); c != 0 {
		class = c
	}
	for k := i + 1; k < stop && k < len(lines) && n < 8; k++ {
		t := strings.TrimSpace(lines[k])
		if t == "" {
			if n == 0 && sb.Len() == 0 {
				continue
			}
			break
		}
		// In a transcript, a reply of another class is another event.
		if c := leadingCode(t); c != 0 {
			if class != 0 && c != class {
				break
			}
			class = c
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(t)
		n++
	}
	return strings.TrimSpace(sb.String())
}

// hasAlnum reports whether s has a letter or digit (a list marker alone
// has none).
func hasAlnum(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// hasDiagnostic reports whether a diagnostic says something: an SMTP code or
// a few words.
func hasDiagnostic(d string) bool {
	if replyCode(d) != 0 || firstStatus(d) != "" {
		return true
	}
	return len(strings.Fields(d)) >= 3
}

// codeLines returns the first line of the text that carries an SMTP reply,
// with its continuation lines.
func codeLines(lines []string) string {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if replyCode(t) == 0 && firstStatus(t) == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(t), "received:") || strings.HasPrefix(t, "Date:") {
			continue
		}
		out := t
		for k := i + 1; k < len(lines) && k < i+4; k++ {
			n := strings.TrimSpace(lines[k])
			if n == "" {
				break
			}
			out += " " + n
		}
		return out
	}
	return ""
}

// bodySummary returns the report's prose with boilerplate lines dropped, at
// most a few hundred bytes, for classification when nothing better exists.
func bodySummary(lines []string) string {
	var sb strings.Builder
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "--") || strings.HasPrefix(t, "==") {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(t)
		if sb.Len() > 600 {
			break
		}
	}
	return sb.String()
}

// recipientLines indexes the lines of a report's prose by the recipient
// they name, for diagnosticFor.
type recipientLines struct {
	lines []string
	first map[string]int // address → index of the first line naming it
	named []string       // per line, the address it names or ""
}

func indexRecipients(text string) *recipientLines {
	r := &recipientLines{lines: strings.Split(text, "\n"), first: map[string]int{}}
	r.named = make([]string, len(r.lines))
	for i, l := range r.lines {
		if a := recipientInLine(l); a != "" {
			r.named[i] = a
			if _, ok := r.first[a]; !ok {
				r.first[a] = i
			}
		}
	}
	return r
}

// diagnosticFor returns the text following the line that names addr in a
// report's prose, or "".
func (r *recipientLines) diagnosticFor(addr string) string {
	addr = strings.ToLower(addr)
	i, ok := r.first[addr]
	if !ok {
		return ""
	}
	stop := i + 1
	for stop < len(r.lines) && (r.named[stop] == "" || r.named[stop] == addr) {
		stop++
	}
	d := blockAfter(r.lines, i, stop, addr)
	if hasDiagnostic(d) {
		return d
	}
	return ""
}

// refusedAddr returns the address an SMTP reply in d refuses: the one in
// angle brackets right after the reply and enhanced codes ("550 5.1.1
// <a@b>"), or the one of "RCPT TO:<a@b>"; "" when there is none.
func refusedAddr(d string) string {
	l := strings.ToLower(d)
	if i := strings.Index(l, "rcpt to:<"); i >= 0 {
		if j := strings.IndexByte(l[i+9:], '>'); j > 0 {
			if a := cleanAddr(l[i+9 : i+9+j]); a != "" && strings.HasPrefix(l[i+9:], a) {
				return a
			}
		}
	}
	code := replyCode(l)
	if code < 400 {
		return ""
	}
	i := strings.Index(l, strconv.Itoa(code))
	t := strings.TrimLeft(l[i+3:], " -")
	if st, n := statusAt(t+" ", 0); st != "" {
		t = strings.TrimLeft(t[n:], " ")
	}
	if !strings.HasPrefix(t, "<") {
		return ""
	}
	j := strings.IndexByte(t, '>')
	if j <= 1 {
		return ""
	}
	if a := cleanAddr(t[1:j]); a != "" && strings.HasPrefix(t[1:], a) {
		return a
	}
	return ""
}
