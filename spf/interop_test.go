package spf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
)

// pyspf finds a python3 that can import spf and yaml (Debian python3-spf
// and python3-yaml), or skips.
func pyspf(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import spf, yaml").Run() == nil {
			return path
		}
	}
	t.Skip("pyspf not available: install Debian's python3-spf and python3-yaml to cross-check against it")
	return ""
}

// TestInteropPyspf runs the RFC 7208 suite through pyspf and through
// CheckMailFrom on the same zone data and compares the results test by
// test: they must agree on every one.
func TestInteropPyspf(t *testing.T) {
	py := pyspf(t)
	out, err := exec.Command(py, "testdata/interop/pyspf_suite.py", "testdata/rfc7208-tests.yml").Output()
	if err != nil {
		t.Fatalf("pyspf: %v", err)
	}
	theirs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct{ Name, Result, Explanation string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		theirs[r.Name] = r.Result
	}
	agree := 0
	tests := loadSuite(t, "testdata/rfc7208-tests.yml")
	for _, st := range tests {
		ours := string(st.run().Result)
		if ours == theirs[st.Name] {
			agree++
			continue
		}
		t.Errorf("%s: ours %s, pyspf %s", st.Name, ours, theirs[st.Name])
	}
	t.Logf("agreement with pyspf on the RFC 7208 suite: %d/%d", agree, len(tests))
}
