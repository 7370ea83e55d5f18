package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/compose"
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
	verp     *bounce.VERP // the inbound server accepts bounces to its return paths
	pipeline *inbound.Pipeline
	composer *compose.Composer
	sender   *compose.Sender // the one outbound path
	outDir   string          // -out: every mail sent is written here
	outN     atomic.Int64

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
	outDir   string // "" or where every sent mail is written
}

func newDesk(ctx context.Context, out io.Writer, n names, cfg deskConfig) (*desk, error) {
	d := &desk{names: n, out: out, aliases: cfg.stores.aliases, tickets: map[string]*ticket{}, outDir: cfg.outDir}

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
	d.verp = verp
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

	// Outbound: one send path for every mail (compose.Sender): a VERP
	// return path, the bounce gate, Acme's own relay (one mail a day) or
	// the platform, DKIM signing on either route.
	host, port, err := splitHostPort(cfg.relay)
	if err != nil {
		return nil, err
	}
	relays := relay.Configs{n.account: {Account: n.account, Relays: []relay.Relay{{
		ID: "acme-mx", Domain: n.domain, Host: host, Port: port, Security: relay.SecurityNone, DailyCap: 1,
	}}}}
	platform, err := platformTransport(cfg.platform)
	if err != nil {
		return nil, err
	}
	dialer := relay.NewDialer(nil)
	d.composer, err = compose.New(&compose.Options{Threader: d.threader, MessageIDDomain: n.messageDomain})
	if err != nil {
		return nil, err
	}
	d.sender, err = compose.NewSender(&compose.SenderOptions{
		Composer: d.composer, Transport: d.record(platform), Gate: d.tracker, Signer: signer,
		Relay: &relay.Options{Configs: relays, Store: cfg.stores.relays,
			RelayTransport: func(r *relay.Relay) deskmail.Transport { return d.record(dialer.Transport(r)) }},
		ReturnPath: relay.ReturnPathPlatform, VERP: verp,
	})
	if err != nil {
		return nil, err
	}

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

// apply applies the pipeline's decision on one mail the way a host would.
// The SMTP server (package smtpd) runs the pipeline and calls it for every
// mail it accepts.
func (d *desk) apply(ctx context.Context, dec *inbound.Decision) {
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
	return d.send(ctx, ticketID, &compose.Draft{Agent: agent, Text: text})
}

// send composes and sends draft on a ticket: the desk fills in the
// account, the ticket, the thread, the recipient and, unless the draft has
// one, the subject.
func (d *desk) send(ctx context.Context, ticketID string, draft *compose.Draft) (deskmail.RecipientResult, error) {
	d.mu.Lock()
	t := d.tickets[ticketID]
	thread := append([]string(nil), t.IDs...)
	d.mu.Unlock()

	acct, err := d.aliases.Account(ctx, d.names.account)
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	draft.Account, draft.Kind, draft.Ticket, draft.Number, draft.Thread = acct, deskmail.KindReply, t.ID, t.ID, thread
	draft.To = []deskmail.Address{t.Contact}
	if draft.Subject == "" {
		draft.Subject = "Re: " + t.Subject
	}
	sent, err := d.sender.Send(ctx, draft)
	if err != nil {
		return deskmail.RecipientResult{}, err
	}
	id := sent.Message.MessageID
	if err := d.threader.Remember(ctx, d.names.account, t.ID, true, id); err != nil {
		return deskmail.RecipientResult{}, err
	}
	d.mu.Lock()
	t.IDs = append(t.IDs, id)
	d.mu.Unlock()
	rr, _ := sent.Result.Recipient(t.Contact.Addr())
	via := sent.Result.Via
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

// record wraps a transport so that, with -out, every message it sends is
// written to the directory exactly as it goes out (signed), one .eml
// file each.
func (d *desk) record(t deskmail.Transport) deskmail.Transport {
	return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		if d.outDir != "" {
			name := fmt.Sprintf("%03d-%s.eml", d.outN.Add(1), fileSafe(env.MessageID))
			if err := os.WriteFile(filepath.Join(d.outDir, name), msg, 0o644); err != nil {
				return nil, err
			}
		}
		return t.Send(ctx, env, msg)
	})
}

// fileSafe keeps letters, digits, dots and dashes of s, at most 60.
func fileSafe(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			out = append(out, c)
		}
		if len(out) == 60 {
			break
		}
	}
	return string(out)
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
