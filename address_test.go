package deskmail_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name, in         string
		wantName, local  string
		domain, key, str string
		err              error
	}{
		{name: "A16/plain", in: "support@example.com", local: "support", domain: "example.com", key: "support@example.com", str: "support@example.com"},
		{name: "A16/display name", in: "Acme Support <support@example.com>", wantName: "Acme Support", local: "support", domain: "example.com", key: "support@example.com", str: "Acme Support <support@example.com>"},
		{name: "A16/domain case folding", in: "Bob <Bob@EXAMPLE.Com>", wantName: "Bob", local: "Bob", domain: "example.com", key: "bob@example.com", str: "Bob <Bob@example.com>"},
		{name: "A16/quoted local part", in: `"john doe"@example.com`, local: "john doe", domain: "example.com", key: `"john doe"@example.com`, str: `"john doe"@example.com`},
		{name: "A16/quoted local part with escapes", in: `"a\"b"@example.com`, local: `a"b`, domain: "example.com", key: `"a\"b"@example.com`, str: `"a\"b"@example.com`},
		{name: "A16/quoted dot-atom is unquoted", in: `"john.doe"@example.com`, local: "john.doe", domain: "example.com", key: "john.doe@example.com", str: "john.doe@example.com"},
		{name: "A16/IDN to A-labels", in: "info@Bücher.DE", local: "info", domain: "xn--bcher-kva.de", key: "info@xn--bcher-kva.de", str: "info@xn--bcher-kva.de"},
		{name: "A16/Japanese IDN", in: "サポート <support@例え.jp>", wantName: "サポート", local: "support", domain: "xn--r8jz45g.jp", key: "support@xn--r8jz45g.jp", str: "=?utf-8?b?44K144Od44O844OI?= <support@xn--r8jz45g.jp>"},
		{name: "A16/A-label input stays", in: "info@XN--BCHER-KVA.de", local: "info", domain: "xn--bcher-kva.de", key: "info@xn--bcher-kva.de", str: "info@xn--bcher-kva.de"},
		{name: "A16/UTF-8 local part (RFC 6532)", in: "用户@example.com", local: "用户", domain: "example.com", key: "用户@example.com", str: "用户@example.com"},
		{name: "A16/RFC 2047 ISO-2022-JP name", in: "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>", wantName: "山田", local: "yamada", domain: "example.jp", key: "yamada@example.jp", str: "=?utf-8?b?5bGx55Sw?= <yamada@example.jp>"},
		{name: "A16/name with specials is quoted on output", in: `"Doe, John" <j@example.com>`, wantName: "Doe, John", local: "j", domain: "example.com", key: "j@example.com", str: `"Doe, John" <j@example.com>`},
		{name: "A16/lenient unquoted specials", in: "Müller, Hans <h@example.com>", wantName: "Müller, Hans", local: "h", domain: "example.com", key: "h@example.com", str: "=?utf-8?q?M=C3=BCller=2C_Hans?= <h@example.com>"},
		{name: "A16/comment name", in: "h@example.com (Hans)", wantName: "Hans", local: "h", domain: "example.com", key: "h@example.com", str: "Hans <h@example.com>"},
		{name: "A16/domain literal", in: "postmaster@[192.0.2.1]", local: "postmaster", domain: "[192.0.2.1]", key: "postmaster@[192.0.2.1]", str: "postmaster@[192.0.2.1]"},
		{name: "A16/folded header value", in: "Acme\r\n Support <s@example.com>", wantName: "Acme Support", local: "s", domain: "example.com", key: "s@example.com", str: "Acme Support <s@example.com>"},
		{name: "A16/header injection rejected", in: "a@example.com\r\nBcc: victim@example.com", err: deskmail.ErrInvalidAddress},
		{name: "A16/bare LF rejected", in: "x <a@example.com>\nBcc: v@example.com", err: deskmail.ErrInvalidAddress},
		{name: "A16/no domain", in: "support", err: deskmail.ErrInvalidAddress},
		{name: "A16/empty", in: "", err: deskmail.ErrInvalidAddress},
		{name: "A16/too long", in: strings.Repeat("a", 70000) + "@example.com", err: deskmail.ErrInvalidAddress},
		{name: "A16/invalid IDN", in: "a@xn--.example\u00ad", err: deskmail.ErrInvalidAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := deskmail.ParseAddress(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("ParseAddress(%q) = %+v, %v; want error %v", tc.in, a, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tc.in, err)
			}
			if a.Name != tc.wantName || a.Local != tc.local || a.Domain != tc.domain {
				t.Errorf("ParseAddress(%q) = %+v, want {%q %q %q}", tc.in, a, tc.wantName, tc.local, tc.domain)
			}
			if got := a.Key(); got != tc.key {
				t.Errorf("Key() = %q, want %q", got, tc.key)
			}
			if got := a.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			if got := deskmail.CanonicalKey(tc.in); got != tc.key {
				t.Errorf("CanonicalKey(%q) = %q, want %q", tc.in, got, tc.key)
			}
			// String re-parses to the same address.
			b, err := deskmail.ParseAddress(a.String())
			if err != nil || b.Key() != a.Key() || b.Name != a.Name {
				t.Errorf("String() %q re-parses to %+v, %v", a.String(), b, err)
			}
		})
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name, in string
		keys     []string
		wantErr  bool
	}{
		{"A16/two addresses", "a@example.com, Bob <B@Example.com>", []string{"a@example.com", "b@example.com"}, false},
		{"A16/group flattened", "team: a@x.example, b@x.example;, c@x.example", []string{"a@x.example", "b@x.example", "c@x.example"}, false},
		{"A16/empty group", "undisclosed-recipients:;", nil, false},
		{"A16/empty", "  ", nil, false},
		{"A16/quoted comma", `"Doe, John" <j@x.example>, k@x.example`, []string{"j@x.example", "k@x.example"}, false},
		{"A16/one bad entry keeps the others", "a@x.example, not an address, Müller, Hans <h@x.example>", []string{"a@x.example", "h@x.example"}, true},
		{"A16/folded list", "a@x.example,\r\n b@x.example", []string{"a@x.example", "b@x.example"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := deskmail.ParseAddressList(tc.in)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, deskmail.ErrInvalidAddress) {
				t.Errorf("error %v does not wrap ErrInvalidAddress", err)
			}
			var keys []string
			for _, a := range list {
				keys = append(keys, a.Key())
			}
			if strings.Join(keys, " ") != strings.Join(tc.keys, " ") {
				t.Errorf("keys = %q, want %q", keys, tc.keys)
			}
		})
	}
}

func TestSubaddress(t *testing.T) {
	tests := []struct {
		name, addr, sep string
		base, tag       string
	}{
		{"A16/default separator", "Support+Billing@x.example", "", "support@x.example", "Billing"},
		{"A16/first separator only", "a+b+c@x.example", "+", "a@x.example", "b+c"},
		{"A16/configurable separator", "support-billing@x.example", "-", "support@x.example", "billing"},
		{"A16/no tag", "support@x.example", "+", "support@x.example", ""},
		{"A16/leading separator is not a tag", "+tag@x.example", "+", "+tag@x.example", ""},
		{"A16/multi-byte separator", "a--b@x.example", "--", "a@x.example", "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := deskmail.ParseAddress(tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Base(tc.sep).Key(); got != tc.base {
				t.Errorf("Base = %q, want %q", got, tc.base)
			}
			if got := a.Tag(tc.sep); got != tc.tag {
				t.Errorf("Tag = %q, want %q", got, tc.tag)
			}
		})
	}
}

func TestHeaderInjection(t *testing.T) {
	for _, v := range []string{"a\r\nBcc: x@y", "a\nb", "a\rb", "a\x00b"} {
		if err := deskmail.CheckHeaderValue(v); !errors.Is(err, deskmail.ErrHeaderInjection) {
			t.Errorf("A16/CheckHeaderValue(%q) = %v", v, err)
		}
		if _, err := deskmail.NewAddress(v, "a@x.example"); !errors.Is(err, deskmail.ErrHeaderInjection) {
			t.Errorf("A16/NewAddress(name %q) = %v", v, err)
		}
		if _, err := deskmail.NewAddress("", "a@x.example"+v); !errors.Is(err, deskmail.ErrHeaderInjection) {
			t.Errorf("A16/NewAddress(addr %q) = %v", v, err)
		}
	}
	if err := deskmail.CheckHeaderValue("Acme Support\t(日本)"); err != nil {
		t.Errorf("clean value rejected: %v", err)
	}
	// Fields set directly still never produce CR or LF.
	a := deskmail.Address{Name: "x\r\nBcc: v@example.com", Local: "a", Domain: "x.example"}
	if s := a.String(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("A16/String() = %q holds CR/LF", s)
	}
}

func TestNewAddress(t *testing.T) {
	a, err := deskmail.NewAddress("山田 太郎", "Taro@Example.JP")
	if err != nil {
		t.Fatal(err)
	}
	if a.Key() != "taro@example.jp" || a.Name != "山田 太郎" {
		t.Errorf("NewAddress = %+v", a)
	}
	if _, err := deskmail.NewAddress("x", "not-an-address"); !errors.Is(err, deskmail.ErrInvalidAddress) {
		t.Errorf("NewAddress(bad) = %v", err)
	}
}

func TestFormatName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"A10/atom", "Brad", "Brad"},
		{"A10/atoms with space", "Acme Support", "Acme Support"},
		{"A10/specials quoted", "Smith, Brad", `"Smith, Brad"`},
		{"A10/quote and backslash escaped", `Brad "B" \ Smith`, `"Brad \"B\" \\ Smith"`},
		{"A10/Japanese encoded", "ブラッド", "=?utf-8?b?44OW44Op44OD44OJ?="},
		{"A10/Latin-1 uses Q", "Müller", "=?utf-8?q?M=C3=BCller?="},
		{"A10/control characters encoded", "a\r\nb", "=?utf-8?q?a=0D=0Ab?="},
		{"A10/leading space quoted", " x", `" x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := deskmail.FormatName(tc.in)
			if got != tc.want {
				t.Errorf("FormatName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("FormatName(%q) holds CR/LF", tc.in)
			}
		})
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"EXAMPLE.com", "example.com"},
		{"bücher.de", "xn--bcher-kva.de"},
		{"例え.JP.", "xn--r8jz45g.jp"},
		{"[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"},
	}
	for _, tc := range tests {
		if got, err := deskmail.NormalizeDomain(tc.in); err != nil || got != tc.want {
			t.Errorf("A16/NormalizeDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "[1.2.3.4", "a..b\u00e9"} {
		if _, err := deskmail.NormalizeDomain(bad); !errors.Is(err, deskmail.ErrInvalidAddress) {
			t.Errorf("NormalizeDomain(%q) = %v, want ErrInvalidAddress", bad, err)
		}
	}
}

func TestCanonicalKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Support@Example.COM", "support@example.com"},
		{"<support@example.com>", "support@example.com"},
		{" support@example.com ", "support@example.com"},
		{"support@xn--bcher-kva.de", "support@xn--bcher-kva.de"},
		{"support@bücher.de", "support@xn--bcher-kva.de"},
		{"not an address", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := deskmail.CanonicalKey(tc.in); got != tc.want {
			t.Errorf("A16/CanonicalKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalKeyAgreesWithParse(t *testing.T) {
	for _, in := range []string{"0@Xn--.0", "a@XN--.example", "A@Xn--Bcher-Kva.DE"} {
		a, err := deskmail.ParseAddress(in)
		want := ""
		if err == nil {
			want = a.Key()
		}
		if got := deskmail.CanonicalKey(in); got != want {
			t.Errorf("A16/CanonicalKey(%q) = %q, ParseAddress gives %q (%v)", in, got, want, err)
		}
	}
}

func TestAddressJSON(t *testing.T) {
	a, _ := deskmail.ParseAddress("Jürgen <J@Bücher.example>")
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"Jürgen","address":"J@xn--bcher-kva.example","local":"J","domain":"xn--bcher-kva.example"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back deskmail.Address
	if err := json.Unmarshal(b, &back); err != nil || back != a {
		t.Errorf("round trip %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"address":"mary@customer.example"}`), &back); err != nil || back.Domain != "customer.example" {
		t.Errorf("from address alone: %+v %v", back, err)
	}
}
