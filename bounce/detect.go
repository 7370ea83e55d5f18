package bounce

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

// bounceSenders are sender fragments of the programs that write delivery
// reports; a report from one of them needs no other evidence.
var bounceSenders = []string{
	"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.delivery.system", "post_master",
	"mmdf", "mail-delivery", "mail delivery", "microsoftexchange", "mail administrator", "system administrator",
}

// weakSenders are senders that also write ordinary notifications; a mail
// from one needs failure evidence in its text.
var weakSenders = []string{"nobody", "no-reply", "noreply", "sysadmin", "bounce", "mailer", "daemon"}

// bounceSubjects are lower-case subject fragments that only delivery reports
// use, in the languages MTAs write them in.
var bounceSubjects = []string{
	"undeliver", "delivery status notification", "returned mail", "failure notice", "delivery fail",
	"mail delivery", "failed delivery", "failure delivery", "could not be delivered", "mail system error",
	"delivery has failed", "error sending", "message not delivered", "not delivered:", "loop alert",
	"delivery problem", "warning: message", "delayed mail", "delivery delayed", "delivery report",
	"returned to sender", "nondeliverable", "non-deliverable", "non delivery", "non-delivery",
	"non remis", "non-remis", "échec de la remise", "unzustellbar", "nicht zustellbar", "nicht zugestellt",
	"non recapitabile", "non consegnato", "no entregado", "no se pudo entregar", "devuelto", "não entregue",
	"não foi possível entregar", "onbestelbaar", "niedostarczon", "nedoručitel", "olevererbar", "kézbesíthetetlen",
	"недоставлен", "не доставлен", "配信不能", "配送エラー", "送信エラー", "配信エラー", "退信", "无法投递", "系统退信",
	"전송 실패", "반송",
}

// weakSubjects are subject words that reports use but other mail uses too;
// they need failure evidence in the text.
var weakSubjects = []string{
	"notification", "returning", "rejected", "bounce", "delayed", "failed", "error", "not delivered",
	"delivery notification", "message delivery", "エラー", "mail\n",
}

func containsAny(s string, list []string) bool {
	for _, x := range list {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// looksLikeBounce tells a non-standard delivery report from ordinary mail by
// its structure: a null reverse-path or a report-writing sender, a report
// subject, an X-Failed-Recipients field, or weaker signs of these backed by
// failure evidence (a returned message, or an SMTP reply or enhanced status
// code in the text).
func (p *parser) looksLikeBounce(h textproto.Header) bool {
	if p.reportSender(h) {
		return true
	}
	from := strings.ToLower(p.rep.From)
	subj := strings.ToLower(p.rep.Subject)
	nullPath := strings.TrimSpace(h.Get("Return-Path")) == "<>"
	if nullPath && (p.original != nil || originalStart(p.allText()) >= 0) {
		return true
	}
	if nullPath || containsAny(from, weakSenders) {
		return p.original != nil || p.failureEvidence()
	}
	if containsAny(subj, weakSubjects) {
		// A person writing "error" in a subject and pasting an SMTP reply
		// is not a report: the mail must also be automatic or carry the
		// returned message.
		auto := h.Get("Auto-Submitted") != "" && !strings.EqualFold(strings.TrimSpace(h.Get("Auto-Submitted")), "no")
		return (auto || p.original != nil) && (p.original != nil || p.failureEvidence())
	}
	return false
}

// reportSender reports the signs that need no other evidence: an
// X-Failed-Recipients field, a report-writing sender, a report subject.
func (p *parser) reportSender(h textproto.Header) bool {
	if h.Get("X-Failed-Recipients") != "" {
		return true
	}
	from := strings.ToLower(p.rep.From)
	return containsAny(from, bounceSenders) || strings.Contains(from, "<>") || containsAny(strings.ToLower(p.rep.Subject), bounceSubjects)
}

// failureEvidence reports whether the report's prose carries an SMTP
// failure: a 4xx/5xx reply or enhanced status code next to an address, or
// a transcript line.
func (p *parser) failureEvidence() bool {
	text := p.reportText()
	if len(text) > 8192 {
		text = text[:8192]
	}
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if leadingCode(t) != 0 {
			return true
		}
		if st := firstStatus(t); st != "" && st[0] != '2' && strings.IndexByte(t, '@') >= 0 {
			return true
		}
		if c := replyCode(t); c >= 400 && strings.IndexByte(t, '@') >= 0 {
			return true
		}
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

// delayNotice reports whether a prose report says delivery is still being
// tried.
func (p *parser) delayNotice() bool {
	subj := strings.ToLower(p.rep.Subject)
	if strings.Contains(subj, "delay") || strings.Contains(subj, "warning") {
		return true
	}
	return containsAny(p.lowerReport(), retryPhrases)
}

// retryPhrases are lower-case fragments with which a report says delivery
// is still being tried, in the languages MTAs write them in.
var retryPhrases = []string{
	"will be retried", "will continue to try", "has not yet been delivered", "attempts will continue",
	"will continue to be made", "will keep trying", "will retry", "still trying", "will try again",
	"wird weiterhin versucht", "weitere zustellversuche", "nouvelles tentatives", "nouvelle tentative",
	"se seguirá intentando", "si continuerà a tentare", "повторные попытки", "再送を試みます",
}
