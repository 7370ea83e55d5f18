package senderauth_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/senderauth"
)

func ExampleExplain() {
	zone := dnstest.New()
	zone.AddTXT("bounce.crm.example", "v=spf1 ip4:198.51.100.0/24 -all")
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	ex, _ := senderauth.Explain(context.Background(), &senderauth.Scenario{
		FromDomain: "example.com",
		ReturnPath: "bounce@bounce.crm.example",
		IP:         netip.MustParseAddr("203.0.113.25"), // the customer's relay
		DKIMDomain: "example.com",
	}, &senderauth.Options{Resolver: zone})
	for _, line := range ex.Summary {
		fmt.Println(line)
	}
	// Output:
	// SPF: fail — the return-path domain bounce.crm.example does not authorize 203.0.113.25; the return path bounce.crm.example is not aligned with the From domain example.com, so it cannot count for DMARC
	// DKIM: pass — signed with d=example.com (assuming the signature verifies); example.com is aligned with the From domain example.com
	// DMARC: pass through aligned DKIM — the receiver applies no DMARC policy
	// SPF alone would not have been enough: DKIM signing for the From domain is what makes this mail pass
}

func ExampleAuthenticate() {
	zone := dnstest.New()
	zone.AddTXT("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	msg := "From: alice@example.com\r\nTo: support@helpdesk.example\r\nSubject: hi\r\n\r\nHello\r\n"

	v, _ := senderauth.Authenticate(context.Background(), &senderauth.Message{
		IP: netip.MustParseAddr("203.0.113.9"), HELO: "mx.spoofer.example",
		MailFrom: "alice@example.com", Raw: []byte(msg),
	}, &senderauth.Options{Resolver: zone, AuthServID: "mx.helpdesk.example"})
	fmt.Println(v.Action)
	fmt.Println(v.AuthenticationResults)
	// Output:
	// suspend
	// mx.helpdesk.example; spf=fail smtp.helo=mx.spoofer.example smtp.mailfrom=alice@example.com; dkim=none; dmarc=fail reason="p=reject disposition=reject" header.from=example.com
}
