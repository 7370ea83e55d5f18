package senderauth

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/spf"
)

// Authenticate checks SPF for the envelope sender (or HELO for a null
// sender), verifies the DKIM signatures and the ARC chain, evaluates
// DMARC for the From domain, applies the trusted-sealer rule and returns
// one verdict with an Authentication-Results value. The error is for a
// message whose header cannot be read.
func Authenticate(ctx context.Context, m *Message, opts *Options) (*Verdict, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.AuthServID == "" {
		o.AuthServID = "deskmail"
	}
	r := o.resolver()
	var dmo dmarc.Options
	if o.DMARC != nil {
		dmo = *o.DMARC
	}
	if dmo.Resolver == nil {
		dmo.Resolver = r
	}
	var dopts dkim.VerifyOptions
	if o.DKIM != nil {
		dopts = *o.DKIM
	}
	if dopts.Resolver == nil {
		dopts.Resolver = r
	}

	v := &Verdict{}
	v.SPF = spf.CheckMailFrom(ctx, m.IP, m.MailFrom, m.HELO, &spf.Options{Resolver: r, HELO: m.HELO})
	v.SPFResult, v.SPFDomain = v.SPF.Result, v.SPF.Domain

	// A header without a DKIM-Signature field needs no verification run:
	// the scan below finds every field dkim.Verify would look at.
	signed := hasField(m.Raw, "DKIM-Signature")
	if signed && !o.SkipDKIM {
		verifs, err := dkim.Verify(ctx, m.Raw, &dopts)
		if err != nil {
			return nil, fmt.Errorf("senderauth: %w", err)
		}
		v.DKIM = verifs
	}
	if hasField(m.Raw, "ARC-") {
		var aopts arc.VerifyOptions
		if o.ARC != nil {
			aopts = *o.ARC
		}
		if aopts.Resolver == nil {
			aopts.Resolver = r
		}
		chain, err := arc.Verify(ctx, m.Raw, &aopts)
		if err != nil {
			// Over ARC's input bounds: the chain cannot count, and the
			// rest of the verdict stands.
			chain = &arc.Chain{Result: arc.Fail, Reason: deskmail.Sanitize(err.Error())}
		}
		if chain.Result != arc.None {
			v.ARC = chain
		}
	}

	from := m.FromDomain
	switch {
	case from != "":
	case m.Header != nil:
		from = headerFromDomain(m.Header)
	default:
		from = dkim.FromDomain(m.Raw)
	}
	in := &dmarc.Input{FromDomain: from, SPFDomain: v.SPF.Domain, SPFResult: authres.ResultValue(v.SPF.Result)}
	for _, dv := range v.DKIM {
		in.DKIM = append(in.DKIM, dmarc.DKIMResult{Domain: dv.Domain, Selector: dv.Selector, Result: authres.ResultValue(dv.Result)})
	}
	res := dmarc.Evaluate(ctx, in, &dmo)
	v.DMARC = res
	v.Result = res.Outcome
	v.SPFAligned, v.DKIMAligned = res.SPFAligned, res.DKIMAligned
	if res.Outcome == dmarc.None && from != "" {
		// No record: say whether SPF or DKIM passed for the From domain
		// itself (relaxed), which is what a host granting privileges
		// needs to know even without a policy.
		v.SPFAligned, v.DKIMAligned = ownAlignment(ctx, from, in, &dmo)
	}
	if res.Outcome == dmarc.Fail {
		v.Policy, v.PolicyTag, v.Disposition = res.Policy, res.PolicyTag, res.Disposition
		v.Percent, v.Testing = 100, false
		if res.Record != nil {
			if res.Record.PercentSet {
				v.Percent = res.Record.Percent
			}
			v.Testing = res.Record.Testing
		}
	} else {
		v.Disposition = dmarc.PolicyNone
	}

	v.Reasons = make([]deskmail.Reason, 0, len(res.Reasons)+5)
	v.Reasons = append(v.Reasons, deskmail.NewReason(ReasonSPF, "SPF %s for %s from %s", string(v.SPF.Result), orNone(v.SPF.Domain), m.IP.String()))
	if signed && o.SkipDKIM {
		v.Reasons = append(v.Reasons, deskmail.NewReason(ReasonDKIM, "DKIM signatures not verified: verification is turned off (SkipDKIM)"))
	}
	for _, s := range res.Reasons {
		v.Reasons = append(v.Reasons, deskmail.NewReason(ReasonDMARC, "%s", s))
	}
	if v.ARC != nil {
		v.Reasons = append(v.Reasons, applyARC(ctx, v, from, trusted(o.TrustedSealers, m.TrustedSealers), &dmo)...)
	}

	switch {
	case v.ARCTrusted:
		v.Action, v.Code = Accept, CodeARCTrusted
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodeARCTrusted, "DMARC fails on the message's own SPF and DKIM, but the trusted sealer %s recorded a pass before forwarding it: accepted", v.ARCSealer))
	case v.Result == dmarc.Pass:
		v.Action, v.Code = Accept, CodePass
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodePass, "DMARC passes for %s", from))
	case v.Result == dmarc.TempError:
		v.Action, v.Code = Retry, CodeTempError
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodeTempError, "DNS failed during sender authentication; evaluate again later"))
	case v.Result == dmarc.PermError:
		v.Action, v.Code = Accept, CodePermError
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodePermError, "DMARC cannot be evaluated: the message has no usable From domain"))
	case v.Result == dmarc.None:
		v.Action, v.Code = Accept, CodeNone
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodeNone, "%s publishes no DMARC record: nothing asks to hold the mail", from))
	case v.Disposition == dmarc.PolicyNone:
		v.Action, v.Code = Accept, CodeFailPolicyNone
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodeFailPolicyNone, "DMARC fails for %s, but the policy applied is none (%s=%s): accepted, not authenticated", from, v.PolicyTag, string(v.Policy)))
	default:
		v.Action, v.Code = Suspend, CodeFail
		v.Reasons = append(v.Reasons, deskmail.NewReason(CodeFail, "suspended for review: DMARC fails and %s asks for %s", from, string(v.Disposition)))
	}
	v.AuthenticationResults = formatAuthRes(o.AuthServID, m, v, from, signed && o.SkipDKIM)
	return v, nil
}

// ownAlignment is relaxed alignment with the From domain when the domain
// publishes no DMARC record.
func ownAlignment(ctx context.Context, from string, in *dmarc.Input, o *dmarc.Options) (spfOK, dkimOK bool) {
	if in.SPFResult == authres.ResultPass {
		spfOK, _ = dmarc.Aligned(ctx, from, in.SPFDomain, dmarc.AlignRelaxed, o)
	}
	for _, d := range in.DKIM {
		if d.Result == authres.ResultPass {
			if ok, _ := dmarc.Aligned(ctx, from, d.Domain, dmarc.AlignRelaxed, o); ok {
				dkimOK = true
				break
			}
		}
	}
	return spfOK, dkimOK
}

// formatAuthRes builds the Authentication-Results value with go-msgauth.
func formatAuthRes(id string, m *Message, v *Verdict, from string, skipped bool) string {
	results := make([]authres.Result, 0, len(v.DKIM)+4)
	results = append(results, &authres.SPFResult{Value: authres.ResultValue(v.SPF.Result), From: m.MailFrom, Helo: m.HELO})
	if len(v.DKIM) == 0 {
		dr := &authres.DKIMResult{Value: authres.ResultNone}
		if skipped {
			dr.Reason = "not verified"
		}
		results = append(results, dr)
	}
	for _, dv := range v.DKIM {
		results = append(results, dv.AuthResult())
	}
	if v.ARC != nil {
		results = append(results, v.ARC.AuthResult())
	}
	dm := &authres.DMARCResult{Value: authres.ResultValue(v.Result), From: from}
	switch {
	case v.ARCTrusted:
		dm.Reason = "arc_trusted sealer=" + v.ARCSealer
	case v.Result == dmarc.Fail:
		dm.Reason = v.PolicyTag + "=" + string(v.Policy) + " disposition=" + string(v.Disposition)
	}
	results = append(results, dm)
	return tidyAuthRes(authres.Format(id, results))
}

// hasField reports whether the header of raw may hold a field whose name
// starts with prefix. It stops where dkim.Verify stops (the first empty
// line) and matches every line that starts with prefix in any case, so it
// errs only towards true.
func hasField(raw []byte, prefix string) bool {
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
		if len(line) >= len(prefix) && bytes.EqualFold(line[:len(prefix)], []byte(prefix)) {
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

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
