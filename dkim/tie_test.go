package dkim_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

// TestVerifyTiesResultsToSignatures checks that each result belongs to its
// own signature when a mail carries malformed, duplicated and valid
// DKIM-Signature fields in several orders: a malformed field (including
// one without a colon, which go-msgauth still counts) shifts nothing.
func TestVerifyTiesResultsToSignatures(t *testing.T) {
	key := edKeyForTie()
	z := dnstest.New()
	rec, _ := dkim.NewKeyRecord(key)
	z.AddTXTStrings("good._domainkey.example.com", rec.TXTStrings()...)
	other, _ := dkim.NewKeyRecord(edKeyForTieSeed(9))
	z.AddTXTStrings("other._domainkey.example.org", other.TXTStrings()...)
	msg := "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n"
	signed, err := dkim.Sign([]byte(msg), "example.com", "good", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	valid := string(signed[:len(signed)-len(msg)])
	// A well-formed signature of another domain whose key does not match.
	wrong, err := dkim.Sign([]byte(msg), "example.org", "other", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	failing := string(wrong[:len(wrong)-len(msg)])
	malformed := "DKIM-Signature: v=1; a=rsa-sha256; d=bad.example; b\r\n"
	noColon := "DKIM-Signature\r\n"
	tests := []struct {
		name   string
		fields []string
		want   []string // domain:result per signature
	}{
		{"malformed, duplicated and valid", []string{malformed, valid, valid}, []string{":permerror", "example.com:pass", "example.com:pass"}},
		{"valid, malformed, failing", []string{valid, malformed, failing}, []string{"example.com:pass", ":permerror", "example.org:fail"}},
		{"field without a colon first", []string{noColon, failing, valid}, []string{":permerror", "example.org:fail", "example.com:pass"}},
		{"failing, duplicated valid, field without a colon", []string{failing, valid, noColon, valid}, []string{"example.org:fail", "example.com:pass", ":permerror", "example.com:pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := strings.Join(tt.fields, "") + msg
			vs, err := dkim.Verify(context.Background(), []byte(raw), &dkim.VerifyOptions{Resolver: z})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Domain+":"+string(v.Result))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
				for _, v := range vs {
					t.Logf("%s %s %s", v.Domain, v.Result, v.Reason)
				}
			}
			for _, v := range vs {
				if v.Result == dkim.ResultPass && (v.Selector != "good" || v.BPrefix == "" || v.KeySize != 256 || v.Algorithm != "ed25519-sha256") {
					t.Errorf("pass without its signature's details: %+v", v)
				}
			}
		})
	}
}

func edKeyForTie() ed25519.PrivateKey { return edKeyForTieSeed(1) }

func edKeyForTieSeed(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed)
}

// FuzzVerify feeds Verify arbitrary header sections in front of a signed
// mail: it must not panic, report one result per DKIM-Signature field it
// counts, and pass only a signature it parsed.
func FuzzVerify(f *testing.F) {
	key := edKeyForTie()
	z := dnstest.New()
	rec, _ := dkim.NewKeyRecord(key)
	z.AddTXTStrings("good._domainkey.example.com", rec.TXTStrings()...)
	msg := "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n"
	signed, err := dkim.Sign([]byte(msg), "example.com", "good", key, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("DKIM-Signature\r\n")
	f.Add("DKIM-Signature: v=1; a=rsa-sha256; d=bad.example; b\r\n")
	f.Add(string(signed[:len(signed)-len(msg)]))
	f.Add(" folded first\r\nDKIM-Signature : v=1\r\n\tcontinued\r\n")
	f.Fuzz(func(t *testing.T, prefix string) {
		vs, err := dkim.Verify(context.Background(), append([]byte(prefix), signed...), &dkim.VerifyOptions{Resolver: z})
		if err != nil {
			return
		}
		for _, v := range vs {
			if v.Result == dkim.ResultPass && (v.Signature == nil || v.Domain != "example.com" || v.Selector != "good") {
				t.Fatalf("pass for %+v", v)
			}
		}
	})
}
