package arc_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dnstest"
)

// FuzzVerify feeds Verify arbitrary messages, seeded with sealed chains
// and the repository's forwarded mails: it must never panic, and a
// result is always none, pass or fail.
func FuzzVerify(f *testing.F) {
	z := dnstest.New()
	publish(f, z, "arc", "list.example", edKey(1))
	one := seal(f, z, []byte(mail), "list.example", edKey(1), &authres.DMARCResult{Value: authres.ResultPass, From: "customer.example"})
	f.Add(one)
	f.Add(seal(f, z, one, "list.example", edKey(1)))
	f.Add([]byte("ARC-Seal: i=1; cv=none\r\nARC-Authentication-Results: i=1; x; none\r\n\r\n"))
	files, _ := filepath.Glob("../forward/testdata/crisp/*.txt")
	for i, file := range files {
		if i == 8 {
			break
		}
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := arc.Verify(context.Background(), msg, &arc.VerifyOptions{Resolver: z})
		if err != nil {
			return
		}
		switch c.Result {
		case arc.None, arc.Pass, arc.Fail:
		default:
			t.Fatalf("result %q", c.Result)
		}
		if c.Result == arc.Pass && len(c.Instances) == 0 {
			t.Fatal("pass without instances")
		}
	})
}
