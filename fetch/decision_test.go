package fetch_test

import (
	"context"
	"testing"

	"github.com/deskmail/deskmail/inbound"
)

// TestA2A14D4FetchedDecisions: fetched mail is routed by its header (A2),
// an identity's own sent copy is an outgoing copy (A14), and, with no
// client IP, sender authentication is skipped, not failed: the mailbox
// authenticated the path (D4).
func TestA2A14D4FetchedDecisions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     string
		trusted bool
		action  inbound.Action
		codes   []string
	}{
		{"to the support address",
			"From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Help\r\nMessage-ID: <d1@customer.example>\r\n\r\nHi\r\n",
			false, inbound.ActionNewTicket, []string{inbound.CodeAuthSkipped, inbound.CodeRouted, inbound.CodeNewTicket}},
		{"forwarded by a customer-owned address, found by Delivered-To",
			"Delivered-To: acme@desk.example\r\nFrom: Bob <bob@customer.example>\r\nTo: help@acme-customer.example\r\nSubject: Help\r\nMessage-ID: <d2@customer.example>\r\n\r\nHi\r\n",
			false, inbound.ActionNewTicket, []string{inbound.CodeAuthSkipped, inbound.CodeRouted}},
		{"an identity's From in a support mailbox is not trusted",
			"Delivered-To: support@acme.example\r\nFrom: Acme Support <support@acme.example>\r\nTo: Mary <mary@customer.example>\r\nSubject: Pay here\r\nMessage-ID: <d4@acme.example>\r\n\r\nNew bank\r\n",
			false, inbound.ActionNewTicket, []string{inbound.CodeAuthSkipped}},
		{"sent copy of an identity (BCC to self) from its own mailbox",
			"Delivered-To: support@acme.example\r\nFrom: Acme Support <support@acme.example>\r\nTo: Mary <mary@customer.example>\r\nSubject: Re: Help\r\nMessage-ID: <d3@acme.example>\r\n\r\nDone\r\n",
			true, inbound.ActionOutgoingCopy, []string{inbound.CodeAuthTrusted, inbound.CodeOutgoingCopy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newFakePOP3(t)
			p.add([]byte(tc.raw))
			h := newHarness(t)
			f := h.fetcher(t, nil)
			src := p.source("pop")
			src.Trusted = tc.trusted
			res, err := f.Fetch(context.Background(), src)
			if err != nil || res.Delivered != 1 {
				t.Fatalf("Fetch = %+v, %v", res, err)
			}
			d := h.seen[0]
			if d.Action != tc.action || d.Account != "acme" {
				t.Errorf("decision %s for account %q, want %s for acme (reasons %v)", d.Action, d.Account, tc.action, d.Reasons)
			}
			for _, c := range tc.codes {
				if _, ok := d.Why(c); !ok {
					t.Errorf("no reason %s in %v", c, d.Reasons)
				}
			}
		})
	}
	var _ inbound.Handler = (*harness)(nil)
}
