package spf

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// ReceivedSPF returns the value of a Received-SPF header field (RFC 7208
// section 9.1) for the check: the result, a comment, and the key-value
// pairs client-ip, envelope-from, helo, receiver, identity, mechanism and
// problem where known. Prepend "Received-SPF: " to use it as a header.
func (c *Check) ReceivedSPF() string {
	var b strings.Builder
	b.WriteString(string(c.Result))
	b.WriteString(" (")
	b.WriteString(commentSafe(c.comment()))
	b.WriteString(")")
	kv := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(quoteValue(v))
		b.WriteByte(';')
	}
	if c.IP.IsValid() {
		kv("client-ip", c.IP.String())
	}
	if c.Identity != "helo" {
		kv("envelope-from", c.Sender)
	}
	kv("helo", c.HELO)
	kv("receiver", c.Receiver)
	kv("identity", c.Identity)
	kv("mechanism", c.Mechanism)
	if c.Err != nil && (c.Result == PermError || c.Result == TempError) {
		kv("problem", c.Err.Error())
	}
	return strings.TrimSuffix(b.String(), ";")
}

func (c *Check) comment() string {
	recv := c.Receiver
	if recv == "" {
		recv = "unknown"
	}
	who := "domain of " + c.Sender
	if c.Identity == "helo" {
		who = "domain " + c.Domain
	}
	ip := c.IP.String()
	switch c.Result {
	case Pass:
		return recv + ": " + who + " designates " + ip + " as permitted sender"
	case Fail:
		return recv + ": " + who + " does not designate " + ip + " as permitted sender"
	case SoftFail:
		return recv + ": transitioning " + who + " does not designate " + ip + " as permitted sender"
	case Neutral:
		return recv + ": " + ip + " is neither permitted nor denied by " + who
	case None:
		return recv + ": " + c.Domain + " does not designate permitted sender hosts"
	case TempError:
		return recv + ": temporary error checking " + who
	}
	return recv + ": permanent error in the SPF record of " + c.Domain
}

// commentSafe removes what would end or nest an RFC 5322 comment.
func commentSafe(s string) string {
	if !strings.ContainsAny(s, "()\\\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '(', ')', '\\', '\r', '\n':
			return ' '
		}
		return r
	}, s)
}

// quoteValue returns v as an RFC 5322 dot-atom when it is one, else as a
// quoted-string.
func quoteValue(v string) string {
	atom := v != ""
	for i := 0; i < len(v) && atom; i++ {
		c := v[i]
		if !(isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~.:@", c) >= 0) {
			atom = false
		}
	}
	if atom {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\r' || c == '\n':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// AuthResult returns the check as an Authentication-Results entry (RFC
// 8601) for authres.Format: smtp.mailfrom for the mailfrom identity (and
// CheckHost), smtp.helo for the helo identity, and a reason naming the
// deciding mechanism or the error.
func (c *Check) AuthResult() *authres.SPFResult {
	r := &authres.SPFResult{Value: authres.ResultValue(c.Result)}
	if c.Identity == "helo" {
		r.Helo = c.Domain
	} else {
		r.From = c.Sender
		r.Helo = c.HELO
	}
	switch {
	case c.Err != nil && (c.Result == PermError || c.Result == TempError):
		r.Reason = c.Err.Error()
	case c.Mechanism != "":
		r.Reason = "matched " + c.Mechanism
	}
	return r
}
