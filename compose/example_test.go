package compose_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/threading"
)

// A reply by agent Jürgen on ticket 42, with the support address auto-CC'd
// and the ticket number in the subject.
func ExampleComposer_Compose() {
	acct := &alias.Account{ID: "acme"}
	_ = acct.AddAddress(alias.SupportAddress{Address: "support@acme.example", Name: "Acme Support", PlatformAddress: "support@acme.desk.example"})
	acct.Settings.AgentNameInFrom, acct.Settings.AutoCC, acct.Settings.Threading.SubjectNumber = true, true, true

	th, _ := threading.New(&threading.Options{Install: "demo", Keyring: deskmail.MustKeyring([]byte("example secret, thirty-two bytes!")), Domain: "acme.desk.example"})
	c, err := compose.New(&compose.Options{Threader: th, Now: func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		log.Fatal(err)
	}
	mary, _ := deskmail.NewAddress("Mary", "mary@customer.example")
	m, err := c.Compose(context.Background(), &compose.Draft{
		Account: acct, Agent: "Jürgen", Ticket: "42", Number: "42", MessageRef: "7",
		To: []deskmail.Address{mary}, Subject: "Re: Lieferung verspätet", Parent: "q1@customer.example",
		Text: "It ships today.", HTML: "<p>It ships <b>today</b>.</p>",
	})
	if err != nil {
		log.Fatal(err)
	}
	head, _, _ := strings.Cut(string(m.Bytes), "\r\n\r\n")
	for _, ln := range strings.Split(head, "\r\n") {
		if k, _, _ := strings.Cut(ln, ":"); k == "From" || k == "To" || k == "Cc" || k == "Subject" || k == "In-Reply-To" || k == "Content-Type" {
			fmt.Println(ln)
		}
	}
	fmt.Println("envelope:", m.Envelope.To)
	// Output:
	// From: =?utf-8?q?J=C3=BCrgen?= <support@acme.example>
	// To: Mary <mary@customer.example>
	// Cc: Acme Support <support@acme.example>
	// Subject: =?utf-8?q?Re:_Lieferung_versp=C3=A4tet_[#42]?=
	// In-Reply-To: <q1@customer.example>
	// Content-Type: multipart/alternative; boundary="=_2879b3d69f46f3afa225.0"
	// envelope: [mary@customer.example support@acme.example]
}

// Bring your own message: a host that builds its mail itself sends it
// through the same chain (here: the From address as return path, straight
// to the platform transport).
func ExampleSender_SendRaw() {
	platform := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		fmt.Println("MAIL FROM", env.From, "RCPT TO", env.To)
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	s, err := compose.NewSender(&compose.SenderOptions{Transport: platform, ReturnPath: relay.ReturnPathFrom})
	if err != nil {
		log.Fatal(err)
	}
	raw := []byte("From: Acme <support@acme.example>\r\nTo: mary@customer.example\r\nSubject: Hello\r\n\r\nHi Mary\r\n")
	res, err := s.SendRaw(context.Background(), &deskmail.Envelope{Account: "acme", To: []string{"mary@customer.example"}}, raw)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Recipients[0])
	// Output:
	// MAIL FROM support@acme.example RCPT TO [mary@customer.example]
	// mary@customer.example: delivered 250 2.0.0: ok
}
