package arc_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

const mail = "From: Alice <alice@customer.example>\r\n" +
	"To: support@forwarder.example\r\n" +
	"Subject: printer\r\n" +
	"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <a1@customer.example>\r\n" +
	"\r\n" +
	"It is broken  again.\r\n\r\n"

var fixedNow = func() time.Time { return time.Unix(1700000000, 0) }

// rsaKey loads the repository's 2048-bit RSA test key.
func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	pem, err := os.ReadFile("../dkim/testdata/rsa2048.pem")
	if err != nil {
		t.Fatal(err)
	}
	k, err := dkim.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// publish adds key's record at sel._domainkey.domain.
func publish(t testing.TB, z *dnstest.Zone, sel, domain string, key crypto.Signer) {
	t.Helper()
	rec, err := dkim.NewKeyRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	z.AddTXTStrings(sel+"._domainkey."+domain, rec.TXTStrings()...)
}

// seal adds one ARC set by domain with key, recording results.
func seal(t testing.TB, z *dnstest.Zone, msg []byte, domain string, key crypto.Signer, results ...authres.Result) []byte {
	t.Helper()
	out, err := arc.Seal(context.Background(), msg, &arc.SealOptions{
		Domain: domain, Selector: "arc", Key: key, AuthServID: "mx." + domain,
		Results: results, Resolver: z, Now: fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(t testing.TB, z *dnstest.Zone, msg []byte) *arc.Chain {
	t.Helper()
	c, err := arc.Verify(context.Background(), msg, &arc.VerifyOptions{Resolver: z})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dmarcPass(from string) authres.Result {
	return &authres.DMARCResult{Value: authres.ResultPass, From: from}
}

// replaceField replaces the first occurrence of old in the header.
func replaceField(msg []byte, old, new string) []byte {
	return []byte(strings.Replace(string(msg), old, new, 1))
}
