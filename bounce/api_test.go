package bounce_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
)

func TestConstructorsRefuseNilDependencies(t *testing.T) {
	if tr, err := bounce.NewTracker(nil, nil); tr != nil || !errors.Is(err, bounce.ErrNoStore) {
		t.Errorf("NewTracker(nil) = %v, %v; want ErrNoStore", tr, err)
	}
	if v, err := bounce.NewVERP(nil, "bounces.example.net", nil); v != nil || !errors.Is(err, bounce.ErrNoKeyring) {
		t.Errorf("NewVERP(nil) = %v, %v; want ErrNoKeyring", v, err)
	}
}

func TestZeroValuesReturnErrors(t *testing.T) {
	ctx := context.Background()
	var tr bounce.Tracker
	var nilTr *bounce.Tracker
	for name, err := range map[string]error{
		"Reserve": func() error { _, err := tr.Reserve(ctx, "a", "x@example.com", ""); return err }(),
		"Record": func() error {
			_, err := tr.Record(ctx, bounce.Outcome{Account: "a", Address: "x@example.com"})
			return err
		}(),
		"Apply":    func() error { _, err := tr.Apply(ctx, &bounce.Report{}); return err }(),
		"Received": func() error { _, err := tr.Received(ctx, "a", "x@example.com"); return err }(),
		"Gate":     func() error { _, err := tr.Gate(ctx, "a"); return err }(),
		"Prune":    func() error { _, err := nilTr.Prune(ctx); return err }(),
		"Unblock":  func() error { _, err := tr.Unblock(ctx, "a", "x@example.com"); return err }(),
		"Middleware": func() error {
			_, err := tr.Middleware()(&recorder{}).Send(ctx, &deskmail.Envelope{Account: "a", To: []string{"x@example.com"}}, nil)
			return err
		}(),
	} {
		if !errors.Is(err, bounce.ErrNoStore) {
			t.Errorf("zero Tracker %s: %v, want ErrNoStore", name, err)
		}
	}
	var v bounce.VERP
	if _, err := v.ReturnPath("a", "x@example.com", "m@x"); !errors.Is(err, bounce.ErrNoKeyring) {
		t.Errorf("zero VERP ReturnPath: %v", err)
	}
	if _, err := v.Verify("b-x@bounces.example.net"); !errors.Is(err, bounce.ErrNoKeyring) {
		t.Errorf("zero VERP Verify: %v", err)
	}
	var m bounce.MemoryStore
	if _, err := m.Get(ctx, "a", "x"); !errors.Is(err, bounce.ErrNoStore) {
		t.Errorf("zero MemoryStore Get: %v", err)
	}
}

// TestJSONRoundTrip: every value a host persists or logs has snake_case
// keys and survives a round trip.
func TestJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	st := bounce.AddressState{Account: "acme", Address: "a@example.com", State: bounce.StateSoftBlocked, SoftCount: 1, SendsLeft: 4,
		LastReason: bounce.ReasonMailboxFull, Updated: at,
		Events:  []bounce.Event{{At: at, Type: bounce.EventSoftBounce, Reason: bounce.ReasonMailboxFull, MessageID: "m@x", Detail: "552 full"}},
		Pending: []bounce.PendingSend{{MessageID: "m2@x", At: at}}, Seen: []bounce.Seen{{Key: "k", At: at}}}
	cases := []struct {
		name string
		v    any
		keys []string
	}{
		{"AddressState", &st, []string{"account", "address", "state", "soft_count", "sends_left", "last_reason", "updated", "events", "pending", "seen"}},
		{"Applied", &bounce.Applied{Attribution: bounce.Attribution{Account: "acme", MessageID: "m@x", MessageRef: "t1", Recipient: "a@example.com", Via: bounce.ViaVERP},
			States: []bounce.AddressState{st}, Ignored: []bounce.Ignored{{Address: "b@example.com", Reason: deskmail.Reason{Code: bounce.CodeNotRecipient, Text: "x"}}}},
			[]string{"attribution", "states", "ignored"}},
		{"Attribution", &bounce.Attribution{Account: "acme", MessageID: "m@x", MessageRef: "t1", Recipient: "a@example.com", Via: bounce.ViaMessageID},
			[]string{"account", "message_id", "message_ref", "recipient", "via"}},
		{"Decision", &bounce.Decision{Allowed: false, Reason: bounce.DropSoftBlocked, State: st}, []string{"allowed", "reason", "state"}},
		{"Outcome", &bounce.Outcome{Account: "acme", Address: "a@example.com", MessageID: "m@x", Reason: bounce.ReasonUserUnknown, Severity: bounce.SeverityHard,
			Status: "5.1.1", ReportID: "r@x", Detail: "550"}, []string{"account", "address", "message_id", "reason", "severity", "status", "report_id", "detail"}},
		{"SentMessage", &bounce.SentMessage{MessageID: "m@x", Recipients: []string{"a@example.com"}, At: at}, []string{"message_id", "recipients", "at"}},
		{"Delivery", &bounce.Delivery{MessageID: "m@x", Recipient: "a@example.com", Status: bounce.DeliveryHardBounce, Reason: bounce.ReasonUserUnknown, Detail: "550", Updated: at},
			[]string{"message_id", "recipient", "status", "reason", "detail", "updated"}},
		{"AccountGate", &bounce.AccountGate{Account: "acme", Sends: 10, HardBounces: 1, Rate: 0.1, Level: bounce.GateBlocked, Exempt: true},
			[]string{"account", "sends", "hard_bounces", "rate", "level", "exempt"}},
		{"AccountState", &bounce.AccountState{Account: "acme", Exempt: true, Updated: at}, []string{"account", "exempt", "updated"}},
		{"OwnedMessage", &bounce.OwnedMessage{Account: "acme", Ref: "t1"}, []string{"account", "ref"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range c.keys {
				if _, ok := m[k]; !ok {
					t.Errorf("key %q missing in %s", k, b)
				}
			}
			if len(m) != len(c.keys) {
				t.Errorf("keys of %s, want exactly %v", b, c.keys)
			}
			back := reflect.New(reflect.TypeOf(c.v).Elem())
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Interface(), c.v) {
				t.Errorf("round trip:\n got %+v\nwant %+v", back.Elem().Interface(), reflect.ValueOf(c.v).Elem().Interface())
			}
		})
	}
}

func TestTokenJSONCarriesNoReferences(t *testing.T) {
	v := mustVERP(t, "first-secret-0123456789")
	rp, _ := v.ReturnPath("acme", "a@example.com", "m@x")
	tok, _ := v.Verify(rp)
	b, _ := json.Marshal(tok)
	if string(b) != `{"account":"acme"}` || strings.Contains(string(b), "first-secret") {
		t.Errorf("Token JSON %s", b)
	}
}
