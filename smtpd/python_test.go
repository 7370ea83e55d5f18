package smtpd_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/smtpd"
)

// pythonClient is Python's smtplib as an independent client: STARTTLS,
// AUTH PLAIN, one accepted and one refused recipient, and a mail whose
// declared SIZE is over the limit.
const pythonClient = `
import smtplib, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])
msg = "From: Brad <brad@acme.example>\r\nTo: support@acme.example\r\nSubject: from python\r\n\r\nHello.\r\n"
s = smtplib.SMTP(host, port, local_hostname="py.customer.example", timeout=20)
s.ehlo()
print("starttls", "starttls" in s.esmtp_features)
s.starttls(context=ssl._create_unverified_context())
s.ehlo()
print("auth", s.esmtp_features.get("auth", "").strip())
s.login("agent", "s3cret-pass")
refused = s.sendmail("brad@acme.example", ["support@acme.desk.example", "nobody@acme.desk.example"], msg)
print("refused", sorted((k, v[0], v[1].decode()[:5]) for k, v in refused.items()))
try:
    s.sendmail("brad@acme.example", ["support@acme.desk.example"], msg + "x" * 70000)
except smtplib.SMTPSenderRefused as e:
    print("too large", e.smtp_code, e.smtp_error.decode()[:5])
s.quit()
`

// TestPythonSmtplib runs the script above against the server (skipped
// without python3).
func TestPythonSmtplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the smtplib interop test needs it")
	}
	r := newRig(t, func(o *smtpd.Options) {
		o.TLSConfig = testTLS(t)
		o.MaxMessageBytes = 64 << 10
		o.Authenticate = func(_ context.Context, user, pass string) error {
			if user == "agent" && pass == "s3cret-pass" {
				return nil
			}
			return smtpd.ErrBadCredentials
		}
	})
	host, port, _ := strings.Cut(r.addr, ":")
	out, err := exec.Command(py, "-c", pythonClient, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := "starttls True\nauth PLAIN\nrefused [('nobody@acme.desk.example', 550, '5.1.1')]\ntoo large 552 5.3.4\n"
	if string(out) != want {
		t.Fatalf("python said:\n%s\nwant:\n%s", out, want)
	}
	got := r.deliveries()
	if len(got) != 1 || got[0].Authenticated != "agent" || got[0].Protocol != "ESMTPSA" || len(got[0].Envelope.To) != 1 {
		t.Fatalf("deliveries %+v", got)
	}
	if !strings.HasPrefix(string(got[0].Raw), "Received: from py.customer.example ([127.0.0.1])\r\n\t(using TLS 1.3") {
		t.Errorf("Received:\n%s", got[0].Raw[:200])
	}
}
