package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAddressCommand(t *testing.T) {
	code, out, _ := inboundCLI("address", "Hans Müller <Support+Billing@Bücher.example>")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"name:     Hans Müller", "domain:   xn--bcher-kva.example", "tag:      Billing", "base key: support@xn--bcher-kva.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = inboundCLI("address", "-json", "a@b.example", "not an address")
	if code != exitFail {
		t.Fatalf("exit %d, want %d for an invalid address", code, exitFail)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON object per input:\n%s", out)
	}
	var first, second struct{ Key, Error string }
	if json.Unmarshal([]byte(lines[0]), &first) != nil || first.Key != "a@b.example" {
		t.Fatalf("first: %s", lines[0])
	}
	if json.Unmarshal([]byte(lines[1]), &second) != nil || second.Error == "" {
		t.Fatalf("second: %s", lines[1])
	}
	if code, _, _ := inboundCLI("address"); code != exitUsage {
		t.Fatalf("no address: exit %d", code)
	}
}
