package bounce

import (
	"strings"
	"testing"
)

// dsnWith is a delivery-status report of one recipient with the given
// status and diagnostic.
func dsnWith(status, diag string) string {
	return strings.ReplaceAll(`From: MAILER-DAEMON@mx.helpdesk.example
To: support@helpdesk.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.helpdesk.example

Final-Recipient: rfc822; kim@client.example
Action: failed
Status: `+status+`
Diagnostic-Code: smtp; `+diag+`

--b--
`, "\n", "\r\n")
}

// A report is a challenge only when every diagnostic asks the sender to
// confirm itself, and never when the status is about the address.
func TestChallengeReport(t *testing.T) {
	for _, tt := range []struct {
		status, diag string
		want         ReportKind
	}{
		{"4.7.0", "Sender not pre-approved. Follow the link to confirm your message.", KindNone},
		{"5.0.0", "550 This server requires confirmation. Visit https://x.example/c to confirm this mail server.", KindNone},
		{"5.1.1", "550 5.1.1 No such user; senders must confirm this mail server first", KindFailure},
		{"5.7.1", "550 5.7.1 Sender address rejected: not in whitelist", KindFailure},
		{"5.0.0", "550 Mailbox unavailable", KindFailure},
	} {
		rep, err := ParseBytes([]byte(dsnWith(tt.status, tt.diag)))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Kind != tt.want {
			t.Errorf("%s %q: kind %q, want %q", tt.status, tt.diag, rep.Kind, tt.want)
		}
	}
}
