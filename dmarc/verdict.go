package dmarc

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"unicode"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/spf"
)

// Message is an inbound message as the receiving server saw it.
type Message struct {
	// IP is the connecting client's address.
	IP netip.Addr
	// HELO is the name the client gave in HELO/EHLO.
	HELO string
	// MailFrom is the envelope sender (MAIL FROM); "" is the null sender.
	MailFrom string
	// Raw is the message as received, header and body, CRLF line ends.
	Raw []byte
	// Header is the header of Raw as textproto.ReadHeader parsed it, for a
	// caller that has it already (the inbound pipeline): the From domain is
	// then taken from its first From field instead of a second scan of
	// Raw. It must be the header of Raw. Nil: Raw is scanned.
	Header *textproto.Header
	// FromDomain is the lower-case domain of the first address of the
	// first From field, for a caller that parsed it already, exactly as
	// dkim.FromDomain(Raw) would give it. Empty: taken from Header, or
	// from Raw.
	FromDomain string
}

// Action is what the inbound pipeline should do with a message.
type Action string

// The actions of a Verdict.
const (
	// Accept: deliver normally (DMARC passed, or no policy asks otherwise).
	Accept Action = "accept"
	// Suspend: hold for review (DMARC failed with quarantine or reject).
	// Mail that fails is suspended, not lost, and can be recovered (D4).
	Suspend Action = "suspend"
	// Retry: DNS failed; evaluate again later (or accept and flag).
	Retry Action = "retry"
)

// VerdictOptions configure Authenticate. Nil means the defaults of each
// field.
type VerdictOptions struct {
	// Options are the DMARC options; their Resolver also serves SPF and
	// DKIM. Nil means defaults.
	DMARC *Options
	// AuthServID is the authserv-id of the Authentication-Results value
	// (RFC 8601), normally the receiving host's name. Empty means
	// "deskmail".
	AuthServID string
	// DKIM configures signature verification; its Resolver defaults to
	// DMARC.Resolver.
	DKIM *dkim.VerifyOptions
	// SkipDKIM turns DKIM verification off, for a host that verified the
	// signatures upstream or measures throughput without it: no key is
	// looked up, Verdict.DKIM stays empty, DMARC rests on SPF alignment
	// alone, and a signed message gets "dkim=none reason=..." in the
	// Authentication-Results, with a reason saying so. A message with
	// aligned DKIM but unaligned SPF then fails DMARC. False (the
	// default): every DKIM-Signature is verified. A message without a
	// DKIM-Signature costs no DKIM work either way.
	SkipDKIM bool
}

// Verdict is the combined SPF, DKIM and DMARC evaluation of an inbound
// message.
type Verdict struct {
	SPF   *spf.Check           `json:"-"`
	DKIM  []*dkim.Verification `json:"dkim"`
	DMARC *Result              `json:"dmarc"`
	// SPFResult and SPFDomain repeat the SPF outcome for JSON.
	SPFResult spf.Result `json:"spf"`
	SPFDomain string     `json:"spf_domain"`
	// Action is what to do with the message.
	Action Action `json:"action"`
	// AuthenticationResults is the value of an Authentication-Results
	// header field for the message (without the field name).
	AuthenticationResults string `json:"authentication_results"`
	// Reasons say why, for the review queue.
	Reasons []string `json:"reasons"`
}

// Authenticate checks SPF for the envelope sender (or HELO for a null
// sender), verifies the DKIM signatures, evaluates DMARC for the From
// domain and returns one verdict with an Authentication-Results value. The
// error is for a message whose header cannot be read.
func Authenticate(ctx context.Context, m *Message, opts *VerdictOptions) (*Verdict, error) {
	var vo VerdictOptions
	if opts != nil {
		vo = *opts
	}
	o := vo.DMARC.orDefault()
	if vo.AuthServID == "" {
		vo.AuthServID = "deskmail"
	}
	var dopts dkim.VerifyOptions
	if vo.DKIM != nil {
		dopts = *vo.DKIM
	}
	if dopts.Resolver == nil && o.Resolver != nil {
		dopts.Resolver = o.Resolver
	}
	v := &Verdict{}
	sopts := &spf.Options{HELO: m.HELO, NoTrace: true}
	if o.Resolver != nil {
		sopts.Resolver = o.Resolver
	}
	v.SPF = spf.CheckMailFrom(ctx, m.IP, m.MailFrom, m.HELO, sopts)
	v.SPFResult, v.SPFDomain = v.SPF.Result, v.SPF.Domain

	// A header without a DKIM-Signature field needs no verification run:
	// the scan below finds every field dkim.Verify would look at.
	signed := hasDKIMSignature(m.Raw)
	var verifs []*dkim.Verification
	if signed && !vo.SkipDKIM {
		var err error
		verifs, err = dkim.Verify(ctx, m.Raw, &dopts)
		if err != nil {
			return nil, fmt.Errorf("dmarc: %w", err)
		}
	}
	v.DKIM = verifs

	from := m.FromDomain
	switch {
	case from != "":
	case m.Header != nil:
		from = headerFromDomain(m.Header)
	default:
		from = dkim.FromDomain(m.Raw)
	}
	v.DMARC = Evaluate(ctx, &Input{FromDomain: from, SPFDomain: v.SPF.Domain, SPFResult: v.SPF.Result, DKIM: verifs}, &o)
	v.Reasons = make([]string, 0, len(v.DMARC.Reasons)+3)
	v.Reasons = append(v.Reasons, "SPF "+string(v.SPF.Result)+" for "+orNone(v.SPF.Domain)+" from "+m.IP.String())
	if signed && vo.SkipDKIM {
		v.Reasons = append(v.Reasons, "DKIM signatures not verified: verification is turned off (SkipDKIM)")
	}
	v.Reasons = append(v.Reasons, v.DMARC.Reasons...)
	switch {
	case v.DMARC.Outcome == TempError:
		v.Action = Retry
	case v.DMARC.Outcome == Fail && v.DMARC.Disposition != PolicyNone:
		v.Action = Suspend
		v.Reasons = append(v.Reasons, fmt.Sprintf("suspended for review: DMARC fails and %s asks for %s", from, v.DMARC.Disposition))
	default:
		v.Action = Accept
	}

	results := make([]authres.Result, 0, len(verifs)+3)
	results = append(results, &authres.SPFResult{Value: authres.ResultValue(v.SPF.Result), From: m.MailFrom, Helo: m.HELO})
	if len(verifs) == 0 {
		dr := &authres.DKIMResult{Value: authres.ResultNone}
		if signed && vo.SkipDKIM {
			dr.Reason = "not verified"
		}
		results = append(results, dr)
	}
	for _, dv := range verifs {
		results = append(results, dv.AuthResult())
	}
	dm := &authres.DMARCResult{Value: authres.ResultValue(v.DMARC.Outcome), From: from}
	if v.DMARC.Outcome == Fail {
		dm.Reason = v.DMARC.PolicyTag + "=" + string(v.DMARC.Policy) + " disposition=" + string(v.DMARC.Disposition)
	}
	results = append(results, dm)
	v.AuthenticationResults = tidyAuthRes(formatAuthRes(vo.AuthServID, results))
	return v, nil
}

// formatAuthRes is authres.Format, byte for byte, without its maps and
// string concatenations for the SPF, DKIM and DMARC results Authenticate
// makes; any other result type takes authres.Format.
func formatAuthRes(id string, results []authres.Result) string {
	if len(results) == 0 {
		return authres.Format(id, results)
	}
	var b strings.Builder
	b.Grow(len(id) + 160)
	b.WriteString(id)
	for _, r := range results {
		var method, reason string
		var value authres.ResultValue
		var params [2][2]string // sorted by key, reason apart
		switch r := r.(type) {
		case *authres.SPFResult:
			method, value, reason = "spf", r.Value, r.Reason
			params = [2][2]string{{"smtp.helo", r.Helo}, {"smtp.mailfrom", r.From}}
		case *authres.DKIMResult:
			method, value, reason = "dkim", r.Value, r.Reason
			params = [2][2]string{{"header.d", r.Domain}, {"header.i", r.Identifier}}
		case *authres.DMARCResult:
			method, value, reason = "dmarc", r.Value, r.Reason
			params = [2][2]string{{"header.from", r.From}}
		default:
			return authres.Format(id, results)
		}
		b.WriteString("; ")
		b.WriteString(method)
		b.WriteByte('=')
		b.WriteString(string(value))
		b.WriteByte(' ')
		n := 0
		if reason != "" {
			b.WriteString("reason=")
			writeAuthValue(&b, reason)
			n++
		}
		for _, kv := range params {
			if kv[1] == "" {
				continue
			}
			if n > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(kv[0])
			b.WriteByte('=')
			writeAuthPvalue(&b, kv[1])
			n++
		}
	}
	return b.String()
}

// writeAuthValue writes s as go-msgauth's formatValue does: a token, or a
// quoted string when s holds a space, a control or a tspecial.
func writeAuthValue(b *strings.Builder, s string) {
	quote := false
	for _, ch := range s {
		switch ch {
		case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=':
			quote = true
		}
		if ch <= ' ' {
			quote = true
		}
	}
	if !quote {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `\"`))
	b.WriteByte('"')
}

// writeAuthPvalue writes s as go-msgauth's formatPvalue does: as it is
// when it looks like an address or a domain, else as writeAuthValue.
func writeAuthPvalue(b *strings.Builder, s string) {
	for _, ch := range s {
		if unicode.IsLetter(ch) || unicode.IsDigit(ch) {
			continue
		}
		switch ch {
		case '#', '$', '%', '&', '\'', '*', '+', ',', '.', '/', '-', '@', '[', ']', '\\', '^', '_', '`', '{', '|', '}', '~':
			continue
		}
		writeAuthValue(b, s)
		return
	}
	b.WriteString(s)
}

// hasDKIMSignature reports whether the header of raw may hold a
// DKIM-Signature field. It stops where dkim.Verify stops (the first empty
// line) and matches every line that starts with the field name in any
// case, so it errs only towards true.
func hasDKIMSignature(raw []byte) bool {
	const name = "DKIM-Signature"
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i+1], raw[i+1:]
		} else {
			raw = nil
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return false
		}
		if len(line) >= len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// headerFromDomain is dkim.FromDomain on a parsed header: the lower-case
// domain of the first address of the first From field, or "".
func headerFromDomain(h *textproto.Header) string {
	var value string
	if raw, err := h.Raw("From"); err == nil && raw != nil {
		_, v, _ := bytes.Cut(raw, []byte{':'})
		value = strings.TrimSpace(unfold.Replace(string(v)))
	} else if h.Has("From") {
		value = h.Get("From")
	}
	if value == "" {
		return ""
	}
	addrs, err := deskmail.ParseAddressList(value)
	if err != nil || len(addrs) == 0 {
		return ""
	}
	return strings.ToLower(addrs[0].Domain)
}

// unfold joins folded lines, as dkim.FromDomain does.
var unfold = strings.NewReplacer("\r\n", "", "\n", "")

// tidyAuthRes drops the blanks go-msgauth leaves before ';' when a result
// has no properties.
func tidyAuthRes(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, " ;", ";"))
}
