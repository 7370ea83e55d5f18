package senderauth_test

import (
	"context"
	"crypto/ed25519"
	"net/netip"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/spf"
)

// relayZone is seed 003's world: a CRM platform (platform.example, sending
// from 198.51.100.0/24, return path bounce.platform.example) and a customer
// (example.com, From domain) whose own relay is 203.0.113.25.
func relayZone() (*dnstest.Zone, ed25519.PrivateKey) {
	z := dnstest.New()
	z.AddTXT("bounce.platform.example", "v=spf1 ip4:198.51.100.0/24 -all")
	z.AddTXT("example.com", "v=spf1 ip4:203.0.113.25 -all")
	z.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
	z.AddIP("example.com", "203.0.113.80")
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	rec, _ := dkim.NewKeyRecord(key)
	z.AddTXTStrings("crm._domainkey.example.com", rec.TXTStrings()...)
	return z, key
}

func TestExplainRelay(t *testing.T) {
	z, _ := relayZone()
	relay := netip.MustParseAddr("203.0.113.25")
	platform := netip.MustParseAddr("198.51.100.7")
	tests := []struct {
		name        string
		sc          senderauth.Scenario
		spf         spf.Result
		spfAligned  bool
		dmarc       dmarc.Outcome
		disposition dmarc.Policy
		summary     string
		advice      string
	}{
		{"R12/platform return path through the relay, aligned DKIM: SPF fails, DMARC passes",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce+123@bounce.platform.example", IP: relay, DKIMDomain: "example.com", DKIMSelector: "crm"},
			spf.Fail, false, dmarc.Pass, "none", "DKIM signing for the From domain is what makes this mail pass", ""},
		{"R12/platform return path through the relay, unsigned: DMARC fails and p=reject rejects",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce+123@bounce.platform.example", IP: relay},
			spf.Fail, false, dmarc.Fail, "reject", "p=reject asks receivers to reject", "Sign outgoing mail with a DKIM key for example.com"},
		{"R12/platform return path sent directly: SPF passes but is not aligned",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce.platform.example", IP: platform},
			spf.Pass, false, dmarc.Fail, "reject", "not aligned", "return path in example.com"},
		{"R12/relay sets its own return path: SPF passes aligned",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce@example.com", IP: relay},
			spf.Pass, true, dmarc.Pass, "none", "through aligned SPF", ""},
		{"R12/signed by the platform domain only: not aligned",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce.platform.example", IP: relay, DKIMDomain: "platform.example"},
			spf.Fail, false, dmarc.Fail, "reject", "signing domain platform.example is not aligned", ""},
		{"R12/selector without a published key",
			senderauth.Scenario{FromDomain: "example.com", ReturnPath: "bounce.platform.example", IP: relay, DKIMDomain: "example.com", DKIMSelector: "missing"},
			spf.Fail, false, dmarc.Fail, "reject", "no key is published", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := tt.sc
			ex, err := senderauth.Explain(context.Background(), &sc, &senderauth.Options{Resolver: z})
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(ex.Summary, "\n")
			if ex.SPF.Result != tt.spf || ex.SPF.Aligned != tt.spfAligned || ex.DMARC.Outcome != tt.dmarc || ex.DMARC.Disposition != tt.disposition {
				t.Errorf("spf %s aligned %v, dmarc %s %s\n%s", ex.SPF.Result, ex.SPF.Aligned, ex.DMARC.Outcome, ex.DMARC.Disposition, text)
			}
			if !strings.Contains(text, tt.summary) {
				t.Errorf("summary lacks %q:\n%s", tt.summary, text)
			}
			if !strings.Contains(strings.Join(ex.Advice, "\n"), tt.advice) {
				t.Errorf("advice lacks %q: %q", tt.advice, ex.Advice)
			}
		})
	}
	t.Run("R12/input errors", func(t *testing.T) {
		if _, err := senderauth.Explain(context.Background(), &senderauth.Scenario{IP: relay}, nil); err == nil {
			t.Error("no From domain accepted")
		}
		if _, err := senderauth.Explain(context.Background(), &senderauth.Scenario{FromDomain: "example.com"}, nil); err == nil {
			t.Error("no IP accepted")
		}
	})
}

const inbound = "From: Customer <alice@example.com>\r\n" +
	"To: support@helpdesk.example\r\n" +
	"Subject: My order\r\n" +
	"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <m1@example.com>\r\n" +
	"\r\n" +
	"Where is it?\r\n"

func TestAuthenticate(t *testing.T) {
	z, key := relayZone()
	signed, err := dkim.Sign([]byte(inbound), "example.com", "crm", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	relay := netip.MustParseAddr("203.0.113.25")
	tests := []struct {
		name    string
		m       senderauth.Message
		action  senderauth.Action
		authres []string
	}{
		{"D4/relayed with aligned DKIM is accepted", senderauth.Message{IP: relay, HELO: "relay.example.com", MailFrom: "b@bounce.platform.example", Raw: signed},
			senderauth.Accept, []string{"mx.helpdesk.example; spf=fail", "smtp.mailfrom=b@bounce.platform.example", "dkim=pass", "header.d=example.com", "header.s=crm", "header.a=ed25519-sha256", "dmarc=pass header.from=example.com"}},
		{"D4/spoofed unsigned mail is suspended, not dropped", senderauth.Message{IP: netip.MustParseAddr("192.0.2.66"), HELO: "evil.example", MailFrom: "x@evil.example", Raw: []byte(inbound)},
			senderauth.Suspend, []string{"spf=none", "dkim=none", "dmarc=fail reason=\"p=reject disposition=reject\" header.from=example.com"}},
		{"D4/tampered signature fails", senderauth.Message{IP: relay, MailFrom: "b@bounce.platform.example", Raw: []byte(strings.Replace(string(signed), "Where", "Here", 1))},
			senderauth.Suspend, []string{"dkim=fail", "dmarc=fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			v, err := senderauth.Authenticate(context.Background(), &m, &senderauth.Options{DMARC: &dmarc.Options{Resolver: z}, AuthServID: "mx.helpdesk.example"})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tt.action {
				t.Errorf("action %s, want %s\n%s", v.Action, tt.action, reasons(v))
			}
			for _, want := range tt.authres {
				if !strings.Contains(v.AuthenticationResults, want) {
					t.Errorf("Authentication-Results %q lacks %q", v.AuthenticationResults, want)
				}
			}
		})
	}
}

// reasons joins a verdict's reason texts, one a line.
func reasons(v *senderauth.Verdict) string {
	var b strings.Builder
	for _, r := range v.Reasons {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}
