package inbound

import (
	"context"
	"errors"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

// routeOnly fills the account and address of a mail decided before routing,
// from the envelope alone, so that a suspended or dropped mail still shows
// where it was sent.
func (p *Pipeline) routeOnly(ctx context.Context, d *Decision, env *deskmail.Envelope) error {
	if len(env.To) == 0 {
		return nil
	}
	return p.routeHeader(ctx, d, env, nil)
}

// routeHeader fills account and address for a decision made before the
// full routing step, using the header (when not nil) as well.
func (p *Pipeline) routeHeader(ctx context.Context, d *Decision, env *deskmail.Envelope, h deskmail.Header) error {
	r, err := p.router.Route(ctx, env.To, h)
	if errors.Is(err, alias.ErrNoRoute) {
		return nil
	}
	if err != nil {
		return temporary("route", err)
	}
	d.Route = &r
	d.Account, d.Address, d.Department = r.Account, r.Address, r.Department
	return nil
}

// route runs the router and loads the account. ok is false when the
// decision is final (no route, disabled address).
func (p *Pipeline) route(ctx context.Context, d *Decision, env *deskmail.Envelope, h deskmail.Header) (*alias.Account, bool, error) {
	r, err := p.router.Route(ctx, env.To, h)
	if errors.Is(err, alias.ErrNoRoute) {
		d.Action = ActionDrop
		d.add(CodeNoRoute, "no support address of any account matches the recipients")
		return nil, false, nil
	}
	if err != nil {
		return nil, false, temporary("route", err)
	}
	d.Route = &r
	d.Account, d.Address, d.Department = r.Account, r.Address, r.Department
	if r.Drop != "" {
		d.Action = ActionDrop
		d.add(CodeAddressDisabled, "fetching is turned off for "+r.Address+": the mail is not turned into a ticket")
		return nil, false, nil
	}
	text := "sent to " + r.Address + " of account " + r.Account + " (matched by " + string(r.Method) + ")"
	if r.Department != "" {
		text += ", department " + r.Department
	}
	d.add(CodeRouted, text)
	if r.ViaCustomerForward {
		d.add(CodeViaForward, "arrived through the customer-owned address "+r.ForwardedFor)
	}
	acct, err := p.o.Aliases.Account(ctx, r.Account)
	if errors.Is(err, alias.ErrNotFound) {
		acct, err = &alias.Account{ID: r.Account}, nil
	}
	if err != nil {
		return nil, false, temporary("account", err)
	}
	return acct, true, nil
}
