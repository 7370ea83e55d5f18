package inbound

import (
	"context"
	"errors"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/senderauth"
)

// authFacts is what the pipeline uses of the sender-authentication
// verdict: the action, the DMARC result and policy, and whether the From
// domain passed DMARC through an aligned SPF or DKIM pass (or a trusted ARC
// sealer's recorded pass). facts fills it from the verdict; nothing else
// reads the verdict's fields.
type authFacts struct {
	ran     bool // authentication ran (not skipped, not a trusted path)
	fetched bool // no client IP: DKIM and DMARC only, never suspended
	trusted bool // Options.Trusted
	action  senderauth.Action
	// dmarc is the DMARC result: pass, fail, none, temperror, permerror.
	dmarc string
	// policy is the policy applied to a failing mail (none, quarantine,
	// reject), after pct= and t=.
	policy                  string
	spfAligned, dkimAligned bool
	arcTrusted              bool
	spf, spfDomain          string
	// dkim is "none", "fail" or "pass:" and the first passing signer.
	dkim       string
	fromDomain string
	// reasons is the verdict's explanation, sanitised.
	reasons string
}

// authenticated reports whether the From of the mail is authenticated: a
// trusted path, or DMARC pass through an aligned SPF or DKIM pass or a
// trusted ARC sealer.
func (a *authFacts) authenticated() bool {
	return a.trusted || (a.ran && a.dmarc == string(dmarc.Pass) && (a.spfAligned || a.dkimAligned || a.arcTrusted))
}

// missing says in words which check was missing for an unauthenticated From.
func (a *authFacts) missing() string {
	if !a.ran {
		return "sender authentication did not run (no client IP, or Options.SkipAuth) and the path is not marked trusted"
	}
	dom := a.fromDomain
	if dom == "" {
		dom = "the From domain"
	}
	if a.fetched {
		return "no DKIM signature passed aligned with " + dom + " (fetched mail: SPF cannot be checked without the client IP)"
	}
	s := "neither SPF nor DKIM passed aligned with " + dom + " (DMARC " + a.dmarc
	if a.policy != "" && a.dmarc == string(dmarc.Fail) {
		s += ", policy " + a.policy
	}
	return s + ")"
}

func facts(v *senderauth.Verdict) authFacts {
	a := authFacts{ran: true, action: v.Action, spf: string(v.SPFResult), spfDomain: strings.ToLower(v.SPFDomain), dkim: "none"}
	for _, x := range v.DKIM {
		if x.Result == dkim.ResultPass {
			a.dkim = "pass:" + strings.ToLower(x.Domain)
			break
		}
		a.dkim = "fail"
	}
	a.dmarc = string(v.Result)
	if r := v.DMARC; r != nil {
		a.fromDomain = r.FromDomain
	}
	a.spfAligned, a.dkimAligned, a.arcTrusted = v.SPFAligned, v.DKIMAligned, v.ARCTrusted
	if v.Result == dmarc.Fail {
		a.policy = string(v.Disposition)
	}
	texts := make([]string, len(v.Reasons))
	for i, r := range v.Reasons {
		texts[i] = r.Text
	}
	a.reasons = deskmail.SanitizeN(strings.Join(texts, "; "), 0)
	return a
}

func (p *Pipeline) authenticate(ctx context.Context, d *Decision, env *deskmail.Envelope, m *senderauth.Message) {
	switch {
	case p.o.Trusted:
		d.auth = authFacts{trusted: true}
		d.add(CodeAuthTrusted, "the host marked this path trusted (its own submission server or an authenticated fetch of the sender's own mailbox): the sender is authenticated")
		return
	case p.o.SkipAuth:
		d.add(CodeAuthSkipped, "sender authentication is turned off for this pipeline")
		return
	}
	fetched := !env.ClientIP.IsValid()
	v, err := senderauth.Authenticate(ctx, m, p.o.Auth)
	if err != nil {
		d.Auth = &senderauth.Verdict{Action: senderauth.Suspend, Result: dmarc.PermError, Code: senderauth.CodePermError, Reasons: []deskmail.Reason{deskmail.NewReason(senderauth.CodePermError, "%s", err.Error())}}
		d.auth = authFacts{ran: true, action: senderauth.Suspend, dmarc: "permerror", dkim: "none", reasons: deskmail.Sanitize(err.Error())}
		d.add(CodeAuthPermError, "sender authentication could not read the mail: "+d.auth.reasons)
		return
	}
	d.Auth = v
	d.AuthenticationResults = v.AuthenticationResults
	d.auth = facts(v)
	a := &d.auth
	sum := "SPF " + orNone(a.spf) + " for " + orNone(a.spfDomain) + ", DKIM " + a.dkim + ", DMARC " + a.dmarc
	if fetched {
		// Fetched mail: the mailbox accepted it and checked SPF, which
		// cannot be checked again without the client IP; DKIM can. It is
		// never suspended, and authenticated only through DKIM (or ARC).
		a.fetched, a.action, a.spfAligned = true, senderauth.Accept, false
		if a.authenticated() {
			d.add(CodeAuthPass, "DMARC passes through DKIM; fetched mail, so SPF is not checked again ("+sum+")")
			return
		}
		d.add(CodeAuthSkipped, "fetched mail (no client IP): not suspended, since its mailbox accepted it, but "+a.missing())
		return
	}
	switch {
	case a.action == senderauth.Retry:
		d.add(CodeAuthTempError, "DNS failed during sender authentication ("+sum+"): "+a.reasons)
	case a.action == senderauth.Suspend && a.dmarc == "permerror":
		d.add(CodeAuthPermError, "sender authentication failed permanently ("+sum+"): "+a.reasons)
	case a.action == senderauth.Suspend:
		d.add(CodeAuthFail, "DMARC fails with policy "+a.policy+" ("+sum+"): "+a.reasons)
	case a.dmarc == string(dmarc.Pass) && a.arcTrusted && !a.spfAligned && !a.dkimAligned:
		d.add(CodeARCTrusted, "a trusted ARC sealer recorded a DMARC pass ("+sum+")")
	case a.dmarc == string(dmarc.Pass):
		d.add(CodeAuthPass, "DMARC passes ("+sum+")")
	case a.dmarc == string(dmarc.Fail):
		d.add(CodeAuthFailPolicyNone, "DMARC fails, but the policy applied is "+orNone(a.policy)+", so the mail is accepted unauthenticated ("+sum+"): "+a.reasons)
	case a.dmarc == "permerror":
		d.add(CodeAuthPermError, "sender authentication failed permanently, and the mail is accepted unauthenticated ("+sum+"): "+a.reasons)
	default:
		d.add(CodeAuthNone, "no DMARC policy applies, so the mail is accepted unauthenticated ("+sum+"): "+a.reasons)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// accountSealers returns the ARC sealers the account the mail is for
// trusts (alias.Account.ARCSealers: its own forwarding domains and the
// ones it lists), for a mail that carries an ARC chain: authentication
// runs before routing, so the account is looked up here first. A mail
// without ARC-Seal costs nothing; one that routes nowhere gets none.
func (p *Pipeline) accountSealers(ctx context.Context, env *deskmail.Envelope, h deskmail.Header) ([]string, error) {
	if p.o.Trusted || p.o.SkipAuth || h.Get("ARC-Seal") == "" {
		return nil, nil
	}
	r, err := p.router.Route(ctx, env.To, h)
	if errors.Is(err, alias.ErrNoRoute) {
		return nil, nil
	}
	if err != nil {
		return nil, temporary("route", err)
	}
	acct, err := p.o.Aliases.Account(ctx, r.Account)
	if errors.Is(err, alias.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, temporary("account", err)
	}
	return acct.ARCSealers(), nil
}
