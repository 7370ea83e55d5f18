package arc_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
)

// dkimpy returns a python3 that imports dkimpy (Debian's python3-dkim),
// or skips the test.
func dkimpy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		cmd := exec.Command(path, "-c", "import dkim, authres")
		cmd.Dir = t.TempDir() // not the repository, whose dkim/ would shadow the module
		if cmd.Run() == nil {
			return path
		}
	}
	t.Skip("python3 with dkimpy and authres (Debian python3-dkim) not installed; skipping ARC interoperability")
	return ""
}

// pyRun runs testdata/arcpy.py with args and msg on stdin.
func pyRun(t *testing.T, py string, keys map[string]string, msg []byte, args ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	kf := filepath.Join(dir, "keys.json")
	data, _ := json.Marshal(keys)
	if err := os.WriteFile(kf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("testdata/arcpy.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{script, args[0], kf}, args[1:]...)...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("arcpy.py %s: %v\n%s", args[0], err, stderr.String())
	}
	return out
}

// pyKey writes the RSA test key as PKCS #1 PEM, which dkimpy reads.
func pyKey(t *testing.T) string {
	k := rsaKey(t).(*rsa.PrivateKey)
	f := filepath.Join(t.TempDir(), "key.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func keyRecord(t *testing.T) string {
	rec, err := dkim.NewKeyRecord(rsaKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return rec.String()
}

// TestInteropPythonSealsWeVerify: dkimpy seals one and two instances; our
// Verify passes them, reads the sealers and the recorded results, and
// fails them once tampered with.
func TestInteropPythonSealsWeVerify(t *testing.T) {
	py := dkimpy(t)
	keys := map[string]string{"py._domainkey.python.example": keyRecord(t), "py._domainkey.relay.example": keyRecord(t)}
	z := dnstest.New()
	for name, rec := range keys {
		z.AddTXTStrings(name, dkim.SplitTXT(rec)...)
	}
	in := "Authentication-Results: mx.python.example; spf=pass smtp.mailfrom=alice@customer.example; dkim=pass header.d=customer.example; dmarc=pass header.from=customer.example\r\n" + mail
	one := pyRun(t, py, keys, []byte(in), "seal", "py", "python.example", pyKey(t), "mx.python.example")
	c := verify(t, z, one)
	if c.Result != arc.Pass || len(c.Instances) != 1 || c.Instances[0].Sealer != "python.example" || c.Instances[0].AuthServID != "mx.python.example" || len(c.Instances[0].Results) != 3 {
		t.Fatalf("dkimpy's first instance: %s %q %+v", c.Result, c.Reason, c.Instances)
	}
	in2 := "Authentication-Results: mx.relay.example; arc=pass; dmarc=fail header.from=customer.example\r\n" + string(one)
	two := pyRun(t, py, keys, []byte(in2), "seal", "py", "relay.example", pyKey(t), "mx.relay.example")
	c = verify(t, z, two)
	if c.Result != arc.Pass || len(c.Instances) != 2 || c.Instances[1].CV != arc.Pass {
		t.Fatalf("dkimpy's second instance: %s %q %+v", c.Result, c.Reason, c.Instances)
	}
	if c := verify(t, z, replaceField(two, "It is broken", "It is fine")); c.Result != arc.Fail {
		t.Errorf("tampered dkimpy chain: %s", c.Result)
	}
}

// TestInteropWeSealPythonVerifies: our Seal makes one and two instances
// (the second over dkimpy's check of the first), and dkimpy's arc_verify
// passes them; a tampered copy fails there too.
func TestInteropWeSealPythonVerifies(t *testing.T) {
	py := dkimpy(t)
	keys := map[string]string{"arc._domainkey.forwarder.example": keyRecord(t)}
	z := dnstest.New()
	z.AddTXTStrings("arc._domainkey.forwarder.example", dkim.SplitTXT(keys["arc._domainkey.forwarder.example"])...)
	one := seal(t, z, []byte(mail), "forwarder.example", rsaKey(t), dmarcPass("customer.example"))
	two := seal(t, z, one, "forwarder.example", rsaKey(t))
	for name, msg := range map[string][]byte{"one": one, "two": two} {
		out := strings.TrimSpace(string(pyRun(t, py, keys, msg, "verify")))
		if !strings.HasPrefix(out, "pass") {
			t.Errorf("dkimpy on our %s-instance chain: %s", name, out)
		}
	}
	out := strings.TrimSpace(string(pyRun(t, py, keys, replaceField(two, "Subject: printer", "Subject: x"), "verify")))
	if !strings.HasPrefix(out, "fail") {
		t.Errorf("dkimpy on a tampered chain: %s", out)
	}
}
