package inbound_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/inbound/allow"
)

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// keys collects every object key of a decoded JSON value.
func keys(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[k] = true
			keys(e, out)
		}
	case []any:
		for _, e := range x {
			keys(e, out)
		}
	}
}

// TestDecisionJSON: a Decision marshals with snake_case keys only, and
// decoding and encoding it again gives the same bytes.
func TestDecisionJSON(t *testing.T) {
	w := newWorld(t, withAllow(allow.NewMemoryStore()))
	rp, _ := w.verp.ReturnPath("acme", "gone@customer.example", w.ourID)
	mails := []struct {
		name string
		env  *deskmail.Envelope
		raw  string
	}{
		{"reply", fromCustomer("support@acme.desk.example"), mail("x", "From: Mary <mary@customer.example>", "To: support@acme.example", "Cc: joe@customer.example", "Subject: Re: x", "In-Reply-To: <"+w.ourID+">")},
		{"agent forward", fromAcme("brad@acme.example"), mail(agentForward, "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: Fwd: Broken widget")},
		{"bounce", &deskmail.Envelope{To: []string{rp}, ClientIP: mtaIP, HELO: "mta.example"}, dsn(rp, "gone@customer.example", "5.1.1", w.ourID)},
		{"suspended", spoofed("mary@customer.example"), mail("x", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: x")},
		{"hostile", fromCustomer("support@acme.desk.example"), mail("x", "From: "+hostileName+" <mary@customer.example>", "To: support@acme.example", "Subject: "+hostileName)},
	}
	for _, m := range mails {
		t.Run(m.name, func(t *testing.T) {
			d := w.process(t, m.env, m.raw)
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var back inbound.Decision
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(&back)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Fatalf("round trip changed the JSON\nfirst  %s\nsecond %s", b, again)
			}
			var v any
			_ = json.Unmarshal(b, &v)
			ks := map[string]bool{}
			keys(v, ks)
			for k := range ks {
				if !snakeKey.MatchString(k) {
					t.Errorf("key %q is not snake_case", k)
				}
			}
		})
	}
	t.Run("recovered", func(t *testing.T) {
		env := spoofed("mary@customer.example")
		d, err := w.p.Recover(t.Context(), env, []byte(mail("x", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: x")), inbound.Recovery{By: "brad"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(d)
		var back inbound.Decision
		if err := json.Unmarshal(b, &back); err != nil || back.Allow == nil || *back.Allow != *d.Allow || !back.Recovered {
			t.Fatalf("allow entry did not round-trip: %s (%v)", b, err)
		}
	})
}
