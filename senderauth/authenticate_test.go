package senderauth_test

import (
	"bufio"
	"bytes"
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/senderauth"
)

// TestAuthenticateHeader checks that a parsed header gives the verdict a
// scan of Raw gives.
func TestAuthenticateHeader(t *testing.T) {
	z, key := relayZone()
	signed, err := dkim.Sign([]byte(inbound), "example.com", "crm", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	mails := map[string]string{
		"signed":      string(signed),
		"unsigned":    inbound,
		"folded From": strings.Replace(inbound, "From: ", "From: Mary\r\n Major\r\n\t", 1),
		"two From":    "From: a@evil.example\r\n" + inbound,
		"no From":     "To: support@helpdesk.example\r\nSubject: x\r\n\r\nbody\r\n",
		"bad From":    strings.Replace(inbound, "From: ", "From: <<<", 1),
		"LF only":     strings.ReplaceAll(inbound, "\r\n", "\n"),
	}
	opts := &senderauth.Options{DMARC: &dmarc.Options{Resolver: z}, AuthServID: "mx.helpdesk.example"}
	for name, raw := range mails {
		t.Run(name, func(t *testing.T) {
			h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			m := senderauth.Message{IP: netip.MustParseAddr("203.0.113.25"), MailFrom: "b@bounce.platform.example", Raw: []byte(raw)}
			want, err := senderauth.Authenticate(context.Background(), &m, opts)
			if err != nil {
				t.Fatal(err)
			}
			m.Header = &h
			got, err := senderauth.Authenticate(context.Background(), &m, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.AuthenticationResults != want.AuthenticationResults || got.Action != want.Action || !reflect.DeepEqual(got.Reasons, want.Reasons) {
				t.Errorf("with header:\n%s %s\n%q\nwithout:\n%s %s\n%q", got.Action, got.AuthenticationResults, got.Reasons, want.Action, want.AuthenticationResults, want.Reasons)
			}
			if want.DMARC.FromDomain == "" {
				return
			}
			m.Header, m.FromDomain = nil, want.DMARC.FromDomain
			got, err = senderauth.Authenticate(context.Background(), &m, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.AuthenticationResults != want.AuthenticationResults || got.Action != want.Action {
				t.Errorf("with FromDomain: %s %s, want %s %s", got.Action, got.AuthenticationResults, want.Action, want.AuthenticationResults)
			}
		})
	}
}

func TestAuthenticateSkipDKIM(t *testing.T) {
	z, key := relayZone()
	signed, err := dkim.Sign([]byte(inbound), "example.com", "crm", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	relay := netip.MustParseAddr("203.0.113.25")
	lower := bytes.Replace(signed, []byte("DKIM-Signature:"), []byte("dkim-SIGNATURE :"), 1)
	tests := []struct {
		name    string
		raw     []byte
		skip    bool
		action  senderauth.Action
		ndkim   int
		authres string
		reason  bool
	}{
		{"D4/signed and verified by default", signed, false, senderauth.Accept, 1, "dkim=pass", false},
		{"D4/field name in any case is verified", lower, false, senderauth.Accept, 1, "dkim=pass", false},
		{"D4/SkipDKIM leaves a signed relay mail to SPF alone", signed, true, senderauth.Suspend, 0, `dkim=none reason="not verified"`, true},
		{"D4/SkipDKIM on unsigned mail changes nothing", []byte(inbound), true, senderauth.Suspend, 0, "dkim=none; dmarc=fail", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := senderauth.Authenticate(context.Background(), &senderauth.Message{IP: relay, MailFrom: "b@bounce.platform.example", Raw: tt.raw},
				&senderauth.Options{DMARC: &dmarc.Options{Resolver: z}, SkipDKIM: tt.skip})
			if err != nil {
				t.Fatal(err)
			}
			if v.Action != tt.action || len(v.DKIM) != tt.ndkim || !strings.Contains(v.AuthenticationResults, tt.authres) {
				t.Errorf("got %s, %d DKIM results, %q; want %s, %d, %q", v.Action, len(v.DKIM), v.AuthenticationResults, tt.action, tt.ndkim, tt.authres)
			}
			said := strings.Contains(reasons(v), "not verified")
			if said != tt.reason {
				t.Errorf("reason about skipped verification: %v, want %v: %q", said, tt.reason, v.Reasons)
			}
		})
	}
}
