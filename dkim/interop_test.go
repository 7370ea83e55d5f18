package dkim_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

// python finds a Python 3 that can import dkim (Debian's python3-dkim
// installs it for /usr/bin/python3, which a pyenv shim may hide).
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import dkim").Run() == nil {
				return path
			}
		}
	}
	t.Skip("python3-dkim (dkimpy) is not installed: skipping the DKIM interop test; install it with apt-get install python3-dkim")
	return ""
}

// pyScript verifies or signs a message with dkimpy, serving the key record
// through dnsfunc so no DNS is queried.
const pyScript = `
import sys, dkim
mode, msgfile, record = sys.argv[1], sys.argv[2], sys.argv[3].encode()
msg = open(msgfile, 'rb').read()
def dnsfunc(name, timeout=5):
    return record
if mode == 'verify':
    ok = dkim.verify(msg, dnsfunc=dnsfunc)
    print('pass' if ok else 'fail')
else:
    sel, dom, keyfile = sys.argv[4].encode(), sys.argv[5].encode(), sys.argv[6]
    key = open(keyfile, 'rb').read()
    if mode == 'sign-ed25519':
        sig = dkim.sign(msg, sel, dom, key, canonicalize=(b'relaxed', b'relaxed'), signature_algorithm=b'ed25519-sha256', include_headers=[b'from', b'to', b'subject', b'date'])
    else:
        sig = dkim.sign(msg, sel, dom, key, canonicalize=(b'relaxed', b'relaxed'), include_headers=[b'from', b'to', b'subject', b'date'])
    sys.stdout.buffer.write(sig + msg)
`

func TestInteropPythonDKIM(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "dkimpy.py")
	os.WriteFile(script, []byte(pyScript), 0o600)
	for _, kc := range []struct{ file, mode string }{{"rsa2048.pem", "sign"}, {"ed25519.pem", "sign-ed25519"}} {
		key := loadKey(t, kc.file)
		rec, _ := dkim.NewKeyRecord(key)
		t.Run("D3/ours verifies with dkimpy/"+kc.file, func(t *testing.T) {
			signed, err := dkim.Sign([]byte(testMsg), "example.com", "sel", key, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, "signed.eml")
			os.WriteFile(f, signed, 0o600)
			out, err := exec.Command(py, script, "verify", f, rec.String()).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "pass" {
				t.Fatalf("dkimpy says %q (%v)\n%s", out, err, signed)
			}
		})
		t.Run("D3/dkimpy verifies with ours/"+kc.file, func(t *testing.T) {
			in := filepath.Join(dir, "plain.eml")
			os.WriteFile(in, []byte(testMsg), 0o600)
			pemKey, _ := os.ReadFile("testdata/" + kc.file)
			keyFile := filepath.Join(dir, "key.pem")
			if kc.mode == "sign-ed25519" {
				// dkimpy takes the raw 32-byte Ed25519 seed, base64-encoded.
				seed := rawEd25519Seed(t, key)
				pemKey = []byte(seed)
			}
			os.WriteFile(keyFile, pemKey, 0o600)
			cmd := exec.Command(py, script, kc.mode, in, rec.String(), "sel", "example.com", keyFile)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			signed, err := cmd.Output()
			if err != nil {
				t.Fatalf("dkimpy sign: %v\n%s", err, stderr.String())
			}
			z := dnstest.New()
			z.AddTXTStrings("sel._domainkey.example.com", rec.TXTStrings()...)
			vs, err := dkim.Verify(context.Background(), signed, &dkim.VerifyOptions{Resolver: z})
			if err != nil || len(vs) != 1 || vs[0].Result != dkim.ResultPass {
				t.Fatalf("ours: %+v %v\n%s", vs, err, signed)
			}
		})
	}
}
