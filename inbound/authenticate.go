package inbound

import (
	"context"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
)

func (p *Pipeline) authenticate(ctx context.Context, d *Decision, env *deskmail.Envelope, m *dmarc.Message) {
	if p.o.SkipAuth {
		d.add(CodeAuthSkipped, "sender authentication is turned off for this pipeline")
		return
	}
	if !env.ClientIP.IsValid() {
		d.add(CodeAuthSkipped, "no client IP: fetched mail was authenticated by the mailbox it was fetched from")
		return
	}
	v, err := dmarc.Authenticate(ctx, m, p.o.Auth)
	if err != nil {
		d.add(CodeAuthFail, "sender authentication could not read the mail: "+err.Error())
		d.Auth = &dmarc.Verdict{Action: dmarc.Suspend, Reasons: []string{err.Error()}}
		return
	}
	d.Auth = v
	d.AuthenticationResults = v.AuthenticationResults
	switch v.Action {
	case dmarc.Suspend:
		d.add(CodeAuthFail, strings.Join(v.Reasons, "; "))
	case dmarc.Retry:
		d.add(CodeAuthTempError, "DNS failed during sender authentication: "+strings.Join(v.Reasons, "; "))
	default:
		d.add(CodeAuthPass, "sender authentication: "+authSummary(v))
	}
}

func authSummary(v *dmarc.Verdict) string {
	dk := "none"
	for _, x := range v.DKIM {
		if x.Result == dkim.ResultPass {
			dk = "pass (" + x.Domain + ")"
			break
		}
		dk = string(x.Result)
	}
	dm := "none"
	if v.DMARC != nil {
		dm = string(v.DMARC.Outcome)
	}
	return "SPF " + string(v.SPFResult) + ", DKIM " + dk + ", DMARC " + dm
}

// applyAuth suspends a mail that would become or join a ticket when sender
// authentication failed (D4). The decision keeps everything else, and Held
// says what recovering it does.
func (p *Pipeline) applyAuth(d *Decision) {
	if d.Auth == nil || (d.Auth.Action != dmarc.Suspend && d.Auth.Action != dmarc.Retry) {
		return
	}
	switch d.Action {
	case ActionNewTicket, ActionAppend, ActionOutgoingCopy:
		d.Held, d.Action = d.Action, ActionSuspend
		if d.Auth.Action == dmarc.Retry {
			d.add(CodeAuthTempError, "held for review: DNS failed, so the sender could not be authenticated; an agent can recover it as "+string(d.Held))
			return
		}
		d.add(CodeAuthFail, "held for review: sender authentication failed; an agent can recover it as "+string(d.Held))
	}
}
