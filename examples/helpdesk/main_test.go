package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"account acme, address sales@acme.desk.example, department sales (matched by envelope)",
		"account acme, address support@acme.example, department support (matched by envelope, tag \"orders\")",
		"arrived through the customer-owned address support@acme.example",
		"→ dropped: address_disabled",
		"forwarding confirmation from gmail: code 482913377",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
}
