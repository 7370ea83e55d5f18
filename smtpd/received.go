package smtpd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-message/textproto"
)

// idSource makes transaction ids: the server's start time and a counter,
// unique within a process and readable in logs.
type idSource struct {
	prefix string
	n      atomic.Uint64
}

func newIDSource(start time.Time) idSource {
	return idSource{prefix: fmt.Sprintf("%08X", uint32(start.Unix()))}
}

func (s *idSource) next() string {
	return fmt.Sprintf("%s%06X", s.prefix, s.n.Add(1))
}

// protocol returns the RFC 3848 protocol name of a session.
func protocol(lmtp, tls bool, user string) string {
	p := "ESMTP"
	if lmtp {
		p = "LMTP"
	}
	if tls {
		p += "S"
	}
	if user != "" {
		p += "A"
	}
	return p
}

// received returns the Received field (RFC 5321 §4.4) for one delivery:
// the client's HELO name (reduced to the characters a domain or address
// literal uses) and address, the TLS version and cipher, the protocol with
// its TLS and AUTH state (RFC 3848), the id, the recipient when there is
// one (a list would disclose the others), and the time. The AUTH identity
// is not written.
func (ss *session) received(id string, rcpts []string, now time.Time) []byte {
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString("Received: from ")
	b.WriteString(heloName(ss.helo))
	b.WriteString(" (")
	switch {
	case !ss.ip.IsValid():
		b.WriteString("unknown")
	case ss.ip.Is4():
		b.WriteString("[" + ss.ip.String() + "]")
	default:
		b.WriteString("[IPv6:" + ss.ip.String() + "]")
	}
	b.WriteString(")")
	if cs, ok := ss.c.TLSConnectionState(); ok {
		fmt.Fprintf(&b, "\r\n\t(using %s with cipher %s)", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
	}
	fmt.Fprintf(&b, "\r\n\tby %s (deskmail) with %s id %s", heloName(ss.s.o.Domain), protocol(ss.s.o.LMTP, ss.tls, ss.user), id)
	if len(rcpts) == 1 && headerSafe(rcpts[0]) {
		b.WriteString("\r\n\tfor <" + rcpts[0] + ">")
	}
	b.WriteString(";\r\n\t")
	b.WriteString(now.Format(time.RFC1123Z))
	b.WriteString("\r\n")
	return b.Bytes()
}

// heloName keeps the characters of a domain or address literal and
// replaces the others with '_', so a client's HELO cannot end the field,
// open a comment or smuggle control characters.
func heloName(s string) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > 255 {
		s = s[:255]
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '_', c == ':', c == '[', c == ']':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

// headerSafe reports whether an address may be written in a field as is.
func headerSafe(s string) bool {
	if len(s) > 320 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' {
			return false
		}
	}
	return true
}

// authResults returns the Authentication-Results field for the
// pipeline's value, folded after each ';' and with any line break in it
// turned into a space.
func authResults(v string) []byte {
	if v == "" {
		return nil
	}
	v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	return []byte("Authentication-Results: " + strings.ReplaceAll(v, "; ", ";\r\n\t") + "\r\n")
}

// authServID returns the authserv-id an Authentication-Results value
// starts with.
func authServID(v string) string {
	v = strings.TrimLeft(v, " \t\r\n")
	if i := strings.IndexAny(v, "; \t\r\n("); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(v)
}

// stripAuthResults removes from the header of text every
// Authentication-Results field whose authserv-id is one of ids (lower
// case), as RFC 8601 §5 asks of the border MTA: a sender cannot forge our
// verdict. It works in place, moving the fields before a removed one
// forward, and returns how many bytes text now starts later.
func stripAuthResults(text []byte, ids []string) int {
	if len(ids) == 0 {
		return 0
	}
	type span struct{ a, b int }
	var drop []span
	i := 0
	for i < len(text) {
		// One field: this line and its continuation lines.
		if text[i] == '\n' || (text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n') {
			break // the blank line: end of the header
		}
		j := i
		for {
			nl := bytes.IndexByte(text[j:], '\n')
			if nl < 0 {
				j = len(text)
				break
			}
			j += nl + 1
			if j >= len(text) || (text[j] != ' ' && text[j] != '\t') {
				break
			}
		}
		if id, ok := fieldAuthServID(text[i:j]); ok {
			for _, want := range ids {
				if id == want {
					drop = append(drop, span{i, j})
					break
				}
			}
		}
		i = j
	}
	if len(drop) == 0 {
		return 0
	}
	// Move the kept runs before each dropped field to the right, last
	// first, so the header ends where it ended and the body stays.
	dst, removed := drop[len(drop)-1].b, 0
	for k := len(drop) - 1; k >= 0; k-- {
		from := 0
		if k > 0 {
			from = drop[k-1].b
		}
		run := text[from:drop[k].a]
		dst -= len(run)
		copy(text[dst:], run)
		removed += drop[k].b - drop[k].a
	}
	return removed
}

// fieldAuthServID returns the authserv-id of an Authentication-Results
// field, or false for another field.
func fieldAuthServID(f []byte) (string, bool) {
	const name = "authentication-results"
	colon := bytes.IndexByte(f, ':')
	if colon < 0 {
		return "", false
	}
	if !strings.EqualFold(strings.TrimRight(string(f[:colon]), " \t"), name) {
		return "", false
	}
	return authServID(string(f[colon+1:])), true
}

// relayTrusted reports whether the session's client is a trusted relay.
func (ss *session) relayTrusted() bool {
	for _, p := range ss.s.o.TrustedRelays {
		if ss.ip.IsValid() && p.Contains(ss.ip.Unmap()) {
			return true
		}
	}
	return false
}

// relayedClient reads the client a relay received the mail from out of the
// mail's topmost Received field, as Postfix, Exim, Sendmail and Microsoft
// write it: "from HELO (rDNS [IP])" (the IP may carry an "IPv6:" prefix;
// Exim writes "from rDNS ([IP]:port helo=HELO)").
func relayedClient(raw []byte) (netip.Addr, string, bool) {
	h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(bytes.NewReader(raw), 256<<10)))
	if err != nil {
		return netip.Addr{}, "", false
	}
	v := h.Get("Received")
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "from ")
	if !ok {
		return netip.Addr{}, "", false
	}
	helo, rest, _ := strings.Cut(strings.TrimSpace(rest), " ")
	open := strings.IndexByte(rest, '(')
	if open < 0 {
		return netip.Addr{}, "", false
	}
	comment := rest[open:]
	if c := strings.IndexByte(comment, ')'); c >= 0 {
		comment = comment[:c]
	}
	lb, rb := strings.IndexByte(comment, '['), strings.IndexByte(comment, ']')
	if lb < 0 || rb < lb {
		return netip.Addr{}, "", false
	}
	lit := strings.TrimPrefix(strings.TrimPrefix(comment[lb+1:rb], "IPv6:"), "ipv6:")
	ip, err := netip.ParseAddr(lit)
	if err != nil {
		return netip.Addr{}, "", false
	}
	if _, h, ok := strings.Cut(comment, "helo="); ok { // Exim names the HELO in the comment
		helo, _, _ = strings.Cut(h, " ")
	}
	return ip.Unmap(), strings.Trim(helo, "[]"), true
}
