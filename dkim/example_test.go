package dkim_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

// A deterministic Ed25519 key for the examples.
var exampleKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

func ExampleSigner_Middleware() {
	ctx := context.Background()
	keys := dkim.NewMemoryStore()
	keys.Update(ctx, "acme", "example.com", func(s *dkim.KeyState) error {
		return s.Begin("dm202611", exampleKey, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	})
	signer, _ := dkim.NewSigner(&dkim.SignerOptions{Keys: keys})

	var sent []byte
	send := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		sent = msg
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	t := deskmail.Chain(send, signer.Middleware())
	msg := "From: support@example.com\r\nTo: c@example.net\r\nSubject: hi\r\n\r\nHello\r\n"
	t.Send(ctx, &deskmail.Envelope{Account: "acme", To: []string{"c@example.net"}}, []byte(msg))

	// The receiver's view.
	zone := dnstest.New()
	rec, _ := dkim.NewKeyRecord(exampleKey)
	zone.AddTXTStrings("dm202611._domainkey.example.com", rec.TXTStrings()...)
	vs, _ := dkim.Verify(ctx, sent, &dkim.VerifyOptions{Resolver: zone})
	v := vs[0]
	fmt.Println(v.Result, v.Domain, v.Selector, v.Algorithm, v.KeySize)
	// Output: pass example.com dm202611 ed25519-sha256 256
}

func ExampleKeyState_Published() {
	st := &dkim.KeyState{Domain: "example.com"}
	st.Begin("dm202610", exampleKey, time.Now())
	next := ed25519.NewKeyFromSeed(append(make([]byte, ed25519.SeedSize-1), 1))
	st.Begin("dm202611", next, time.Now()) // pending: publish it first
	recs, _ := st.Published()
	for _, r := range recs {
		fmt.Println(r.Name, r.Status, r.TXT[0][:21])
	}
	// Output:
	// dm202610._domainkey.example.com active v=DKIM1; k=ed25519; p
	// dm202611._domainkey.example.com pending v=DKIM1; k=ed25519; p
}

func ExampleCheckPublished() {
	zone := dnstest.New()
	zone.AddTXT("dm1._domainkey.example.com", "v=DKIM1; k=rsa; p=")
	c, _ := dkim.CheckPublished(context.Background(), zone, "example.com", "dm1", exampleKey)
	fmt.Println(c.Status)
	// Output: revoked
}

func ExampleParseKeyRecord() {
	r, err := dkim.ParseKeyRecord("v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.KeyType, r.KeySize(), r.Testing())
	// Output: ed25519 256 true
}
