package bounce

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

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
