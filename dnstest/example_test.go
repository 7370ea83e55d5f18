package dnstest_test

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/deskmail/deskmail/dnstest"
)

func Example() {
	ctx := context.Background()
	z := dnstest.New()
	z.AddTXT("example.com", "v=spf1 mx -all")
	z.AddMX("example.com", 10, "mail.example.com")
	z.AddIP("mail.example.com", "192.0.2.10")
	z.SetFault("slow.example.com", dnstest.Timeout)

	txt, _ := z.LookupTXT(ctx, "example.com")
	fmt.Println(txt)
	mx, _ := z.LookupMX(ctx, "example.com")
	fmt.Println(mx[0].Host, mx[0].Pref)

	_, err := z.LookupTXT(ctx, "slow.example.com")
	var de *net.DNSError
	if errors.As(err, &de) {
		fmt.Println("timeout:", de.IsTimeout)
	}
	_, err = z.LookupTXT(ctx, "missing.example.com")
	fmt.Println("nxdomain:", errors.Is(err, dnstest.ErrNXDomain))
	fmt.Println("queries:", z.Queries())
	// Output:
	// [v=spf1 mx -all]
	// mail.example.com. 10
	// timeout: true
	// nxdomain: true
	// queries: 4
}

func ExampleParseZonedata() {
	z, err := dnstest.ParseZonedata([]byte(`
example.net:
  - SPF: [ "v=spf1 ip4:192.0.2.0/24", " -all" ]
`))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	joined, _ := z.LookupTXT(ctx, "example.net")
	raw, _ := z.LookupTXTStrings(ctx, "example.net")
	fmt.Printf("%q\n%q\n", joined, raw)
	// Output:
	// ["v=spf1 ip4:192.0.2.0/24 -all"]
	// [["v=spf1 ip4:192.0.2.0/24" " -all"]]
}
