package threading_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
	"github.com/deskmail/deskmail/threading/threadingtest"
)

// The outbound side: thread headers for an agent's reply on ticket 42.
func ExampleThreader_Headers() {
	th, err := threading.New(&threading.Options{
		Install: "acme",
		Keyring: deskmail.MustKeyring([]byte("a-secret-of-at-least-16-bytes")),
		Domain:  "support.example.com",
	})
	if err != nil {
		panic(err)
	}
	support, _ := deskmail.ParseAddress("Acme Support <support@example.com>")
	h, err := th.Headers(threading.Outgoing{
		Account: "7", Ticket: "42", Message: "1001", Number: "123",
		Subject: "Re: Refund",
		Parent:  "<CAB1234@mail.gmail.com>",
		Thread:  []string{"<CAB1234@mail.gmail.com>"},
		Support: support,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("Message-ID: ", h.MessageID)
	fmt.Println("In-Reply-To:", h.InReplyTo)
	fmt.Println("References: ", h.References)
	fmt.Println("Reply-To:   ", h.ReplyTo)
	fmt.Println("Subject:    ", h.Subject)
	tok, _ := th.ParseMessageID(h.MessageID)
	fmt.Printf("token: account %s, ticket %s, message %s\n", tok.Account, tok.Ticket, tok.Message)
	// Output:
	// Message-ID:  <dm.acme.nuaqoajkahuqphrjxqe2fxpvl3j5a@support.example.com>
	// In-Reply-To: <CAB1234@mail.gmail.com>
	// References:  <CAB1234@mail.gmail.com>
	// Reply-To:    Acme Support <support+oqasuav32bngchbh2m4ly@example.com>
	// Subject:     Re: Refund [#123]
	// token: account 7, ticket 42, message 1001
}

// The inbound side: a customer's reply, a forged reply, and a stranger's mail
// with a real ticket number in the subject.
func ExampleThreader_Match() {
	ctx := context.Background()
	tickets := threadingtest.NewTickets()
	tickets.Put("7", threading.Ticket{ID: "42", Number: "123", Contact: "ann@example.net"})
	th, _ := threading.New(&threading.Options{
		Install:  "acme",
		Keyring:  deskmail.MustKeyring([]byte("a-secret-of-at-least-16-bytes")),
		Domain:   "support.example.com",
		Index:    threading.NewMemoryStore(),
		Tickets:  tickets,
		Agents:   threadingtest.NewAgents(),
		Settings: threading.Settings{SubjectNumber: true, SubjectParticipants: true},
	})
	ours, _ := th.MessageID(threading.Token{Account: "7", Ticket: "42", Message: "1001"}, "")
	ann, _ := deskmail.ParseAddress("Ann <ann@example.net>")
	mallory, _ := deskmail.ParseAddress("mallory@example.org")

	for _, in := range []threading.Inbound{
		{Account: "7", InReplyTo: ours, Subject: "Re: Refund [#123]", From: ann},
		{Account: "7", InReplyTo: strings.Replace(ours, "dm.acme.n", "dm.acme.m", 1), From: mallory},
		{Account: "7", Subject: "Re: Refund [#123]", From: mallory},
		{Account: "7", Subject: "Re: Refund [#123]", From: ann},
	} {
		m, err := th.Match(ctx, &in)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %q %s\n", m.Method, m.Ticket, m.Reason.Code)
	}
	// Output:
	// token "42" token_in_reply_to
	// new "" new_ticket
	// new "" new_ticket
	// subject "42" subject_number_participant
}

func ExampleBaseSubject() {
	for _, s := range []string{
		"Re: Fwd: [support] Printer on fire (fwd)",
		"AW: WG: Rechnung",
		"回复：发票",
		"Re[2]: SV: Faktura",
		"=?ISO-2022-JP?B?GyRCRT5BdxsoQjogGyRCJDMkcyRLJEEkTxsoQg==?=",
	} {
		fmt.Println(threading.BaseSubject(s))
	}
	// Output:
	// Printer on fire
	// Rechnung
	// 发票
	// Faktura
	// こんにちは
}

func ExampleThreads() {
	msgs := []threading.Message{
		{ID: "a@x", Subject: "Lunch?"},
		{ID: "b@x", Subject: "Re: Lunch?", References: []string{"a@x"}},
		{ID: "c@x", Subject: "Re: Lunch?", References: []string{"a@x", "b@x"}},
		{ID: "d@x", Subject: "Re: Lunch?", InReplyTo: "a@x"},
		{ID: "e@x", Subject: "Minutes", References: []string{"lost@x"}},
	}
	var show func(ns []*threading.Node, depth int)
	show = func(ns []*threading.Node, depth int) {
		for _, n := range ns {
			fmt.Printf("%s%s %s\n", strings.Repeat("  ", depth), n.ID, msgs[n.Index].Subject)
			show(n.Children, depth+1)
		}
	}
	show(threading.Threads(msgs, nil), 0)
	// Output:
	// a@x Lunch?
	//   b@x Re: Lunch?
	//     c@x Re: Lunch?
	//   d@x Re: Lunch?
	// e@x Minutes
}

func ExampleIsOurMessageID() {
	fmt.Println(threading.IsOurMessageID("<dm.acme.nuaqoajkahuqphrjxqe2fxpvl3j5a@support.example.com>", "acme"))
	fmt.Println(threading.IsOurMessageID("<CAB1234@mail.gmail.com>", "acme"))
	// Output:
	// true
	// false
}

func ExampleMemoryStore() {
	ctx := context.Background()
	idx := threading.NewMemoryStore()
	// Amazon SES replaced our Message-ID; the host records the new one.
	_ = idx.Add(ctx, "7", threading.Entry{MessageID: "0100018c@email.amazonses.com", Ticket: "42", Outbound: true})
	e, err := idx.Lookup(ctx, "7", []string{"unknown@x", "0100018c@email.amazonses.com"})
	fmt.Println(e.Ticket, err)
	_, err = idx.Lookup(ctx, "8", []string{"0100018c@email.amazonses.com"})
	fmt.Println(err)
	// Output:
	// 42 <nil>
	// threading: not found
}
