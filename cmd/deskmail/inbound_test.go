package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const inboundCfg = `{
  "install": "desk1",
  "secrets": ["0123456789abcdef-cli-secret"],
  "bounce_domain": "bounce.desk.example",
  "auth_serv_id": "mx.desk.example",
  "accounts": [{"id": "acme",
    "departments": [{"id": "support"}, {"id": "sales"}],
    "addresses": [
      {"address": "support@acme.example", "platform_address": "acme@desk.example", "department": "support"},
      {"address": "sales@acme.example", "platform_address": "acme-sales@desk.example", "department": "sales"}],
    "settings": {"forwarded_sender": true, "threading": {"subject_number": true, "subject_number_participants": true}}}],
  "agents": [{"account": "acme", "address": "brad@acme.example"}],
  "tickets": [{"account": "acme", "id": "1001", "number": "1001", "contact": "mary@customer.example"}],
  "index": [{"account": "acme", "message_id": "first@customer.example", "ticket": "1001"}]
}`

const inboundZone = `customer.example:
  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.customer.example:
  - TXT: "v=DMARC1; p=reject"
`

func inboundFiles(t *testing.T, msgs ...string) (cfg, zone string, files []string) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "desk.json")
	zone = filepath.Join(dir, "zone.yml")
	if err := os.WriteFile(cfg, []byte(inboundCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zone, []byte(inboundZone), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		f := filepath.Join(dir, "m"+string(rune('0'+i))+".eml")
		if err := os.WriteFile(f, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return cfg, zone, files
}

func inboundCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &cliIO{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestInboundCommand(t *testing.T) {
	newMail := "From: Mary <mary@customer.example>\nTo: support@acme.example\nSubject: Sales question\n\nHello\n"
	reply := "From: Mary <mary@customer.example>\nTo: support@acme.example\nSubject: Re: question\nIn-Reply-To: <first@customer.example>\n\nThanks\n"
	cfg, zone, files := inboundFiles(t, newMail, reply)

	t.Run("human output: a new ticket and a reply", func(t *testing.T) {
		code, out, errs := inboundCLI("inbound", "-config", cfg, "-zone", zone, "-ip", "192.0.2.10", "-from", "mary@customer.example", "-rcpt", "acme@desk.example", files[0], files[1])
		if code != exitOK {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		for _, want := range []string{"new_ticket", "account      acme", "support@acme.example (department support)", "Mary <mary@customer.example>", "append", "ticket       1001 (by index)", "spf=pass", "routed:"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("D4: a spoofed sender is suspended, exit 1, JSON", func(t *testing.T) {
		code, out, _ := inboundCLI("inbound", "-json", "-config", cfg, "-zone", zone, "-ip", "203.0.113.5", "-from", "mary@customer.example", "-rcpt", "acme@desk.example", files[0])
		if code != exitFail {
			t.Fatalf("exit %d: %s", code, out)
		}
		var d struct {
			File    string `json:"file"`
			Action  string `json:"action"`
			Held    string `json:"held"`
			Account string `json:"account"`
			Reasons []struct{ Code string }
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if d.Action != "suspend" || d.Held != "new_ticket" || d.Account != "acme" || d.File != files[0] {
			t.Fatalf("%+v", d)
		}
	})
	t.Run("-trusted: the host's own path is authenticated without DMARC", func(t *testing.T) {
		code, out, _ := inboundCLI("inbound", "-trusted", "-config", cfg, "-zone", zone, "-ip", "203.0.113.5", "-from", "mary@customer.example", "-rcpt", "acme@desk.example", files[0])
		if code != exitOK || !strings.Contains(out, "auth_trusted") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("fetched mail from stdin without envelope", func(t *testing.T) {
		var out bytes.Buffer
		code := run([]string{"inbound", "-config", cfg, "-"}, &cliIO{stdin: strings.NewReader(newMail), stdout: &out, stderr: &out, getenv: func(string) string { return "" }})
		if code != exitOK || !strings.Contains(out.String(), "auth_skipped") {
			t.Fatalf("exit %d: %s", code, out.String())
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		if code, _, _ := inboundCLI("inbound", files[0]); code != exitUsage {
			t.Fatalf("no -config: exit %d", code)
		}
		if code, _, _ := inboundCLI("inbound", "-config", cfg); code != exitUsage {
			t.Fatalf("no message: exit %d", code)
		}
		if code, _, _ := inboundCLI("inbound", "-config", files[0], files[0]); code != exitFail {
			t.Fatalf("bad config: exit %d", code)
		}
		if code, _, _ := inboundCLI("inbound", "-config", cfg, "-ip", "nope", files[0]); code != exitUsage {
			t.Fatalf("bad ip: exit %d", code)
		}
	})
}

// TestIssueCommandsRegistered checks that every command issue 7 lists is
// registered and shown by "deskmail help".
func TestIssueCommandsRegistered(t *testing.T) {
	code, out, _ := inboundCLI("help")
	if code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	for _, name := range []string{"spf", "dkim", "dmarc", "bounce", "forward", "thread", "relay", "inbound"} {
		if findCommand(name) == nil || !strings.Contains(out, "  "+name+" ") {
			t.Errorf("command %q is not registered or not listed:\n%s", name, out)
		}
	}
	if code, out, _ := inboundCLI("help", "relay"); code != exitOK || !strings.Contains(out, "probe") {
		t.Errorf("relay has no probe subcommand in its usage: %s", out)
	}
}
