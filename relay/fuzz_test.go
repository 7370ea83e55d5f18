package relay_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/relay"
)

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"250 2.0.0 OK", "550 5.1.1 <x@example.net>: Recipient address rejected: User unknown",
		"550-5.4.5 Daily user sending limit exceeded.\r\n550 5.4.5 https://support.google.com/a/answer/166852",
		"554 5.7.1 <x@example.net>: Relay access denied", "421 4.7.0 Try again later, closing connection.",
		"452 4.5.3 Too many recipients", "535 5.7.8 Username and Password not accepted", "552 5.2.2 Mailbox full, over quota",
		"451 Temporary local problem", "220", "999 x", "5.1.1",
	} {
		f.Add(s)
	}
	stages := []relay.Stage{relay.StageMail, relay.StageRcpt, relay.StageDataEnd}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := relay.ParseReply(s)
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 599 {
			t.Fatalf("code %d out of range", r.Code)
		}
		// The printed reply parses back to the same code and enhanced code.
		if !strings.ContainsAny(r.Message, "\r\n") {
			r2, err := relay.ParseReply(r.String())
			if err != nil || r2.Code != r.Code || r2.EnhancedCode != r.EnhancedCode {
				t.Fatalf("round trip %q -> %+v -> %+v, %v", s, r, r2, err)
			}
		}
		for _, st := range stages {
			c := relay.Classify(st, r)
			switch {
			case r.Code < 400 && c != relay.ClassOK:
				t.Fatalf("%q at %s: %s for a positive reply", s, st, c)
			case r.Code >= 400 && c == relay.ClassOK:
				t.Fatalf("%q at %s: ok for a failure", s, st)
			case r.Code >= 400 && r.Code < 500 && c == relay.ClassBounce:
				t.Fatalf("%q at %s: 4xx classified as a bounce", s, st)
			case st == relay.StageMail && c == relay.ClassBounce:
				t.Fatalf("%q: bounce at MAIL", s)
			}
		}
	})
}

func FuzzParseCIDRSet(f *testing.F) {
	for _, s := range []string{"192.0.2.0/24 198.51.100.7", "ip6:2001:db8::/32 ip4:10.0.0.0/8", "::ffff:10.0.0.0/104", "0.0.0.0/0 ::/0", "fe80::1%eth0"} {
		f.Add(s, "192.0.2.1")
	}
	f.Fuzz(func(t *testing.T, ranges, addr string) {
		s, err := relay.ParseCIDRSet(strings.Fields(ranges)...)
		if err != nil {
			return
		}
		// The SPF terms describe the same set.
		s2, err := relay.ParseCIDRSet(s.SPFTerms()...)
		if err != nil || s2.String() != s.String() {
			t.Fatalf("SPF terms %v reparse to %v, %v", s.SPFTerms(), s2, err)
		}
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return
		}
		want := false
		for _, p := range s.Prefixes() {
			if p.Contains(a.Unmap().WithZone("")) {
				want = true
			}
		}
		if s.Contains(a) != want {
			t.Fatalf("Contains(%s) = %v, linear scan says %v (%s)", a, !want, want, s)
		}
	})
}

func FuzzParseSecurity(f *testing.F) {
	for _, s := range []string{"tls", "SSL", "starttls", "none", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, err := relay.ParseSecurity(s)
		if err == nil && !sec.Valid() {
			t.Fatalf("%q parsed to invalid %q", s, sec)
		}
	})
}

func FuzzConfigJSON(f *testing.F) {
	f.Add(`{"account":"a","plan":{"daily_total":5000},"relays":[{"id":"r1","domain":"example.com","host":"smtp.example.com","port":587,"security":"starttls","auth":"PLAIN","username":"u","kinds":["mass"],"daily_cap":2000}]}`)
	f.Add(`{"account":"a","relays":[{"id":"r1","domain":"xn--bcher-kva.example","host":"h","return_path":"fixed","bounce_address":"b@example.com"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		var c relay.Config
		if json.Unmarshal([]byte(s), &c) != nil {
			return
		}
		err := c.Validate()
		if err != nil && !errors.Is(err, relay.ErrInvalidConfig) {
			t.Fatalf("Validate error %v is not ErrInvalidConfig", err)
		}
		if err == nil {
			for _, r := range c.Relays {
				if r.ID == "" || r.Host == "" || !r.Auth.Valid() || (r.Security != "" && !r.Security.Valid()) {
					t.Fatalf("invalid relay accepted: %+v", r)
				}
			}
		}
	})
}
