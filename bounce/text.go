package bounce

import (
	"strings"
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
	l := strings.ToLower(t)
	if i := copyMarker(t, l); i >= 0 {
		t = t[:i]
		if len(l) > i {
			l = l[:i]
		}
	}
	if len(l) == len(t) {
		p.lower = &l
	}
	p.report = &t
	return t
}

// lowerReport is reportText in lower case, computed once.
func (p *parser) lowerReport() string {
	t := p.reportText() // sets p.lower when it can
	if p.lower == nil {
		l := strings.ToLower(t)
		p.lower = &l
	}
	return *p.lower
}

// copyMarkers are lower-case fragments of the line with which a report
// introduces the returned message ("--- Below this line is a copy of the
// message.", "------ This is a copy of the message, including all the
// headers. ------", "Original message follows:"), in the languages MTAs
// write them in. What follows such a line is the sender's mail, not the
// report, even when its header was removed.
var copyMarkers = []string{
	"below this line is a copy of the message", "this is a copy of the message", "this is a copy of your message",
	"copy of the original message below", "message follows",
	"original message as received", "unsent message below",
	"message header follows", "original message header",
	"lines of your original message follow", "returned message follows",
	"original message ---", "original message -----", "message d'origine", "message original",
	"ursprüngliche nachricht", "originalnachricht", "kopie der nachricht", "mensaje original",
	"messaggio originale", "mensagem original", "оригинальное сообщение", "исходное сообщение", "копия вашего письма", "копия письма",
	"元のメッセージ", "原始邮件",
}

// copyMarker returns the offset of the first line of t that introduces the
// returned message, or -1; l is t in lower case. Such a line is short and stands alone; every
// marker names the message ("message", "Nachricht", "original", or words
// outside ASCII), which keeps the scan to a few candidate lines.
func copyMarker(t, l string) int {
	sameOffsets := len(l) == len(t)
	for off := 0; off < len(t); {
		end := strings.IndexByte(t[off:], '\n')
		if end < 0 {
			end = len(t)
		} else {
			end += off
		}
		line := strings.TrimSpace(t[off:end])
		if len(line) > 8 && len(line) < 120 {
			var ll string
			if sameOffsets {
				ll = strings.TrimSpace(l[off:end])
			} else {
				ll = strings.ToLower(line)
			}
			if markerWord(ll) && containsAny(ll, copyMarkers) {
				return off
			}
		}
		off = end + 1
	}
	return -1
}

// markerWord reports whether a lower-case line has a word every copy marker
// has.
func markerWord(ll string) bool {
	for i := 0; i < len(ll); i++ {
		if ll[i] >= 0x80 {
			return true
		}
	}
	return strings.Contains(ll, "messag") || strings.Contains(ll, "original") || strings.Contains(ll, "nachricht")
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
