package bounce

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

// allText joins the human-readable parts.
func (p *parser) allText() string {
	switch len(p.texts) {
	case 0:
		return ""
	case 1:
		return string(p.texts[0])
	}
	var sb strings.Builder
	for _, t := range p.texts {
		sb.Write(t)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// reportText is the human-readable text before the returned message.
func (p *parser) reportText() string {
	if p.report != nil {
		return *p.report
	}
	t := p.allText()
	if i := originalStart(t); i >= 0 {
		t = t[:i]
	}
	p.report = &t
	return t
}

// lowerReport is reportText in lower case, computed once.
func (p *parser) lowerReport() string {
	if p.lower == nil {
		l := strings.ToLower(p.reportText())
		p.lower = &l
	}
	return *p.lower
}

// headerStarts are the fields a returned message's header commonly begins
// with.
var headerStarts = []string{
	"return-path:", "received:", "message-id:", "dkim-signature:", "x-received:", "arc-seal:",
	"authentication-results:", "delivered-to:", "x-original-to:", "mime-version:", "date:", "from:",
	"to:", "subject:", "domainkey-signature:", "x-google-dkim-signature:", "x-gm-message-state:",
	"x-mailer:", "content-type:", "reply-to:", "x-originating-ip:", "x-ms-exchange", "thread-topic:",
	"x-yahoo-newman-property:", "sender:", "received-spf:", "x-sender:",
}

// originalStart finds where a returned message's header begins in text: the
// first line that starts a header field and is followed by another header
// line. It returns -1 when there is none.
func originalStart(t string) int {
	off := 0
	for off < len(t) {
		nl := strings.IndexByte(t[off:], '\n')
		end := len(t)
		if nl >= 0 {
			end = off + nl
		}
		line := t[off:end]
		if isHeaderStart(line) && end < len(t) {
			next := t[end+1:]
			if j := strings.IndexByte(next, '\n'); j >= 0 {
				next = next[:j]
			}
			if (isHeaderStart(next) || (len(next) > 0 && (next[0] == ' ' || next[0] == '\t') && strings.TrimSpace(next) != "")) && hasKeyField(t[off:]) {
				return off
			}
		}
		if nl < 0 {
			break
		}
		off = end + 1
	}
	return -1
}

func isHeaderStart(line string) bool {
	if len(line) < 3 || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	for _, h := range headerStarts {
		if len(line) >= len(h) && strings.EqualFold(line[:len(h)], h) {
			if h == "to:" || h == "from:" || h == "date:" || h == "subject:" {
				// "To: x" in prose is rare but "Date:" in a DSN text is not:
				// require a value.
				return len(strings.TrimSpace(line[len(h):])) > 0
			}
			return true
		}
	}
	return false
}

// bounceSenders are local parts that send delivery reports.
var bounceSenders = []string{
	"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.delivery.system", "post_master",
	"mmdf", "nobody", "no-reply", "noreply", "sysadmin", "mail-delivery", "bounce", "mailer",
}

// bounceSubjects are lower-case subject fragments of delivery reports.
var bounceSubjects = []string{
	"undeliver", "undelivered", "delivery status", "returned mail", "failure notice", "delivery fail",
	"mail delivery", "failed delivery", "failure delivery", "delivery notification", "could not be delivered",
	"mail system error", "non remis", "non-remis", "delivery has failed", "error sending", "notification",
	"returning", "unzustellbar", "nicht zustellbar", "message delivery", "not delivered", "rejected",
	"loop alert", "delivery problem", "bounce", "warning: message", "delayed", "failed", "error",
	"エラー", "mail\n",
}

// looksLikeBounce tells a non-standard delivery report from ordinary mail by
// its sender and subject.
func (p *parser) looksLikeBounce(h textproto.Header) bool {
	if h.Get("X-Failed-Recipients") != "" {
		return true
	}
	from := strings.ToLower(p.rep.From)
	for _, s := range bounceSenders {
		if strings.Contains(from, s) {
			return true
		}
	}
	if strings.Contains(from, "<>") {
		return true
	}
	subj := strings.ToLower(p.rep.Subject)
	for _, s := range bounceSubjects {
		if strings.Contains(subj, s) {
			return true
		}
	}
	if strings.TrimSpace(h.Get("Return-Path")) == "<>" && (p.original != nil || originalStart(p.allText()) >= 0) {
		return true
	}
	return false
}

// isVacation recognizes an auto-reply (RFC 3834 and common practice).
func (p *parser) isVacation(h textproto.Header) bool {
	as := strings.ToLower(h.Get("Auto-Submitted"))
	if strings.HasPrefix(as, "auto-replied") {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation"} {
		if h.Get(k) != "" {
			return true
		}
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("X-Auto-Response-Suppress")), "All") && strings.Contains(strings.ToLower(p.rep.Subject), "auto") {
		return true
	}
	subj := strings.ToLower(p.rep.Subject)
	for _, s := range []string{"auto reply", "auto-reply", "autoreply", "automatic reply", "out of office",
		"out of the office", "vacation", "away from", "abwesenheit", "auto:", "autoresponse", "auto response"} {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

// vacation records an auto-reply: the recipient is who replied.
func (p *parser) vacation(h textproto.Header) {
	p.rep.Kind = KindVacation
	addrs := splitAddrs(h.Get("From"))
	if len(addrs) == 0 {
		return
	}
	text := p.allText()
	if len(text) > 2000 {
		text = text[:2000]
	}
	p.rep.Recipients = append(p.rep.Recipients, Recipient{
		Address: addrs[0], Reason: ReasonVacation, Diagnostic: strings.TrimSpace(firstLines(text, 3)),
	})
}

func firstLines(s string, n int) string {
	off := 0
	for i := 0; i < n; i++ {
		j := strings.IndexByte(s[off:], '\n')
		if j < 0 {
			return s
		}
		off += j + 1
	}
	return s[:off]
}

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
	if len(cands) == 0 {
		// Exim and others name the failed recipients in a header field.
		for _, v := range h.Values("X-Failed-Recipients") {
			for _, a := range splitAddrs(v) {
				if !seen[a] {
					seen[a] = true
					cands = append(cands, cand{a, -1})
				}
			}
		}
	}
	if len(cands) == 0 {
		// An address on a line that speaks of delivery or recipients.
		for i, line := range lines {
			ll := strings.ToLower(line)
			if !strings.Contains(ll, "deliver") && !strings.Contains(ll, "recipient") && !strings.Contains(ll, "address") {
				continue
			}
			for _, a := range splitAddrs(ll) {
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
		if !hasDiagnostic(diag) {
			if !haveSummary {
				summary, haveSummary = bodySummary(lines), true
			}
			diag = strings.TrimSpace(diag + " " + summary)
		}
		addr := c.addr
		if c.line >= 0 {
			addr = restoreCase(lines[c.line], addr)
		} else {
			addr = restoreCase(strings.Join(h.Values("X-Failed-Recipients"), " ")+" "+p.rep.Original.To, addr)
		}
		rc := Recipient{Address: addr, Diagnostic: diag}
		if delayed {
			rc.Action = "delayed"
		}
		p.rep.Recipients = append(p.rep.Recipients, rc)
	}
}

// blockAfter returns the text of line i without the address, and the lines
// after it up to stop or a blank line.
func blockAfter(lines []string, i, stop int, addr string) string {
	var sb strings.Builder
	first := strings.TrimSpace(lines[i])
	if j := indexFoldASCII(first, addr); j >= 0 {
		rest := strings.TrimLeft(first[j+len(addr):], ">:.). ")
		before := strings.TrimSpace(strings.TrimRight(first[:j], "<"))
		if len(before) > 0 && !strings.HasSuffix(strings.ToLower(before), "to:") {
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

// recipientInLine returns the address a report line names as a recipient,
// or "".
func recipientInLine(line string) string {
	t := strings.TrimSpace(line)
	if len(t) < 3 || strings.IndexByte(t, '@') < 0 {
		return ""
	}
	lt := strings.ToLower(t)
	// "RCPT TO:<addr>" in an SMTP transcript.
	if i := strings.Index(lt, "rcpt to:"); i >= 0 {
		if a := addrAt(lt[i+8:]); a != "" {
			return a
		}
	}
	// "<addr>:", "<addr>... User unknown", "addr on DATE", "addr [reason]".
	if lt[0] == '<' || isAddrChar(lt[0]) {
		if a := addrAt(lt); a != "" {
			return a
		}
	}
	// "550 5.1.1 <addr>... User unknown" (sendmail).
	if i := strings.Index(lt, ">..."); i > 0 {
		if j := strings.LastIndexByte(lt[:i], '<'); j >= 0 {
			if a := cleanAddr(lt[j+1 : i]); a != "" {
				return a
			}
		}
	}
	for _, pre := range []string{"original-recipient:", "final-recipient:", "recipient address:", "recipient:", "address:", "failed recipient:"} {
		if strings.HasPrefix(lt, pre) {
			return addrAt(strings.TrimSpace(stripType(strings.TrimSpace(lt[len(pre):]))))
		}
	}
	return ""
}

// restoreCase returns the address a (lower case) as it is written in line,
// or a when it is not found there.
func restoreCase(line, a string) string {
	for i := 0; i+len(a) <= len(line); i++ {
		if strings.EqualFold(line[i:i+len(a)], a) {
			return line[i : i+len(a)]
		}
	}
	return a
}

// addrAt returns the address at the start of s (after an optional '<'), or
// "" when s does not start with one.
func addrAt(s string) string {
	s = strings.TrimLeft(s, " \t\"'")
	angle := strings.HasPrefix(s, "<")
	if angle {
		s = s[1:]
	}
	end := 0
	for end < len(s) && isAddrChar(s[end]) {
		end++
	}
	a := cleanAddr(s[:end])
	if a == "" {
		return ""
	}
	if angle {
		if end >= len(s) || s[end] != '>' {
			return ""
		}
	}
	return a
}

func isAddrChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("@.-_+=!#$%&'*/?^`{|}~", c) >= 0
}

// cleanAddr returns s as a lower-case bare address when it looks like one.
func cleanAddr(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "<>\"'().,;:[] \t")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return ""
	}
	dom := s[at+1:]
	if strings.IndexByte(dom, '.') < 0 || strings.HasPrefix(dom, ".") || strings.HasSuffix(dom, ".") {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' {
			return ""
		}
	}
	return strings.ToLower(s)
}

// splitAddrs returns the bare addresses in a header value.
func splitAddrs(v string) []string {
	var out []string
	for len(v) > 0 {
		i := strings.IndexByte(v, '@')
		if i < 0 {
			break
		}
		start := i
		for start > 0 && isAddrChar(v[start-1]) {
			start--
		}
		end := i + 1
		for end < len(v) && isAddrChar(v[end]) {
			end++
		}
		if a := cleanAddr(v[start:end]); a != "" {
			out = appendUnique(out, a)
		}
		v = v[end:]
	}
	return out
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

// diagStatus is firstStatus, and reports whether the code follows a reply
// code.
func diagStatus(s string) (string, bool) {
	st := firstStatus(s)
	if st == "" {
		return "", false
	}
	i := strings.Index(s, st)
	j := i - 1
	for j > 0 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' || s[j] == '#') && i-j < 4 {
		j--
	}
	return st, j >= 2 && isDigit(s[j]) && isDigit(s[j-1]) && s[j-2] == st[0]
}

// firstStatus returns the RFC 3463 enhanced status code of s: the first
// one that follows a reply code ("550 5.1.1", "550-'5.2.2"), else the first
// failure code (4.x.x, 5.x.x), else the first.
func firstStatus(s string) string {
	var first, failure string
	for i := 0; i+4 < len(s); i++ {
		st, n := statusAt(s, i)
		if st == "" {
			continue
		}
		if first == "" {
			first = st
		}
		if st[0] != '2' {
			if failure == "" {
				failure = st
			}
			if j := i - 1; j >= 3 {
				for j > 0 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' || s[j] == '#') && i-j < 4 {
					j--
				}
				if j >= 2 && isDigit(s[j]) && isDigit(s[j-1]) && s[j-2] == st[0] && (j < 3 || !isDigit(s[j-3])) {
					return st
				}
			}
		}
		i = n - 1
	}
	if failure != "" {
		return failure
	}
	return first
}

// statusAt returns the enhanced status code starting at s[i] and where it
// ends, or "".
func statusAt(s string, i int) (string, int) {
	c := s[i]
	if c != '2' && c != '4' && c != '5' {
		return "", 0
	}
	if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
		return "", 0
	}
	if s[i+1] != '.' {
		return "", 0
	}
	j := i + 2
	k := j
	for k < len(s) && isDigit(s[k]) && k-j < 3 {
		k++
	}
	if k == j || k >= len(s) || s[k] != '.' {
		return "", 0
	}
	m := k + 1
	n := m
	for n < len(s) && isDigit(s[n]) && n-m < 3 {
		n++
	}
	if n == m || (n < len(s) && (isDigit(s[n]) || s[n] == '.' && n+1 < len(s) && isDigit(s[n+1]))) {
		return "", 0
	}
	return s[i:n], n
}

// replyCode returns the first SMTP reply code in s: three digits starting
// with 2, 4 or 5, standing alone or followed by '-'.
func replyCode(s string) int {
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.' || s[i-1] == '#' || isAlpha(s[i-1]) || s[i-1] == '-') {
			continue
		}
		if !isDigit(s[i+1]) || !isDigit(s[i+2]) || s[i+1] > '7' {
			continue
		}
		if i+3 < len(s) {
			n := s[i+3]
			if n != ' ' && n != '-' && n != '\t' && n != ']' && n != ')' && n != ',' {
				continue
			}
		}
		return int(c-'0')*100 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// angleAddrs returns the addresses in angle brackets in s.
func angleAddrs(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return out
		}
		if a := cleanAddr(s[i+1 : i+j]); a != "" {
			out = append(out, a)
		}
		s = s[i+j+1:]
	}
}

// textRecipients returns the addresses the prose names as recipients, for
// delivery-status fields that hold no address.
func (p *parser) textRecipients() []string {
	exclude := map[string]bool{}
	for _, a := range splitAddrs(p.rep.From) {
		exclude[a] = true
	}
	for _, a := range splitAddrs(p.rep.To) {
		exclude[a] = true
	}
	var out []string
	for _, line := range strings.Split(p.reportText(), "\n") {
		if a := recipientInLine(line); a != "" && !exclude[a] {
			out = appendUnique(out, a)
		}
	}
	return out
}

// hasKeyField reports whether the header block at the start of t has a
// field only a message header has (not just "Subject:" and "Date:" lines
// quoted in prose).
func hasKeyField(t string) bool {
	for i := 0; i < 8 && t != ""; i++ {
		line := t
		if j := strings.IndexByte(t, '\n'); j >= 0 {
			line, t = t[:j], t[j+1:]
		} else {
			t = ""
		}
		if line == "" {
			return false
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		for _, k := range []string{"received:", "return-path:", "message-id:", "from:", "to:", "mime-version:", "dkim-signature:", "x-", "delivered-to:", "content-type:", "authentication-results:", "arc-"} {
			if len(line) >= len(k) && strings.EqualFold(line[:len(k)], k) {
				return true
			}
		}
	}
	return false
}

// delayNotice reports whether a prose report says delivery is still being
// tried.
func (p *parser) delayNotice() bool {
	subj := strings.ToLower(p.rep.Subject)
	if strings.Contains(subj, "delay") || strings.Contains(subj, "warning") {
		return true
	}
	t := p.lowerReport()
	return strings.Contains(t, "will be retried") || strings.Contains(t, "will continue to try") ||
		strings.Contains(t, "has not yet been delivered")
}

// recipientOnly reports whether a line holds nothing but the address, as
// "<addr>:" or "addr:": a recipient even when it equals the report's To.
func recipientOnly(line, addr string) bool {
	t := strings.ToLower(strings.TrimSpace(line))
	t = strings.TrimSuffix(t, ":")
	t = strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
	return t == addr && strings.HasSuffix(strings.TrimSpace(line), ":")
}

// leadingCode returns the class digit of a reply code that starts a
// transcript line ("550 ...", "<<< 421 ..."), or 0.
func leadingCode(t string) byte {
	t = strings.TrimPrefix(t, "<<< ")
	if len(t) >= 4 && (t[0] == '4' || t[0] == '5') && isDigit(t[1]) && isDigit(t[2]) && (t[3] == ' ' || t[3] == '-') {
		return t[0]
	}
	return 0
}
