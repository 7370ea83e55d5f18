package inbound_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

func Example() {
	ctx := context.Background()

	// The host's data: one account with one support address.
	aliases := alias.NewMemoryStore()
	_ = aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	})
	th, _ := threading.New(&threading.Options{Install: "desk", Domain: "desk.example", Keyring: deskmail.MustKeyring([]byte("a secret of 16+ bytes")), Index: threading.NewMemoryStore()})

	// DNS: the customer's domain publishes SPF and a reject policy.
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:192.0.2.0/24 -all")
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")

	p, _ := inbound.New(&inbound.Options{
		Aliases: aliases, Threader: th,
		Auth: &senderauth.Options{Resolver: zone, AuthServID: "mx.desk.example"},
	})

	// Our reply on ticket 42 had this Message-ID.
	hdr, _ := th.Headers(threading.Outgoing{Account: "acme", Ticket: "42", Subject: "Your order"})

	mails := []struct {
		ip  string
		raw string
	}{
		{"192.0.2.10", "From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Help\r\n\r\nMy order is late.\r\n"},
		{"192.0.2.10", "From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Re: Your order\r\nIn-Reply-To: " + hdr.MessageID + "\r\n\r\nThanks!\r\n"},
		{"203.0.113.9", "From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: New bank details\r\n\r\nPay here.\r\n"},
	}
	for _, m := range mails {
		env := &deskmail.Envelope{From: "mary@customer.example", To: []string{"acme@desk.example"}, ClientIP: netip.MustParseAddr(m.ip)}
		d, err := p.Process(ctx, env, []byte(m.raw))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: account %s, contact %s, ticket %q, held %q, authenticated %v\n", d.Action, d.Account, d.ContactAddr, d.Ticket, d.Held, d.Authenticated)
		if r, ok := d.Why(inbound.CodeAuthFail); ok {
			fmt.Println("  ", r.Code+":", strings.SplitN(r.Text, " (", 2)[0])
		}
	}
	// Output:
	// new_ticket: account acme, contact mary@customer.example, ticket "", held "", authenticated true
	// append: account acme, contact mary@customer.example, ticket "42", held "", authenticated true
	// suspend: account acme, contact mary@customer.example, ticket "", held "new_ticket", authenticated false
	//    auth_fail: DMARC fails with policy reject
}
