package bounce_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

func mustVERP(t *testing.T, secrets ...string) *bounce.VERP {
	t.Helper()
	var bs [][]byte
	for _, s := range secrets {
		bs = append(bs, []byte(s))
	}
	k, err := deskmail.NewKeyring(bs...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := bounce.NewVERP(k, "bounces.example.net", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVERP(t *testing.T) {
	v := mustVERP(t, "first-secret-0123456789")
	rp, err := v.ReturnPath("acme", "User@Example.com", "<m1.abc@desk.example>")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(rp, "@bounces.example.net") || strings.Contains(rp, "first-secret") {
		t.Fatalf("return path %q", rp)
	}
	for _, in := range []string{rp, strings.ToUpper(rp), "<" + rp + ">"} {
		tok, err := v.Verify(in)
		if err != nil || tok.Account != "acme" || !tok.RecipientIs("user@example.com") || !tok.MessageIs("m1.abc@desk.example") {
			t.Errorf("B6/Verify(%q) = %+v, %v", in, tok, err)
		}
		if tok.RecipientIs("other@example.com") || tok.MessageIs("m2.abc@desk.example") || tok.MessageIs("") {
			t.Errorf("B10/token %+v matches another recipient or message", tok)
		}
	}
	rotated := mustVERP(t, "second-secret-0123456789", "first-secret-0123456789")
	if _, err := rotated.Verify(rp); err != nil {
		t.Errorf("B10/rotated keyring rejects an old token: %v", err)
	}
	other := mustVERP(t, "someone-else-0123456789")
	if _, err := other.Verify(rp); !errors.Is(err, bounce.ErrBadToken) {
		t.Errorf("B10/foreign secret: %v, want ErrBadToken", err)
	}
	at := strings.IndexByte(rp, '@')
	for i := len("b-"); i < at; i++ {
		c := byte('a')
		if rp[i] == 'a' {
			c = 'b'
		}
		tampered := rp[:i] + string(c) + rp[i+1:]
		if tok, err := v.Verify(tampered); !errors.Is(err, bounce.ErrBadToken) {
			t.Errorf("B10/tampered token at %d: %+v, %v", i, tok, err)
		}
	}
	if _, err := v.Verify("someone@example.com"); !errors.Is(err, bounce.ErrNoToken) {
		t.Errorf("plain address: %v, want ErrNoToken", err)
	}
	var rpi interface {
		ReturnPath(account, recipient, messageID string) (string, error)
	} = v
	_ = rpi
}

// TestVERPLength: the local part stays within RFC 5321's 64 octets for
// realistic ids, whatever the recipient and Message-ID.
func TestVERPLength(t *testing.T) {
	v := mustVERP(t, "first-secret-0123456789")
	longRcpt := strings.Repeat("r", 64-len("@example.com")) + "@example.com"
	longID := "dm.inst4ll0123456789." + strings.Repeat("t", 100-len("dm.inst4ll0123456789.")-len("@support.customer-domain.example")) + "@support.customer-domain.example"
	if len(longRcpt) != 64 || len(longID) != 100 {
		t.Fatalf("test data: %d %d", len(longRcpt), len(longID))
	}
	cases := []struct {
		name, account string
		maxLocal      int
	}{
		{"B6/short account", "acme", 42},
		{"B6/8-char account", "acct0001", 51},
		{"B6/lower-case UUID account", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", 62},
		{"B6/upper-case UUID account", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", 62},
		{"B6/24-hex ObjectID account", "507f1f77bcf86cd799439011", 55},
		{"B6/numeric account", "18446744073709551615", 52},
		{"B6/17-octet account", "customer-acme-jp1", 64},
		{"B6/mixed-case UUID kept as text", "3f2504e0-4F89-41d3-9a0c-0305e82c3301", 94},
		{"B6/unicode account", "会社-東京", 59},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, rcpt := range []string{"j@x.example", longRcpt} {
				for _, id := range []string{"", "a@b", longID} {
					rp, err := v.ReturnPath(c.account, rcpt, id)
					if err != nil {
						t.Fatal(err)
					}
					local := rp[:strings.LastIndexByte(rp, '@')]
					if len(local) > c.maxLocal {
						t.Errorf("local part %d octets, want at most %d: %s", len(local), c.maxLocal, rp)
					}
					tok, err := v.Verify(strings.ToUpper(rp))
					if err != nil || tok.Account != c.account || !tok.RecipientIs(rcpt) || (id != "" && !tok.MessageIs(id)) {
						t.Errorf("Verify(%s) = %+v, %v", rp, tok, err)
					}
				}
			}
		})
	}
	strict, _ := bounce.NewVERP(mustKeys(t, "first-secret-0123456789"), "bounces.example.net", &bounce.VERPOptions{MaxLocal: bounce.MaxLocalPart})
	if _, err := strict.ReturnPath("customer-acme-jp12", "j@x.example", longID); !errors.Is(err, bounce.ErrTooLong) {
		t.Errorf("18-octet raw account with MaxLocal 64: %v, want ErrTooLong", err)
	}
	if _, err := strict.ReturnPath("3f2504e0-4f89-41d3-9a0c-0305e82c3301", longRcpt, longID); err != nil {
		t.Errorf("UUID account with MaxLocal 64: %v", err)
	}
	if _, err := v.ReturnPath(strings.Repeat("z", 200), "j@x.example", "a@b"); !errors.Is(err, bounce.ErrTooLong) {
		t.Errorf("200-octet account: %v, want ErrTooLong", err)
	}
}

func mustKeys(t *testing.T, secret string) *deskmail.Keyring {
	t.Helper()
	k, err := deskmail.NewKeyring([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
