package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

// stores are deskmail's stores: in memory by default, on Postgres with
// -postgres. The tickets themselves are the host's and stay in memory.
type stores struct {
	aliases alias.Store
	index   threading.Store
	bounces bounce.Store
	keys    dkim.KeyStore
	relays  relay.Store
}

func memoryStores() stores {
	return stores{alias.NewMemoryStore(), threading.NewMemoryStore(), bounce.NewMemoryStore(), dkim.NewMemoryStore(), relay.NewMemoryStore()}
}

// ticket is the host's ticket: what a real helpdesk keeps in its database.
type ticket struct {
	ID      string
	Contact deskmail.Address
	Subject string
	// IDs are the Message-IDs on the ticket, oldest first: they become the
	// References of our replies.
	IDs []string
	// Notes are the private notes and bounces shown to agents.
	Notes []string
}

// desk is a small helpdesk: deskmail does the email plumbing, the desk keeps
// tickets. It is a threading.Tickets, so threading can check participants.
type desk struct {
	names names
	out   io.Writer // the transcript

	aliases  alias.Store
	threader *threading.Threader
	tracker  *bounce.Tracker
	pipeline *inbound.Pipeline
	send     deskmail.Transport // the outbound chain

	mu        sync.Mutex
	tickets   map[string]*ticket
	suspended []*inbound.Decision
}

// deskConfig holds what the desk is wired to: its stores, the DNS zone that
// stands in for the Internet's, and the two outgoing SMTP servers.
type deskConfig struct {
	stores   stores
	zone     *dnstest.Zone
	platform string // host:port of the platform's outgoing SMTP server
	relay    string // host:port of the customer's own relay (Acme's mail server)
}

func newDesk(ctx context.Context, out io.Writer, n names, cfg deskConfig) (*desk, error) {
	d := &desk{names: n, out: out, aliases: cfg.stores.aliases, tickets: map[string]*ticket{}}

	// The account: a customer-owned support address that forwards to the
	// platform, a disabled old address, and the settings of the channel.
	err := d.aliases.UpdateAccount(ctx, n.account, func(a *alias.Account) error {
		if a.Address(n.support) != nil {
			return nil // set up by an earlier run on the same database
		}
		if err := a.AddAddress(alias.SupportAddress{Address: n.support, Name: "Acme Support", PlatformAddress: n.platform}); err != nil {
			return err
		}
		if err := a.AddAddress(alias.SupportAddress{Address: n.old, PlatformAddress: n.oldPlatform, Disabled: true}); err != nil {
			return err
		}
		a.Settings.AgentNameInFrom = true
		a.Settings.Threading = alias.ThreadingSettings{SubjectNumber: true, SubjectNumberParticipants: true}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Secrets: in production they come from the host's secret store.
	secret := []byte("helpdesk example secret, 32 byte")
	d.threader, err = threading.New(&threading.Options{
		Install: "demo", Keyring: deskmail.MustKeyring(secret), Domain: n.messageDomain,
		Index: cfg.stores.index, Tickets: d,
	})
	if err != nil {
		return nil, err
	}
	keys, err := deskmail.NewKeyring(secret)
	if err != nil {
		return nil, err
	}
	verp, err := bounce.NewVERP(keys, n.bounceDomain, nil)
	if err != nil {
		return nil, err
	}
	d.tracker, err = bounce.NewTracker(cfg.stores.bounces, &bounce.Options{VERP: verp, OwnMessage: inbound.OwnMessage(d.threader)})
	if err != nil {
		return nil, err
	}

	// DKIM: one key for the From domain, published in the zone.
	if err := setupDKIM(ctx, cfg.stores.keys, cfg.zone, n); err != nil {
		return nil, err
	}
	signer, err := dkim.NewSigner(&dkim.SignerOptions{Keys: cfg.stores.keys, RequireKey: true})
	if err != nil {
		return nil, err
	}

	// Outbound: gate blocked addresses, put a VERP return path, sign, and
	// route through Acme's own relay (one mail a day) or the platform.
	host, port, err := splitHostPort(cfg.relay)
	if err != nil {
		return nil, err
	}
	relays := relay.Configs{n.account: {Account: n.account, Relays: []relay.Relay{{
		ID: "acme-mx", Domain: n.domain, Host: host, Port: port, Security: relay.SecurityNone, DailyCap: 1,
	}}}}
	routeViaRelay, err := relay.Middleware(&relay.Options{Configs: relays, Store: cfg.stores.relays})
	if err != nil {
		return nil, err
	}
	platform, err := platformTransport(cfg.platform)
	if err != nil {
		return nil, err
	}
	d.send = deskmail.Chain(platform, d.tracker.Middleware(), verpReturnPath(verp), signer.Middleware(), routeViaRelay)

	// Inbound: the pipeline.
	d.pipeline, err = inbound.New(&inbound.Options{
		Aliases: d.aliases, Threader: d.threader, Tickets: d, Bounces: d.tracker,
		Auth: &senderauth.Options{Resolver: cfg.zone, AuthServID: "mx." + n.platformDomain},
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// receive runs the pipeline on one mail and applies its decision the way a
// host would. The SMTP server calls it for every mail it accepts.
func (d *desk) receive(ctx context.Context, env *deskmail.Envelope, raw []byte) (*inbound.Decision, error) {
	dec, err := d.pipeline.Process(ctx, env, raw)
	if err != nil {
		return nil, err // a store failed: the SMTP server answers 451
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch dec.Action {
	case inbound.ActionNewTicket:
		t := &ticket{ID: strconv.Itoa(len(d.tickets) + 1), Contact: dec.Contact, Subject: dec.Subject}
		d.tickets[t.ID] = t
		d.file(ctx, t, dec)
		d.say("→ new ticket #%s for %s, %s", t.ID, dec.Contact, authLine(dec))
		for _, note := range dec.Thread.Notes {
			d.say("  (%s)", note.Text)
		}
	case inbound.ActionAppend:
		t := d.tickets[dec.Ticket]
		d.file(ctx, t, dec)
		how := "public reply"
		if dec.Private {
			how = "private note"
		}
		d.say("→ appended to ticket #%s as a %s (matched by %s)", dec.Ticket, how, dec.Thread.Method)
	case inbound.ActionBounce:
		t := d.tickets[dec.Ticket]
		for _, s := range dec.Bounce.States {
			t.Notes = append(t.Notes, "bounce: "+s.Address+" is "+string(s.State))
			d.say("→ bounce shown on ticket #%s: %s is now %s (%s)", dec.Ticket, s.Address, s.State, s.LastReason)
		}
	case inbound.ActionSuspend:
		d.suspended = append(d.suspended, dec)
		d.say("→ suspended for review (would be %s): %s", dec.Held, dec.AuthenticationResults)
	default: // drop, confirmation, outgoing copy
		last := dec.Reasons[len(dec.Reasons)-1]
		d.say("→ %s: %s", dec.Action, last.Text)
	}
	return dec, nil
}

// file adds a received mail to a ticket and indexes its Message-ID, so a
// duplicate delivery and replies quoting it find the ticket.
func (d *desk) file(ctx context.Context, t *ticket, dec *inbound.Decision) {
	if dec.MessageID == "" {
		return
	}
	t.IDs = append(t.IDs, dec.MessageID)
	_ = d.threader.Remember(ctx, d.names.account, t.ID, false, dec.MessageID)
}

// reply sends an agent's reply on a ticket and returns the transport's
// result for its one recipient.
func (d *desk) reply(ctx context.Context, ticketID, agent, text string) (deskmail.RecipientResult, error) {
	d.mu.Lock()
	t := d.tickets[ticketID]
	thread := append([]string(nil), t.IDs...)
	d.mu.Unlock()

	acct, err := d.aliases.Account(ctx, d.names.account)
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	from, err := acct.Sender("", agent)
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	h, err := d.threader.Headers(threading.Outgoing{
		Account: d.names.account, Ticket: t.ID, Number: t.ID, Subject: "Re: " + t.Subject, Thread: thread,
	})
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n",
		from.FromHeader, t.Contact.String(), h.Subject, time.Now().UTC().Format(time.RFC1123Z), h.MessageID)
	if h.InReplyTo != "" {
		fmt.Fprintf(&msg, "In-Reply-To: %s\r\nReferences: %s\r\n", h.InReplyTo, h.References)
	}
	fmt.Fprintf(&msg, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", text)

	id := strings.Trim(h.MessageID, "<>")
	env := &deskmail.Envelope{Account: d.names.account, To: []string{t.Contact.Addr()}, Kind: deskmail.KindReply, MessageID: id, HeaderFrom: from.From.Addr()}
	res, err := d.send.Send(ctx, env, []byte(msg.String()))
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	if err := d.threader.Remember(ctx, d.names.account, t.ID, true, id); err != nil {
		return deskmail.RecipientResult{}, err
	}
	d.mu.Lock()
	t.IDs = append(t.IDs, id)
	d.mu.Unlock()
	rr, _ := res.Recipient(t.Contact.Addr())
	via := res.Via
	if via == "" {
		via = "platform"
	}
	if rr.Status == deskmail.StatusDropped {
		d.say("→ %s: dropped before sending (%s)", rr.Recipient, rr.Reason)
	} else {
		d.say("→ %s: %s via %s", rr.Recipient, rr.Status, via)
	}
	return rr, nil
}

// Ticket and TicketByNumber make the desk a threading.Tickets: threading
// asks them who takes part in a ticket (T4).
func (d *desk) Ticket(_ context.Context, account, id string) (threading.Ticket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tickets[id]
	if !ok || account != d.names.account {
		return threading.Ticket{}, threading.ErrNotFound
	}
	return threading.Ticket{ID: t.ID, Number: t.ID, Contact: t.Contact.Key()}, nil
}

func (d *desk) TicketByNumber(ctx context.Context, account, number string) (threading.Ticket, error) {
	return d.Ticket(ctx, account, number)
}

func (d *desk) say(format string, args ...any) {
	fmt.Fprintf(d.out, "   "+format+"\n", args...)
}

func authLine(dec *inbound.Decision) string {
	if dec.Auth == nil {
		return "not authenticated"
	}
	return fmt.Sprintf("SPF %s, DMARC %s", dec.Auth.SPFResult, dec.Auth.DMARC.Outcome)
}

// verpReturnPath puts the platform's VERP address in MAIL FROM, so that a
// bounce names the message and recipient it is about (B6) and a forged
// bounce, which cannot sign one, changes nothing (B10).
func verpReturnPath(v *bounce.VERP) deskmail.Middleware {
	return func(next deskmail.Transport) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			if len(env.To) != 1 || env.MessageID == "" {
				return next.Send(ctx, env, msg)
			}
			rp, err := v.ReturnPath(env.Account, env.To[0], env.MessageID)
			if err != nil {
				return nil, err
			}
			e := env.Clone()
			e.From = rp
			return next.Send(ctx, e, msg)
		})
	}
}

// platformTransport is the platform's own outgoing SMTP server. It uses the
// relay package's SMTP transport too.
func platformTransport(addr string) (deskmail.Transport, error) {
	host, port, err := splitHostPort(addr)
	if err != nil {
		return nil, err
	}
	r := &relay.Relay{ID: "platform", Domain: "*", Host: host, Port: port, Security: relay.SecurityNone}
	smtp := relay.NewDialer(&relay.SMTPOptions{LocalName: "out.desk.example"}).Transport(r)
	return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		res, err := smtp.Send(ctx, env, msg)
		if res != nil {
			res.Via = "platform"
		}
		return res, err
	}), nil
}

func setupDKIM(ctx context.Context, keys dkim.KeyStore, zone *dnstest.Zone, n names) error {
	err := keys.Update(ctx, n.account, n.domain, func(s *dkim.KeyState) error {
		if s.Active() != nil {
			return nil
		}
		key, err := dkim.GenerateKey(dkim.Ed25519, 0, rand.Reader)
		if err != nil {
			return err
		}
		return s.Begin("dm1", key, time.Now())
	})
	if err != nil {
		return err
	}
	st, err := keys.Get(ctx, n.account, n.domain)
	if err != nil {
		return err
	}
	recs, err := st.Published()
	if err != nil {
		return err
	}
	for _, r := range recs {
		zone.AddTXTStrings(r.Name, r.TXT...)
	}
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, errors.New("helpdesk: no port in " + addr)
	}
	p, err := strconv.Atoi(addr[i+1:])
	return addr[:i], p, err
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
