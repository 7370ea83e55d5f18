package dkim_test

import (
	"crypto"
	"os"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

func loadKey(t testing.TB, file string) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := dkim.ParsePrivateKey(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return k
}

// publish puts key's record at selector._domainkey.domain, split into
// 255-byte strings as a real zone would hold it.
func publish(t testing.TB, z *dnstest.Zone, domain, selector string, key crypto.Signer, extra string) {
	t.Helper()
	rec, err := dkim.NewKeyRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	s := rec.String()
	if extra != "" {
		s = strings.Replace(s, "; p=", "; "+extra+"; p=", 1)
	}
	z.AddTXTStrings(selector+"._domainkey."+domain, dkim.SplitTXT(s)...)
}

const testMsg = "From: Support <support@example.com>\r\n" +
	"To: customer@example.net\r\n" +
	"Subject: Re: [#1234] Printer on fire\r\n" +
	"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <t1234.abc@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"We have sent a technician.  \r\n" +
	"\r\n" +
	"-- \r\nSupport\r\n"
