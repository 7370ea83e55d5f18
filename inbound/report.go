package inbound

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
)

// maybeReport says whether a mail is worth parsing as a delivery report:
// a null sender, a report content type, a Return-Path of <>, a recipient on
// the VERP bounce domain, or a sender that only ever sends reports.
func (p *Pipeline) maybeReport(env *deskmail.Envelope, h deskmail.Header, from deskmail.Address) bool {
	if env.From == "" && env.ClientIP.IsValid() {
		return true
	}
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp == "<>" {
		return true
	}
	ct := strings.ToLower(h.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/report") {
		return true
	}
	if len(h.Values("X-Failed-Recipients")) > 0 {
		return true
	}
	if from.Local != "" {
		switch strings.ToLower(from.Local) {
		case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon":
			return true
		}
	}
	return false
}

func isReport(k bounce.ReportKind) bool {
	switch k {
	case bounce.KindFailure, bounce.KindDelay, bounce.KindDelivery, bounce.KindComplaint:
		return true
	}
	return false
}

func (p *Pipeline) applyReport(ctx context.Context, d *Decision, env *deskmail.Envelope, rep *bounce.Report) error {
	d.Report = rep
	d.AutoReply = autoreply.Result{Class: autoreply.AutoReply, Reason: "a delivery report"}
	if p.o.Bounces == nil {
		d.Action = ActionDrop
		d.add(CodeBounceNoTracker, fmt.Sprintf("a %s report, and this pipeline has no bounce tracker to apply it", rep.Kind))
		return p.routeOnly(ctx, d, env)
	}
	rep.Envelope = append(rep.Envelope, env.To...)
	applied, err := p.o.Bounces.Apply(ctx, rep)
	if errors.Is(err, bounce.ErrNotOurs) {
		d.Action = ActionDrop
		d.add(CodeBounceNotOurs, fmt.Sprintf("a %s report that is not about a message we sent (no verified VERP token, no Message-ID of ours): ignored, no address state changed", rep.Kind))
		return p.routeOnly(ctx, d, env)
	}
	if err != nil {
		return temporary("bounce", err)
	}
	d.Action = ActionBounce
	d.Bounce = &applied
	d.Account = applied.Attribution.Account
	d.Ticket = applied.Attribution.MessageRef
	if applied.Attribution.Recipient != "" {
		if a, err := deskmail.ParseAddress(applied.Attribution.Recipient); err == nil {
			d.setContact(a)
		}
	} else if f := rep.Failed(); len(f) > 0 {
		if a, err := deskmail.ParseAddress(f[0].Address); err == nil {
			d.setContact(a)
		}
	}
	var states []string
	for _, s := range applied.States {
		states = append(states, s.Address+" → "+string(s.State))
	}
	text := fmt.Sprintf("a %s report about our message %s (attributed by %s)", rep.Kind, applied.Attribution.MessageID, applied.Attribution.Via)
	if applied.Attribution.MessageID == "" {
		text = fmt.Sprintf("a %s report about a message of ours it does not name (attributed by %s)", rep.Kind, applied.Attribution.Via)
	}
	if len(states) > 0 {
		text += ": " + strings.Join(states, ", ")
	}
	if replayed(&applied) {
		d.Action = ActionDrop
		d.add(CodeBounceReplayed, text+": applied before (the same report delivered again), nothing changed; dropped")
		return nil
	}
	d.add(CodeBounce, text)
	if len(applied.Ignored) > 0 {
		var ign []string
		for _, x := range applied.Ignored {
			ign = append(ign, x.Address+" ("+x.Reason.Code+")")
		}
		d.add(CodeBounceIgnored, "left unchanged: "+strings.Join(ign, ", "))
	}
	return nil
}

// replayed reports whether an applied report changed nothing because every
// outcome it holds was applied before.
func replayed(a *bounce.Applied) bool {
	if len(a.States) > 0 || len(a.Ignored) == 0 {
		return false
	}
	for _, x := range a.Ignored {
		if x.Reason.Code != bounce.CodeDuplicate {
			return false
		}
	}
	return true
}
