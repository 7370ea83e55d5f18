package deskmail_test

import (
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

var addressSeeds = []string{
	"support@example.com",
	"Acme Support <support@example.com>",
	`"john doe"@example.com`,
	`"a\"b" <"x y"@example.com>`,
	"info@Bücher.DE",
	"サポート <support@例え.jp>",
	"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>",
	"Müller, Hans <h@example.com>",
	"h@example.com (Hans)",
	"postmaster@[192.0.2.1]",
	"a@example.com\r\nBcc: victim@example.com",
	"team: a@x.example, b@x.example;, c@x.example",
	"undisclosed-recipients:;",
	"Support+Billing@x.example",
	"a@xn--.example\u00ad",
}

// checkAddress is the property both fuzz targets check: the header form of
// a parsed address holds no CR or LF and parses back to the same Key.
func checkAddress(t *testing.T, a deskmail.Address) {
	s := a.String()
	if strings.ContainsAny(s, "\r\n") {
		t.Fatalf("String() of %+v holds CR/LF: %q", a, s)
	}
	b, err := deskmail.ParseAddress(s)
	if err != nil {
		t.Fatalf("String() %q of %+v does not re-parse: %v", s, a, err)
	}
	if b.Key() != a.Key() {
		t.Fatalf("String() %q re-parses to key %q, want %q", s, b.Key(), a.Key())
	}
	if got := deskmail.CanonicalKey(a.Addr()); got != a.Key() {
		t.Fatalf("CanonicalKey(%q) = %q, want %q", a.Addr(), got, a.Key())
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range addressSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := deskmail.ParseAddress(s)
		if err != nil {
			return
		}
		checkAddress(t, a)
	})
}

func FuzzParseAddressList(f *testing.F) {
	for _, s := range addressSeeds {
		f.Add(s)
	}
	f.Add(strings.Join(addressSeeds, ", "))
	f.Fuzz(func(t *testing.T, s string) {
		list, _ := deskmail.ParseAddressList(s)
		for _, a := range list {
			checkAddress(t, a)
		}
	})
}
