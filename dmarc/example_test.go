package dmarc_test

import (
	"context"
	"fmt"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
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
		SPFDomain:  "bounce.crm.example", SPFResult: authres.ResultPass,
	}, &dmarc.Options{Resolver: zone})
	fmt.Println(res.Outcome, res.Disposition)
	// Output: fail quarantine
}

func ExampleOrgDomain() {
	zone := dnstest.New()
	zone.AddTXT("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
	org, _ := dmarc.OrgDomain(context.Background(), "mail.support.example.com", &dmarc.Options{Resolver: zone})
	fmt.Println(org)
	// Output: example.com
}
