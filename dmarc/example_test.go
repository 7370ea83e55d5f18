package dmarc_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/spf"
)

func ExampleParse() {
	r, err := dmarc.Parse("v=DMARC1; p=reject; np=quarantine; adkim=s; t=y; rua=mailto:d@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Policy, r.NonexistentPolicy, r.DKIMAlignment, r.Testing)
	_, err = dmarc.Parse("v=DMARC1; p=block")
	fmt.Println(err)
	// Output:
	// reject quarantine s true
	// dmarc: tag p=: "block" is not none, quarantine or reject
}

func ExampleEvaluate() {
	zone := dnstest.New()
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=quarantine")
	res := dmarc.Evaluate(context.Background(), &dmarc.Input{
		FromDomain: "example.com",
		SPFDomain:  "bounce.crm.example", SPFResult: spf.Pass,
	}, &dmarc.Options{Resolver: zone})
	fmt.Println(res.Outcome, res.Disposition)
	// Output: fail quarantine
}

func ExampleExplain() {
	zone := dnstest.New()
	zone.AddTXT("bounce.crm.example", "v=spf1 ip4:198.51.100.0/24 -all")
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	ex, _ := dmarc.Explain(context.Background(), &dmarc.Scenario{
		FromDomain: "example.com",
		ReturnPath: "bounce@bounce.crm.example",
		IP:         netip.MustParseAddr("203.0.113.25"), // the customer's relay
		DKIMDomain: "example.com",
	}, &dmarc.Options{Resolver: zone})
	for _, line := range ex.Summary {
		fmt.Println(line)
	}
	// Output:
	// SPF: fail — the return-path domain bounce.crm.example does not authorize 203.0.113.25; the return path bounce.crm.example is not aligned with the From domain example.com, so it cannot count for DMARC
	// DKIM: pass — signed with d=example.com (assuming the signature verifies); example.com is aligned with the From domain example.com
	// DMARC: pass through aligned DKIM — the receiver applies no DMARC policy
	// SPF alone would not have been enough: DKIM signing for the From domain is what makes this mail pass
}

func ExampleOrgDomain() {
	zone := dnstest.New()
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
	org, _ := dmarc.OrgDomain(context.Background(), "mail.support.example.com", &dmarc.Options{Resolver: zone})
	fmt.Println(org)
	// Output: example.com
}

func ExampleAuthenticate() {
	zone := dnstest.New()
	zone.AddTXT("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject")
	msg := "From: alice@example.com\r\nTo: support@helpdesk.example\r\nSubject: hi\r\n\r\nHello\r\n"

	v, _ := dmarc.Authenticate(context.Background(), &dmarc.Message{
		IP: netip.MustParseAddr("203.0.113.9"), HELO: "mx.spoofer.example",
		MailFrom: "alice@example.com", Raw: []byte(msg),
	}, &dmarc.VerdictOptions{DMARC: &dmarc.Options{Resolver: zone}, AuthServID: "mx.helpdesk.example"})
	fmt.Println(v.Action)
	fmt.Println(v.AuthenticationResults)
	// Output:
	// suspend
	// mx.helpdesk.example; spf=fail smtp.helo=mx.spoofer.example smtp.mailfrom=alice@example.com; dkim=none; dmarc=fail reason="p=reject disposition=reject" header.from=example.com
}
