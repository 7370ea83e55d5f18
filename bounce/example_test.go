package bounce_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

const exampleBounce = "From: MAILER-DAEMON@mx.example.org\r\n" +
	"To: support@desk.example\r\n" +
	"Subject: Undelivered Mail Returned to Sender\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n" +
	"\r\n" +
	"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n" +
	"--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
	"Reporting-MTA: dns; mx.example.org\r\n\r\n" +
	"Final-Recipient: rfc822; jane@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown\r\n" +
	"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
	"From: support@desk.example\r\nMessage-ID: <t42.abc@desk.example>\r\nSubject: Re: [#42] Printer\r\n\r\n" +
	"--B--\r\n"

func ExampleParse() {
	rep, err := bounce.Parse(strings.NewReader(exampleBounce))
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Kind, rep.Original.MessageID)
	for _, rc := range rep.Recipients {
		fmt.Println(rc.Address, rc.Action, rc.Status, rc.ReplyCode, rc.Reason, rc.Severity)
	}
	// Output:
	// failure t42.abc@desk.example
	// jane@example.com failed 5.1.1 550 userunknown hard
}

func ExampleClassifyReply() {
	c := bounce.ClassifyReply(452, "4.2.2", "Mailbox full", nil)
	fmt.Println(c.Reason, c.Severity, c.Temporary)
	// Output: mailboxfull soft true
}

func ExampleVERP() {
	keys, _ := deskmail.NewKeyring([]byte("a-secret-of-at-least-16-bytes"))
	v, _ := bounce.NewVERP(keys, "bounces.desk.example", nil)
	rp, _ := v.ReturnPath("acme", "jane@example.com", "t42.abc@desk.example")
	fmt.Println(len(rp[:strings.IndexByte(rp, '@')]), "octets in the local part")
	// An MTA may lower- or upper-case the address: the token survives.
	tok, err := v.Verify(strings.ToUpper(rp))
	fmt.Println(tok.Account, tok.RecipientIs("Jane@example.com"), tok.MessageIs("<t42.abc@desk.example>"), err)
	// Output:
	// 42 octets in the local part
	// acme true true <nil>
}

func ExampleTracker_Apply() {
	ctx := context.Background()
	own := func(ctx context.Context, messageID string) (bounce.OwnedMessage, error) {
		// The host asks the threading package; here one message is ours.
		if messageID == "t42.abc@desk.example" {
			return bounce.OwnedMessage{Account: "acme", Ref: "ticket-42"}, nil
		}
		return bounce.OwnedMessage{}, nil
	}
	tr, err := bounce.NewTracker(bounce.NewMemoryStore(), &bounce.Options{OwnMessage: own})
	if err != nil {
		panic(err)
	}
	// The message went to jane through the gate, which recorded its
	// recipients: a report about it may change only their states.
	send := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	if _, err := tr.Middleware()(send).Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"jane@example.com"},
		Kind: deskmail.KindReply, MessageID: "t42.abc@desk.example"}, []byte("...")); err != nil {
		panic(err)
	}
	rep, _ := bounce.Parse(strings.NewReader(exampleBounce))
	for i := 0; i < 2; i++ { // the same report delivered twice is counted once
		applied, err := tr.Apply(ctx, rep)
		if err != nil {
			panic(err)
		}
		fmt.Println(applied.Attribution.Account, applied.Attribution.MessageRef, applied.Attribution.Via, len(applied.States), "changed")
		for _, ig := range applied.Ignored {
			fmt.Println(" ignored", ig.Address, ig.Reason.Code)
		}
	}
	st, _ := tr.Address(ctx, "acme", "jane@example.com")
	fmt.Println(st.State, st.LastReason)
	// Output:
	// acme ticket-42 message-id 1 changed
	// acme ticket-42 message-id 0 changed
	//  ignored jane@example.com bounce_duplicate
	// hard_blocked userunknown
}

func ExampleTracker_Middleware() {
	ctx := context.Background()
	tr, err := bounce.NewTracker(bounce.NewMemoryStore(), nil)
	if err != nil {
		panic(err)
	}
	tr.Record(ctx, bounce.Outcome{Account: "acme", Address: "gone@example.com", Reason: bounce.ReasonUserUnknown})

	send := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	t := deskmail.Chain(send, tr.Middleware())
	res, _ := t.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"gone@example.com", "jane@example.com"}, Kind: deskmail.KindReply}, []byte("..."))
	for _, rr := range res.Recipients {
		fmt.Println(rr.Recipient, rr.Status, rr.Reason)
	}
	// Output:
	// gone@example.com dropped hard_blocked
	// jane@example.com delivered
}
