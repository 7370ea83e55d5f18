// Command quickstart is the quick start of deskmail's README, as a host
// writes it in a module of its own: one account, one mail in, one decision
// out.
package main

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

func main() {
	ctx := context.Background()

	// Support addresses live in an alias.Store: in memory here, in
	// PostgreSQL with store/postgres.
	aliases := alias.NewMemoryStore()
	err := aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	})
	if err != nil {
		log.Fatal(err)
	}

	// One Keyring signs every token; take its secret from your secret store.
	keys, err := deskmail.NewKeyring([]byte("replace me: 32 random bytes....."))
	if err != nil {
		log.Fatal(err)
	}
	th, err := threading.New(&threading.Options{Install: "desk", Keyring: keys, Domain: "desk.example", Index: threading.NewMemoryStore()})
	if err != nil {
		log.Fatal(err)
	}

	// DNS for SPF, DKIM and DMARC: net.DefaultResolver in production, a
	// fixed zone here so that the program runs offline.
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:192.0.2.0/24 -all")
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")

	p, err := inbound.New(&inbound.Options{
		Aliases:  aliases,
		Threader: th,
		Auth:     &senderauth.Options{Resolver: zone, AuthServID: "mx.desk.example"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// What the SMTP server saw, and the mail as received.
	env := &deskmail.Envelope{
		From:     "mary@customer.example",
		To:       []string{"acme@desk.example"},
		ClientIP: netip.MustParseAddr("192.0.2.10"),
		HELO:     "mail.customer.example",
	}
	raw := []byte("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\n" +
		"Subject: Help\r\nMessage-ID: <1@customer.example>\r\n\r\nMy order is late.\r\n")

	d, err := p.Process(ctx, env, raw)
	if err != nil {
		// A store or a callback failed: answer 451 and let the sender retry.
		log.Fatal(err)
	}
	switch d.Action {
	case inbound.ActionNewTicket:
		fmt.Printf("new ticket for %s in account %s\n", d.ContactAddr, d.Account)
	case inbound.ActionAppend:
		fmt.Printf("add to ticket %s (private: %v)\n", d.Ticket, d.Private)
	case inbound.ActionSuspend:
		fmt.Println("held for review:", d.Reasons)
	default:
		fmt.Println(d.Action, d.Reasons)
	}
}
