package inbound

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dkim"
)

func (p *Pipeline) confirmation(ctx context.Context, d *Decision, env *deskmail.Envelope, h deskmail.Header, body []byte) (bool, error) {
	if fc := p.o.ForwardingCheck; fc != nil && mayBeCheck(h) {
		account, addr, err := fc.Recognize(h)
		switch {
		case err == nil:
			d.Action, d.Account, d.Address = ActionConfirmation, account, addr
			d.add(CodeForwardingCheck, "our forwarding check for "+addr+" came back through the platform: forwarding works")
			return true, nil
		case !errors.Is(err, alias.ErrNotForwardingCheck):
			// A token that does not verify or has expired: say so, and
			// go on with the mail as an ordinary one.
			d.add(CodeForwardingCheck, "a forwarding-check token was present but not accepted: "+err.Error())
		}
	}
	if !strings.Contains(strings.ToLower(h.Get("From")), alias.GmailForwardingSender) {
		return false, nil
	}
	scan := body
	if len(scan) > p.o.MaxBodyScan {
		scan = scan[:p.o.MaxBodyScan]
	}
	c, err := alias.ParseConfirmation(h, scan)
	if err != nil {
		return false, nil
	}
	d.Action = ActionConfirmation
	d.Confirmation = &c
	if d.Auth != nil {
		for _, v := range d.Auth.DKIM {
			if v.Result == dkim.ResultPass && (v.Domain == "google.com" || strings.HasSuffix(v.Domain, ".google.com")) {
				d.ConfirmationTrusted = true
			}
		}
	}
	text := fmt.Sprintf("a %s forwarding confirmation (code %s): show it to the account's administrator; never a ticket", c.Provider, c.Code)
	if !d.ConfirmationTrusted {
		text += "; not DKIM-signed by google.com, so do not follow its link automatically"
	}
	d.add(CodeConfirmation, text)
	return true, p.routeHeader(ctx, d, env, h)
}

// mayBeCheck is a cheap test for a forwarding-check mail, so that the
// token search runs only on candidates.
func mayBeCheck(h deskmail.Header) bool {
	if len(h.Values(alias.ForwardingCheckHeader)) > 0 {
		return true
	}
	s := h.Get("Subject")
	return strings.Contains(s, "=?") || strings.Contains(strings.ToLower(s), "forwarding check")
}
