package bounce

import (
	"mime"
	"strings"

	"github.com/deskmail/deskmail/internal/mailparse"
	"github.com/emersion/go-message/textproto"
)

type parser struct {
	policy SeverityPolicy
	rep    Report

	texts    [][]byte // human-readable text parts before the original
	dsn      [][]byte // message/delivery-status bodies
	feedback []byte   // message/feedback-report body
	original []byte   // the returned message or its header
	nested   int      // depth of reports read from attachments
	report   *string  // reportText, once computed
	origDone bool     // parseOriginal ran
	lower    *string  // lowerReport, once computed
	// fromOriginalTo is set when the recipients were taken from the
	// returned message's To for want of anything better.
	fromOriginalTo bool
}

// maxParts and maxDepth bound the MIME walk.
const (
	maxParts = 64
	maxDepth = 8
)

// maxRecipients bounds the recipients one report yields, so that a crafted
// report cannot make the work quadratic.
const maxRecipients = 500

func (p *parser) parse(h textproto.Header, body []byte) {
	rep := &p.rep
	rep.From = decodeWords(h.Get("From"))
	rep.To = h.Get("To")
	rep.Subject = decodeWords(h.Get("Subject"))
	rep.MessageID = trimID(h.Get("Message-Id"))
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "To"} {
		for _, v := range h.Values(k) {
			for _, a := range splitAddrs(v) {
				rep.Envelope = appendUnique(rep.Envelope, a)
			}
		}
	}
	p.walk(h, body)

	switch {
	case p.feedback != nil:
		p.parseFeedback()
	case len(p.dsn) > 0:
		p.parseDSN()
		if p.isChallengeReport() {
			// A challenge-response system's or a confirmation gate's report.
			rep.Recipients = nil
			return
		}
		if len(rep.Recipients) == 0 {
			p.scanText(h)
		}
	case p.parseSES():
	default:
		switch {
		case p.reportSender(h):
			p.scanText(h)
		case p.isChallenge():
			// A challenge-response or whitelist request: not a report.
			return
		case p.looksLikeBounce(h):
			p.scanText(h)
		case p.isVacation(h):
			p.vacation(h)
		}
	}
	nestedSrc := p.original
	if nestedSrc == nil {
		if t := p.allText(); len(rep.Recipients) == 0 {
			if i := originalStart(t); i >= 0 {
				nestedSrc = []byte(t[i:])
			}
		}
	}
	if (len(rep.Recipients) == 0 || p.fromOriginalTo) && nestedSrc != nil && p.nested < 1 && rep.Kind == KindNone && p.looksLikeBounce(h) {
		// A report forwarded as an attachment or inline: read that one.
		if inner, body, err := mailparse.ReadHeader(nestedSrc); err == nil {
			q := &parser{policy: p.policy, nested: p.nested + 1}
			q.rep.From = decodeWords(inner.Get("From"))
			q.rep.To = inner.Get("To")
			q.rep.Subject = decodeWords(inner.Get("Subject"))
			q.walk(inner, body)
			if len(q.dsn) > 0 {
				q.parseDSN()
			}
			if len(q.rep.Recipients) == 0 && q.looksLikeBounce(inner) {
				q.scanText(inner)
			}
			if len(q.rep.Recipients) > 0 {
				rep.Recipients = q.rep.Recipients
				p.dsn, p.texts, p.report, p.lower = q.dsn, q.texts, nil, nil
				p.original = q.original
				p.origDone, rep.Original = false, Original{}
			}
		}
	}
	p.parseOriginal()
	p.finish(h)
}

// walk collects the parts of the MIME tree a report is made of: the prose
// before the returned message, the delivery-status and feedback blocks, and
// the returned message or its header.
func (p *parser) walk(h textproto.Header, body []byte) {
	lim := mailparse.Limits{MaxDepth: maxDepth, MaxParts: maxParts}
	plainAt := -1 // depth of the last text/plain leaf of a multipart/alternative
	mailparse.Walk(h, body, lim, func(pt *mailparse.Part) bool {
		switch pt.Type {
		case "message/delivery-status", "message/global-delivery-status":
			p.dsn = append(p.dsn, pt.Decoded())
		case "message/disposition-notification":
			// A Sieve "reject" (RFC 5429) and some MDAs refuse by MDN:
			// a disposition of deleted, denied or failed is a failure
			// report whose Final-Recipient is the refusing mailbox.
			if b := pt.Decoded(); mdnRefusal(b) {
				p.dsn = append(p.dsn, b)
			}
		case "message/feedback-report":
			p.feedback = pt.Decoded()
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
			"message/global-headers", "message/partial":
			if p.original == nil {
				p.original = pt.Decoded()
			}
		default:
			if !strings.HasPrefix(pt.Type, "text/") {
				return true
			}
			if p.original != nil && pt.Depth > 0 && len(p.texts) > 0 {
				return true
			}
			switch {
			case pt.Type == "text/html" && pt.Parent == "multipart/alternative" && plainAt == pt.Depth:
				// The plain alternative says the same.
			case pt.Type == "text/html":
				p.texts = append(p.texts, []byte(pt.Text()))
			default:
				if pt.Parent == "multipart/alternative" && pt.Type == "text/plain" {
					plainAt = pt.Depth
				}
				p.texts = append(p.texts, pt.Decoded())
			}
		}
		return true
	})
}

// mdnRefusal reports whether a message/disposition-notification body says
// the message was refused rather than displayed or processed.
func mdnRefusal(b []byte) bool {
	for _, f := range fields(b) {
		if f.name != "disposition" {
			continue
		}
		v := strings.ToLower(f.value)
		if i := strings.IndexByte(v, ';'); i >= 0 {
			v = v[i+1:]
		}
		// "failed" also covers "failure".
		if containsAny(v, []string{"deleted", "denied", "failed", "failure"}) {
			return true
		}
	}
	return false
}

var wordDecoder = &mime.WordDecoder{CharsetReader: mailparse.CharsetReader}

// decodeWords decodes RFC 2047 encoded words, leaving the text as it is when
// it cannot.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// indexFoldASCII is strings.Index ignoring ASCII case, with indexes into s
// itself (strings.ToLower may change the length of non-ASCII text).
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		ok := true
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}
