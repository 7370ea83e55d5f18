package senderauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/spf"
)

// Scenario describes how a message will be sent, for Explain.
type Scenario struct {
	// FromDomain is the domain of the From header. Required.
	FromDomain string `json:"from_domain"`
	// ReturnPath is the MAIL FROM address or domain ("" = the null
	// sender, for which SPF checks HELO).
	ReturnPath string `json:"return_path"`
	// IP is the address of the server that hands the message to the
	// receiver (the relay, when there is one). Required.
	IP netip.Addr `json:"ip"`
	// HELO is that server's HELO name; used when ReturnPath is empty.
	HELO string `json:"helo,omitempty"`
	// DKIMDomain is the d= the message is signed with; "" = unsigned.
	DKIMDomain string `json:"dkim_domain,omitempty"`
	// DKIMSelector, when set, makes Explain check that a valid key is
	// published at SELECTOR._domainkey.DKIMDomain; when empty the
	// signature is assumed to verify.
	DKIMSelector string `json:"dkim_selector,omitempty"`
}

// Explanation is what a receiver will see for a Scenario, in words.
type Explanation struct {
	SPF struct {
		Result  spf.Result `json:"result"`
		Domain  string     `json:"domain"`
		Aligned bool       `json:"aligned"`
		Text    string     `json:"text"`
	} `json:"spf"`
	DKIM struct {
		Result  dkim.Result `json:"result"`
		Domain  string      `json:"domain,omitempty"`
		Aligned bool        `json:"aligned"`
		Text    string      `json:"text"`
	} `json:"dkim"`
	DMARC *dmarc.Result `json:"dmarc"`
	// Summary is one sentence per authentication method, then the DMARC
	// consequence; Advice says what would make DMARC pass when it fails.
	Summary []string `json:"summary"`
	Advice  []string `json:"advice,omitempty"`
}

// Explain says in words what SPF, DKIM and DMARC outcome a receiver will
// see for mail sent as sc describes. It runs the real SPF check of the
// return-path domain for the IP and the real DMARC discovery against the
// resolver; DKIM is taken as passing for DKIMDomain (checking the published
// key when DKIMSelector is set). The classic case is a customer's own
// relay: a platform return path through the customer's relay fails
// SPF (and could not align anyway), so only an aligned DKIM signature
// lets the mail pass DMARC.
func Explain(ctx context.Context, sc *Scenario, opts *Options) (*Explanation, error) {
	if sc == nil || sc.FromDomain == "" {
		return nil, ErrNoFromDomain
	}
	if !sc.IP.IsValid() {
		return nil, ErrNoIP
	}
	var so Options
	if opts != nil {
		so = *opts
	}
	r := so.resolver()
	var o dmarc.Options
	if so.DMARC != nil {
		o = *so.DMARC
	}
	if o.Resolver == nil {
		o.Resolver = r
	}
	from := normalize(sc.FromDomain)
	ex := &Explanation{}

	// SPF.
	rp := strings.TrimSpace(sc.ReturnPath)
	spfDomain, sender := rp, rp
	if i := strings.LastIndexByte(rp, '@'); i >= 0 {
		spfDomain = rp[i+1:]
	} else if rp != "" {
		sender = "postmaster@" + rp
	}
	what := "return-path domain"
	if rp == "" {
		spfDomain, sender, what = sc.HELO, "postmaster@"+sc.HELO, "HELO name (null return path)"
	}
	spfDomain = normalize(spfDomain)
	ex.SPF.Domain = spfDomain
	if spfDomain == "" {
		ex.SPF.Result = spf.None
		ex.SPF.Text = "SPF: none — there is neither a return path nor a HELO name to check"
	} else {
		c := spf.CheckHost(ctx, sc.IP, spfDomain, sender, &spf.Options{Resolver: r, HELO: sc.HELO})
		ex.SPF.Result = c.Result
		ex.SPF.Text = fmt.Sprintf("SPF: %s — the %s %s %s %s", c.Result, what, spfDomain, spfVerb(c.Result), sc.IP)
		if c.Err != nil && (c.Result == spf.PermError || c.Result == spf.TempError) {
			ex.SPF.Text += fmt.Sprintf(" (%v)", c.Err)
		}
	}

	// DKIM.
	var verifs []dmarc.DKIMResult
	if d := normalize(sc.DKIMDomain); d == "" {
		ex.DKIM.Result = dkim.ResultNone
		ex.DKIM.Text = "DKIM: none — the message is not signed"
	} else {
		ex.DKIM.Domain = d
		ex.DKIM.Result = dkim.ResultPass
		ex.DKIM.Text = fmt.Sprintf("DKIM: pass — signed with d=%s (assuming the signature verifies)", d)
		if sc.DKIMSelector != "" {
			name := sc.DKIMSelector + "._domainkey." + d
			txts, err := r.LookupTXT(ctx, name)
			var dnsErr *net.DNSError
			switch {
			case errors.As(err, &dnsErr) && dnsErr.IsNotFound, err == nil && len(txts) == 0:
				ex.DKIM.Result = dkim.ResultPermError
				ex.DKIM.Text = fmt.Sprintf("DKIM: permerror — no key is published at %s, so receivers cannot verify the signature", name)
			case err != nil:
				ex.DKIM.Result = dkim.ResultTempError
				ex.DKIM.Text = fmt.Sprintf("DKIM: temperror — the key at %s could not be fetched: %v", name, err)
			case len(txts) > 1:
				ex.DKIM.Result = dkim.ResultPermError
				ex.DKIM.Text = fmt.Sprintf("DKIM: permerror — %s has %d TXT records", name, len(txts))
			default:
				rec, err := dkim.ParseKeyRecord(txts[0])
				switch {
				case err != nil:
					ex.DKIM.Result = dkim.ResultPermError
					ex.DKIM.Text = fmt.Sprintf("DKIM: permerror — the key at %s is invalid: %v", name, err)
				case rec.Revoked():
					ex.DKIM.Result = dkim.ResultPermError
					ex.DKIM.Text = fmt.Sprintf("DKIM: permerror — the key at %s is revoked", name)
				default:
					ex.DKIM.Text = fmt.Sprintf("DKIM: pass — signed with d=%s s=%s; a %d-bit %s key is published at %s", d, sc.DKIMSelector, rec.KeySize(), rec.KeyType, name)
				}
			}
		}
		verifs = []dmarc.DKIMResult{{Result: authres.ResultValue(ex.DKIM.Result), Domain: d, Selector: sc.DKIMSelector}}
	}

	// DMARC.
	res := dmarc.Evaluate(ctx, &dmarc.Input{FromDomain: from, SPFDomain: spfDomain, SPFResult: authres.ResultValue(ex.SPF.Result), DKIM: verifs}, &o)
	ex.DMARC = res
	ex.SPF.Aligned = alignedWith(ctx, &o, res.Record, from, spfDomain, false)
	ex.DKIM.Aligned = alignedWith(ctx, &o, res.Record, from, ex.DKIM.Domain, true)
	ex.SPF.Text += alignText(from, spfDomain, ex.SPF.Aligned, "return path")
	if ex.DKIM.Domain != "" {
		ex.DKIM.Text += alignText(from, ex.DKIM.Domain, ex.DKIM.Aligned, "signing domain")
	}
	ex.Summary = []string{ex.SPF.Text, ex.DKIM.Text}
	switch res.Outcome {
	case dmarc.Pass:
		via := "aligned SPF"
		if res.DKIMAligned && !res.SPFAligned {
			via = "aligned DKIM"
		} else if res.DKIMAligned {
			via = "aligned SPF and DKIM"
		}
		ex.Summary = append(ex.Summary, fmt.Sprintf("DMARC: pass through %s — the receiver applies no DMARC policy", via))
		if res.DKIMAligned && !res.SPFAligned {
			ex.Summary = append(ex.Summary, "SPF alone would not have been enough: DKIM signing for the From domain is what makes this mail pass")
		}
	case dmarc.Fail:
		ex.Summary = append(ex.Summary, fmt.Sprintf("DMARC: fail — neither SPF nor DKIM passed for a domain aligned with %s; %s=%s asks receivers to %s the mail (disposition: %s)", from, res.PolicyTag, res.Policy, verbFor(res.Policy), res.Disposition))
	case dmarc.None:
		ex.Summary = append(ex.Summary, fmt.Sprintf("DMARC: none — %s publishes no DMARC record, so receivers judge SPF and DKIM on their own", from))
	case dmarc.TempError:
		ex.Summary = append(ex.Summary, "DMARC: temperror — "+res.Reasons[len(res.Reasons)-1])
	}
	if res.Outcome != dmarc.Pass {
		if !ex.DKIM.Aligned {
			ex.Advice = append(ex.Advice, fmt.Sprintf("Sign outgoing mail with a DKIM key for %s and publish its record: an aligned DKIM signature passes DMARC on any path, relays included", from))
		}
		if !ex.SPF.Aligned {
			ex.Advice = append(ex.Advice, fmt.Sprintf("Or use a return path in %s whose SPF record authorizes %s (for a relay: let the relay set the return path)", from, sc.IP))
		} else if ex.SPF.Result != spf.Pass {
			ex.Advice = append(ex.Advice, fmt.Sprintf("Or add %s (or its provider's include:) to the SPF record of %s", sc.IP, spfDomain))
		}
	}
	return ex, nil
}

// alignedWith reports whether id is aligned with from under the record's
// mode for SPF or DKIM (relaxed when there is no record).
func alignedWith(ctx context.Context, o *dmarc.Options, rec *dmarc.Record, from, id string, forDKIM bool) bool {
	if id == "" {
		return false
	}
	a := dmarc.AlignRelaxed
	if rec != nil {
		a = rec.SPFAlignment
		if forDKIM {
			a = rec.DKIMAlignment
		}
	}
	ok, _ := dmarc.Aligned(ctx, from, id, a, o)
	return ok
}

func alignText(from, id string, aligned bool, what string) string {
	if id == "" {
		return ""
	}
	if aligned {
		return fmt.Sprintf("; %s is aligned with the From domain %s", id, from)
	}
	return fmt.Sprintf("; the %s %s is not aligned with the From domain %s, so it cannot count for DMARC", what, id, from)
}

func spfVerb(r spf.Result) string {
	switch r {
	case spf.Pass:
		return "authorizes"
	case spf.Fail:
		return "does not authorize"
	case spf.SoftFail:
		return "probably does not authorize (~all)"
	case spf.Neutral:
		return "says nothing (?) about"
	case spf.None:
		return "publishes no SPF record covering"
	}
	return "could not be checked for"
}

func verbFor(p dmarc.Policy) string {
	switch p {
	case dmarc.PolicyReject:
		return "reject"
	case dmarc.PolicyQuarantine:
		return "quarantine (spam folder)"
	}
	return "deliver (monitoring only)"
}

// ErrNoFromDomain is returned by Explain for a Scenario without a From
// domain.
var ErrNoFromDomain = errors.New("senderauth: Explain needs a From domain")

// ErrNoIP is returned by Explain for a Scenario without the sending IP.
var ErrNoIP = errors.New("senderauth: Explain needs the sending IP")

func normalize(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}
