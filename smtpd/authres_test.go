package smtpd_test

import (
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/smtpd"
)

// TestD4AuthenticationResultsPrepended: the pipeline's verdict is
// prepended after the Received field, and a forged verdict claiming our
// authserv-id is removed while another server's stays (RFC 8601 §5).
func TestD4AuthenticationResultsPrepended(t *testing.T) {
	zone := dnstest.New()
	zone.AddTXT("customer.example", "v=spf1 ip4:127.0.0.0/8 -all")
	zone.AddTXT("_dmarc.customer.example", "v=DMARC1; p=reject")
	r := newRig(t, func(o *smtpd.Options) {
		p, err := inbound.New(&inbound.Options{Aliases: o.Aliases, Auth: &senderauth.Options{Resolver: zone, AuthServID: "mx.desk.example"}})
		if err != nil {
			t.Fatal(err)
		}
		o.Pipeline = p
	})
	forged := "Authentication-Results: MX.desk.example; dmarc=pass header.from=bank.example\r\n"
	other := "Authentication-Results: mx.other.example; spf=pass\r\n"
	if err := send(r.addr, "mary@customer.example", []string{acmePlatform}, strings.NewReader(forged+other+testMail)); err != nil {
		t.Fatal(err)
	}
	got := r.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	raw := string(got[0].Raw)
	_, afterRecv, _ := strings.Cut(raw, "+0000\r\n")
	if !strings.HasPrefix(afterRecv, "Authentication-Results: mx.desk.example;\r\n\tspf=pass") {
		t.Errorf("no verdict of ours after Received:\n%s", raw)
	}
	if strings.Contains(raw, "bank.example") || !strings.Contains(raw, other+testMail) {
		t.Errorf("forged verdict kept or the mail changed:\n%s", raw)
	}
	if got[0].Decision.AuthenticationResults == "" {
		t.Error("no verdict in the decision")
	}
}
