package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/forward"
	"github.com/deskmail/deskmail/threading"
)

func (p *Pipeline) agentForward(d *Decision, acct *alias.Account, h *textproto.Header, body []byte) {
	e, err := message.New(message.Header{Header: *h}, bytes.NewReader(body))
	if err != nil && e == nil {
		return
	}
	f := forward.ParseEntity(e, p.o.Forward)
	if !f.Forwarded {
		return
	}
	if _, own := acct.Owns(f.From, p.sep); own {
		return
	}
	d.Forward = &f
	d.setContact(f.From)
	d.Private = true
	d.add(CodeAgentForward, fmt.Sprintf("an active agent forwarded mail from %s (%s): the ticket is for the original sender", f.From.Addr(), f.Evidence))
	d.add(CodePrivateForwarded, "a forwarded thread is private")
}

// privateReply makes an agent's reply whose recipients leave out the
// ticket's contact private (A12).
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
				d.add(CodePrivateReply, "an agent's reply whose recipients leave out the ticket's contact "+c.Addr()+" is private")
			}
		}
	case !errors.Is(err, threading.ErrNotFound):
		return fmt.Errorf("inbound: tickets: %w", err)
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
		return fmt.Errorf("inbound: directory: %w", err)
	}
	d.Participants = m
	return nil
}
