package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func authCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &cliIO{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// zoneYAML writes a zonedata file with one TXT record per name.
func dkimZoneYAML(t *testing.T, records map[string][]string) string {
	t.Helper()
	var b strings.Builder
	for name, strs := range records {
		q := make([]string, len(strs))
		for i, s := range strs {
			q[i] = dkimQuote(s)
		}
		b.WriteString(name + ":\n  - TXT: [" + strings.Join(q, ", ") + "]\n")
	}
	f := filepath.Join(t.TempDir(), "zone.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func dkimQuote(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

const dkimCLIMsg = "From: Support <support@example.com>\nTo: c@example.net\nSubject: Ticket 42\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <42@example.com>\n\nHello\n"

func TestDKIMCommand(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []string{"ed25519", "rsa"} {
		t.Run("D3/"+alg, func(t *testing.T) {
			keyFile := filepath.Join(dir, alg+".pem")
			code, out, errs := authCLI(t, "", "dkim", "keygen", "-json", "-alg", alg, "-domain", "Example.com", "-selector", "dm1", "-out", keyFile)
			if code != exitOK {
				t.Fatalf("keygen exit %d: %s", code, errs)
			}
			var kg dkimKeygenJSON
			if err := json.Unmarshal([]byte(out), &kg); err != nil {
				t.Fatal(err)
			}
			pemKey, _ := os.ReadFile(keyFile)
			if strings.Contains(out, string(pemKey[30:80])) {
				t.Fatal("keygen printed the private key")
			}
			for _, s := range kg.TXT {
				if len(s) > 255 {
					t.Errorf("TXT string of %d bytes", len(s))
				}
			}
			if kg.Name != "dm1._domainkey.example.com" || !strings.HasPrefix(kg.Record, "v=DKIM1; k="+alg) {
				t.Errorf("%+v", kg)
			}
			zone := dkimZoneYAML(t, map[string][]string{kg.Name: kg.TXT, "old._domainkey.example.com": {"v=DKIM1; p="}})

			msgFile := filepath.Join(dir, "msg.eml")
			os.WriteFile(msgFile, []byte(dkimCLIMsg), 0o600)
			code, signed, errs := authCLI(t, "", "dkim", "sign", "-key", keyFile, "-domain", "example.com", "-selector", "dm1", msgFile)
			if code != exitOK || !strings.HasPrefix(signed, "DKIM-Signature:") {
				t.Fatalf("sign exit %d: %s", code, errs)
			}
			code, out, _ = authCLI(t, signed, "dkim", "verify", "-zone", zone)
			if code != exitOK || !strings.Contains(out, "dkim=pass d=example.com s=dm1") {
				t.Fatalf("verify exit %d: %s", code, out)
			}
			code, out, _ = authCLI(t, strings.Replace(signed, "Hello", "Jello", 1), "dkim", "verify", "-json", "-zone", zone, "-")
			if code != exitFail || !strings.Contains(out, `"result":"fail"`) {
				t.Fatalf("tampered verify exit %d: %s", code, out)
			}
			code, out, _ = authCLI(t, "", "dkim", "check", "-zone", zone, "-key", keyFile, "-domain", "example.com", "-selector", "dm1")
			if code != exitOK || !strings.Contains(out, ": match") {
				t.Fatalf("D7/check exit %d: %s", code, out)
			}
			code, out, _ = authCLI(t, "", "dkim", "check", "-json", "-zone", zone, "-key", keyFile, "-domain", "example.com", "-selector", "old")
			if code != exitFail || !strings.Contains(out, `"status":"revoked"`) {
				t.Fatalf("D7/check revoked exit %d: %s", code, out)
			}
		})
	}
	t.Run("unsigned message fails verify", func(t *testing.T) {
		code, out, _ := authCLI(t, dkimCLIMsg, "dkim", "verify", "-zone", dkimZoneYAML(t, map[string][]string{"x.example": {"y"}}))
		if code != exitFail || !strings.Contains(out, "dkim=none") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"dkim"}, {"dkim", "bogus"}, {"dkim", "keygen", "-domain", "example.com"},
			{"dkim", "keygen", "-bits", "1024", "-domain", "example.com", "-selector", "s", "-out", filepath.Join(dir, "weak.pem")},
			{"dkim", "check", "-key", "x"},
		} {
			if code, _, _ := authCLI(t, "", args...); code != exitUsage {
				t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
			}
		}
		if code, _, _ := authCLI(t, "", "dkim", "sign", "-key", filepath.Join(dir, "missing.pem"), "-domain", "d", "-selector", "s"); code != exitFail {
			t.Errorf("missing key file: exit %d, want %d", code, exitFail)
		}
	})
}
