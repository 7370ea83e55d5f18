package inbound

import (
	"context"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/threading"
)

func (p *Pipeline) thread(ctx context.Context, d *Decision, acct *alias.Account, env *deskmail.Envelope, h deskmail.Header, body []byte, toCc []deskmail.Address) error {
	if p.o.Threader == nil {
		d.Action = ActionNewTicket
		d.add(CodeNewTicket, "no threader configured: every mail opens a ticket")
		return nil
	}
	// The Inbound threading.NewInbound would build, from what was parsed
	// already.
	in := &threading.Inbound{
		Account: acct.ID, MessageID: h.Get("Message-Id"), InReplyTo: h.Get("In-Reply-To"),
		References: h.Get("References"), Subject: h.Get("Subject"), From: d.From,
		Authenticated: d.Authenticated,
		Recipients:    make([]deskmail.Address, 0, len(toCc)+len(env.To)+2),
	}
	in.Recipients = append(in.Recipients, headerAddresses(h, "Delivered-To", "X-Original-To")...)
	in.Recipients = append(in.Recipients, toCc...)
	for _, r := range env.To {
		if a, err := deskmail.ParseAddress(r); err == nil {
			in.Recipients = append(in.Recipients, a)
		}
	}
	if len(body) > p.o.MaxBodyScan {
		body = body[:p.o.MaxBodyScan]
	}
	// The threader searches the body for its marker itself.
	in.Body = string(body)
	ts := acct.Settings.Threading
	in.Settings = &threading.Settings{SubjectNumber: ts.SubjectNumber, SubjectAgents: ts.SubjectNumberAgents && d.Authenticated, SubjectParticipants: ts.SubjectNumberParticipants}
	m, err := p.o.Threader.Match(ctx, in)
	if err != nil {
		return temporary("thread", err)
	}
	d.Thread = &ThreadInfo{Method: string(m.Method), Reason: clean(m.Reason), Stranger: m.Stranger}
	for _, n := range m.Notes {
		d.Thread.Notes = append(d.Thread.Notes, clean(n))
	}
	switch m.Method {
	case threading.MethodLoop:
		d.Action, d.Ticket = ActionDrop, m.Ticket
		d.add(CodeLoop, m.Reason.Text)
	case threading.MethodDuplicate:
		d.Action, d.Ticket = ActionDrop, m.Ticket
		d.add(CodeDuplicate, "the same mail is already on ticket "+m.Ticket+" (delivered or fetched twice)")
	case threading.MethodNew:
		d.Action = ActionNewTicket
		d.add(CodeNewTicket, m.Reason.Text)
	default:
		d.Action, d.Ticket = ActionAppend, m.Ticket
		d.add(CodeThreaded, "joins ticket "+m.Ticket+": "+m.Reason.Text)
		if m.Stranger {
			d.Private = true
			d.add(CodeStranger, "the sender is not a participant of the ticket: added as a private note, and not added to the ticket")
		}
	}
	return nil
}

// clean sanitises a reason another package made, whole.
func clean(r deskmail.Reason) deskmail.Reason {
	return deskmail.Reason{Code: r.Code, Text: deskmail.SanitizeN(r.Text, 0)}
}
