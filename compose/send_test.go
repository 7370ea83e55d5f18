package compose_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/spf"
)

// recorder is a transport that accepts every recipient and keeps what it
// was given.
type recorder struct {
	name string
	mu   sync.Mutex
	sent []sentMsg
	fail bool // answer every recipient with a relay fault
}

type sentMsg struct {
	env *deskmail.Envelope
	msg []byte
}

func (r *recorder) Send(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	r.mu.Lock()
	r.sent = append(r.sent, sentMsg{env.Clone(), append([]byte(nil), msg...)})
	r.mu.Unlock()
	if r.fail {
		res := deskmail.ResultFor(env, deskmail.StatusDeferred, 421, "4.3.0", "try later")
		for i := range res.Recipients {
			res.Recipients[i].Reason = string(relay.ClassFault)
		}
		return res, nil
	}
	res := deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", "ok")
	res.Via = r.name
	return res, nil
}

func signer(t *testing.T, domain string) *dkim.Signer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	keys := dkim.NewMemoryStore()
	if err := keys.Update(context.Background(), "acme", domain, func(s *dkim.KeyState) error {
		return s.Begin("dm1", priv, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	s, err := dkim.NewSigner(&dkim.SignerOptions{Keys: keys, RequireKey: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verp(t *testing.T) *bounce.VERP {
	v, err := bounce.NewVERP(deskmail.MustKeyring([]byte("verp secret for the compose tests")), "bounce.desk.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSendChain: Send composes, and one chain runs in order: the bounce
// gate drops a blocked address (B2), the relay for the From domain takes
// the mail within its cap (R5) and the platform the rest, every route is
// DKIM-signed (R10), and the platform VERP return path gives each
// recipient its own envelope (B8).
func TestSendChain(t *testing.T) {
	ctx := context.Background()
	platform, relayed := &recorder{name: "platform"}, &recorder{name: "relay:acme-mx"}
	tracker, err := bounce.NewTracker(bounce.NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tracker.Record(ctx, bounce.Outcome{Account: "acme", Address: "dead@customer.example", Reason: "userunknown", Severity: bounce.SeverityHard}); err != nil {
		t.Fatal(err)
	}
	s, err := compose.NewSender(&compose.SenderOptions{
		Composer: testComposer(t, nil), Transport: platform, Gate: tracker, Signer: signer(t, "acme.example"),
		Relay: &relay.Options{
			Configs:        relay.Configs{"acme": {Account: "acme", Relays: []relay.Relay{{ID: "acme-mx", Domain: "acme.example", Host: "mx.acme.example", DailyCap: 2}}}},
			RelayTransport: func(*relay.Relay) deskmail.Transport { return relayed },
		},
		ReturnPath: relay.ReturnPathPlatform, VERP: verp(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := s.Send(ctx, &compose.Draft{Account: testAccount(t), Agent: "Brad", Ticket: "9",
		To:      []deskmail.Address{addr(t, "Mary", "mary@customer.example"), addr(t, "", "dead@customer.example")},
		Subject: "Re: Help", Text: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]deskmail.RecipientResult{}
	for _, rr := range sent.Result.Recipients {
		got[rr.Recipient] = rr
	}
	if rr := got["dead@customer.example"]; rr.Status != deskmail.StatusDropped || rr.Reason != bounce.DropHardBlocked {
		t.Errorf("blocked address: %v", rr)
	}
	if got["mary@customer.example"].Status != deskmail.StatusDelivered || got["support@acme.example"].Status != deskmail.StatusDelivered {
		t.Errorf("results %v", sent.Result.Recipients)
	}
	// Mary and the auto-CC'd support address: two relay units (cap 2).
	if len(relayed.sent) != 2 || len(platform.sent) != 0 {
		t.Fatalf("relay got %d, platform %d", len(relayed.sent), len(platform.sent))
	}
	for _, m := range relayed.sent {
		if len(m.env.To) != 1 || !strings.HasSuffix(m.env.From, "@bounce.desk.example") {
			t.Errorf("envelope %+v: want one recipient and a VERP return path", m.env)
		}
		if !bytes.HasPrefix(m.msg, []byte("DKIM-Signature:")) {
			t.Errorf("relayed message not signed")
		}
	}
	// The relay's cap is used up: the next mail goes through the platform,
	// signed too.
	if _, err := s.Send(ctx, &compose.Draft{Account: testAccount(t), Ticket: "9", To: []deskmail.Address{addr(t, "", "mary@customer.example")}, Text: "again"}); err != nil {
		t.Fatal(err)
	}
	if len(platform.sent) != 2 || !bytes.HasPrefix(platform.sent[0].msg, []byte("DKIM-Signature:")) {
		t.Errorf("platform got %d messages", len(platform.sent))
	}
}

// TestSendRawSameChain: a message the host built goes through the same
// chain, with the From return path (B8) and fallback to the platform when
// the relay fails (R7).
func TestSendRawSameChain(t *testing.T) {
	ctx := context.Background()
	platform, relayed := &recorder{name: "platform"}, &recorder{name: "relay", fail: true}
	s, err := compose.NewSender(&compose.SenderOptions{
		Transport: platform, Signer: signer(t, "acme.example"),
		Relay: &relay.Options{
			Configs:        relay.Configs{"acme": {Account: "acme", Relays: []relay.Relay{{ID: "acme-mx", Domain: "acme.example", Host: "mx.acme.example"}}}},
			RelayTransport: func(*relay.Relay) deskmail.Transport { return relayed },
		},
		ReturnPath: relay.ReturnPathFrom,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: Acme <support@acme.example>\r\nTo: mary@customer.example\r\nSubject: hi\r\nMessage-ID: <x1@acme.example>\r\n\r\nhello\r\n")
	res, err := s.SendRaw(ctx, &deskmail.Envelope{Account: "acme", To: []string{"mary@customer.example"}}, raw)
	if err != nil {
		t.Fatal(err)
	}
	if rr, _ := res.Recipient("mary@customer.example"); rr.Status != deskmail.StatusDelivered || res.Via != "platform" {
		t.Errorf("result %+v via %q", rr, res.Via)
	}
	if len(relayed.sent) != 1 || len(platform.sent) != 1 {
		t.Fatalf("relay %d platform %d", len(relayed.sent), len(platform.sent))
	}
	for _, m := range append(relayed.sent, platform.sent...) {
		if m.env.From != "support@acme.example" || !bytes.HasPrefix(m.msg, []byte("DKIM-Signature:")) {
			t.Errorf("envelope from %q, signed %v", m.env.From, bytes.HasPrefix(m.msg, []byte("DKIM-Signature:")))
		}
	}
	if !bytes.HasSuffix(platform.sent[0].msg, raw) {
		t.Error("the host's message was changed beyond the signature")
	}
}

func TestNewSenderErrors(t *testing.T) {
	p := &recorder{}
	tests := []struct {
		name string
		opts *compose.SenderOptions
		want error
	}{
		{"nil", nil, compose.ErrNoTransport},
		{"no transport", &compose.SenderOptions{}, compose.ErrNoTransport},
		{"platform return path without VERP", &compose.SenderOptions{Transport: p, ReturnPath: relay.ReturnPathPlatform}, compose.ErrNoVERP},
		{"fixed return path without address", &compose.SenderOptions{Transport: p, ReturnPath: relay.ReturnPathFixed}, compose.ErrNoBounceAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compose.NewSender(tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
	s, _ := compose.NewSender(&compose.SenderOptions{Transport: p})
	if _, err := s.Send(context.Background(), &compose.Draft{}); !errors.Is(err, compose.ErrNoComposer) {
		t.Errorf("Send without composer: %v", err)
	}
}

// TestR12ExplainReturnPath: the Sender explains its return-path choice
// with senderauth.Explain: the platform VERP through a customer's relay
// fails SPF, and the aligned DKIM signature carries DMARC.
func TestR12ExplainReturnPath(t *testing.T) {
	zone := dnstest.New()
	zone.AddTXT("bounce.desk.example", "v=spf1 ip4:198.51.100.0/24 -all")
	zone.AddTXT("acme.example", "v=spf1 ip4:203.0.113.5 -all")
	zone.AddTXT("_dmarc.acme.example", "v=DMARC1; p=reject")
	relayIP := netip.MustParseAddr("203.0.113.5")
	tests := []struct {
		name     string
		opts     compose.SenderOptions
		spf      spf.Result
		dmarcOK  bool
		adviceIn string
	}{
		{"platform VERP through the relay, signed", compose.SenderOptions{ReturnPath: relay.ReturnPathPlatform, VERP: verp(t), Signer: signer(t, "acme.example")}, spf.Fail, true, ""},
		{"From return path through the relay, unsigned", compose.SenderOptions{ReturnPath: relay.ReturnPathFrom}, spf.Pass, true, ""},
		{"platform VERP, unsigned", compose.SenderOptions{ReturnPath: relay.ReturnPathPlatform, VERP: verp(t)}, spf.Fail, false, "DKIM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Transport = &recorder{}
			s, err := compose.NewSender(&o)
			if err != nil {
				t.Fatal(err)
			}
			ex, err := s.ExplainReturnPath(context.Background(), "support@acme.example", relayIP, "", &senderauth.Options{Resolver: zone})
			if err != nil {
				t.Fatal(err)
			}
			pass := ex.DMARC != nil && ex.DMARC.Outcome == dmarc.Pass
			if ex.SPF.Result != tt.spf || pass != tt.dmarcOK {
				t.Errorf("SPF %s, DMARC %+v; summary %q", ex.SPF.Result, ex.DMARC, ex.Summary)
			}
			if tt.adviceIn != "" && !strings.Contains(strings.Join(ex.Advice, " "), tt.adviceIn) {
				t.Errorf("advice %q lacks %q", ex.Advice, tt.adviceIn)
			}
		})
	}
}
