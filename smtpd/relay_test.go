package smtpd_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/smtpd"
)

// Behind a trusted relay (Postfix in front of LMTP) the pipeline
// authenticates the client the relay received the mail from, as the
// relay's topmost Received field names it; an untrusted client's
// Received fields decide nothing.
func TestTrustedRelayNamesTheClient(t *testing.T) {
	relayed := "Received: from mail.customer.example (mail.customer.example [192.0.2.10])\r\n" +
		"\tby mx.desk.example (Postfix) with ESMTPS id 4X1;\r\n\tFri, 04 Dec 2026 12:00:00 +0000 (UTC)\r\n" + testMail
	for _, tc := range []struct {
		name     string
		relays   []netip.Prefix
		mail     string
		wantIP   string
		wantHELO string
	}{
		{"trusted relay: the Received field names the client", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, relayed, "192.0.2.10", "mail.customer.example"},
		{"D4/hijack: an untrusted client's Received field is ignored", nil, relayed, "127.0.0.1", "mx.customer.example"},
		{"trusted relay, no usable Received: the relay's own address", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, testMail, "127.0.0.1", "mx.customer.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(o *smtpd.Options) { o.TrustedRelays = tc.relays })
			if err := send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(tc.mail)); err != nil {
				t.Fatal(err)
			}
			got := r.deliveries()
			if len(got) != 1 {
				t.Fatalf("%d deliveries", len(got))
			}
			env := got[0].Envelope
			if env.ClientIP.String() != tc.wantIP || env.HELO != tc.wantHELO {
				t.Errorf("client %s HELO %q, want %s %q", env.ClientIP, env.HELO, tc.wantIP, tc.wantHELO)
			}
		})
	}
}
