package inbound

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/senderauth"
)

// ErrNoAllowStore is returned by Recover when Options.Allow is nil.
var ErrNoAllowStore = errors.New("inbound: Recover needs Options.Allow")

// ErrNoRecoverer is returned by Recover without Recovery.By.
var ErrNoRecoverer = errors.New("inbound: Recover needs Recovery.By")

// Scope is how wide the allow entry Recover records is.
type Scope string

// The scopes of an allow entry.
const (
	// ScopeAddress, the default, records the From address.
	ScopeAddress Scope = "address"
	// ScopeDomain records the From domain: every address of it, through
	// the same network and failing the same way.
	ScopeDomain Scope = "domain"
)

// Recovery says who recovers a suspended mail and how wide the allow entry
// is.
type Recovery struct {
	// By names the agent who recovers the mail. Required.
	By string `json:"by"`
	// Scope is the width of the allow entry. Empty: ScopeAddress.
	Scope Scope `json:"scope,omitempty"`
}

// Recover runs the pipeline again on a mail that sender authentication
// suspended (env and raw as given to Process), with the suspension lifted:
// the Decision has the action the mail was held as (Decision.Held), and a
// reason recovered. For a DMARC failure (auth_fail, auth_permerror) it
// records an allow entry in Options.Allow, which lets later mails of the
// same sender with the same failure through the same network (package
// allow says exactly what an entry lifts); Decision.Allow is that entry. A
// DNS failure (auth_temperror) is lifted for this mail only and records
// nothing. Recovering never grants agent privileges: those still need an
// authenticated From.
//
// A mail that is not suspended by sender authentication when run again
// (it passes now, or it is suspended for another reason, such as a
// malformed header, which recovering does not lift) gets the Decision
// Process would give, and no entry is recorded.
//
// It returns ErrNoAllowStore without Options.Allow and ErrNoRecoverer
// without r.By; other errors are temporary, as for Process.
func (p *Pipeline) Recover(ctx context.Context, env *deskmail.Envelope, raw []byte, r Recovery) (*Decision, error) {
	if p.o.Allow == nil {
		return nil, ErrNoAllowStore
	}
	if r.By == "" {
		return nil, ErrNoRecoverer
	}
	if r.Scope == "" {
		r.Scope = ScopeAddress
	}
	return p.run(ctx, env, raw, &r)
}

// allowKeys returns the allow keys of a mail that failed authentication:
// the address key and the domain key, or none when the failure is not one
// an entry may lift.
func (d *Decision) allowKeys(env *deskmail.Envelope, failure string) (address, domain allow.Key, ok bool) {
	a := &d.auth
	if failure != CodeAuthFail && failure != CodeAuthPermError {
		return allow.Key{}, allow.Key{}, false
	}
	net := allow.NetworkOf(env.ClientIP)
	if !net.IsValid() || d.From.Local == "" {
		return allow.Key{}, allow.Key{}, false
	}
	address = allow.Key{
		Account: d.Account, Sender: d.From.Key(), Failure: failure,
		SPF: orNone(a.spf), SPFDomain: a.spfDomain, DKIM: a.dkim, Network: net,
	}.Normal()
	domain = address
	domain.Sender = address.Sender[strings.LastIndexByte(address.Sender, '@')+1:]
	return address, domain, true
}

// applyAuth suspends a mail that would become or join a ticket when sender
// authentication failed, unless an allow entry lifts the failure or
// the mail is being recovered. The decision keeps everything else, and
// Held says what recovering it does.
func (p *Pipeline) applyAuth(ctx context.Context, d *Decision, env *deskmail.Envelope, rec *Recovery) error {
	a := &d.auth
	if !a.ran || (a.action != senderauth.Suspend && a.action != senderauth.Retry) {
		return nil
	}
	switch d.Action {
	case ActionNewTicket, ActionAppend, ActionOutgoingCopy:
	default:
		return nil
	}
	failure := CodeAuthFail
	switch {
	case a.action == senderauth.Retry:
		failure = CodeAuthTempError
	case a.dmarc == "permerror":
		failure = CodeAuthPermError
	}
	addrKey, domKey, recordable := d.allowKeys(env, failure)

	if rec != nil {
		d.Recovered = true
		if !recordable {
			d.add(CodeRecovered, fmt.Sprintf("recovered by %s as %s: the suspension (%s) is lifted for this mail only; a DNS failure or a mail without a client IP records no allow entry", deskmail.Sanitize(rec.By), d.Action, failure))
			return nil
		}
		k := addrKey
		if rec.Scope == ScopeDomain {
			k = domKey
		}
		e := allow.Entry{Key: k, By: rec.By, At: p.now().UTC()}
		if err := p.o.Allow.Put(ctx, e); err != nil {
			return temporary("allow", err)
		}
		d.Allow = &e
		d.add(CodeRecovered, fmt.Sprintf("recovered by %s as %s; from now on %s", deskmail.Sanitize(rec.By), d.Action, describeEntry(&e)))
		return nil
	}

	if recordable && p.o.Allow != nil {
		e, err := p.o.Allow.Find(ctx, addrKey, domKey)
		switch {
		case err == nil:
			d.Allow = &e
			d.add(CodeAuthAllowed, fmt.Sprintf("not suspended: %s (recorded by %s at %s); the sender is still unauthenticated", describeEntry(&e), deskmail.Sanitize(e.By), e.At.UTC().Format(time.RFC3339)))
			return nil
		case !errors.Is(err, allow.ErrNotFound):
			return temporary("allow", err)
		}
	}

	d.Held, d.Action = d.Action, ActionSuspend
	switch failure {
	case CodeAuthTempError:
		d.add(CodeAuthTempError, "held for review: DNS failed, so the sender could not be authenticated; an agent can recover it as "+string(d.Held))
	default:
		d.add(failure, "held for review: sender authentication failed; an agent can recover it as "+string(d.Held))
	}
	return nil
}

// describeEntry says what an allow entry lets through.
func describeEntry(e *allow.Entry) string {
	return fmt.Sprintf("mail from %s failing the same way (%s: SPF %s for %s, DKIM %s) from %s is not suspended",
		deskmail.Sanitize(e.Sender), e.Failure, e.SPF, orNone(deskmail.Sanitize(e.SPFDomain)), deskmail.Sanitize(e.DKIM), e.Network)
}
