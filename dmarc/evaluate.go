package dmarc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
)

// Options configure DMARC evaluation. Nil means the defaults of each field.
type Options struct {
	// Resolver answers the DNS queries. Nil means net.DefaultResolver.
	Resolver Resolver
	// Mode is TreeWalk (RFC 9989, the zero value) or PublicSuffix
	// (RFC 7489).
	Mode Mode
	// Sample decides whether a failing message falls in the pct= share the
	// policy applies to. Nil means a uniform random draw (math/rand/v2).
	// Tests set it to make pct deterministic.
	Sample func(pct int) bool
}

func (o *Options) orDefault() Options {
	if o == nil {
		return Options{}
	}
	return *o
}

// Outcome is the DMARC result of a message (RFC 8601 dmarc= values).
type Outcome string

// The DMARC outcomes.
const (
	Pass      Outcome = "pass"      // an aligned identifier passed
	Fail      Outcome = "fail"      // no aligned identifier passed
	None      Outcome = "none"      // the domain publishes no (valid) record
	TempError Outcome = "temperror" // DNS failed; evaluate again later
	PermError Outcome = "permerror" // the message cannot be evaluated: it has no usable From domain
)

// Input is what a receiver knows about a message when it evaluates DMARC.
type Input struct {
	// FromDomain is the domain of the RFC 5322 From address. Required.
	FromDomain string `json:"from_domain,omitempty"`
	// SPFDomain is the domain SPF checked: the MAIL FROM domain, or the
	// HELO name for a null sender. SPFResult is its result as an RFC 8601
	// value (authres.ResultPass, ...); only pass counts.
	SPFDomain string              `json:"spf_domain,omitempty"`
	SPFResult authres.ResultValue `json:"spf_result,omitempty"`
	// DKIM holds the outcome of each DKIM signature of the message; only
	// a pass counts.
	DKIM []DKIMResult `json:"dkim,omitempty"`
}

// DKIMResult is what DMARC needs of one DKIM signature: its d= domain,
// its selector (for the reasons) and its RFC 8601 result.
type DKIMResult struct {
	Domain   string              `json:"domain"`
	Selector string              `json:"selector,omitempty"`
	Result   authres.ResultValue `json:"result"`
}

// Result is the DMARC evaluation of one message, with the reasons.
type Result struct {
	Outcome    Outcome `json:"result"`
	FromDomain string  `json:"from_domain"`
	OrgDomain  string  `json:"org_domain,omitempty"`
	// Record is the policy record, found at RecordDomain.
	Record       *Record `json:"record,omitempty"`
	RecordDomain string  `json:"record_domain,omitempty"`
	// SPFAligned is set when SPF passed for a domain aligned with From;
	// DKIMAligned when a signature of an aligned domain passed, and
	// DKIMDomain names it.
	SPFAligned  bool   `json:"spf_aligned"`
	DKIMAligned bool   `json:"dkim_aligned"`
	DKIMDomain  string `json:"dkim_domain,omitempty"`
	// Policy is the policy the domain asks for this message (p=, sp= or
	// np=, named by PolicyTag); Disposition is what the receiver applies
	// after pct= and t=y: none for a pass.
	Policy      Policy `json:"policy,omitempty"`
	PolicyTag   string `json:"policy_tag,omitempty"`
	Disposition Policy `json:"disposition"`
	// Nonexistent is set when np= was considered and the From domain does
	// not exist in DNS.
	Nonexistent bool `json:"nonexistent,omitempty"`
	// Reasons say in sentences how the outcome came about; what they
	// quote from the mail is sanitised.
	Reasons []string `json:"reasons"`
	// Err is the DNS failure of a TempError.
	Err error `json:"-"`
}

// because adds a reason; the strings it quotes (domains and selectors
// from the mail) go through deskmail.Sanitize.
func (r *Result) because(format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = deskmail.Sanitize(v)
		case fmt.Stringer:
			args[i] = deskmail.Sanitize(v.String())
		case error:
			args[i] = deskmail.Sanitize(v.Error())
		}
	}
	r.Reasons = append(r.Reasons, fmt.Sprintf(format, args...))
}

// Evaluate runs DMARC for one message: it discovers the policy record of
// the From domain, checks SPF and DKIM alignment, and picks the policy and
// the disposition. It never returns nil.
func Evaluate(ctx context.Context, in *Input, opts *Options) *Result {
	o := opts.orDefault()
	w := newWalker(ctx, o.Resolver, o.Mode)
	from := normalize(in.FromDomain)
	res := &Result{FromDomain: from, Disposition: PolicyNone}
	tempFail := func(err error) *Result {
		res.Outcome, res.Err = TempError, err
		res.because("DNS failed, so DMARC cannot be evaluated now: %v", err)
		return res
	}
	if from == "" {
		res.Outcome = PermError
		res.because("the message has no usable From domain, so DMARC cannot be evaluated")
		return res
	}
	rec, at, err := w.policyRecord(from)
	if err != nil {
		return tempFail(err)
	}
	res.Record, res.RecordDomain = rec, at
	if rec == nil {
		res.Outcome = None
		res.Reasons = append(res.Reasons, w.notes...)
		res.because("%s publishes no DMARC record, so receivers apply no DMARC policy", from)
		return res
	}
	if res.OrgDomain, err = w.orgDomain(from); err != nil {
		return tempFail(err)
	}

	// SPF alignment.
	spfDom := normalize(in.SPFDomain)
	switch {
	case in.SPFResult != authres.ResultPass:
		if spfDom != "" {
			res.because("SPF for %s is %s, so SPF cannot make DMARC pass", spfDom, orNone(string(in.SPFResult)))
		}
	default:
		ok, err := w.aligned(from, spfDom, rec.SPFAlignment)
		if err != nil {
			return tempFail(err)
		}
		res.SPFAligned = ok
		if ok {
			res.because("SPF passed for %s, which is aligned with %s (%s)", spfDom, from, alignName(rec.SPFAlignment))
		} else {
			res.because("SPF passed for %s, but that is not aligned with the From domain %s (%s alignment)", spfDom, from, alignName(rec.SPFAlignment))
		}
	}
	// DKIM alignment.
	for _, v := range in.DKIM {
		d := normalize(v.Domain)
		if v.Result != authres.ResultPass {
			res.because("the DKIM signature of %s (s=%s) is %s", orNone(d), v.Selector, v.Result)
			continue
		}
		ok, err := w.aligned(from, d, rec.DKIMAlignment)
		if err != nil {
			return tempFail(err)
		}
		if ok && !res.DKIMAligned {
			res.DKIMAligned, res.DKIMDomain = true, d
			res.because("the DKIM signature of %s passed and is aligned with %s (%s)", d, from, alignName(rec.DKIMAlignment))
		} else if !ok {
			res.because("the DKIM signature of %s passed, but %s is not aligned with the From domain %s (%s alignment)", d, d, from, alignName(rec.DKIMAlignment))
		}
	}
	if len(in.DKIM) == 0 {
		res.because("the message is not DKIM-signed")
	}
	res.Reasons = append(res.Reasons, w.notes...)
	if res.SPFAligned || res.DKIMAligned {
		res.Outcome = Pass
		res.because("DMARC passes: at least one aligned identifier passed")
		return res
	}
	res.Outcome = Fail

	// Which policy applies.
	res.Policy, res.PolicyTag = rec.EffectivePolicy(), "p"
	if at != from {
		exists, err := w.exists(from)
		if err != nil {
			return tempFail(err)
		}
		switch {
		case !exists && rec.NonexistentPolicy != "":
			res.Policy, res.PolicyTag, res.Nonexistent = rec.NonexistentPolicy, "np", true
		case rec.SubdomainPolicy != "":
			res.Policy, res.PolicyTag = rec.SubdomainPolicy, "sp"
		}
		res.Nonexistent = res.Nonexistent || !exists
	}
	res.because("DMARC fails: no aligned identifier passed; the record at _dmarc.%s asks for %s=%s", at, res.PolicyTag, res.Policy)
	res.Disposition = res.Policy
	if res.Policy == PolicyNone {
		return res
	}
	if rec.PercentSet && rec.Percent < 100 {
		sample := o.Sample
		if sample == nil {
			sample = func(pct int) bool { return rand.IntN(100) < pct }
		}
		if !sample(rec.Percent) {
			res.Disposition = res.Policy.lower()
			res.because("pct=%d: this message falls outside the sampled share, so %s is applied instead", rec.Percent, res.Disposition)
			return res
		}
		res.because("pct=%d: this message falls in the sampled share", rec.Percent)
	}
	if rec.Testing {
		res.Disposition = res.Policy.lower()
		res.because("t=y (testing): the receiver applies the next milder policy, %s", res.Disposition)
	}
	return res
}

func alignName(a Alignment) string {
	if a == AlignStrict {
		return "strict"
	}
	return "relaxed"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Summary returns one line: outcome, disposition and the deciding reason.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dmarc=%s", r.Outcome)
	if r.Outcome == Fail {
		fmt.Fprintf(&b, " (%s=%s, disposition %s)", r.PolicyTag, r.Policy, r.Disposition)
	}
	if len(r.Reasons) > 0 {
		b.WriteString(": " + r.Reasons[len(r.Reasons)-1])
	}
	return b.String()
}
