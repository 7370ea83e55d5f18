package inbound_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/inbound/allow"
	"github.com/deskmail/deskmail/threading"
)

// misconfigured is mary's second mail server, missing from customer.example's
// SPF record: its mail fails DMARC under p=reject and is suspended.
var misconfigured = netip.MustParseAddr("203.0.113.66")

func fromMisconfigured(ip netip.Addr, from string) *deskmail.Envelope {
	return &deskmail.Envelope{From: from, To: []string{"support@acme.desk.example"}, ClientIP: ip, HELO: "mail2.customer.example"}
}

func withAllow(s allow.Store) func(*inbound.Options) {
	return func(o *inbound.Options) { o.Allow, o.Now = s, func() time.Time { return fixedNow } }
}

func TestRecover(t *testing.T) {
	ctx := context.Background()
	raw := mail("Please ship to my new address", "From: Mary <mary@customer.example>", "To: support@acme.example", "Subject: Shipping")
	joe := mail("Me too", "From: Joe <joe@customer.example>", "To: support@acme.example", "Subject: Shipping")

	t.Run("D4/recovering a suspended mail files it as held and records an entry", func(t *testing.T) {
		st := allow.NewMemoryStore()
		w := newWorld(t, withAllow(st))
		env := fromMisconfigured(misconfigured, "mary@customer.example")
		d := w.process(t, env, raw)
		if d.Action != inbound.ActionSuspend || d.Held != inbound.ActionNewTicket {
			t.Fatalf("got %s (%s)", summary(d), codes(d))
		}
		r, err := w.p.Recover(ctx, env, []byte(raw), inbound.Recovery{By: "agent-brad"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != inbound.ActionNewTicket || !r.Recovered || r.Allow == nil || r.Authenticated {
			t.Fatalf("recovered: %s", summary(r))
		}
		if _, ok := r.Why(inbound.CodeRecovered); !ok {
			t.Fatalf("no recovered reason: %s", codes(r))
		}
		want := allow.Entry{Key: allow.Key{Account: "acme", Sender: "mary@customer.example", Failure: inbound.CodeAuthFail, SPF: "fail", SPFDomain: "customer.example", DKIM: "none", Network: netip.MustParsePrefix("203.0.113.0/24")}, By: "agent-brad", At: fixedNow}
		if *r.Allow != want {
			t.Fatalf("entry %+v\nwant  %+v", *r.Allow, want)
		}
		if l, _ := st.List(ctx, "acme"); len(l) != 1 || l[0] != want {
			t.Fatalf("store holds %+v", l)
		}
	})

	st := allow.NewMemoryStore()
	w := newWorld(t, withAllow(st))
	if _, err := w.p.Recover(ctx, fromMisconfigured(misconfigured, "mary@customer.example"), []byte(raw), inbound.Recovery{By: "agent-brad"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    *deskmail.Envelope
		raw    string
		action inbound.Action
		code   string
	}{
		{"D4/the same sender failing the same way from the same network is let through",
			fromMisconfigured(netip.MustParseAddr("203.0.113.99"), "mary@customer.example"), raw, inbound.ActionNewTicket, inbound.CodeAuthAllowed},
		{"D4/another network is suspended",
			fromMisconfigured(netip.MustParseAddr("203.0.114.66"), "mary@customer.example"), raw, inbound.ActionSuspend, inbound.CodeAuthFail},
		{"D4/another address of the domain is suspended",
			fromMisconfigured(misconfigured, "joe@customer.example"), joe, inbound.ActionSuspend, inbound.CodeAuthFail},
		{"D4/another envelope domain is suspended",
			fromMisconfigured(misconfigured, "bounce@evil.example"), raw, inbound.ActionSuspend, inbound.CodeAuthFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := w.process(t, tc.env, tc.raw)
			if _, ok := d.Why(tc.code); d.Action != tc.action || !ok {
				t.Fatalf("got %s", summary(d))
			}
			if tc.action != inbound.ActionSuspend && (d.Allow == nil || d.Authenticated) {
				t.Fatalf("let through without naming its entry, or as authenticated: %s", summary(d))
			}
		})
	}

	t.Run("D4/a domain entry lets the domain's other addresses through the same network", func(t *testing.T) {
		w := newWorld(t, withAllow(allow.NewMemoryStore()))
		env := fromMisconfigured(misconfigured, "mary@customer.example")
		r, err := w.p.Recover(ctx, env, []byte(raw), inbound.Recovery{By: "agent-brad", Scope: inbound.ScopeDomain})
		if err != nil || r.Allow == nil || r.Allow.Sender != "customer.example" {
			t.Fatalf("Recover = %+v, %v", r, err)
		}
		d := w.process(t, fromMisconfigured(misconfigured, "joe@customer.example"), joe)
		if d.Action != inbound.ActionNewTicket {
			t.Fatalf("got %s", summary(d))
		}
	})

	t.Run("D4/an entry grants no agent privileges", func(t *testing.T) {
		w := newWorld(t, withAllow(allow.NewMemoryStore()))
		w.zone.AddTXT("_dmarc.acme.example", "v=DMARC1; p=reject")
		spoof := mail("Close this", "From: Brad <brad@acme.example>", "To: support@acme.example", "Subject: [#1001] refund approved")
		env := fromMisconfigured(misconfigured, "brad@acme.example")
		r, err := w.p.Recover(ctx, env, []byte(spoof), inbound.Recovery{By: "lena"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != inbound.ActionNewTicket || r.Agent || r.Ticket != "" {
			t.Fatalf("recovered spoof: %s", summary(r))
		}
		d := w.process(t, env, spoof)
		if d.Action != inbound.ActionNewTicket || d.Agent || d.Ticket != "" {
			t.Fatalf("allowed spoof: %s", summary(d))
		}
	})

	t.Run("D4/a DNS failure is recovered once and records nothing", func(t *testing.T) {
		st := allow.NewMemoryStore()
		w := newWorld(t, withAllow(st))
		w.zone.SetFault("_dmarc.customer.example", dnstest.ServFail, dnstest.TypeTXT)
		env := fromMisconfigured(misconfigured, "mary@customer.example")
		r, err := w.p.Recover(ctx, env, []byte(raw), inbound.Recovery{By: "agent-brad"})
		if err != nil || r.Action != inbound.ActionNewTicket || r.Allow != nil {
			t.Fatalf("Recover = %s, %v", summary(r), err)
		}
		if l, _ := st.List(ctx, "acme"); len(l) != 0 {
			t.Fatalf("a DNS failure recorded %+v", l)
		}
	})

	t.Run("D4/recovering a mail that is not suspended changes nothing", func(t *testing.T) {
		st := allow.NewMemoryStore()
		w := newWorld(t, withAllow(st))
		r, err := w.p.Recover(ctx, fromCustomer("support@acme.desk.example"), []byte(raw), inbound.Recovery{By: "agent-brad"})
		if err != nil || r.Action != inbound.ActionNewTicket || r.Recovered || r.Allow != nil {
			t.Fatalf("Recover = %s, %v", summary(r), err)
		}
		r, err = w.p.Recover(ctx, fromCustomer("support@acme.desk.example"), []byte("\r\n"), inbound.Recovery{By: "agent-brad"})
		if err != nil || r.Action != inbound.ActionSuspend || r.Recovered {
			t.Fatalf("Recover of a malformed mail = %s, %v", summary(r), err)
		}
		if l, _ := st.List(ctx, "acme"); len(l) != 0 {
			t.Fatalf("recorded %+v", l)
		}
	})

	t.Run("Recover needs a store and a name", func(t *testing.T) {
		w := newWorld(t, nil)
		if _, err := w.p.Recover(ctx, fromCustomer(), []byte(raw), inbound.Recovery{By: "x"}); !errors.Is(err, inbound.ErrNoAllowStore) {
			t.Fatalf("without Options.Allow: %v", err)
		}
		w = newWorld(t, withAllow(allow.NewMemoryStore()))
		if _, err := w.p.Recover(ctx, fromCustomer(), []byte(raw), inbound.Recovery{}); !errors.Is(err, inbound.ErrNoRecoverer) {
			t.Fatalf("without By: %v", err)
		}
	})
}

// failingAllow is an allow store whose every call fails.
type failingAllow struct{ err error }

func (f failingAllow) Put(context.Context, allow.Entry) error { return f.err }
func (f failingAllow) Find(context.Context, ...allow.Key) (allow.Entry, error) {
	return allow.Entry{}, f.err
}
func (f failingAllow) Delete(context.Context, allow.Key) error             { return f.err }
func (f failingAllow) List(context.Context, string) ([]allow.Entry, error) { return nil, f.err }

// TestErrTemporary: a failing host callback or store, or a cancelled
// context, is an error matching ErrTemporary and the callback's own error,
// never a decision.
func TestErrTemporary(t *testing.T) {
	boom := errors.New("db down")
	raw := []byte(mail("Hi", "From: mary@customer.example", "To: support@acme.example", "Subject: Re: x", "In-Reply-To: <a@b.example>"))
	spoof := []byte(mail("Hi", "From: mary@customer.example", "To: support@acme.example", "Subject: x"))
	tests := []struct {
		name string
		mod  func(*inbound.Options)
		env  *deskmail.Envelope
		raw  []byte
	}{
		{"agents", func(o *inbound.Options) {
			o.Agents = threading.AgentsFunc(func(context.Context, string, string) (threading.Agent, error) { return threading.Agent{}, boom })
		}, fromCustomer("support@acme.desk.example"), raw},
		{"allow", func(o *inbound.Options) { o.Allow = failingAllow{boom} }, spoofed("mary@customer.example"), spoof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.mod)
			d, err := w.p.Process(context.Background(), tc.env, tc.raw)
			if !errors.Is(err, inbound.ErrTemporary) || !errors.Is(err, boom) || d != nil {
				t.Fatalf("Process = %v, %v; want an error matching ErrTemporary and the callback's", d, err)
			}
			var te *inbound.TemporaryError
			if !errors.As(err, &te) || te.Step != tc.name || !strings.HasPrefix(err.Error(), "inbound: ") {
				t.Fatalf("error %q (%#v)", err, te)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		w := newWorld(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := w.p.Process(ctx, fromCustomer("support@acme.desk.example"), raw); !errors.Is(err, inbound.ErrTemporary) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}
