package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const relayZoneYAML = `
bounce.platform.example:
  - TXT: "v=spf1 ip4:198.51.100.0/24 -all"
example.com:
  - TXT: "v=spf1 ip4:203.0.113.25 -all"
  - A: 203.0.113.80
_dmarc.example.com:
  - TXT: "v=DMARC1; p=reject; rua=mailto:d@example.com"
_dmarc.monitor.example:
  - TXT: "v=DMARC1; p=none"
`

func TestDMARCCommand(t *testing.T) {
	zone := filepath.Join(t.TempDir(), "zone.yml")
	os.WriteFile(zone, []byte(relayZoneYAML), 0o600)

	t.Run("D6/check", func(t *testing.T) {
		code, out, _ := authCLI(t, "", "dmarc", "check", "-zone", zone, "mail.example.com")
		if code != exitOK || !strings.Contains(out, "found at:    _dmarc.example.com") || !strings.Contains(out, "org domain:  example.com (rfc9989)") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		code, out, _ = authCLI(t, "", "dmarc", "check", "-json", "-zone", zone, "-mode", "rfc7489", "monitor.example", "none.example")
		if code != exitFail {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			t.Fatalf("want one JSON object per domain:\n%s", out)
		}
		var first map[string]any
		json.Unmarshal([]byte(lines[0]), &first)
		if first["mode"] != "rfc7489" || first["record"] == nil {
			t.Errorf("%s", lines[0])
		}
		if !strings.Contains(lines[0], "without rua") {
			t.Errorf("warning missing: %s", lines[0])
		}
	})
	t.Run("R12/explain relay with DKIM passes", func(t *testing.T) {
		code, out, _ := authCLI(t, "", "dmarc", "explain", "-zone", zone, "-from", "example.com", "-return-path", "b@bounce.platform.example", "-ip", "203.0.113.25", "-dkim", "example.com")
		if code != exitOK || !strings.Contains(out, "SPF: fail") || !strings.Contains(out, "DMARC: pass through aligned DKIM") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("R12/explain relay without DKIM fails", func(t *testing.T) {
		code, out, _ := authCLI(t, "", "dmarc", "explain", "-json", "-zone", zone, "-from", "example.com", "-return-path", "b@bounce.platform.example", "-ip", "203.0.113.25")
		if code != exitFail {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		var ex struct {
			SPF   struct{ Result string }
			DMARC struct {
				Result      string `json:"result"`
				Disposition string `json:"disposition"`
			}
			Advice []string
		}
		if err := json.Unmarshal([]byte(out), &ex); err != nil {
			t.Fatal(err)
		}
		if ex.SPF.Result != "fail" || ex.DMARC.Result != "fail" || ex.DMARC.Disposition != "reject" || len(ex.Advice) == 0 {
			t.Errorf("%s", out)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"dmarc"}, {"dmarc", "bogus"}, {"dmarc", "check"},
			{"dmarc", "check", "-mode", "x", "example.com"},
			{"dmarc", "explain", "-from", "example.com"},
			{"dmarc", "explain", "-from", "example.com", "-ip", "not-an-ip"},
		} {
			if code, _, _ := authCLI(t, "", args...); code != exitUsage {
				t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
			}
		}
		if code, _, _ := authCLI(t, "", "dmarc", "check", "-zone", "/nonexistent/zone.yml", "example.com"); code != exitFail {
			t.Errorf("missing zone file: exit %d, want %d", code, exitFail)
		}
	})
}
