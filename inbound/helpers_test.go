package inbound_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

// Addresses of the test world.
var (
	customerIP = netip.MustParseAddr("192.0.2.10")   // customer.example's mail server
	acmeIP     = netip.MustParseAddr("198.51.100.7") // acme.example's own mail server
	spoofIP    = netip.MustParseAddr("203.0.113.66") // anyone else
	mtaIP      = netip.MustParseAddr("192.0.2.200")  // a receiving MTA sending bounces
	fixedNow   = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

// tickets is a host's ticket table for tests: safe for concurrent use.
type tickets struct {
	mu sync.Mutex
	m  map[string]threading.Ticket
}

func (t *tickets) Ticket(_ context.Context, account, id string) (threading.Ticket, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if x, ok := t.m[account+"/"+id]; ok {
		return x, nil
	}
	return threading.Ticket{}, threading.ErrNotFound
}

func (t *tickets) TicketByNumber(_ context.Context, account, number string) (threading.Ticket, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, x := range t.m {
		if strings.HasPrefix(k, account+"/") && x.Number == number {
			return x, nil
		}
	}
	return threading.Ticket{}, threading.ErrNotFound
}

type world struct {
	aliases *alias.MemoryStore
	th      *threading.Threader
	index   *threading.MemoryStore
	tracker *bounce.Tracker
	bstore  *bounce.MemoryStore
	verp    *bounce.VERP
	fc      *alias.ForwardingCheck
	zone    *dnstest.Zone
	tickets *tickets
	p       *inbound.Pipeline
	// ourID is the Message-ID of our reply on ticket 1001 to mary.
	ourID string
}

func agents() threading.Agents {
	return threading.AgentsFunc(func(_ context.Context, account, addr string) (threading.Agent, error) {
		switch addr {
		case "brad@acme.example":
			return threading.Agent{ID: "brad", Active: true}, nil
		case "lena@acme.example":
			return threading.Agent{ID: "lena", Active: true, Restricted: true}, nil
		}
		return threading.Agent{}, threading.ErrNotFound
	})
}

func directory() alias.Directory {
	return alias.DirectoryFunc(func(_ context.Context, account string, keys []string) ([]alias.Contact, error) {
		var out []alias.Contact
		for _, k := range keys {
			if k == "mary@customer.example" {
				out = append(out, alias.Contact{ID: "crm-42", Kind: "contact", Address: k})
			}
		}
		return out, nil
	})
}

// newWorld builds account acme with three support addresses and two
// departments, a threader, a bounce tracker with VERP, a DNS zone and the
// pipeline over all of them. mod may change the options.
func newWorld(t testing.TB, mod func(*inbound.Options)) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{aliases: alias.NewMemoryStore(), index: threading.NewMemoryStore(), bstore: bounce.NewMemoryStore(), zone: dnstest.New()}
	err := w.aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		for _, d := range []alias.Department{{ID: "support"}, {ID: "sales"}} {
			if err := a.AddDepartment(d); err != nil {
				return err
			}
		}
		for _, s := range []alias.SupportAddress{
			{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example", Department: "support"},
			{Address: "sales@acme.desk.example", Department: "sales"},
			{Address: "old@acme.example", PlatformAddress: "old@acme.desk.example", Department: "support", Disabled: true},
		} {
			if err := a.AddAddress(s); err != nil {
				return err
			}
		}
		a.Settings.ForwardedSender = true
		a.Settings.AutoPrivate = true
		a.Settings.Threading = alias.ThreadingSettings{SubjectNumber: true, SubjectNumberAgents: true, SubjectNumberParticipants: true}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.tickets = &tickets{m: map[string]threading.Ticket{
		"acme/1001": {ID: "1001", Number: "1001", Contact: "mary@customer.example", CC: []string{"joe@customer.example"}},
	}}
	w.th, err = threading.New(&threading.Options{
		Install: "desk1", Keyring: deskmail.MustKeyring([]byte("0123456789abcdef-threading")), Domain: "acme.desk.example",
		Index: w.index, Tickets: w.tickets, Agents: agents(), Now: func() time.Time { return fixedNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := deskmail.NewKeyring([]byte("0123456789abcdef-verp-secret"))
	if err != nil {
		t.Fatal(err)
	}
	w.verp, err = bounce.NewVERP(keys, "bounces.desk.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.tracker, err = bounce.NewTracker(w.bstore, &bounce.Options{VERP: w.verp, OwnMessage: inbound.OwnMessage(w.th), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	w.fc = &alias.ForwardingCheck{Keyring: keys, Now: func() time.Time { return fixedNow }}

	z := w.zone
	z.AddTXT("customer.example", "v=spf1 ip4:192.0.2.0/25 -all")
	z.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	z.AddIP("customer.example", "192.0.2.10")
	z.AddTXT("acme.example", "v=spf1 ip4:198.51.100.0/24 -all")
	z.AddTXT("_dmarc.acme.example", "v=DMARC1; p=none")
	z.AddIP("acme.example", "198.51.100.7")
	z.AddTXT("mta.example", "v=spf1 ip4:192.0.2.200 -all")
	z.AddIP("mta.example", "192.0.2.200")

	w.ourID = w.sent(t, "1001", "m1")

	opts := &inbound.Options{
		Aliases: w.aliases, Threader: w.th, Tickets: w.tickets, Agents: agents(), Directory: directory(),
		Bounces: w.tracker, ForwardingCheck: w.fc, XLoop: "acme.desk.example",
		Auth: &senderauth.Options{Resolver: z, AuthServID: "mx.desk.example"},
	}
	if mod != nil {
		mod(opts)
	}
	w.p, err = inbound.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// sent returns the Message-ID (no brackets) of an outgoing message on
// ticket and remembers it in the index, as the outbound side does.
func (w *world) sent(t testing.TB, ticket, msg string) string {
	t.Helper()
	h, err := w.th.Headers(threading.Outgoing{Account: "acme", Ticket: ticket, Message: msg, Number: ticket, Subject: "Your order"})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Trim(h.MessageID, "<>")
	if err := w.th.Remember(context.Background(), "acme", ticket, true, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *world) process(t testing.TB, env *deskmail.Envelope, raw string) *inbound.Decision {
	t.Helper()
	d, err := w.p.Process(context.Background(), env, []byte(raw))
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return d
}

// mail builds a raw message from header lines and a body, CRLF ends.
func mail(body string, fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return b.String()
}

func fromCustomer(rcpts ...string) *deskmail.Envelope {
	return &deskmail.Envelope{From: "mary@customer.example", To: rcpts, ClientIP: customerIP, HELO: "mail.customer.example"}
}

func codes(d *inbound.Decision) string {
	var c []string
	for _, r := range d.Reasons {
		c = append(c, r.Code)
	}
	return strings.Join(c, ",")
}
