package relay

import (
	"fmt"
	"strconv"
	"strings"
)

// Stage is the step of an SMTP session where something happened.
type Stage string

// The stages, in session order.
const (
	StageDNS      Stage = "dns"      // resolving the relay's host name
	StageConnect  Stage = "connect"  // TCP connection
	StageGreeting Stage = "greeting" // the server's 220 banner
	StageHello    Stage = "ehlo"     // EHLO/HELO
	StageTLS      Stage = "tls"      // STARTTLS or the implicit TLS handshake
	StageAuth     Stage = "auth"     // AUTH
	StageMail     Stage = "mail"     // MAIL FROM
	StageRcpt     Stage = "rcpt"     // RCPT TO
	StageData     Stage = "data"     // DATA and the message data up to the final dot
	StageDataEnd  Stage = "data_end" // the reply after the final dot
	StageDone     Stage = "done"     // the session completed
)

// Class is what a reply or failure means for routing.
type Class string

// The classes.
const (
	// ClassOK: accepted.
	ClassOK Class = "ok"
	// ClassBounce: a permanent rejection of the recipient or message (5.1.x
	// bad address, 5.2.x mailbox, 5.3.x/5.6.x message): reported per
	// recipient and never resent by another path.
	ClassBounce Class = "bounce"
	// ClassQuota: the relay's own sending limit is used up (such as 550
	// 5.4.5 "daily sending quota exceeded"): the relay is exhausted for the
	// day and the mail goes through the platform, without a breaker strike.
	ClassQuota Class = "quota"
	// ClassFault: the relay failed (connection, DNS, TLS, AUTH, a 4xx reply,
	// relaying denied): the mail goes through the platform and the breaker
	// counts a strike.
	ClassFault Class = "fault"
	// ClassUnknown: the connection failed after the message data was sent;
	// the message may have been accepted and must not be sent again.
	ClassUnknown Class = "unknown"
)

// Reply is an SMTP reply: code, RFC 3463 enhanced code and text.
type Reply struct {
	Code         int    `json:"code"`
	EnhancedCode string `json:"enhanced_code,omitempty"`
	Message      string `json:"message,omitempty"`
}

// String returns "550 5.1.1 text".
func (r Reply) String() string {
	s := strconv.Itoa(r.Code)
	if r.EnhancedCode != "" {
		s += " " + r.EnhancedCode
	}
	if r.Message != "" {
		s += " " + r.Message
	}
	return s
}

// ParseReply parses the last line of a reply as a server writes it ("550
// 5.1.1 No such user", "550-..." continuation lines allowed: the last line's
// code wins, the texts are joined with a space). It returns an error for
// text that does not start with a three-digit code.
func ParseReply(text string) (Reply, error) {
	text = strings.TrimRight(text, "\r\n")
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var r Reply
	var msgs []string
	for _, ln := range lines {
		if len(ln) < 3 {
			return Reply{}, fmt.Errorf("relay: reply %q has no code", ln)
		}
		code, err := strconv.Atoi(ln[:3])
		if err != nil || code < 200 || code > 599 || (len(ln) > 3 && ln[3] != ' ' && ln[3] != '-') {
			return Reply{}, fmt.Errorf("relay: reply %q has no code", ln)
		}
		r.Code = code
		rest := ""
		if len(ln) > 4 {
			rest = ln[4:]
		}
		if ec, tail, ok := cutEnhanced(rest); ok {
			r.EnhancedCode = ec
			rest = tail
		}
		if rest != "" {
			msgs = append(msgs, rest)
		}
	}
	r.Message = strings.Join(msgs, " ")
	return r, nil
}

// cutEnhanced splits a leading "x.y.z " enhanced status code off s.
func cutEnhanced(s string) (code, rest string, ok bool) {
	f, tail, _ := strings.Cut(s, " ")
	if validEnhanced(f) {
		return f, tail, true
	}
	return "", s, false
}

// validEnhanced reports whether s is an RFC 3463 status code: class 2, 4 or
// 5, a subject of 1–3 digits and a detail of 1–3 digits.
func validEnhanced(s string) bool {
	p := strings.Split(s, ".")
	if len(p) != 3 || (p[0] != "2" && p[0] != "4" && p[0] != "5") {
		return false
	}
	for _, x := range p[1:] {
		if len(x) == 0 || len(x) > 3 {
			return false
		}
		for _, c := range x {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// quotaPhrases mark a reply about the sender's own sending limit.
var quotaPhrases = []string{
	"quota exceeded", "sending quota", "sending limit", "daily limit", "rate limit",
	"limit exceeded", "too many messages", "message limit", "recipient limit exceeded",
	"exceeded the maximum number", "ratelimit", "throttl",
}

// relayPhrases mark a reply that refuses to relay for us.
var relayPhrases = []string{
	"relay access denied", "relaying denied", "relay not permitted", "not permitted to relay",
	"relaying not allowed", "unable to relay", "relay denied", "not allowed to relay",
	"sender address rejected", "not authorized to send", "not owned by user", "sendasdenied",
	"authentication required", "client host rejected",
}

// Classify says what a reply at a stage means for routing. The rules, in
// order:
//
//   - 2xx and 3xx are ClassOK.
//   - Quota replies — enhanced X.4.5 (Gmail's "550 5.4.5 Daily sending quota
//     exceeded"), or texts about sending limits that are not about the
//     recipient's mailbox (X.2.2 "over quota" stays a bounce) — are
//     ClassQuota.
//   - Any other 4xx is ClassFault: the relay did not take the mail now.
//   - 5xx before RCPT (greeting, EHLO, TLS, AUTH, MAIL) is ClassFault: the
//     relay refuses us, not the recipient.
//   - 5xx at RCPT is ClassBounce unless it refuses relaying (X.7.1 or a
//     text like "relay access denied"; X.7.0 and X.7.8 authentication), which
//     is ClassFault.
//   - 5xx after DATA is ClassBounce (the message is refused for good) unless
//     it is about authentication or relaying.
func Classify(stage Stage, r Reply) Class {
	if r.Code >= 200 && r.Code < 400 {
		return ClassOK
	}
	text := strings.ToLower(r.Message)
	ec := r.EnhancedCode
	subject := ""
	if p := strings.SplitN(ec, ".", 3); len(p) == 3 {
		subject = p[1]
		if p[1] == "4" && p[2] == "5" {
			return ClassQuota
		}
	}
	if subject != "1" && subject != "2" {
		for _, p := range quotaPhrases {
			if strings.Contains(text, p) {
				return ClassQuota
			}
		}
	}
	if r.Code < 500 || r.Code > 599 {
		return ClassFault
	}
	switch stage {
	case StageRcpt, StageData, StageDataEnd:
	default:
		return ClassFault
	}
	switch ec {
	case "5.7.0", "5.7.8", "5.7.14", "5.7.57", "5.7.60", "5.7.3":
		return ClassFault // authentication problems
	case "5.7.1":
		if stage == StageRcpt {
			return ClassFault // "relaying denied" is the usual meaning at RCPT
		}
	}
	for _, p := range relayPhrases {
		if strings.Contains(text, p) {
			return ClassFault
		}
	}
	return ClassBounce
}
