// Command helpdesk is a small in-memory helpdesk built on deskmail: it sets
// up two accounts with support addresses and departments, routes a few
// sample inbound mails and prints what happened to each.
//
//	go run ./examples/helpdesk
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/alias"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "helpdesk:", err)
		os.Exit(1)
	}
}

// sample is one inbound mail: the envelope recipients and the raw message.
type sample struct {
	title string
	rcpts []string
	raw   string
}

var samples = []sample{
	{
		title: "direct mail to a platform address",
		rcpts: []string{"sales@acme.desk.example"},
		raw: "From: Mary <mary@customer.example>\r\n" +
			"To: Acme Sales <sales@acme.desk.example>\r\n" +
			"Subject: Volume pricing?\r\n\r\nHello\r\n",
	},
	{
		title: "via the customer-owned forward support@acme.example",
		rcpts: []string{"support@acme.desk.example"},
		raw: "Delivered-To: support@acme.desk.example\r\n" +
			"X-Original-To: support@acme.example\r\n" +
			"From: =?UTF-8?B?5bGx55SwIOiKseWtkA==?= <hanako@customer.example>\r\n" +
			"To: \"Acme Support\" <support+orders@acme.example>\r\n" +
			"Subject: =?UTF-8?B?5rOo5paH44GM5bGK44GN44G+44Gb44KT?=\r\n\r\nこんにちは\r\n",
	},
	{
		title: "to an address with fetching turned off",
		rcpts: []string{"old@acme.desk.example"},
		raw: "From: bob@customer.example\r\n" +
			"To: old@acme.example\r\n" +
			"Subject: Anyone there?\r\n\r\n?\r\n",
	},
	{
		title: "a Gmail forwarding confirmation",
		rcpts: []string{"help@globex.desk.example"},
		raw: "From: Gmail Team <forwarding-noreply@google.com>\r\n" +
			"To: help@globex.desk.example\r\n" +
			"Subject: (#482913377) Gmail Forwarding Confirmation - Receive Mail from help@globex.example\r\n\r\n" +
			"help@globex.example has requested to automatically forward mail to your email address help@globex.desk.example.\r\n" +
			"Confirmation code: 482913377\r\n\r\n" +
			"https://mail-settings.google.com/mail/vf-%5BANGjdJ9%5D-sample\r\n",
	},
}

func run(ctx context.Context, w io.Writer) error {
	store := alias.NewMemoryStore()
	if err := setup(ctx, store); err != nil {
		return err
	}
	router := alias.NewRouter(store, nil)
	for i, s := range samples {
		fmt.Fprintf(w, "mail %d: %s\n", i+1, s.title)
		if err := handle(ctx, w, router, s); err != nil {
			return fmt.Errorf("mail %d: %w", i+1, err)
		}
	}
	return nil
}

// setup creates account "acme" (two departments, a customer-owned support
// address, a platform sales address, a disabled old address) and account
// "globex" (one platform address).
func setup(ctx context.Context, store alias.Store) error {
	err := store.UpdateAccount(ctx, "acme", func(a *alias.Account) error {
		for _, d := range []alias.Department{{ID: "support", Name: "Support"}, {ID: "sales", Name: "Sales"}} {
			if err := a.AddDepartment(d); err != nil {
				return err
			}
		}
		for _, s := range []alias.SupportAddress{
			{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example", Department: "support"},
			{Address: "sales@acme.desk.example", Name: "Acme Sales", Department: "sales"},
			{Address: "old@acme.example", PlatformAddress: "old@acme.desk.example", Department: "support", Disabled: true},
		} {
			if err := a.AddAddress(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return store.UpdateAccount(ctx, "globex", func(a *alias.Account) error {
		return a.AddAddress(alias.SupportAddress{Address: "help@globex.desk.example", Name: "Globex Help"})
	})
}

// handle does what an inbound pipeline does first with a mail: recognize a
// forwarding confirmation, else route it and report the outcome.
func handle(ctx context.Context, w io.Writer, router *alias.Router, s sample) error {
	br := bufio.NewReader(bytes.NewReader([]byte(s.raw)))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(br)
	if c, err := alias.ParseConfirmation(&h, body); err == nil {
		fmt.Fprintf(w, "  forwarding confirmation from %s: code %s, link %s\n", c.Provider, c.Code, c.Link)
		fmt.Fprintf(w, "  → not a ticket; show the code to the admin of the account\n")
		return nil
	}
	rt, err := router.Route(ctx, s.rcpts, &h)
	if errors.Is(err, alias.ErrNoRoute) {
		fmt.Fprintln(w, "  → no support address matches; rejected")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  account %s, address %s, department %s (matched by %s", rt.Account, rt.Address, orNone(rt.Department), rt.Method)
	if rt.Tag != "" {
		fmt.Fprintf(w, ", tag %q", rt.Tag)
	}
	fmt.Fprintln(w, ")")
	if rt.ViaCustomerForward {
		fmt.Fprintf(w, "  arrived through the customer-owned address %s\n", rt.ForwardedFor)
	}
	if rt.Drop != "" {
		fmt.Fprintf(w, "  → dropped: %s\n", rt.Drop)
		return nil
	}
	fmt.Fprintln(w, "  → new ticket")
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
