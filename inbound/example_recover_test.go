package inbound_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/senderauth"
)

// A customer's second mail server is missing from its SPF record, and its
// domain publishes p=reject: the first mail is suspended, an agent
// recovers it, and the next mail from that server is let through. A spoof
// of the same address from elsewhere is still suspended.
func ExamplePipeline_Recover() {
	ctx := context.Background()
	aliases := alias.NewMemoryStore()
	_ = aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
	})
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:192.0.2.0/24 -all")
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	p, _ := inbound.New(&inbound.Options{
		Aliases: aliases,
		Auth:    &senderauth.Options{Resolver: zone},
		Allow:   allow.NewMemoryStore(),
	})

	raw := []byte("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Order\r\n\r\nWhere is it?\r\n")
	from := func(ip string) *deskmail.Envelope {
		return &deskmail.Envelope{From: "mary@customer.example", To: []string{"support@acme.example"}, ClientIP: netip.MustParseAddr(ip)}
	}

	d, _ := p.Process(ctx, from("198.51.100.20"), raw)
	fmt.Println("first mail:", d.Action, "held as", d.Held)

	d, _ = p.Recover(ctx, from("198.51.100.20"), raw, inbound.Recovery{By: "agent-7"})
	fmt.Println("recovered:", d.Action, "entry for", d.Allow.Sender, "from", d.Allow.Network)

	d, _ = p.Process(ctx, from("198.51.100.21"), raw)
	fmt.Println("same server:", d.Action, "authenticated", d.Authenticated)

	d, _ = p.Process(ctx, from("203.0.113.9"), raw)
	fmt.Println("elsewhere:", d.Action)
	// Output:
	// first mail: suspend held as new_ticket
	// recovered: new_ticket entry for mary@customer.example from 198.51.100.0/24
	// same server: new_ticket authenticated false
	// elsewhere: suspend
}
