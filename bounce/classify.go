package bounce

import (
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Classification is the taxonomy's verdict on one failure.
type Classification struct {
	Reason   Reason   `json:"reason"`
	Severity Severity `json:"severity"`
	// Status is the enhanced status code given, or the pseudo code of Reason
	// when none was.
	Status string `json:"status"`
	// Temporary is set for 4xx replies and 4.x.x codes.
	Temporary bool `json:"temporary"`
}

// ClassifyReply classifies an SMTP reply seen while sending (B9): the reply
// code (0 when unknown), the enhanced status code ("" when none) and the
// reply text, with the same taxonomy as bounces. A 2xx reply is delivered.
// A nil policy means DefaultPolicy.
func ClassifyReply(code int, enhanced, text string, policy SeverityPolicy) Classification {
	if policy == nil {
		policy = DefaultPolicy
	}
	enhanced = strings.TrimSpace(enhanced)
	if enhanced == "" {
		enhanced = firstStatus(text)
	}
	if code == 0 {
		code = replyCode(text)
	}
	temp := code/100 == 4 || statusClass(enhanced) == '4'
	c := Classification{Temporary: temp, Status: enhanced}
	if code/100 == 2 || (code == 0 && statusClass(enhanced) == '2') {
		c.Reason = ReasonDelivered
	} else {
		c.Reason = classify(strings.ToLower(text), enhanced, code, "", "RCPT", "")
	}
	if c.Status == "" {
		c.Status = PseudoStatus(c.Reason, temp)
	}
	c.Severity = policy.Severity(c.Reason)
	return c
}

// classify decides the reason of one failure from its lower-case diagnostic,
// enhanced status, reply code and action, with context (the report's prose,
// lower case) as a last resort.
func classify(diag, status string, code int, action, command, context string) Reason {
	switch action {
	case "delivered", "relayed", "expanded":
		return ReasonDelivered
	}
	if statusClass(status) == '2' && diag == "" {
		return ReasonDelivered
	}
	byText := defaultMatcher.match(diag)
	byStatus := statusReason(status)
	if byText != "" && specificMatcher.match(diag) == byText {
		// Provider codes and precise wording decide, but a refusal of MAIL
		// FROM is about the sender unless it names a block.
		if command != "MAIL" || byText == ReasonBlocked || byText == ReasonTooManyConn {
			return byText
		}
	}
	if command == "MAIL" && (byText == ReasonUserUnknown || byStatus == ReasonUserUnknown || byStatus == ReasonRejected) {
		// A failure answering MAIL FROM is about the sender.
		return ReasonRejected
	}
	if byText == ReasonUserUnknown && domainDoesNotExist(diag) {
		return ReasonHostUnknown
	}
	if byText == ReasonUserUnknown && byStatus == ReasonSuspend && command != "RCPT" {
		// 5.2.1 is "mailbox disabled" (RFC 3463).
		return ReasonSuspend
	}
	if byText == ReasonUserUnknown && byStatus != ReasonUserUnknown && (command == "DATA" || command == "" && !strongUnknown(diag)) {
		// A "user unknown" that did not answer RCPT TO came from a filter
		// after DATA, as sisimai reads it.
		byText = ReasonFiltered
	}
	switch {
	case byStatus != "" && trustStatus(byStatus, byText):
		return byStatus
	case byText != "":
		return byText
	case byStatus != "":
		return byStatus
	}
	if action == "delayed" {
		return ReasonExpired
	}
	if len(status) > 4 && status[1:] == ".1.0" && command != "MAIL" {
		// "Other address status": generic, so only when nothing else
		// decides does it say the address is bad.
		return ReasonUserUnknown
	}
	if command == "MAIL" {
		// Nothing names the cause, but the server refused the sender.
		return ReasonRejected
	}
	if r := defaultMatcher.match(context); r != "" {
		return r
	}
	if command == "HELO" {
		return ReasonBlocked
	}
	return ReasonOnHold
}

// trustStatus decides between a reason from the enhanced status code and one
// from the text: a specific code wins over generic wording.
func trustStatus(byStatus, byText Reason) bool {
	if byText == "" || byText == byStatus {
		return true
	}
	switch byStatus {
	case ReasonExceedLimit:
		return byText == ReasonMesgTooBig
	case ReasonUserUnknown, ReasonMailboxFull, ReasonHostUnknown, ReasonMesgTooBig:
		// The text may say more precisely why (filtered, suspend, …), but
		// "too large" under 5.3.4 is the size the code already names.
		if byStatus == ReasonMesgTooBig && byText == ReasonExceedLimit {
			return true
		}
		switch byText {
		case ReasonSuspend, ReasonFiltered, ReasonMailboxFull, ReasonHasMoved, ReasonNotAccept, ReasonUserUnknown, ReasonMailerError, ReasonExceedLimit:
			return false
		}
		return true
	}
	return false
}

// finish classifies every recipient and decides the report's kind.
func (p *parser) finish(h textproto.Header) {
	rep := &p.rep
	if rep.Kind == KindComplaint || rep.Kind == KindVacation {
		for i := range rep.Recipients {
			rc := &rep.Recipients[i]
			rc.Severity = p.policy.Severity(rc.Reason)
		}
		return
	}
	var context, command string
	haveCommand := false
	kind := KindNone
	for i := range rep.Recipients {
		rc := &rep.Recipients[i]
		if ds, afterCode := diagStatus(rc.Diagnostic); ds != "" && (rc.Status == "" ||
			strings.HasSuffix(rc.Status, ".0.0") && !strings.HasSuffix(ds, ".0.0") && ds[0] == rc.Status[0] ||
			afterCode && ds[0] == rc.Status[0] && !strings.HasSuffix(ds, ".0.0")) {
			// The remote server's own code is more precise than the
			// reporting MTA's summary.
			rc.Status = ds
		}
		if rc.ReplyCode == 0 {
			rc.ReplyCode = replyCode(rc.Diagnostic)
		}
		if rc.Command == "" {
			rc.Command = smtpCommand(rc.Diagnostic)
		}
		if rc.Command == "" {
			if context == "" {
				context = p.lowerReport()
				if len(context) > 4096 {
					context = context[:4096]
				}
			}
			if !haveCommand {
				command, haveCommand = contextCommand(context), true
			}
			rc.Command = command
		}
		rc.Diagnostic = cleanDiagnostic(rc.Diagnostic)
		ld := strings.ToLower(rc.Diagnostic)
		if rc.Reason == "" {
			if context == "" {
				context = p.lowerReport()
				if len(context) > 4096 {
					context = context[:4096]
				}
			}
			rc.Reason = classify(ld, rc.Status, rc.ReplyCode, rc.Action, rc.Command, context)
			if rc.unix && (rc.Reason == ReasonOnHold || rc.Reason == ReasonSyntaxError) {
				rc.Reason = ReasonMailerError
			}
			if rc.Reason == ReasonOnHold && (rc.Diagnostic == "" || rc.summary) {
				// Nothing decides and no diagnostic was given at all: the
				// cause is undefined, as sisimai names it; onhold is for
				// a diagnostic that does not decide.
				rc.Reason = ReasonUndefined
			}
			if rc.mdn && (rc.Reason == ReasonOnHold || rc.Reason == ReasonUndefined) {
				// The recipient's own filter refused the message.
				rc.Reason = ReasonFiltered
			}
		}
		temp := rc.ReplyCode/100 == 4 || statusClass(rc.Status) == '4' || rc.Action == "delayed"
		if rc.Status == "" {
			rc.Status = PseudoStatus(rc.Reason, temp || (rc.Reason == ReasonExpired && rc.Action == "delayed"))
		}
		if rc.Action == "" {
			switch {
			case rc.Reason == ReasonDelivered:
				rc.Action = "delivered"
			case temp && (len(p.dsn) > 0 || p.delayNotice()):
				// A prose report of a temporary failure is a delay only
				// when it says delivery is still being tried; otherwise
				// the MTA gave up (Exchange reports 4.4.7 as a failure).
				rc.Action = "delayed"
			default:
				rc.Action = "failed"
			}
		}
		rc.Severity = p.policy.Severity(rc.Reason)
		switch {
		case rc.Reason.Failure() && rc.Action != "delayed":
			kind = KindFailure
		case rc.Reason.Failure() && kind != KindFailure:
			kind = KindDelay
		case rc.Reason == ReasonDelivered && kind == KindNone:
			kind = KindDelivery
		}
	}
	if kind == KindNone && len(rep.Recipients) == 0 && p.nameless(h) {
		// A report that names no recipient at all (Sendmail's "No
		// Message Collected" note) is still a failure report: it must
		// not be taken for a customer's mail.
		kind = KindFailure
	}
	rep.Kind = kind
}

// nameless reports whether a mail in which no recipient was found is
// nevertheless a failure report by its header alone: a report-writing
// sender or report subject, and the machine's own word that it reports a
// failure (Auto-Submitted: auto-generated (failure), or a multipart/report
// of delivery-status type).
func (p *parser) nameless(h textproto.Header) bool {
	if !p.reportSender(h) {
		return false
	}
	auto := strings.ToLower(h.Get("Auto-Submitted"))
	ct := strings.ToLower(h.Get("Content-Type"))
	return strings.Contains(auto, "failure") ||
		strings.HasPrefix(ct, "multipart/report") && strings.Contains(ct, "delivery-status")
}

// smtpCommand returns the SMTP command a diagnostic says the failure
// followed: RCPT, MAIL, DATA, HELO (for EHLO too), STARTTLS or AUTH.
func smtpCommand(d string) string {
	u := strings.ToUpper(d)
	best, at := "", len(u)
	for _, c := range [...]struct{ word, cmd string }{
		{"RCPT", "RCPT"}, {"MAIL FROM", "MAIL"}, {"END OF DATA", "DATA"}, {"DATA", "DATA"},
		{"EHLO", "HELO"}, {"HELO", "HELO"}, {"STARTTLS", "STARTTLS"}, {"AUTH", "AUTH"},
	} {
		off := 0
		for {
			i := strings.Index(u[off:], c.word)
			if i < 0 {
				break
			}
			i += off
			off = i + len(c.word)
			if i > 0 && isAlpha(u[i-1]) || off < len(u) && isAlpha(u[off]) {
				continue
			}
			if i < at {
				best, at = c.cmd, i
			}
			break
		}
	}
	return best
}

// strongUnknown reports wording that means an unknown user whatever the
// SMTP stage.
func strongUnknown(diag string) bool {
	for _, s := range []string{"recipient name is not recognized", "couldn't be found", "not listed in", "invalid final delivery userid", "unable to deliver message to", "unknown user:", "no valid recipients", ">: user unknown", "#5.1.0 address rejected", "addressee unknown"} {
		if strings.Contains(diag, s) {
			return true
		}
	}
	return false
}

// contextCommands are the phrases of a report's prose that name the SMTP
// command a failure answered.
var contextCommands = [...]struct{ phrase, cmd string }{
	{"in reply to rcpt to", "RCPT"}, {"our rcpt to", "RCPT"}, {"rcpt command", "RCPT"}, {"after rcpt to", "RCPT"}, {">>> rcpt to", "RCPT"}, {"rcpt to response", "RCPT"},
	{"in reply to mail from", "MAIL"}, {"after mail from", "MAIL"}, {">>> mail from", "MAIL"},
	{"in reply to end of data", "DATA"}, {"after end of data", "DATA"}, {"in reply to data", "DATA"}, {">>> data", "DATA"},
	{"after data", "DATA"}, {"failed after i sent the message", "DATA"}, {"does not like recipient", "RCPT"},
	{"but sender was rejected", "MAIL"}, {"but my name was rejected", "HELO"}, {"in reply to helo", "HELO"}, {"in reply to ehlo", "HELO"}, {"after ehlo", "HELO"}, {"after helo", "HELO"}, {"after initial connection", "HELO"},
}

// contextCommand returns the command the last such phrase of lower-case
// prose names.
func contextCommand(s string) string {
	// MTAs wrap their prose ("(in reply to\n    RCPT TO command)"): the
	// phrases are matched with every run of white space as one space.
	return commandIn(collapseSpace(s))
}

// collapseSpace returns s with every run of ASCII white space as one space.
func collapseSpace(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			if !space {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

// commandIn returns the command the last phrase of contextCommands in s
// names.
func commandIn(s string) string {
	best, at := "", -1
	var pairs bigrams
	pairs.fill(s)
	for _, c := range contextCommands {
		if !phrase([]string{c.phrase}).mayBeIn(&pairs) {
			continue
		}
		// Forward searches are vectorized; LastIndex is not.
		for off := 0; ; {
			i := strings.Index(s[off:], c.phrase)
			if i < 0 {
				break
			}
			if off+i > at {
				best, at = c.cmd, off+i
			}
			off += i + len(c.phrase)
		}
	}
	return best
}

// cleanDiagnostic joins a multi-line SMTP reply: "550-5.7.1 a 550-5.7.1 b"
// becomes "550-5.7.1 a b", so phrases split over reply lines match.
func cleanDiagnostic(d string) string {
	code := replyCode(d)
	if code == 0 {
		return d
	}
	c := strconv.Itoa(code)
	st := firstStatus(d)
	first := true
	var sb strings.Builder
	for len(d) > 0 {
		i := strings.Index(d, c)
		if i < 0 {
			sb.WriteString(d)
			break
		}
		j := i + len(c)
		if j < len(d) && (d[j] == '-' || d[j] == ' ') && (i == 0 || d[i-1] == ' ') {
			k := j + 1
			if st != "" && strings.HasPrefix(d[k:], st) {
				k += len(st)
			}
			if !first {
				sb.WriteString(d[:i])
				d = strings.TrimLeft(d[k:], " ")
				continue
			}
			first = false
		}
		sb.WriteString(d[:j])
		d = d[j:]
	}
	return sb.String()
}

// domainDoesNotExist reports wording like "553 example.com does not exist":
// a host name, not a mailbox, that does not exist.
func domainDoesNotExist(diag string) bool {
	i := strings.Index(diag, " does not exist")
	if i <= 0 {
		return false
	}
	w := diag[:i]
	if j := strings.LastIndexAny(w, " \t:<(["); j >= 0 {
		w = w[j+1:]
	}
	return strings.IndexByte(w, '.') > 0 && !strings.ContainsAny(w, "@>'\"")
}
