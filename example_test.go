package deskmail_test

import (
	"context"
	"fmt"

	"github.com/deskmail/deskmail"
)

func ExampleParseAddress() {
	a, err := deskmail.ParseAddress(`"Yamada, Taro" <Taro.Yamada+Orders@Bücher.EXAMPLE>`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Name)
	fmt.Println(a.Local, a.Domain)
	fmt.Println(a.String())
	// Output:
	// Yamada, Taro
	// Taro.Yamada+Orders xn--bcher-kva.example
	// "Yamada, Taro" <Taro.Yamada+Orders@xn--bcher-kva.example>
}

func ExampleAddress_Key() {
	a, _ := deskmail.ParseAddress("Support <Support@Example.COM>")
	b, _ := deskmail.ParseAddress("support@example.com")
	fmt.Println(a.Key(), a.Key() == b.Key())
	// Output: support@example.com true
}

func ExampleAddress_Base() {
	a, _ := deskmail.ParseAddress("support+billing@example.com")
	fmt.Println(a.Base("").Key(), a.Tag(""))
	b, _ := deskmail.ParseAddress("support-billing@example.com")
	fmt.Println(b.Base("-").Key(), b.Tag("-"))
	// Output:
	// support@example.com billing
	// support@example.com billing
}

func ExampleFormatName() {
	fmt.Println(deskmail.FormatName("Brad"))
	fmt.Println(deskmail.FormatName("Smith, Brad"))
	fmt.Println(deskmail.FormatName("山田 太郎"))
	// Output:
	// Brad
	// "Smith, Brad"
	// =?utf-8?b?5bGx55SwIOWkqumDjg==?=
}

func ExampleCheckHeaderValue() {
	err := deskmail.CheckHeaderValue("Brad\r\nBcc: everyone@example.com")
	fmt.Println(err)
	// Output: deskmail: CR or LF in header value at byte 4
}

func ExampleChain() {
	send := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		fmt.Println("send from", env.From)
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "queued"), nil
	})
	// A middleware that sets the return path, as a VERP middleware would.
	returnPath := func(next deskmail.Transport) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			env = env.Clone()
			env.From = "bounces@desk.example"
			return next.Send(ctx, env, msg)
		})
	}
	t := deskmail.Chain(send, returnPath)
	res, _ := t.Send(context.Background(), &deskmail.Envelope{Account: "acme", To: []string{"mary@example.org"}}, []byte("Subject: hi\r\n\r\nhi\r\n"))
	fmt.Println(res.Recipients[0])
	// Output:
	// send from bounces@desk.example
	// mary@example.org: delivered 250 2.0.0: queued
}
