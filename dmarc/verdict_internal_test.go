package dmarc

import (
	"testing"

	"github.com/emersion/go-msgauth/authres"
)

func TestHasDKIMSignature(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"From: a@b.example\r\nDKIM-Signature: v=1\r\n\r\nbody", true},
		{"From: a@b.example\r\ndkim-signature : v=1\r\n\r\n", true},
		{"From: a@b.example\nDkim-Signature:v=1\n", true},
		{"From: a@b.example\r\n\r\nDKIM-Signature: in the body\r\n", false},
		{"From: a@b.example\r\nX-Note: DKIM-Signature: folded\r\n DKIM-Signature: no\r\n\r\n", false},
		{"Subject: x\r\n\r\r\nDKIM-Signature: after an empty line\r\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := hasDKIMSignature([]byte(tt.raw)); got != tt.want {
			t.Errorf("hasDKIMSignature(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

// authResCase builds the results Authenticate makes from a few strings.
func authResCase(from, helo, reason, domain string) []authres.Result {
	return []authres.Result{
		&authres.SPFResult{Value: authres.ResultPass, From: from, Helo: helo},
		&authres.DKIMResult{Value: authres.ResultNone, Reason: reason},
		&authres.DKIMResult{Value: authres.ResultFail, Reason: reason, Domain: domain, Identifier: "@" + domain},
		&authres.DMARCResult{Value: authres.ResultFail, Reason: reason, From: domain},
	}
}

func TestFormatAuthRes(t *testing.T) {
	values := []string{"", "mary@customer.example", "b@bounce.platform.example", "mail.customer.example",
		"p=reject disposition=reject", "not verified", `a "quoted" value`, "ünïcödé.example", "a;b", "x\x01y",
		"tab\there", "semi ;colon", "(comment)", "a=b", "日本.example", "\xff\xfe", "\x7f", "#$%&'*+,./-@[]\\^_`{|}~"}
	for _, a := range values {
		for _, b := range values {
			rs := authResCase(a, b, b, a)
			if got, want := formatAuthRes("mx.example", rs), authres.Format("mx.example", rs); got != want {
				t.Errorf("formatAuthRes(%q, %q)\n got %q\nwant %q", a, b, got, want)
			}
		}
	}
	other := []authres.Result{&authres.IPRevResult{Value: authres.ResultPass, IP: "192.0.2.1"}}
	if got, want := formatAuthRes("mx", other), authres.Format("mx", other); got != want {
		t.Errorf("other result types: got %q, want %q", got, want)
	}
	if got, want := formatAuthRes("mx", nil), authres.Format("mx", nil); got != want {
		t.Errorf("no results: got %q, want %q", got, want)
	}
}

func FuzzFormatAuthRes(f *testing.F) {
	f.Add("mary@customer.example", "mail.customer.example", "p=reject disposition=reject", "example.com")
	f.Add(`a "b"`, "\x00", "ü", "[192.0.2.1]")
	f.Fuzz(func(t *testing.T, from, helo, reason, domain string) {
		rs := authResCase(from, helo, reason, domain)
		if got, want := formatAuthRes("deskmail", rs), authres.Format("deskmail", rs); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
