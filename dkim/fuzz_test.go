package dkim_test

import (
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
)

func FuzzParseKeyRecord(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=" + strings.TrimSpace(string(mustRead(f, "testdata/rsa512.pub.b64"))),
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"v=DKIM1; p=", "k=rsa; t=y:s; h=sha256; s=email; n=note; p=",
		"v=DKIM1;;p=AAAA", "v=DKIM2; p=", "=", ";", "v=DKIM1; p=\r\n\tAA AA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dkim.RSAModulusBits([]byte(s)) // untrusted DER must not panic
		r, err := dkim.ParseKeyRecord(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dkim: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		// What parses must round-trip through String.
		back, err := dkim.ParseKeyRecord(r.String())
		if err != nil {
			t.Fatalf("String() of a parsed record does not parse: %q: %v", r.String(), err)
		}
		if back.KeySize() != r.KeySize() || back.Revoked() != r.Revoked() || back.Testing() != r.Testing() || back.Strict() != r.Strict() {
			t.Fatalf("round trip changed the record: %q -> %q", s, r.String())
		}
		if strings.Join(r.TXTStrings(), "") != r.String() {
			t.Fatal("TXTStrings does not join back")
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	signed, err := dkim.Sign([]byte(testMsg), "example.com", "s1", loadKey(f, "ed25519.pem"), nil)
	if err != nil {
		f.Fatal(err)
	}
	v := strings.SplitN(string(signed), "\r\nFrom:", 2)[0]
	f.Add(strings.TrimPrefix(v, "DKIM-Signature:"))
	f.Add("v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i=@sub.example.com; t=1; x=2; l=10; c=relaxed")
	f.Add("v=1; a=rsa-sha256; d=example.com; s=s; h=to; bh=; b=")
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := dkim.ParseSignature(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dkim: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if sig.Domain == "" || sig.Selector == "" || len(sig.Data) == 0 {
			t.Fatalf("accepted incomplete signature %q", s)
		}
		if !strings.HasSuffix(strings.ToLower(sig.Identifier), sig.Domain) {
			t.Fatalf("i= %q outside d= %q", sig.Identifier, sig.Domain)
		}
	})
}
