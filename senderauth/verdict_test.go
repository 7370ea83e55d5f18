package senderauth_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/senderauth"
)

// TestVerdictCodes checks that each outcome has its own code and that no
// failure is reported as a pass (issue 17 item 6), with the separate
// DMARC result, policy and aligned-pass flags the inbound pipeline reads.
func TestVerdictCodes(t *testing.T) {
	z, key := relayZone()
	z.AddTXT("_dmarc.monitor.example", "v=DMARC1; p=none")
	z.AddTXT("_dmarc.sampled.example", "v=DMARC1; p=reject; pct=10; t=y")
	z.AddTXT("monitor.example", "v=spf1 ip4:203.0.113.0/24 -all")
	z.AddTXT("nodmarc.example", "v=spf1 ip4:203.0.113.0/24 -all")
	z.SetFault("_dmarc.dnsdown.example", dnstest.ServFail)
	signed, err := dkim.Sign([]byte(inbound), "example.com", "crm", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	relay := netip.MustParseAddr("203.0.113.25")
	withFrom := func(from string) []byte {
		return []byte(strings.Replace(inbound, "alice@example.com", from, 1))
	}
	tests := []struct {
		name        string
		mailFrom    string
		raw         []byte
		code        string
		result      dmarc.Outcome
		action      senderauth.Action
		spf, dkimOK bool
		policy      dmarc.Policy
		disposition dmarc.Policy
	}{
		{"pass/aligned DKIM through a relay", "b@bounce.platform.example", signed, senderauth.CodePass, dmarc.Pass, senderauth.Accept, false, true, "", "none"},
		{"pass/aligned SPF", "alice@example.com", []byte(inbound), senderauth.CodePass, dmarc.Pass, senderauth.Accept, true, false, "", "none"},
		{"fail/p=reject suspends", "x@evil.example", []byte(inbound), senderauth.CodeFail, dmarc.Fail, senderauth.Suspend, false, false, "reject", "reject"},
		{"fail_policy_none/p=none is not a pass", "x@evil.example", withFrom("boss@monitor.example"), senderauth.CodeFailPolicyNone, dmarc.Fail, senderauth.Accept, false, false, "none", "none"},
		{"none/no record, but SPF for the From domain itself", "a@nodmarc.example", withFrom("a@nodmarc.example"), senderauth.CodeNone, dmarc.None, senderauth.Accept, true, false, "", "none"},
		{"temperror/DNS down", "x@evil.example", withFrom("a@dnsdown.example"), senderauth.CodeTempError, dmarc.TempError, senderauth.Retry, false, false, "", "none"},
		{"permerror/no From", "x@evil.example", []byte("To: support@helpdesk.example\r\nSubject: x\r\n\r\nbody\r\n"), senderauth.CodePermError, dmarc.PermError, senderauth.Accept, false, false, "", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := senderauth.Authenticate(context.Background(), &senderauth.Message{IP: relay, MailFrom: tt.mailFrom, Raw: tt.raw}, &senderauth.Options{Resolver: z})
			if err != nil {
				t.Fatal(err)
			}
			if v.Code != tt.code || v.Result != tt.result || v.Action != tt.action || v.SPFAligned != tt.spf || v.DKIMAligned != tt.dkimOK || v.Policy != tt.policy || v.Disposition != tt.disposition {
				t.Errorf("got code %s result %s action %s spf %v dkim %v policy %q disposition %q\n%s", v.Code, v.Result, v.Action, v.SPFAligned, v.DKIMAligned, v.Policy, v.Disposition, reasons(v))
			}
			if last := v.Reasons[len(v.Reasons)-1]; last.Code != v.Code {
				t.Errorf("last reason %q, want code %s", last, v.Code)
			}
			if v.Code != senderauth.CodePass && strings.Contains(strings.ToLower(v.Reasons[len(v.Reasons)-1].Text), "passes") {
				t.Errorf("a %s verdict says it passes: %q", v.Code, v.Reasons[len(v.Reasons)-1].Text)
			}
		})
	}
	t.Run("pct and t= are reported", func(t *testing.T) {
		v, err := senderauth.Authenticate(context.Background(), &senderauth.Message{IP: relay, MailFrom: "x@evil.example", Raw: withFrom("a@sampled.example")},
			&senderauth.Options{Resolver: z, DMARC: &dmarc.Options{Sample: func(int) bool { return true }}})
		if err != nil {
			t.Fatal(err)
		}
		if v.Percent != 10 || !v.Testing || v.Policy != dmarc.PolicyReject || v.Disposition != dmarc.PolicyQuarantine || v.Code != senderauth.CodeFail {
			t.Errorf("pct %d t %v policy %s disposition %s code %s", v.Percent, v.Testing, v.Policy, v.Disposition, v.Code)
		}
	})
}

// TestVerdictJSON checks the snake_case keys a host persists, and that a
// hostile From domain reaches the reasons sanitised.
func TestVerdictJSON(t *testing.T) {
	z, _ := relayZone()
	raw := []byte(strings.Replace(inbound, "Customer <alice@example.com>", "\"a\u202eb\" <x@example.com>", 1))
	v, err := senderauth.Authenticate(context.Background(), &senderauth.Message{IP: netip.MustParseAddr("192.0.2.1"), MailFrom: "x@evil\u202e.example", Raw: raw}, &senderauth.Options{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"result":"fail"`, `"spf_aligned":false`, `"dkim_aligned":false`, `"arc_trusted":false`, `"code":"fail"`, `"disposition":"reject"`, `"policy":"reject"`, `"reasons":[{"code":"spf"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s: %s", key, data)
		}
	}
	for _, r := range v.Reasons {
		if r.Text != deskmail.Sanitize(r.Text) {
			t.Errorf("reason not sanitised: %q", r.Text)
		}
	}
}
