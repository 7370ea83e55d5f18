package alias

import (
	"slices"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
)

// referenceKeys is extractKeys as it was before scanList and quickKey: the
// definition the fast paths must agree with.
func referenceKeys(v string) []string {
	var dst []string
	if !simpleList(v) {
		list, _ := deskmail.ParseAddressList(v)
		for _, a := range list {
			if a.Domain != "" {
				dst = append(dst, a.Key())
			}
		}
		return dst
	}
	for i := 0; i <= len(v); {
		var part string
		part, i = nextPart(v, i)
		if lt := strings.LastIndexByte(part, '<'); lt >= 0 {
			gt := strings.IndexByte(part[lt:], '>')
			if gt < 0 {
				continue
			}
			part = part[lt+1 : lt+gt]
		}
		k := deskmail.CanonicalKey(part)
		if strings.IndexByte(k, '@') > 0 {
			dst = append(dst, k)
		}
	}
	return dst
}

var scanSeeds = []string{
	"", ",", " , ", "a@b", "a@b,", "<a@b>", " <a@b> ", "\t<a@b>\t",
	"alias3@acct0421.desk.example",
	`"Company Support" <alias3@company0421.example>`,
	`Bob <bob@customer.example>, "Doe, Jane" <jane@x.example>`,
	`"a<b" <x@y.example>`, `<x@y.example> "a<b"`, `<x@y.example`, `x@y.example>`,
	"Support@Example.COM", "support+billing@example.com", "a..b@example.com",
	".a@example.com", "a.@example.com", "a@.example.com", "a@example.com.",
	"a@example..com", "@example.com", "a@", "a@@b", "a@b@c",
	"a@xn--bcher-kva.example", "a@mail.xn--bcher-kva.example", "xn--a@example.com",
	"a@xn-b.example", "a@bücher.example", "a b@example.com", "\"a b\"@example.com",
	"a@b (comment)", "group: a@b;", "a\\@b@c", "a@b\r\n", "a@b\x85", "a@b\u00a0",
	"a@1,b@2,c@3,d@4,e@5,f@6,g@7,h@8", "a@1,b@2,c@3,d@4,e@5,f@6,g@7,h@8,i@9",
	"a@b,,,,,,,,,,c@d", `"unterminated <a@b>`, "<<a@b>>", "<a@b> <c@d>",
	"=?utf-8?q?J=C3=B6rg?= <joerg@example.com>", "a=b@example.com", "_@-.example",
}

// TestScanListMatchesReference checks the fast paths of extractKeys against
// the reference on the seeds.
func TestScanListMatchesReference(t *testing.T) {
	for _, v := range scanSeeds {
		want := referenceKeys(v)
		var buf [8]string
		if got := extractKeys(v, buf[:0]); !slices.Equal(got, want) {
			t.Errorf("A2/extractKeys(%q) = %q, want %q", v, got, want)
		}
	}
}

// FuzzScanList compares extractKeys (scanList, quickKey) with the reference
// on arbitrary header values.
func FuzzScanList(f *testing.F) {
	for _, v := range scanSeeds {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		want := referenceKeys(v)
		var buf [8]string
		if got := extractKeys(v, buf[:0]); !slices.Equal(got, want) {
			t.Errorf("extractKeys(%q) = %q, want %q", v, got, want)
		}
	})
}
