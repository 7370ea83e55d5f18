package dmarc

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/spf"
	"github.com/emersion/go-msgauth/authres"
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

	verifs, err := dkim.Verify(ctx, m.Raw, &dopts)
	if err != nil {
		return nil, fmt.Errorf("dmarc: %w", err)
	}
	v.DKIM = verifs

	from := dkim.FromDomain(m.Raw)
	v.DMARC = Evaluate(ctx, &Input{FromDomain: from, SPFDomain: v.SPF.Domain, SPFResult: v.SPF.Result, DKIM: verifs}, &o)
	v.Reasons = append(v.Reasons, fmt.Sprintf("SPF %s for %s from %s", v.SPF.Result, orNone(v.SPF.Domain), m.IP))
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

	results := []authres.Result{&authres.SPFResult{Value: authres.ResultValue(v.SPF.Result), From: m.MailFrom, Helo: m.HELO}}
	if len(verifs) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, dv := range verifs {
		results = append(results, dv.AuthResult())
	}
	dm := &authres.DMARCResult{Value: authres.ResultValue(v.DMARC.Outcome), From: from}
	if v.DMARC.Outcome == Fail {
		dm.Reason = fmt.Sprintf("%s=%s disposition=%s", v.DMARC.PolicyTag, v.DMARC.Policy, v.DMARC.Disposition)
	}
	results = append(results, dm)
	v.AuthenticationResults = tidyAuthRes(authres.Format(vo.AuthServID, results))
	return v, nil
}

// tidyAuthRes drops the blanks go-msgauth leaves before ';' when a result
// has no properties.
func tidyAuthRes(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, " ;", ";"))
}
