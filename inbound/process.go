package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

// Process decides what one mail is. raw is the message as received (header
// and body; CRLF or LF line ends), kept as is for DKIM. env may be nil for
// mail without an SMTP envelope.
//
// The steps, each adding a Reason: read the header once; authenticate (SPF,
// DKIM, DMARC); recognise a forwarding check or confirmation;
// apply a delivery report; detect automatic mail and loops;
// route; recognise an outgoing copy; thread;
// find the contact, the original sender of an agent's forward and the
// participants' records; decide privacy; suspend mail that
// fails authentication.
//
// The error is only for a store or directory failure or a cancelled
// context: the host should retry later (an SMTP server answers 451). Every
// other outcome, hostile input included, is a Decision.
func (p *Pipeline) Process(ctx context.Context, env *deskmail.Envelope, raw []byte) (*Decision, error) {
	return p.run(ctx, env, raw, nil)
}

// run is Process, and Recover when rec is not nil.
func (p *Pipeline) run(ctx context.Context, env *deskmail.Envelope, raw []byte, rec *Recovery) (*Decision, error) {
	if env == nil {
		env = &deskmail.Envelope{}
	}
	if err := ctx.Err(); err != nil {
		return nil, temporary("context", err)
	}
	d, err := p.process(ctx, env, raw, rec)
	if err != nil {
		return nil, err
	}
	d.Recipients = append([]string(nil), env.To...)
	switch d.Action {
	case ActionNewTicket, ActionAppend:
		d.NoAutoResponse = d.AutoReply.Automatic() || d.noAuto
	default:
		d.NoAutoResponse = true
	}
	if p.o.Logger != nil {
		p.o.Logger.LogAttrs(ctx, slog.LevelDebug, "inbound: decision",
			slog.String("action", string(d.Action)), slog.String("account", d.Account),
			slog.String("ticket", d.Ticket), slog.Int("reasons", len(d.Reasons)))
	}
	return d, nil
}

func (p *Pipeline) process(ctx context.Context, env *deskmail.Envelope, raw []byte, rec *Recovery) (*Decision, error) {
	// An ordinary mail collects three to six reasons.
	d := &Decision{Reasons: make([]deskmail.Reason, 0, 6)}
	if len(raw) > p.o.MaxBytes {
		d.Action = ActionSuspend
		d.add(CodeTooLarge, fmt.Sprintf("the mail has %d bytes, more than the %d accepted; held for review", len(raw), p.o.MaxBytes))
		return d, p.routeOnly(ctx, d, env)
	}
	h, bodyOff, err := readHeader(raw, p.o.MaxHeaderBytes)
	if err != nil {
		d.Action = ActionSuspend
		d.add(CodeMalformed, "the header could not be read ("+err.Error()+"); held for review")
		return d, p.routeOnly(ctx, d, env)
	}
	body := raw[bodyOff:]
	if ids := threading.ParseMessageIDs(h.Get("Message-Id")); len(ids) > 0 {
		d.MessageID = ids[0]
	}
	d.Subject = threading.DecodeSubject(h.Get("Subject"))
	var fromDomain string
	d.From, fromDomain = parseFrom(&h)
	if d.From.Local == "" {
		d.From = firstAddress(h.Get("Sender"))
	}
	if v := h.Get("Reply-To"); v != "" {
		d.ReplyTo, _ = deskmail.ParseAddressList(v)
	}

	// Authenticate. The verdict is applied at the end, once the mail
	// is known to be a ticket, so a suspended mail carries everything an
	// agent needs to recover it.
	sealers, err := p.accountSealers(ctx, env, &h)
	if err != nil {
		return d, err
	}
	p.authenticate(ctx, d, env, &senderauth.Message{IP: env.ClientIP, HELO: env.HELO, MailFrom: env.From, Raw: raw, Header: &h, FromDomain: fromDomain, TrustedSealers: sealers})
	d.Authenticated = d.auth.authenticated()

	// Forwarding checks and confirmations never become tickets.
	if done, err := p.confirmation(ctx, d, env, &h, body); done || err != nil {
		return d, err
	}

	// Delivery reports.
	if p.maybeReport(env, &h, d.From) {
		rep, perr := bounce.ParseWithOptions(bytes.NewReader(raw), p.o.BounceParse)
		if perr == nil && isReport(rep.Kind) {
			return d, p.applyReport(ctx, d, env, rep)
		}
	}

	// Automatic mail and loops.
	ar, err := autoreply.Detect(ctx, &h, &p.ar)
	if err != nil {
		return d, temporary("auto_reply", err)
	}
	d.AutoReply = ar
	if d.AutoReply.Class == autoreply.Loop {
		d.Action = ActionDrop
		d.add(CodeLoop, "our own mail came back ("+d.AutoReply.Reason+"); it is already on its ticket")
		return d, p.routeOnly(ctx, d, env)
	}
	if d.AutoReply.Automatic() {
		d.add(CodeAutoReply, d.AutoReply.Reason+"; no automatic response will be sent")
	}

	// Route.
	acct, ok, err := p.route(ctx, d, env, &h)
	if err != nil || !ok {
		return d, err
	}
	if d.From.Local == "" {
		d.Action = ActionSuspend
		d.add(CodeNoSender, "neither From nor Sender holds an address; held for review")
		return d, nil
	}
	d.setContact(d.From)
	toCc := headerAddresses(&h, "To", "Cc")

	// Outgoing copy: From is one of the account's own addresses.
	if owned, ok := acct.Owns(d.From, p.sep); ok {
		kind := strings.ReplaceAll(string(owned.Kind), "_", " ")
		if d.Authenticated {
			d.add(CodeOutgoingCopy, fmt.Sprintf("From is the account's %s %s: a copy of mail sent from another client, filed against its recipient", kind, owned.Address))
			return d, p.outgoingCopy(ctx, d, acct, env, &h, body, toCc, rec)
		}
		// Never answer a mail that names the account itself as sender.
		d.noAuto = true
		d.add(CodeAgentUnauthenticated, fmt.Sprintf("From %s is the account's %s, but %s: treated as a customer's mail, not as an outgoing copy", deskmail.Sanitize(d.From.Addr()), kind, d.auth.missing()))
	}

	// Is the sender an agent? Only an authenticated one gets an agent's
	// privileges.
	claimed, err := p.agent(ctx, d, acct)
	if err != nil {
		return d, err
	}

	// Thread.
	if err := p.thread(ctx, d, acct, env, &h, body, toCc); err != nil {
		return d, err
	}
	if d.Action == ActionDrop {
		return d, nil
	}
	if claimed && !d.Authenticated && d.Action == ActionAppend && !d.Private {
		d.Private = true
		d.add(CodeAgentUnauthenticated, "joins ticket "+d.Ticket+" as a private note: the sender has an agent's address but is not authenticated")
	}

	// An agent's forward opens the ticket for the original sender.
	if d.Agent && d.Action == ActionNewTicket && acct.ForwardedSenderFor(d.Department) {
		p.agentForward(d, acct, raw)
	}

	// An agent's reply that leaves out the customer is private.
	if err := p.privateReply(ctx, d, acct, toCc); err != nil {
		return d, err
	}

	if err := p.participants(ctx, d, acct, toCc); err != nil {
		return d, err
	}
	if err := p.applyAuth(ctx, d, env, rec); err != nil {
		return d, err
	}
	return d, p.received(ctx, d)
}

// received tells the bounce state that mail came from the sender: evidence
// that a soft-bouncing address works again. Only an authenticated From
// counts (anyone can write an address into From), only for mail that
// becomes a ticket or joins one, and never for the original sender inside
// an agent's forward.
func (p *Pipeline) received(ctx context.Context, d *Decision) error {
	if p.o.Bounces == nil || !d.Authenticated || d.From.Local == "" {
		return nil
	}
	if d.Action != ActionNewTicket && d.Action != ActionAppend {
		return nil
	}
	if _, err := p.o.Bounces.Received(ctx, d.Account, d.From.Key()); err != nil {
		return temporary("bounces", err)
	}
	return nil
}

// ProcessAll is Process for an SMTP transaction whose recipients may belong
// to several accounts (a customer copying two tenants of the platform): it
// groups env.To by the account each routes to and returns one Decision
// per account, in the order the accounts first appear, each as if the mail
// had been delivered to that account alone. Recipients no account knows
// form one group of their own, decided from the header. A delivery report
// is applied once: the groups after an ActionBounce decision are skipped.
// With one recipient or none, ProcessAll is Process.
func (p *Pipeline) ProcessAll(ctx context.Context, env *deskmail.Envelope, raw []byte) ([]*Decision, error) {
	if env == nil || len(env.To) <= 1 {
		d, err := p.Process(ctx, env, raw)
		if err != nil {
			return nil, err
		}
		return []*Decision{d}, nil
	}
	var order []string
	groups := map[string][]string{}
	for _, r := range env.To {
		acct := ""
		rt, err := p.router.Route(ctx, []string{r}, nil)
		switch {
		case err == nil:
			acct = rt.Account
		case !errors.Is(err, alias.ErrNoRoute):
			return nil, temporary("route", err)
		}
		if _, ok := groups[acct]; !ok {
			order = append(order, acct)
		}
		groups[acct] = append(groups[acct], r)
	}
	out := make([]*Decision, 0, len(order))
	for i, acct := range order {
		e := *env
		e.To = groups[acct]
		d, err := p.Process(ctx, &e, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
		if d.Action == ActionBounce {
			// The report is applied once; the later groups' recipients
			// share this decision.
			for _, rest := range order[i+1:] {
				d.Recipients = append(d.Recipients, groups[rest]...)
			}
			break
		}
	}
	return out, nil
}
