package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

// TestJSONRoundTrip: every value a host persists or logs has snake_case
// keys and survives a round trip; a relay's time zone travels as its IANA
// name.
func TestJSONRoundTrip(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	cfg := relay.Config{Account: "acme", Plan: relay.Plan{DailyTotal: 5000}, CountMessages: true, Location: tokyo,
		Relays: []relay.Relay{{ID: "r1", Domain: "acme.example", Host: "smtp.acme.example", Port: 465, Security: relay.SecurityTLS,
			Auth: relay.AuthXOAUTH2, Username: "u@acme.example", Kinds: []deskmail.Kind{deskmail.KindMass}, DailyCap: 2000,
			ReturnPath: relay.ReturnPathFixed, BounceAddress: "b@acme.example", Identity: ""}}}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"location":"Asia/Tokyo"`) || !strings.Contains(string(b), `"daily_cap":2000`) || !strings.Contains(string(b), `"count_messages":true`) {
		t.Errorf("config JSON %s", b)
	}
	var back relay.Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Location.String() != "Asia/Tokyo" || !reflect.DeepEqual(back.Relays, cfg.Relays) || back.Plan != cfg.Plan || !back.CountMessages {
		t.Errorf("round trip: %+v", back)
	}
	// UTC is left out and comes back as nil (UTC).
	b, _ = json.Marshal(relay.Config{Account: "a", Location: time.UTC})
	if strings.Contains(string(b), "location") {
		t.Errorf("UTC written: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"account":"a","location":"Mars/Olympus"}`), &back); err == nil {
		t.Error("unknown zone accepted")
	}
	if _, err := json.Marshal(relay.Config{Account: "a", Location: time.FixedZone("JST", 9*3600)}); err == nil {
		t.Error("a fixed zone, which cannot round-trip, was serialised")
	}
	if err := (&relay.Config{Account: "a", Location: time.FixedZone("JST", 9*3600)}).Validate(); !errors.Is(err, relay.ErrInvalidConfig) {
		t.Errorf("Validate accepts a fixed zone: %v", err)
	}

	for _, v := range []any{
		relay.Route{Relay: &cfg.Relays[0], Reservation: relay.Reservation{Account: "acme", Relay: "r1", Day: relay.DayOf(time.Unix(0, 0), nil), N: 2, RelayCap: 3}, Reason: "relay"},
		&relay.LimitError{Account: "acme", Day: relay.DayOf(time.Unix(0, 0), nil), Limit: 5},
		relay.ConfigError{Relay: "r1", Field: "port", Reason: "bad"},
		relay.ProbeResult{Stage: relay.StageAuth, Code: 535, EnhancedCode: "5.7.8", Message: "no"},
		relay.BreakerState{Faults: 2, Open: true},
		relay.Usage{Total: 3, Relays: map[string]int64{"r1": 2}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range jsonKeys(t, b) {
			if k != strings.ToLower(k) || strings.Contains(k, "-") {
				t.Errorf("%T: key %q is not snake_case", v, k)
			}
		}
		back := reflect.New(reflect.TypeOf(v)).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Errorf("%T: %v", v, err)
		}
		if got := reflect.ValueOf(back).Elem().Interface(); !reflect.DeepEqual(got, v) {
			t.Errorf("%T round trip:\n got %#v\nwant %#v", v, got, v)
		}
	}
	e := &relay.Error{Relay: "smtp.acme.example:587", Stage: relay.StageAuth, Class: relay.ClassFault, Reply: relay.Reply{Code: 535, EnhancedCode: "5.7.8", Message: "bad credentials"}}
	b, _ = json.Marshal(e)
	if !strings.Contains(string(b), `"stage":"auth"`) || !strings.Contains(string(b), `"error":"relay: smtp.acme.example:587: auth: 535 5.7.8 bad credentials"`) {
		t.Errorf("error JSON %s", b)
	}
}

func jsonKeys(t *testing.T, b []byte) []string {
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, v := range x {
				if k != "r1" { // a map key (relay ID), not a field
					keys = append(keys, k)
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(m)
	return keys
}

// TestSecretsNeverSerialised: an OAuth token's access token is not
// written by encoding/json.
func TestSecretsNeverSerialised(t *testing.T) {
	b, err := json.Marshal(relay.Token{AccessToken: testToken, Expiry: time.Unix(100, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), testToken) || !strings.Contains(string(b), "expiry") {
		t.Errorf("token JSON %s", b)
	}
}

func TestConstructorSentinels(t *testing.T) {
	if _, err := relay.NewRouter(nil); !errors.Is(err, relay.ErrNoConfigSource) {
		t.Errorf("NewRouter(nil): %v", err)
	}
	if _, err := relay.NewRouter(&relay.Options{Configs: relay.Configs{}}); !errors.Is(err, relay.ErrNoPlatform) {
		t.Errorf("NewRouter without platform: %v", err)
	}
	if _, err := relay.Middleware(&relay.Options{}); !errors.Is(err, relay.ErrNoConfigSource) {
		t.Errorf("Middleware without configs: %v", err)
	}
}

// TestIdentityRoute: an identity's own SMTP server (A8) carries that
// address's mail within its own daily limit (R13), never falls back to
// the platform, and a refused login calls the AuthNotifier (changed
// credentials need re-authentication).
func TestIdentityRoute(t *testing.T) {
	srv := smtptest.New(t, &smtptest.Options{Users: map[string]string{"brad@example.com": testPassword}})
	id := relayFor("identity:brad@example.com", srv)
	id.Identity, id.Auth, id.Username, id.DailyCap = "Brad@example.com", relay.AuthPlain, "brad@example.com", 1
	cfg := &relay.Config{Account: testAccount, AnyPort: true, Relays: []relay.Relay{id}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	plat := &platform{}
	var authFailed []string
	router, err := relay.NewRouter(&relay.Options{
		Configs: relay.Configs{testAccount: cfg}, Platform: plat,
		SMTP: &relay.SMTPOptions{CommandTimeout: 2 * time.Second, DataTimeout: 2 * time.Second,
			Passwords: relay.PasswordFunc(func(ctx context.Context, account, relayID string) (string, error) { return testPassword, nil })},
		AuthFailed: relay.AuthNotifierFunc(func(ctx context.Context, account string, r relay.Relay, err error) error {
			authFailed = append(authFailed, r.Identity)
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send := func(from string) (*deskmail.Result, error) {
		env := &deskmail.Envelope{Account: testAccount, From: from, To: []string{"x@example.net"}, MessageID: "m1@example.com"}
		return router.Send(ctx, env, testMsg(from))
	}
	res, err := send("brad@example.com")
	if err != nil || res.Via != "relay:identity:brad@example.com" || len(srv.Messages()) != 1 {
		t.Fatalf("A8: via %q, %v", res.Via, err)
	}
	// Another address of the domain does not use the identity's server.
	if res, err := send("support@example.com"); err != nil || res.Via != "platform" {
		t.Fatalf("other address via %q, %v", res.Via, err)
	}
	// R13: the server's own limit is used up; the platform does not send.
	if _, err := send("brad@example.com"); !errors.Is(err, relay.ErrIdentityUnavailable) || len(plat.sent) != 1 {
		t.Fatalf("over the identity's limit: %v, platform sent %d", err, len(plat.sent))
	}
	// Changed password: the server refuses the login; no fallback, and the
	// host is told.
	srv2 := smtptest.New(t, &smtptest.Options{Users: map[string]string{"brad@example.com": "x"}, Fault: smtptest.Fault{AuthFail: true}})
	id2 := relayFor("identity:brad@example.com", srv2)
	id2.Identity, id2.Auth, id2.Username = "brad@example.com", relay.AuthPlain, "brad@example.com"
	cfg.Relays = []relay.Relay{id2}
	res, err = send("brad@example.com")
	if err == nil || res.Recipients[0].Status != deskmail.StatusDeferred || len(plat.sent) != 1 {
		t.Fatalf("refused login: %s, %v, platform sent %d", statuses(res), err, len(plat.sent))
	}
	if len(authFailed) != 1 || authFailed[0] != "brad@example.com" {
		t.Fatalf("auth notifier calls %v", authFailed)
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Fatal("password in the error")
	}
}
