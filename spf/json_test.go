package spf

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// What a host logs of a check has snake_case keys and no error object.
func TestCheckJSON(t *testing.T) {
	c := &Check{Result: Fail, Domain: "example.com", IP: netip.MustParseAddr("192.0.2.1"), Mechanism: "-all", Lookups: 2, Err: errors.New("x")}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"result":"fail"`, `"domain":"example.com"`, `"ip":"192.0.2.1"`, `"lookups":2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	var back Check
	if err := json.Unmarshal(b, &back); err != nil || back.Result != Fail || back.IP != c.IP {
		t.Errorf("round trip: %+v %v", back, err)
	}
}
