package smtpd_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/smtpd"
)

// TestPostfixRelaysIntoLMTP: Debian's Postfix, started by
// .ci/services.d/postfix.sh, takes a mail by SMTP and relays it by LMTP
// into the server: the known recipient is delivered with both Received
// fields, and the unknown one is refused at RCPT, so Postfix bounces it.
func TestPostfixRelaysIntoLMTP(t *testing.T) {
	smtpAddr, lmtpAddr := os.Getenv("DESKMAIL_POSTFIX_SMTP"), os.Getenv("DESKMAIL_POSTFIX_LMTP")
	if smtpAddr == "" || lmtpAddr == "" {
		t.Skip("DESKMAIL_POSTFIX_SMTP and DESKMAIL_POSTFIX_LMTP not set: run `source .ci/services; start_postfix` as root")
	}
	r := newRigOn(t, lmtpAddr, func(o *smtpd.Options) { o.LMTP = true })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b) + "@customer.example"
	if conf := os.Getenv("DESKMAIL_POSTFIX_CONFIG"); conf != "" {
		t.Cleanup(func() { _ = exec.Command("postsuper", "-c", conf, "-d", "ALL").Run() })
	}
	mail := strings.Replace(testMail, "<m1@customer.example>", "<"+id+">", 1)
	if err := send(smtpAddr, "mary@customer.example", []string{acmePlatform, "nobody@acme.desk.example"}, strings.NewReader(mail)); err != nil {
		t.Fatalf("Postfix refused the mail: %v", err)
	}
	var got *inbound.Delivery
	for deadline := time.Now().Add(60 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, d := range r.deliveries() {
			if bytes.Contains(d.Raw, []byte(id)) {
				got = d
			}
		}
	}
	if got == nil {
		t.Fatal("Postfix did not deliver the mail within a minute")
	}
	raw := string(got.Raw)
	ours := "Received: from relay.deskmail.test ([127.0.0.1])\r\n\tby mx.desk.example (deskmail) with LMTP id " + got.ID + "\r\n\tfor <" + acmePlatform + ">;"
	if !strings.HasPrefix(raw, ours) || !strings.Contains(raw, "by relay.deskmail.test (Postfix) with ESMTP") {
		t.Errorf("Received fields:\n%s", raw[:min(len(raw), 600)])
	}
	if len(got.Envelope.To) != 1 || got.Envelope.To[0] != acmePlatform || got.Decision.Account != "acme" {
		t.Errorf("envelope %v, account %q", got.Envelope.To, got.Decision.Account)
	}
	if conf := os.Getenv("DESKMAIL_POSTFIX_CONFIG"); conf != "" {
		logf := filepath.Join(filepath.Dir(conf), "maillog")
		var seen bool
		for deadline := time.Now().Add(20 * time.Second); !seen && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			data, _ := os.ReadFile(logf)
			for _, l := range strings.Split(string(data), "\n") {
				if strings.Contains(l, "to=<nobody@acme.desk.example>") && strings.Contains(l, "status=bounced") && strings.Contains(l, "5.1.1") {
					seen = true
				}
			}
		}
		if !seen {
			t.Errorf("Postfix's log shows no 5.1.1 bounce for the unknown recipient (%s)", logf)
		}
	}
}
