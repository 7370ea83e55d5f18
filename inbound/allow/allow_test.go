package allow_test

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/inbound/allow/allowtest"
)

func TestMemoryStore(t *testing.T) {
	allowtest.TestStore(t, func(*testing.T) allow.Store { return allow.NewMemoryStore() })
}

func TestNetworkOf(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.77":        "192.0.2.0/24",
		"::ffff:192.0.2.77": "192.0.2.0/24",
		"2001:db8:1:2:3::4": "2001:db8:1:2::/64",
		"fe80::1%eth0":      "fe80::/64",
	} {
		if got := allow.NetworkOf(netip.MustParseAddr(in)).String(); got != want {
			t.Errorf("NetworkOf(%s) = %s, want %s", in, got, want)
		}
	}
	if allow.NetworkOf(netip.Addr{}).IsValid() {
		t.Error("NetworkOf of the zero address is valid")
	}
}

func TestEntryJSON(t *testing.T) {
	e := allow.Entry{Key: allow.Key{Account: "acme", Sender: "customer.example", Failure: "auth_fail", SPF: "pass", SPFDomain: "lists.example", DKIM: "fail", Network: netip.MustParsePrefix("2001:db8::/64")}, By: "brad", At: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"account":"acme","sender":"customer.example","failure":"auth_fail","spf":"pass","spf_domain":"lists.example","dkim":"fail","network":"2001:db8::/64","by":"brad","at":"2026-11-02T09:00:00Z"}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
	var back allow.Entry
	if err := json.Unmarshal(b, &back); err != nil || back != e {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}
