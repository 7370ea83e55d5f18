package inbound

import (
	"context"
	"errors"
	"fmt"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/forward"
	"github.com/deskmail/deskmail/threading"
)

// outgoingCopy files a copy of mail the account sent from another client:
// against its first outside recipient, on the ticket it threads to.
func (p *Pipeline) outgoingCopy(ctx context.Context, d *Decision, acct *alias.Account, env *deskmail.Envelope, h deskmail.Header, body []byte, toCc []deskmail.Address, rec *Recovery) error {
	d.Action = ActionOutgoingCopy
	for _, a := range toCc {
		if _, own := acct.Owns(a, p.sep); !own {
			d.setContact(a)
			break
		}
	}
	if err := p.thread(ctx, d, acct, env, h, body, toCc); err != nil {
		return err
	}
	if d.Action == ActionAppend || d.Action == ActionNewTicket {
		d.Action = ActionOutgoingCopy
	}
	if err := p.participants(ctx, d, acct, toCc); err != nil {
		return err
	}
	return p.applyAuth(ctx, d, env, rec)
}

// agent looks the sender up in Options.Agents. Decision.Agent is set for
// an active agent whose From is authenticated; claimed is set for an
// active agent's address either way, and an unauthenticated one gets the
// reason agent_unauthenticated and is treated as a customer.
func (p *Pipeline) agent(ctx context.Context, d *Decision, acct *alias.Account) (claimed bool, err error) {
	if p.o.Agents == nil {
		return false, nil
	}
	ag, err := p.o.Agents.Agent(ctx, acct.ID, d.From.Key())
	switch {
	case errors.Is(err, threading.ErrNotFound):
		return false, nil
	case err != nil:
		return false, temporary("agents", err)
	case !ag.Active:
		return false, nil
	}
	if !d.Authenticated {
		d.add(CodeAgentUnauthenticated, fmt.Sprintf("From %s is an agent, but %s: treated as a customer's mail, without an agent's privileges", deskmail.Sanitize(d.From.Addr()), d.auth.missing()))
		return true, nil
	}
	d.Agent = true
	return true, nil
}

func (p *Pipeline) agentForward(d *Decision, acct *alias.Account, raw []byte) {
	f, err := forward.ParseBytes(raw, p.o.Forward)
	if err != nil || !f.Forwarded {
		return // a mail past the forward parser's bounds is not read as a forward
	}
	if _, own := acct.Owns(f.From, p.sep); own {
		return
	}
	d.Forward = &f
	d.setContact(f.From)
	d.Private = true
	d.add(CodeAgentForward, fmt.Sprintf("an active agent forwarded mail from %s (%s): the ticket is for the original sender", who(f.From), deskmail.Sanitize(f.Evidence)))
	d.add(CodePrivateForwarded, "a forwarded thread is private")
}

// privateReply makes an agent's reply whose recipients leave out the
// ticket's contact private.
func (p *Pipeline) privateReply(ctx context.Context, d *Decision, acct *alias.Account, toCc []deskmail.Address) error {
	if !d.Agent || d.Action != ActionAppend || d.Private || p.o.Tickets == nil || !acct.Settings.AutoPrivate {
		return nil
	}
	t, err := p.o.Tickets.Ticket(ctx, acct.ID, d.Ticket)
	switch {
	case err == nil:
		if c, err := deskmail.ParseAddress(t.Contact); err == nil {
			if acct.ReplyPrivate(c, toCc, false) {
				d.Private = true
				d.add(CodePrivateReply, "an agent's reply whose recipients leave out the ticket's contact "+deskmail.Sanitize(c.Addr())+" is private")
			}
		}
	case !errors.Is(err, threading.ErrNotFound):
		return temporary("tickets", err)
	}
	return nil
}

func (p *Pipeline) participants(ctx context.Context, d *Decision, acct *alias.Account, toCc []deskmail.Address) error {
	if p.o.Directory == nil {
		return nil
	}
	list := make([]deskmail.Address, 0, 4)
	if d.Contact.Local != "" {
		list = append(list, d.Contact)
	}
	if d.From.Local != "" {
		list = append(list, d.From)
	}
	list = append(list, d.ReplyTo...)
	list = append(list, toCc...)
	if len(list) > 50 {
		list = list[:50]
	}
	m, err := alias.MatchParticipants(ctx, p.o.Directory, acct, list)
	if err != nil {
		return temporary("directory", err)
	}
	d.Participants = m
	return nil
}

// who names an address for a reason text: the display name, sanitised, and
// the address.
func who(a deskmail.Address) string {
	if a.Name == "" {
		return deskmail.Sanitize(a.Addr())
	}
	return "\"" + deskmail.Sanitize(a.Name) + "\" <" + deskmail.Sanitize(a.Addr()) + ">"
}
