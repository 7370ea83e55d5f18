package arc_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

func Example() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	zone := dnstest.New()
	rec, _ := dkim.NewKeyRecord(key)
	zone.AddTXTStrings("arc._domainkey.lists.example", rec.TXTStrings()...)

	msg := []byte("From: alice@customer.example\r\nTo: list@lists.example\r\nSubject: hi\r\n\r\nHello\r\n")
	// The list records what it saw on arrival and seals the message.
	sealed, err := arc.Seal(context.Background(), msg, &arc.SealOptions{
		Domain: "lists.example", Selector: "arc", Key: key, AuthServID: "mx.lists.example",
		Results:  []authres.Result{&authres.DMARCResult{Value: authres.ResultPass, From: "customer.example"}},
		Resolver: zone, Now: func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The receiver verifies the chain and reads what the sealer recorded.
	chain, _ := arc.Verify(context.Background(), sealed, &arc.VerifyOptions{Resolver: zone})
	in := chain.Latest()
	fmt.Println(chain.Result, in.Instance, in.Sealer, in.CV)
	fmt.Println(in.AuthResults)
	// Output:
	// pass 1 lists.example none
	// mx.lists.example; dmarc=pass header.from=customer.example
}
