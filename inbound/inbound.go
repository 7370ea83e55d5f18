package inbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/forward"
	"github.com/deskmail/deskmail/threading"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is the largest mail Process reads: 50 MiB, above
	// what providers accept (Gmail 25 MB, Microsoft 365 35-150 MB encoded).
	DefaultMaxBytes = 50 << 20
	// DefaultMaxHeaderBytes bounds the header: 1 MiB.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxBodyScan is how much of the body is searched for a body
	// marker: 64 KiB.
	DefaultMaxBodyScan = 64 << 10
)

// ErrNoAliases is returned by New without Options.Aliases.
var ErrNoAliases = errors.New("inbound: Options.Aliases is required")

// Options configure a Pipeline. Only Aliases is required; every other nil or
// zero field turns a step off or takes the default written beside it.
type Options struct {
	// Aliases holds the accounts, support addresses and settings (alias).
	// Required.
	Aliases alias.Store
	// Router tunes routing (sub-address separator, candidate cap). Nil:
	// alias defaults.
	Router *alias.RouterOptions
	// Threader matches mail to tickets (T1-T5) and recognises our own
	// Message-IDs (L2). Nil: no threading; every routed mail is a new
	// ticket, and loops are found by Options.XLoop only.
	Threader *threading.Threader
	// Tickets is the host's ticket lookup, used to tell whether an agent's
	// reply leaves out the ticket's contact (A12). Nil: A12 is not applied.
	// Give the Threader the same value for T4 and strangers.
	Tickets threading.Tickets
	// Agents is the host's agent directory (A11, A12). Nil: no sender is an
	// agent.
	Agents threading.Agents
	// Directory finds the host's contacts and leads by address (A15). Nil:
	// Decision.Participants stays nil.
	Directory alias.Directory
	// Bounces applies delivery reports to the bounce state (B2-B7) after
	// attributing them (B6, B10): build it with a VERP and with
	// OwnMessage(threader). Nil: reports are dropped with the reason
	// bounce_no_tracker.
	Bounces *bounce.Tracker
	// BounceParse tunes report parsing. Nil: bounce defaults (256 KiB read).
	BounceParse *bounce.ParseOptions
	// ForwardingCheck recognises the platform's own forwarding-check mails
	// (A3). Nil: not recognised.
	ForwardingCheck *alias.ForwardingCheck
	// Auth configures SPF, DKIM and DMARC (resolver, authserv-id, and
	// SkipDKIM to turn DKIM verification off when an upstream MTA verified
	// the signatures). Nil: net.DefaultResolver, authserv-id "deskmail",
	// and every DKIM signature verified.
	Auth *dmarc.VerdictOptions
	// SkipAuth turns sender authentication off, for mail an upstream MTA
	// already authenticated. False: every mail is authenticated (D4).
	SkipAuth bool
	// XLoop is the X-Loop value our automatic mail carries (autoreply.Fields).
	// Empty: every X-Loop counts as another system's.
	XLoop string
	// Forward bounds the search for an agent's forwarded original. Nil:
	// forward defaults.
	Forward *forward.Options
	// MaxBytes is the largest mail accepted; a larger one is suspended with
	// the reason too_large. Zero: DefaultMaxBytes.
	MaxBytes int
	// MaxHeaderBytes bounds the header; a longer header is malformed.
	// Zero: DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxBodyScan is how much of the body is searched for a body marker
	// (threading.Threader.BodyMarker). Zero: DefaultMaxBodyScan.
	MaxBodyScan int
	// Logger receives one debug line per decision. Nil: no logging. Tokens
	// and secrets are never logged.
	Logger *slog.Logger
}

// Pipeline is the inbound flow of DESIGN.md as one call. It is safe for
// concurrent use.
type Pipeline struct {
	o      Options
	router *alias.Router
	sep    string
	ar     autoreply.Options
}

// New returns a Pipeline for opts.
func New(opts *Options) (*Pipeline, error) {
	if opts == nil || opts.Aliases == nil {
		return nil, ErrNoAliases
	}
	p := &Pipeline{o: *opts}
	if p.o.MaxBytes <= 0 {
		p.o.MaxBytes = DefaultMaxBytes
	}
	if p.o.MaxHeaderBytes <= 0 {
		p.o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if p.o.MaxBodyScan <= 0 {
		p.o.MaxBodyScan = DefaultMaxBodyScan
	}
	var err error
	if p.router, err = alias.NewRouter(p.o.Aliases, p.o.Router); err != nil {
		return nil, err
	}
	p.sep = deskmail.DefaultSubaddressSeparator
	if p.o.Router != nil && p.o.Router.SubaddressSeparator != "" {
		p.sep = p.o.Router.SubaddressSeparator
	}
	p.ar = autoreply.Options{XLoop: p.o.XLoop}
	if th := p.o.Threader; th != nil {
		p.ar.OwnMessageID = func(id string) bool { _, err := th.ParseMessageID(id); return err == nil }
	}
	return p, nil
}

// OwnMessage adapts a Threader to bounce.Options.OwnMessage: a Message-ID
// is ours when its signed token verifies, and its reference is the ticket
// it was sent on, so a bounce lands on that ticket (B6).
func OwnMessage(th *threading.Threader) func(messageID string) (account, ticket string, ok bool) {
	return func(id string) (string, string, bool) {
		tok, err := th.ParseMessageID(id)
		if err != nil {
			return "", "", false
		}
		return tok.Account, tok.Ticket, true
	}
}

// Process decides what one mail is. raw is the message as received (header
// and body; CRLF or LF line ends), kept as is for DKIM. env may be nil for
// mail without an SMTP envelope.
//
// The steps, each adding a Reason: read the header once; authenticate (SPF,
// DKIM, DMARC); recognise a forwarding check or confirmation (A3);
// apply a delivery report (B6); detect automatic mail and loops (L1, L2);
// route (A2, A4, A6); recognise an outgoing copy (A14); thread (T1-T5);
// find the contact, the original sender of an agent's forward (A11) and the
// participants' records (A15); decide privacy (A12); suspend mail that
// fails authentication (D4).
//
// The error is only for a store or directory failure or a cancelled
// context: the host should retry later (an SMTP server answers 451). Every
// other outcome, hostile input included, is a Decision.
func (p *Pipeline) Process(ctx context.Context, env *deskmail.Envelope, raw []byte) (*Decision, error) {
	if env == nil {
		env = &deskmail.Envelope{}
	}
	d, err := p.process(ctx, env, raw)
	if err != nil {
		return nil, err
	}
	switch d.Action {
	case ActionNewTicket, ActionAppend:
		d.NoAutoResponse = d.AutoReply.Automatic()
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

func (p *Pipeline) process(ctx context.Context, env *deskmail.Envelope, raw []byte) (*Decision, error) {
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

	// Authenticate (D4). The verdict is applied at the end, once the mail
	// is known to be a ticket, so a suspended mail carries everything an
	// agent needs to recover it.
	p.authenticate(ctx, d, env, &dmarc.Message{IP: env.ClientIP, HELO: env.HELO, MailFrom: env.From, Raw: raw, Header: &h, FromDomain: fromDomain})

	// Forwarding checks and confirmations (A3) never become tickets.
	if done, err := p.confirmation(ctx, d, env, &h, body); done || err != nil {
		return d, err
	}

	// Delivery reports (B6, B10).
	if p.maybeReport(env, &h, d.From) {
		rep, perr := bounce.ParseWithOptions(bytes.NewReader(raw), p.o.BounceParse)
		if perr == nil && isReport(rep.Kind) {
			return d, p.applyReport(ctx, d, env, rep)
		}
	}

	// Automatic mail and loops (L1, L2).
	d.AutoReply = autoreply.Detect(&h, &p.ar)
	if d.AutoReply.Class == autoreply.Loop {
		d.Action = ActionDrop
		d.add(CodeLoop, "our own mail came back ("+d.AutoReply.Reason+"); it is already on its ticket")
		return d, p.routeOnly(ctx, d, env)
	}
	if d.AutoReply.Automatic() {
		d.add(CodeAutoReply, d.AutoReply.Reason+"; no automatic response will be sent")
	}

	// Route (A2, A4, A6).
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

	// Outgoing copy (A14): From is one of the account's own addresses.
	if owned, ok := acct.Owns(d.From, p.sep); ok {
		d.Action = ActionOutgoingCopy
		d.add(CodeOutgoingCopy, fmt.Sprintf("From is the account's %s %s: a copy of mail sent from another client, filed against its recipient", strings.ReplaceAll(string(owned.Kind), "_", " "), owned.Address))
		for _, a := range toCc {
			if _, own := acct.Owns(a, p.sep); !own {
				d.setContact(a)
				break
			}
		}
		if err := p.thread(ctx, d, acct, env, &h, body, toCc); err != nil {
			return d, err
		}
		if d.Action == ActionAppend || d.Action == ActionNewTicket {
			d.Action = ActionOutgoingCopy
		}
		if err := p.participants(ctx, d, acct, toCc); err != nil {
			return d, err
		}
		p.applyAuth(d)
		return d, nil
	}

	// Is the sender an agent?
	if p.o.Agents != nil {
		ag, err := p.o.Agents.Agent(ctx, acct.ID, d.From.Key())
		switch {
		case err == nil:
			d.Agent = ag.Active
		case !errors.Is(err, threading.ErrNotFound):
			return d, fmt.Errorf("inbound: agents: %w", err)
		}
	}

	// Thread (T1-T5).
	if err := p.thread(ctx, d, acct, env, &h, body, toCc); err != nil {
		return d, err
	}
	if d.Action == ActionDrop {
		return d, nil
	}

	// An agent's forward opens the ticket for the original sender (A11).
	if d.Agent && d.Action == ActionNewTicket && acct.ForwardedSenderFor(d.Department) {
		p.agentForward(d, acct, &h, body)
	}

	// An agent's reply that leaves out the customer is private (A12).
	if d.Agent && d.Action == ActionAppend && !d.Private && p.o.Tickets != nil && acct.Settings.AutoPrivate {
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
			return d, fmt.Errorf("inbound: tickets: %w", err)
		}
	}

	if err := p.participants(ctx, d, acct, toCc); err != nil {
		return d, err
	}
	p.applyAuth(d)
	return d, nil
}

// readers recycles the header readers: one 4 KiB buffer per mail is most of
// the garbage the header parse would otherwise make.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// readHeader parses the header of raw, reading at most max bytes of it, and
// returns the offset of the body.
func readHeader(raw []byte, max int) (textproto.Header, int, error) {
	in := raw
	if len(in) > max {
		in = in[:max]
	}
	if h, off, ok := fastHeader(in); ok {
		return h, off, nil
	}
	rd := bytes.NewReader(in)
	br := readers.Get().(*bufio.Reader)
	br.Reset(rd)
	defer func() { br.Reset(nil); readers.Put(br) }()
	h, err := textproto.ReadHeader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(raw) > max {
				return h, 0, fmt.Errorf("longer than %d bytes", max)
			}
			if len(raw) == 0 {
				return h, 0, errors.New("empty message")
			}
			// A message that ends inside its header has no body.
			return h, len(raw), nil
		}
		return h, 0, err
	}
	off := len(in) - rd.Len() - br.Buffered()
	if off >= len(in) && len(raw) > len(in) {
		return h, 0, fmt.Errorf("longer than %d bytes", max)
	}
	if h.Len() == 0 {
		return h, 0, errors.New("no header fields")
	}
	return h, off, nil
}

// routeOnly fills the account and address of a mail decided before routing,
// from the envelope alone, so that a suspended or dropped mail still shows
// where it was sent.
func (p *Pipeline) routeOnly(ctx context.Context, d *Decision, env *deskmail.Envelope) error {
	if len(env.To) == 0 {
		return nil
	}
	r, err := p.router.Route(ctx, env.To, nil)
	if errors.Is(err, alias.ErrNoRoute) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbound: route: %w", err)
	}
	d.Route = &r
	d.Account, d.Address, d.Department = r.Account, r.Address, r.Department
	return nil
}

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

func (p *Pipeline) confirmation(ctx context.Context, d *Decision, env *deskmail.Envelope, h *textproto.Header, body []byte) (bool, error) {
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
func mayBeCheck(h *textproto.Header) bool {
	if h.Has(alias.ForwardingCheckHeader) {
		return true
	}
	s := h.Get("Subject")
	return strings.Contains(s, "=?") || strings.Contains(strings.ToLower(s), "forwarding check")
}

// routeHeader fills account and address for a decision made before the
// full routing step, using the header as well.
func (p *Pipeline) routeHeader(ctx context.Context, d *Decision, env *deskmail.Envelope, h *textproto.Header) error {
	r, err := p.router.Route(ctx, env.To, h)
	if errors.Is(err, alias.ErrNoRoute) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbound: route: %w", err)
	}
	d.Route = &r
	d.Account, d.Address, d.Department = r.Account, r.Address, r.Department
	return nil
}

// maybeReport says whether a mail is worth parsing as a delivery report:
// a null sender, a report content type, a Return-Path of <>, a recipient on
// the VERP bounce domain, or a sender that only ever sends reports.
func (p *Pipeline) maybeReport(env *deskmail.Envelope, h *textproto.Header, from deskmail.Address) bool {
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
	if h.Has("X-Failed-Recipients") {
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

func isReport(k bounce.Kind) bool {
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
		return fmt.Errorf("inbound: bounce: %w", err)
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
	d.add(CodeBounce, text)
	return nil
}

// route runs the router and loads the account. ok is false when the
// decision is final (no route, disabled address).
func (p *Pipeline) route(ctx context.Context, d *Decision, env *deskmail.Envelope, h *textproto.Header) (*alias.Account, bool, error) {
	r, err := p.router.Route(ctx, env.To, h)
	if errors.Is(err, alias.ErrNoRoute) {
		d.Action = ActionDrop
		d.add(CodeNoRoute, "no support address of any account matches the recipients")
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("inbound: route: %w", err)
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
		return nil, false, fmt.Errorf("inbound: account: %w", err)
	}
	return acct, true, nil
}

func (p *Pipeline) thread(ctx context.Context, d *Decision, acct *alias.Account, env *deskmail.Envelope, h *textproto.Header, body []byte, toCc []deskmail.Address) error {
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
		Recipients: make([]deskmail.Address, 0, len(toCc)+len(env.To)+2),
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
	// Only a body that may hold a marker is copied for the search.
	if mayHoldMarker(body) {
		in.Body = string(body)
	}
	ts := acct.Settings.Threading
	in.Settings = &threading.Settings{SubjectNumber: ts.SubjectNumber, SubjectAgents: ts.SubjectNumberAgents, SubjectParticipants: ts.SubjectNumberParticipants}
	m, err := p.o.Threader.Match(ctx, in)
	if err != nil {
		return fmt.Errorf("inbound: thread: %w", err)
	}
	d.Thread = &ThreadInfo{Method: string(m.Method), Reason: m.Reason, Stranger: m.Stranger}
	for _, n := range m.Notes {
		d.Thread.Notes = append(d.Thread.Notes, deskmail.Reason(n))
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

// mayHoldMarker reports whether body may hold a threading body marker,
// "ref:dm.INSTALL.TAG:ref" in any case (threading.Threader.BodyMarker), so
// that the body is converted to a string for the threader only then.
func mayHoldMarker(body []byte) bool {
	const head = "ref:dm."
	for {
		i := bytes.IndexByte(body, ':')
		if i < 0 {
			return false
		}
		if i >= 3 && len(body)-i >= 4 && bytes.EqualFold(body[i-3:i+4], []byte(head)) {
			return true
		}
		body = body[i+1:]
	}
}

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

// parseFrom returns firstAddress of the first From field and, when one
// parse serves both, the lower-case From domain dkim.FromDomain would give
// for DMARC; else the domain is "" and dmarc finds it itself. One parse
// serves both when the field is not folded and holds one address and no
// comma, colon, semicolon (list and group syntax) or CR: ParseAddressList
// then parses the same string ParseAddress would, the same way.
func parseFrom(h *textproto.Header) (deskmail.Address, string) {
	v := h.Get("From")
	if v == "" || strings.ContainsAny(v, ",:;\r") {
		return firstAddress(v), ""
	}
	raw, err := h.Raw("From")
	if err != nil || raw == nil {
		return firstAddress(v), ""
	}
	_, rv, _ := bytes.Cut(raw, []byte{':'})
	rv = bytes.TrimSpace(rv)
	if bytes.IndexByte(rv, '\r') >= 0 || bytes.IndexByte(rv, '\n') >= 0 || string(rv) != v {
		return firstAddress(v), ""
	}
	l, err := deskmail.ParseAddressList(v)
	if err != nil || len(l) != 1 {
		return firstAddress(v), ""
	}
	return l[0], strings.ToLower(l[0].Domain)
}

func firstAddress(v string) deskmail.Address {
	if v == "" {
		return deskmail.Address{}
	}
	if a, err := deskmail.ParseAddress(v); err == nil {
		return a
	}
	if l, _ := deskmail.ParseAddressList(v); len(l) > 0 {
		return l[0]
	}
	return deskmail.Address{}
}

// headerAddresses returns the addresses of the named fields, at most 100.
func headerAddresses(h *textproto.Header, fields ...string) []deskmail.Address {
	var out []deskmail.Address
	for _, f := range fields {
		for _, v := range h.Values(f) {
			l, _ := deskmail.ParseAddressList(v)
			out = append(out, l...)
			if len(out) >= 100 {
				return out[:100]
			}
		}
	}
	return out
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
			return nil, fmt.Errorf("inbound: route: %w", err)
		}
		if _, ok := groups[acct]; !ok {
			order = append(order, acct)
		}
		groups[acct] = append(groups[acct], r)
	}
	out := make([]*Decision, 0, len(order))
	for _, acct := range order {
		e := *env
		e.To = groups[acct]
		d, err := p.Process(ctx, &e, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
		if d.Action == ActionBounce {
			break
		}
	}
	return out, nil
}
