package forward_test

import (
	"strings"
	"testing"

	"github.com/deskmail/deskmail/forward"
)

// An encoded display name in a forwarded block that decodes to line breaks
// and escapes does not cost the forward its sender: the controls become
// spaces and the address stays.
func TestEncodedHostileNameKeepsTheSender(t *testing.T) {
	body := "---------- Forwarded message ---------\nFrom: =?utf-8?q?Mary=1B[2J=0D=0ABcc:_x@evil.example=00?= <mary@customer.example>\nDate: Thu, 28 Oct 2021 12:46:00 +0200\nSubject: help\nTo: brad@acme.example\n\nplease help\n"
	f, err := forward.ParseText("Fwd: help", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Forwarded || f.From.Addr() != "mary@customer.example" {
		t.Fatalf("forward %+v", f)
	}
	if strings.ContainsAny(f.From.Name, "\r\n\x1b\x00") {
		t.Errorf("name %q keeps control characters", f.From.Name)
	}
}
