package senderauth

import (
	"context"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dmarc"
)

// trusted merges the host's and the message's trusted sealers, lower-case.
func trusted(host, extra []string) []string {
	out := make([]string, 0, len(host)+len(extra))
	for _, l := range [][]string{host, extra} {
		for _, d := range l {
			if d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), ".")); d != "" {
				out = append(out, d)
			}
		}
	}
	return out
}

// isTrusted reports whether sealer is one of list or a subdomain of one.
func isTrusted(sealer string, list []string) bool {
	for _, d := range list {
		if sealer == d || strings.HasSuffix(sealer, "."+d) {
			return true
		}
	}
	return false
}

// applyARC is the trusted-sealer rule: when DMARC failed on the message's
// own results and the ARC chain passes, the most recent trusted sealer
// whose recorded results say DMARC passed for the From domain, or that
// SPF or DKIM passed for a domain aligned with it, turns the fail into a
// pass (ARCTrusted). An untrusted sealer or a chain that does not pass
// changes nothing. It returns the reasons it adds.
func applyARC(ctx context.Context, v *Verdict, from string, sealers []string, o *dmarc.Options) []deskmail.Reason {
	c := v.ARC
	switch {
	case c.Result != arc.Pass:
		why := c.Reason
		if c.TempError {
			why += " (DNS failure)"
		}
		return []deskmail.Reason{deskmail.NewReason(ReasonARC, "the ARC chain fails, so what its sealers recorded is not used: %s", why)}
	case v.Result != dmarc.Fail:
		return []deskmail.Reason{deskmail.NewReason(ReasonARC, "the ARC chain of %d instance(s) passes; not needed, DMARC is %s", len(c.Instances), string(v.Result))}
	}
	spfA, dkimA := dmarc.AlignRelaxed, dmarc.AlignRelaxed
	if v.DMARC.Record != nil {
		spfA, dkimA = v.DMARC.Record.SPFAlignment, v.DMARC.Record.DKIMAlignment
	}
	var untrusted []string
	for i := len(c.Instances) - 1; i >= 0; i-- {
		in := &c.Instances[i]
		if !isTrusted(in.Sealer, sealers) {
			untrusted = append(untrusted, in.Sealer)
			continue
		}
		if what := recordedPass(ctx, in.Results, from, spfA, dkimA, o); what != "" {
			v.Result, v.ARCTrusted, v.ARCSealer = dmarc.Pass, true, in.Sealer
			v.Disposition = dmarc.PolicyNone
			return []deskmail.Reason{deskmail.NewReason(ReasonARC, "the ARC chain passes and the trusted sealer %s (instance %d) recorded %s", in.Sealer, in.Instance, what)}
		}
		return []deskmail.Reason{deskmail.NewReason(ReasonARC, "the ARC chain passes, but the trusted sealer %s (instance %d) recorded no aligned pass for %s", in.Sealer, in.Instance, from)}
	}
	return []deskmail.Reason{deskmail.NewReason(ReasonARC, "the ARC chain passes, but no sealer is trusted (%s), so what they recorded is not used", strings.Join(untrusted, ", "))}
}

// recordedPass says which recorded result vouches for from: dmarc=pass
// for it, or spf/dkim=pass for a domain aligned with it; "" for none.
func recordedPass(ctx context.Context, results []authres.Result, from string, spfA, dkimA dmarc.Alignment, o *dmarc.Options) string {
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && strings.EqualFold(strings.TrimSuffix(r.From, "."), from) {
				return "dmarc=pass for " + from
			}
		case *authres.SPFResult:
			d := r.From
			if i := strings.LastIndexByte(d, '@'); i >= 0 {
				d = d[i+1:]
			}
			if d == "" {
				d = r.Helo
			}
			if r.Value == authres.ResultPass {
				if ok, _ := dmarc.Aligned(ctx, from, d, spfA, o); ok {
					return "spf=pass for " + strings.ToLower(d)
				}
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultPass {
				if ok, _ := dmarc.Aligned(ctx, from, r.Domain, dkimA, o); ok {
					return "dkim=pass for " + strings.ToLower(r.Domain)
				}
			}
		}
	}
	return ""
}
