package fetch_test

import (
	"context"
	"fmt"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/threading"
)

func Example() {
	ctx := context.Background()

	// A customer's mailbox: a small POP3 server in this process with a
	// question and a follow-up to it.
	mbox, ln := examplePOP3("support@acme.example", "app-password",
		[]byte("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Order 1001\r\nMessage-ID: <q1@customer.example>\r\n\r\nWhere is my order?\r\n"),
		[]byte("From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Re: Order 1001\r\nMessage-ID: <q2@customer.example>\r\nIn-Reply-To: <q1@customer.example>\r\n\r\nAny news?\r\n"))
	defer ln.Close()

	// The host: one account, a threader with its message index, the
	// inbound pipeline, and a Handler that files tickets.
	aliases := alias.NewMemoryStore()
	_ = aliases.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
	})
	th, _ := threading.New(&threading.Options{Install: "desk", Domain: "desk.example",
		Keyring: deskmail.MustKeyring([]byte("a secret of 16+ bytes")), Index: threading.NewMemoryStore()})
	pipe, _ := inbound.New(&inbound.Options{Aliases: aliases, Threader: th,
		Auth: &senderauth.Options{Resolver: dnstest.New()}})
	tickets := 0
	host := inbound.HandlerFunc(func(ctx context.Context, dl *inbound.Delivery) error {
		d := dl.Decision
		ticket := d.Ticket
		if d.Action == inbound.ActionNewTicket {
			tickets++
			ticket = fmt.Sprint(tickets)
		}
		fmt.Printf("%s: ticket %s, %q from %s\n", d.Action, ticket, d.Subject, d.ContactAddr)
		// Index the Message-ID with the ticket: replies find it, and a
		// second fetch of the same mail is a duplicate.
		return th.Remember(ctx, d.Account, ticket, false, d.MessageID)
	})

	f, err := fetch.New(&fetch.Options{Pipeline: pipe, Handler: host, Health: &alias.HealthMonitor{Store: aliases}})
	if err != nil {
		fmt.Println(err)
		return
	}
	mhost, port := splitHostPort(mbox.addr)
	src := &fetch.Source{Account: "acme", ID: "support-pop", Protocol: fetch.POP3,
		Host: mhost, Port: port, TLS: fetch.TLSNone, // loopback only: use TLS for real servers
		Username: "support@acme.example", Password: "app-password", After: fetch.AfterLeave}
	res, err := f.Fetch(ctx, src)
	fmt.Println("first fetch:", res.Delivered, "delivered,", res.Outcome, err)

	// Left on the server, but done: the next fetch reads nothing.
	res, err = f.Fetch(ctx, src)
	fmt.Println("second fetch:", res.Fetched, "read,", mbox.count(), "still on the server", err)
	// Output:
	// new_ticket: ticket 1, "Order 1001" from mary@customer.example
	// append: ticket 1, "Re: Order 1001" from mary@customer.example
	// first fetch: 2 delivered, ok <nil>
	// second fetch: 0 read, 2 still on the server <nil>
}
