package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/deskmail/deskmail"

	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

const inboundUsage = `
Usage: deskmail inbound -config FILE [-json] [-zone FILE] [-ip IP] [-helo NAME]
                        [-from SENDER] [-rcpt ADDR[,ADDR…]] [-trusted] MESSAGE|-...

Runs the inbound pipeline on each message as if it had just arrived, and
prints the decision: new_ticket, append, suspend, drop, bounce_processed,
confirmation or outgoing_copy, with the account, support address,
department, contact, ticket, privacy, auto-reply class, the sender
authentication verdict and every reason (a code and a sentence).

Flags:
  -config FILE   the helpdesk configuration (JSON, below). Required.
  -zone FILE     answer DNS from a zonedata YAML file (RFC 7208 test-suite
                 form) instead of the system resolver.
  -ip IP         the connecting client's address. Without it sender
                 authentication is skipped, as for fetched mail.
  -helo NAME     the HELO/EHLO name.
  -from SENDER   the envelope sender (MAIL FROM); empty is the null sender.
  -rcpt ADDRS    envelope recipients, comma separated (RCPT TO).
  -trusted       decide as for a path the host authenticated itself (its
                 own submission server, a fetch of an agent's own
                 mailbox): the From is authenticated without SPF, DKIM or
                 DMARC. Never for mail from the Internet.
  -json          one JSON object per message.

The configuration is one JSON object; only "accounts" is required:

  {
    "install": "desk1",                  threading install id (a-z, 0-9)
    "secrets": ["at least 16 bytes…"],   signing secrets, newest first
    "message_domain": "desk.example",    right side of our Message-IDs
    "bounce_domain": "bounce.desk.example",  VERP return-path domain
    "auth_serv_id": "mx.desk.example",   Authentication-Results authserv-id
    "xloop": "desk.example",             the X-Loop value of our auto-mail
    "accounts": [{"id": "acme",
       "departments": [{"id": "support"}],
       "addresses": [{"address": "support@acme.example",
                      "platform_address": "acme@desk.example",
                      "department": "support"}],
       "identities": [{"address": "agent@acme.example", "status": "verified"}],
       "settings": {"forwarded_sender": true, "auto_private": true,
                    "threading": {"subject_number": true,
                                  "subject_number_participants": true}}}],
    "agents":  [{"account": "acme", "address": "brad@acme.example",
                 "restricted": false}],
    "tickets": [{"account": "acme", "id": "1001", "number": "1001",
                 "contact": "mary@customer.example", "cc": []}],
    "index":   [{"account": "acme", "message_id": "abc@customer.example",
                 "ticket": "1001"}]
  }

Without "secrets" no Message-ID or VERP token verifies, so only the index
and subject numbers thread and reports are attributed by nothing. Bounce
state is kept in memory for the run only.

Exit status: 0 every message was decided and none was suspended, 1 a
message was suspended for review, 2 usage or input error.
`

var inboundCommand = &command{
	name:    "inbound",
	summary: "run the inbound pipeline on messages and print each decision",
	usage:   inboundUsage,
	run:     runInbound,
}

// inboundConfig is the file -config reads.
type inboundConfig struct {
	Install       string          `json:"install"`
	Secrets       []string        `json:"secrets"`
	MessageDomain string          `json:"message_domain"`
	BounceDomain  string          `json:"bounce_domain"`
	AuthServID    string          `json:"auth_serv_id"`
	XLoop         string          `json:"xloop"`
	Accounts      []alias.Account `json:"accounts"`
	Agents        []struct {
		Account    string `json:"account"`
		Address    string `json:"address"`
		Restricted bool   `json:"restricted"`
		Inactive   bool   `json:"inactive"`
	} `json:"agents"`
	Tickets []struct {
		Account string   `json:"account"`
		ID      string   `json:"id"`
		Number  string   `json:"number"`
		Contact string   `json:"contact"`
		CC      []string `json:"cc"`
		BCC     []string `json:"bcc"`
	} `json:"tickets"`
	Index []struct {
		Account   string `json:"account"`
		MessageID string `json:"message_id"`
		Ticket    string `json:"ticket"`
	} `json:"index"`
}

// cliTickets is the tickets of the configuration, for threading.
type cliTickets map[string]threading.Ticket

func (t cliTickets) Ticket(_ context.Context, account, id string) (threading.Ticket, error) {
	if x, ok := t[account+"\x00"+id]; ok {
		return x, nil
	}
	return threading.Ticket{}, threading.ErrNotFound
}

func (t cliTickets) TicketByNumber(_ context.Context, account, number string) (threading.Ticket, error) {
	for k, x := range t {
		if strings.HasPrefix(k, account+"\x00") && x.Number == number {
			return x, nil
		}
	}
	return threading.Ticket{}, threading.ErrNotFound
}

// loadInbound builds the pipeline of a configuration file.
func loadInbound(file string, resolver senderauth.Resolver) (*inbound.Pipeline, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cfg inboundConfig
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("config: no accounts")
	}
	ctx := context.Background()
	aliases := alias.NewMemoryStore()
	for _, src := range cfg.Accounts {
		if src.ID == "" {
			return nil, errors.New("config: an account has no id")
		}
		err := aliases.UpdateAccount(ctx, src.ID, func(a *alias.Account) error {
			for _, d := range src.Departments {
				if err := a.AddDepartment(d); err != nil {
					return err
				}
			}
			for _, s := range src.Addresses {
				if err := a.AddAddress(s); err != nil {
					return err
				}
			}
			for _, x := range src.Identities {
				st := x.Status
				if err := a.AddIdentity(x, time.Now().UTC()); err != nil {
					return err
				}
				if id := a.Identity(x.Address); id != nil && st != "" {
					id.Status = st
				}
			}
			a.Settings = src.Settings
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("config: account %s: %w", src.ID, err)
		}
	}
	tickets := cliTickets{}
	for _, t := range cfg.Tickets {
		tickets[t.Account+"\x00"+t.ID] = threading.Ticket{ID: t.ID, Number: t.Number, Contact: t.Contact, CC: t.CC, BCC: t.BCC}
	}
	agents := map[string]threading.Agent{}
	for _, a := range cfg.Agents {
		k := a.Address
		if p, err := inboundKey(a.Address); err == nil {
			k = p
		}
		agents[a.Account+"\x00"+k] = threading.Agent{ID: a.Address, Active: !a.Inactive, Restricted: a.Restricted}
	}
	agentDir := threading.AgentsFunc(func(_ context.Context, account, addr string) (threading.Agent, error) {
		if a, ok := agents[account+"\x00"+addr]; ok {
			return a, nil
		}
		return threading.Agent{}, threading.ErrNotFound
	})

	opts := &inbound.Options{
		Aliases: aliases, Tickets: tickets, Agents: agentDir, XLoop: cfg.XLoop,
		Auth: &senderauth.Options{AuthServID: cfg.AuthServID},
	}
	if resolver != nil {
		opts.Auth.Resolver = resolver
	}
	var secrets [][]byte
	for _, s := range cfg.Secrets {
		secrets = append(secrets, []byte(s))
	}
	if len(secrets) > 0 {
		install := cfg.Install
		if install == "" {
			install = "desk"
		}
		keys, err := deskmail.NewKeyring(secrets...)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		domain := cfg.MessageDomain
		if domain == "" {
			domain = cfg.AuthServID // matching our own ids needs only some domain
		}
		index := threading.NewMemoryStore()
		th, err := threading.New(&threading.Options{Install: install, Keyring: keys, Domain: domain, Index: index, Tickets: tickets, Agents: agentDir})
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		for _, e := range cfg.Index {
			if err := th.Remember(ctx, e.Account, e.Ticket, false, e.MessageID); err != nil {
				return nil, fmt.Errorf("config: index: %w", err)
			}
		}
		opts.Threader = th
		bo := &bounce.Options{OwnMessage: inbound.OwnMessage(th)}
		if cfg.BounceDomain != "" {
			v, err := bounce.NewVERP(keys, cfg.BounceDomain, nil)
			if err != nil {
				return nil, fmt.Errorf("config: %w", err)
			}
			bo.VERP = v
		}
		tr, err := bounce.NewTracker(bounce.NewMemoryStore(), bo)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		opts.Bounces = tr
		opts.ForwardingCheck = &alias.ForwardingCheck{Keyring: keys}
	}
	return inbound.New(opts)
}

func runInbound(io *cliIO, args []string) int {
	fs, jsonOut := newFlagSet(io, "inbound", inboundUsage)
	config := fs.String("config", "", "helpdesk configuration (JSON)")
	zone := fs.String("zone", "", "answer DNS from this zonedata YAML file")
	ip := fs.String("ip", "", "client IP address")
	helo := fs.String("helo", "", "HELO/EHLO name")
	from := fs.String("from", "", "envelope sender (MAIL FROM)")
	rcpt := fs.String("rcpt", "", "envelope recipients, comma separated")
	trusted := fs.Bool("trusted", false, "the path is one the host authenticated")
	pos, code := parseFlags(fs, args)
	if code != flagsOK {
		return code
	}
	if *config == "" {
		return usageError(io, inboundUsage, "inbound: -config is required")
	}
	if len(pos) == 0 {
		return usageError(io, inboundUsage, "inbound: no message given (use - for standard input)")
	}
	env := &deskmail.Envelope{From: *from, HELO: *helo}
	if *ip != "" {
		a, err := netip.ParseAddr(*ip)
		if err != nil {
			return usageError(io, inboundUsage, "inbound: -ip: %v", err)
		}
		env.ClientIP = a
	}
	for _, r := range strings.Split(*rcpt, ",") {
		if r = strings.TrimSpace(r); r != "" {
			env.To = append(env.To, r)
		}
	}
	res, err := authResolver(*zone)
	if err != nil {
		return inputError(io, *jsonOut, *zone, err)
	}
	p, err := loadInbound(*config, res)
	if err != nil {
		return inputError(io, *jsonOut, *config, err)
	}
	if *trusted {
		p = p.Trusted()
	}
	code = exitOK
	for _, name := range pos {
		raw, err := readMessage(io, name)
		if err != nil {
			code = max(code, inputError(io, *jsonOut, name, err))
			continue
		}
		d, err := p.Process(context.Background(), env, raw)
		if err != nil {
			code = max(code, inputError(io, *jsonOut, name, err))
			continue
		}
		if d.Action == inbound.ActionSuspend {
			code = max(code, exitFail)
		}
		if *jsonOut {
			writeJSON(io.stdout, struct {
				File string `json:"file"`
				*inbound.Decision
			}{name, d})
			continue
		}
		printDecision(io, name, d)
	}
	return code
}

func printDecision(io *cliIO, name string, d *inbound.Decision) {
	w := io.stdout
	head := string(d.Action)
	if d.Held != "" {
		head += " (held: " + string(d.Held) + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", name, head)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-12s %s\n", k, v)
		}
	}
	line("account", d.Account)
	addr := d.Address
	if d.Department != "" {
		addr += " (department " + d.Department + ")"
	}
	line("address", addr)
	if d.ContactAddr != "" {
		line("contact", d.Contact.String())
	}
	if d.Ticket != "" {
		t := d.Ticket
		if d.Thread != nil {
			t += " (by " + d.Thread.Method + ")"
		}
		line("ticket", t)
	}
	if d.Private {
		line("private", "yes")
	}
	if d.Agent {
		line("agent", "yes")
	}
	if d.AutoReply.Automatic() {
		line("auto-reply", string(d.AutoReply.Class)+" ("+d.AutoReply.Header+")")
	}
	if d.NoAutoResponse {
		line("respond", "no automatic response")
	}
	if d.Confirmation != nil {
		line("code", d.Confirmation.Code)
		line("link", d.Confirmation.Link)
	}
	line("auth", d.AuthenticationResults)
	for _, p := range d.Participants {
		ids := make([]string, 0, len(p.Contacts))
		for _, c := range p.Contacts {
			ids = append(ids, c.ID)
		}
		line("participant", p.Address+" "+strings.Join(ids, ","))
	}
	fmt.Fprintln(w, "  reasons:")
	for _, r := range d.Reasons {
		fmt.Fprintf(w, "    %s: %s\n", r.Code, r.Text)
	}
	if d.Thread != nil {
		for _, n := range d.Thread.Notes {
			fmt.Fprintf(w, "    note %s: %s\n", n.Code, n.Text)
		}
	}
}

// inboundKey returns the canonical key of an address.
func inboundKey(s string) (string, error) {
	a, err := deskmail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Key(), nil
}
