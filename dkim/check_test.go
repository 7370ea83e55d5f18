package dkim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

func TestCheckPublished(t *testing.T) {
	local, other := loadKey(t, "rsa2048.pem"), loadKey(t, "ed25519.pem")
	z := dnstest.New()
	publish(t, z, "example.com", "good", local, "")
	publish(t, z, "example.com", "testing", local, "t=y")
	publish(t, z, "example.com", "other", other, "")
	z.AddTXT("revoked._domainkey.example.com", "v=DKIM1; p=")
	z.AddTXT("junk._domainkey.example.com", "v=DKIM1; k=rsa; p=!!!")
	z.AddTXT("two._domainkey.example.com", "v=DKIM1; p=", "v=DKIM1; p=")
	z.SetFault("slow._domainkey.example.com", dnstest.ServFail)
	tests := []struct {
		sel    string
		want   dkim.CheckStatus
		reason string
	}{
		{"good", dkim.CheckMatch, "publishes the local rsa key (2048 bits)"},
		{"testing", dkim.CheckMatch, "t=y"},
		{"other", dkim.CheckMismatch, "different key"},
		{"missing", dkim.CheckMissing, "publish"},
		{"revoked", dkim.CheckRevoked, "revoked"},
		{"junk", dkim.CheckInvalid, "does not parse"},
		{"two", dkim.CheckMultiple, "2 TXT records"},
		{"slow", dkim.CheckTempError, "failed"},
	}
	for _, tt := range tests {
		t.Run("D7/"+tt.sel, func(t *testing.T) {
			c, err := dkim.CheckPublished(context.Background(), z, "example.com", tt.sel, local)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != tt.want || !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("%s: %s, want %s containing %q", c.Status, c.Reason, tt.want, tt.reason)
			}
			if c.OK() != (tt.want == dkim.CheckMatch) {
				t.Error("OK() disagrees")
			}
		})
	}
}
