package inbound_test

import (
	"context"
	"crypto/ed25519"
	"net/netip"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/inbound"
)

// TestARCTrustedSealer: brad's mail reaches us through forwarder.example,
// which re-sends it from its own server (SPF passes only for
// forwarder.example, unaligned) after recording DMARC pass for
// acme.example in its ARC seal. A trusted sealer's record authenticates
// the agent (arc_trusted); an untrusted one changes nothing.
func TestARCTrustedSealer(t *testing.T) {
	raw := mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example, mary@customer.example", "Subject: [#1001] refund approved")
	env := &deskmail.Envelope{From: "list-bounces@forwarder.example", To: []string{"support@acme.desk.example"}, ClientIP: netip.MustParseAddr("198.51.100.40"), HELO: "mx.forwarder.example"}
	tests := []struct {
		name    string
		sealers []string
		account []string // the account's own Settings.ARCSealers
		want    string
	}{
		{"T3/trusted sealer's recorded pass keeps the agent's privileges", []string{"forwarder.example"}, nil,
			"append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=arc_trusted,routed,via_customer_fwd,threaded"},
		{"A2/a sealer the account trusts counts for that account", nil, []string{"Forwarder.Example"},
			"append held= ticket=1001 contact=brad@acme.example agent=true private=false authenticated=true noauto=false reasons=arc_trusted,routed,via_customer_fwd,threaded"},
		{"T3/untrusted sealer changes nothing", []string{"google.com"}, nil,
			"new_ticket held= ticket= contact=brad@acme.example agent=false private=false authenticated=false noauto=false reasons=auth_fail_policy_none,routed,via_customer_fwd,agent_unauthenticated,new_ticket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, func(o *inbound.Options) { o.Auth.TrustedSealers = tc.sealers })
			if err := w.aliases.UpdateAccount(context.Background(), "acme", func(a *alias.Account) error {
				a.Settings.ARCSealers = tc.account
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
			rec, err := dkim.NewKeyRecord(key)
			if err != nil {
				t.Fatal(err)
			}
			w.zone.AddTXTStrings("arc._domainkey.forwarder.example", rec.TXTStrings()...)
			w.zone.AddTXT("forwarder.example", "v=spf1 ip4:198.51.100.40 -all")
			sealed, err := arc.Seal(context.Background(), []byte(raw), &arc.SealOptions{
				Domain: "forwarder.example", Selector: "arc", Key: key, Resolver: w.zone,
				Results: []authres.Result{&authres.DMARCResult{Value: authres.ResultPass, From: "acme.example"}},
				Now:     func() time.Time { return fixedNow },
			})
			if err != nil {
				t.Fatal(err)
			}
			d := w.process(t, env, string(sealed))
			if got := summary(d); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
