package relay_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

func TestConfigValidate(t *testing.T) {
	base := func() *relay.Config {
		return &relay.Config{Account: "a", Relays: []relay.Relay{{ID: "r1", Domain: "example.com", Host: "smtp.example.com", Port: 587}}}
	}
	tests := []struct {
		name      string
		edit      func(c *relay.Config)
		wantErr   string
		planLimit bool
	}{
		{"R1/valid relay", func(c *relay.Config) {}, "", false},
		{"R1/six domains over the default five", func(c *relay.Config) {
			for i := 2; i <= 6; i++ {
				c.Relays = append(c.Relays, relay.Relay{ID: fmt.Sprintf("r%d", i), Domain: fmt.Sprintf("d%d.example", i), Host: "h"})
			}
		}, "6 sending domains have relays; the plan allows 5", true},
		{"R1/four relays on a domain over the default three", func(c *relay.Config) {
			for i := 2; i <= 4; i++ {
				c.Relays = append(c.Relays, relay.Relay{ID: fmt.Sprintf("r%d", i), Domain: "Example.COM", Host: "h"})
			}
		}, "domain example.com has 4 relays; the plan allows 3 per domain", true},
		{"R1/plan of five relays per domain allows four", func(c *relay.Config) {
			c.Plan.MaxRelaysPerDomain = 5
			for i := 2; i <= 4; i++ {
				c.Relays = append(c.Relays, relay.Relay{ID: fmt.Sprintf("r%d", i), Domain: "example.com", Host: "h"})
			}
		}, "", false},
		{"R2/port 2525", func(c *relay.Config) { c.Relays[0].Port = 2525 }, "2525 is not 25, 465 or 587", false},
		{"R2/465 without TLS", func(c *relay.Config) { c.Relays[0].Port = 465; c.Relays[0].Security = relay.SecuritySTARTTLS }, "port 465 expects implicit TLS", false},
		{"R2/unknown security", func(c *relay.Config) { c.Relays[0].Security = "ssl3" }, `"ssl3" is not tls, starttls or none`, false},
		{"R3/auth without user", func(c *relay.Config) { c.Relays[0].Auth = relay.AuthPlain }, "username: is required", false},
		{"R3/unknown mechanism", func(c *relay.Config) { c.Relays[0].Auth = "CRAM-MD5"; c.Relays[0].Username = "u" }, `"CRAM-MD5" is not`, false},
		{"R4/unknown kind", func(c *relay.Config) { c.Relays[0].Kinds = []deskmail.Kind{"spam"} }, `"spam" is not a mail kind`, false},
		{"R5/negative cap", func(c *relay.Config) { c.Relays[0].DailyCap = -1 }, "daily_cap: is negative", false},
		{"R9/duplicate id", func(c *relay.Config) { c.Relays = append(c.Relays, c.Relays[0]) }, "is used by another relay", false},
		{"B8/fixed return path without address", func(c *relay.Config) { c.Relays[0].ReturnPath = relay.ReturnPathFixed }, "bounce_address", false},
		{"R1/bad domain", func(c *relay.Config) { c.Relays[0].Domain = "exa_mple..com" }, "is not a domain name", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
			if !errors.Is(err, relay.ErrInvalidConfig) {
				t.Error("not ErrInvalidConfig")
			}
			if errors.Is(err, relay.ErrPlanLimit) != tc.planLimit {
				t.Errorf("errors.Is(ErrPlanLimit) = %v", !tc.planLimit)
			}
			var ce *relay.ConfigError
			if !errors.As(err, &ce) {
				t.Error("not a *ConfigError")
			}
		})
	}
}

func TestKinds(t *testing.T) {
	srvMass := smtptest.New(t, nil)
	f := newFixture(t, nil, func(c *relay.Config) {
		c.Relays[0].Kinds = []deskmail.Kind{deskmail.KindWorkflow, deskmail.KindIndividual}
		r2 := relayFor("mass", srvMass)
		r2.Kinds = []deskmail.Kind{deskmail.KindMass}
		c.Relays = append(c.Relays, r2)
	})
	for _, tc := range []struct {
		kind deskmail.Kind
		via  string
	}{
		{deskmail.KindWorkflow, "relay:r1"},
		{deskmail.KindIndividual, "relay:r1"},
		{deskmail.KindMass, "relay:mass"},
		{deskmail.KindReply, "platform"},
		{deskmail.KindNotification, "platform"},
	} {
		t.Run("R4/"+string(tc.kind), func(t *testing.T) {
			res, err := f.sendKind(tc.kind, "a@example.net")
			if err != nil || res.Via != tc.via {
				t.Fatalf("via %q, %v; want %q", res.Via, err, tc.via)
			}
		})
	}
	t.Run("R1/other From domain goes through the platform", func(t *testing.T) {
		env := &deskmail.Envelope{Account: testAccount, To: []string{"a@example.net"}, Kind: deskmail.KindWorkflow, HeaderFrom: "x@other.example"}
		res, err := f.router.Send(context.Background(), env, testMsg("support@example.com"))
		if err != nil || res.Via != "platform" {
			t.Fatalf("via %q, %v", res.Via, err)
		}
	})
}

func TestDisabled(t *testing.T) {
	f := newFixture(t, nil, func(c *relay.Config) { c.Relays[0].Disabled = true })
	res, err := f.send("a@example.net")
	if err != nil || res.Via != "platform" || len(f.srv.Messages()) != 0 {
		t.Fatalf("R9/disabled relay used: via %q, %v", res.Via, err)
	}
}

func TestRelayCapAndRollover(t *testing.T) {
	f := newFixture(t, nil, func(c *relay.Config) {
		c.Relays[0].DailyCap = 3
		c.Location, _ = time.LoadLocation("Asia/Tokyo")
	})
	// 09:00 UTC is 18:00 JST.
	for i := 0; i < 3; i++ {
		if res, _ := f.send(fmt.Sprintf("u%d@example.net", i)); res.Via != "relay:r1" {
			t.Fatalf("send %d via %q", i, res.Via)
		}
	}
	res, err := f.send("two@example.net", "recipients@example.net")
	if err != nil || res.Via != "platform" {
		t.Fatalf("R5/over the cap: via %q, %v", res.Via, err)
	}
	if u := f.usage(); u.Relays["r1"] != 3 || u.Total != 5 {
		t.Fatalf("usage %+v", u)
	}
	f.clock.Add(5*time.Hour + 59*time.Minute) // 23:59 JST
	if res, _ := f.send("late@example.net"); res.Via != "platform" {
		t.Fatalf("R5/same JST day: via %q", res.Via)
	}
	f.clock.Add(time.Minute) // 00:00 JST, still 15:00 UTC on the same UTC day
	if res, _ := f.send("next@example.net"); res.Via != "relay:r1" {
		t.Fatalf("R5/next day in the account's zone: via %q", res.Via)
	}
}

func TestCountMessages(t *testing.T) {
	f := newFixture(t, nil, func(c *relay.Config) { c.CountMessages = true; c.Relays[0].DailyCap = 2 })
	for i := 0; i < 2; i++ {
		if res, _ := f.send("a@example.net", "b@example.net", "c@example.net"); res.Via != "relay:r1" {
			t.Fatalf("R13/message %d via %q", i, res.Via)
		}
	}
	if res, _ := f.send("a@example.net"); res.Via != "platform" {
		t.Fatalf("R13/third message via %q", res.Via)
	}
	if u := f.usage(); u.Relays["r1"] != 2 || u.Total != 3 {
		t.Fatalf("usage %+v", u)
	}
}

func TestSharedPlanTotal(t *testing.T) {
	// R6: 5,000 a day with 2,000 relayed leaves 3,000 direct.
	cfg := &relay.Config{Account: "a", Plan: relay.Plan{DailyTotal: 5000},
		Relays: []relay.Relay{{ID: "r1", Domain: "example.com", Host: "relay.invalid", DailyCap: 2000}}}
	plat := &platform{}
	relayCount := 0
	r, err := relay.NewRouter(&relay.Options{
		Configs: relay.Configs{"a": cfg}, Platform: plat, Now: newClock().Now,
		RelayTransport: func(rl *relay.Relay) deskmail.Transport {
			return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
				relayCount++
				return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", ""), nil
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}, HeaderFrom: "s@example.com"}
	for i := 0; i < 5000; i++ {
		if _, err := r.Send(context.Background(), env, nil); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if relayCount != 2000 || len(plat.sent) != 3000 {
		t.Fatalf("relayed %d, direct %d; want 2000 and 3000", relayCount, len(plat.sent))
	}
	_, err = r.Send(context.Background(), env, nil)
	var le *relay.LimitError
	if !errors.Is(err, relay.ErrPlanCapReached) || !errors.As(err, &le) || le.Limit != 5000 {
		t.Fatalf("5,001st send: %v, want *LimitError", err)
	}
}

func TestFallback(t *testing.T) {
	rcpt := "a@example.net"
	faults := []struct {
		name  string
		opts  smtptest.Options
		edit  func(*relay.Config)
		class string
	}{
		{"R7/connection refused", smtptest.Options{Fault: smtptest.Fault{Refuse: true}}, nil, "fault"},
		{"R7/hang at greeting", smtptest.Options{Fault: smtptest.Fault{HangGreeting: true}}, nil, "fault"},
		{"R7/STARTTLS not offered", smtptest.Options{}, func(c *relay.Config) { c.Relays[0].Security = relay.SecuritySTARTTLS }, "fault"},
		{"R7/wrong certificate", smtptest.Options{Security: smtptest.ImplicitTLS, Fault: smtptest.Fault{WrongCert: true}}, nil, "fault"},
		{"R7/535 on AUTH", smtptest.Options{Users: map[string]string{"u": "x"}, Fault: smtptest.Fault{AuthFail: true}},
			func(c *relay.Config) { c.Relays[0].Auth = relay.AuthPlain; c.Relays[0].Username = "u" }, "fault"},
		{"R7/relaying denied at MAIL", smtptest.Options{Fault: smtptest.Fault{Mail: &smtptest.Reply{Code: 550, EnhancedCode: "5.7.1", Message: "Relaying denied"}}}, nil, "fault"},
		{"R7/4xx at MAIL", smtptest.Options{Fault: smtptest.Fault{Mail: &smtptest.Reply{Code: 421, EnhancedCode: "4.3.2", Message: "Try later"}}}, nil, "fault"},
		{"R7/relay access denied at RCPT", smtptest.Options{Fault: smtptest.Fault{RcptAll: &smtptest.Reply{Code: 554, EnhancedCode: "5.7.1", Message: "Relay access denied"}}}, nil, "fault"},
		{"R7/4xx at RCPT", smtptest.Options{Fault: smtptest.Fault{RcptAll: &smtptest.Reply{Code: 451, EnhancedCode: "4.3.0"}}}, nil, "fault"},
		{"R7/4xx after DATA", smtptest.Options{Fault: smtptest.Fault{Data: &smtptest.Reply{Code: 451, EnhancedCode: "4.3.0"}}}, nil, "fault"},
		{"R7/quota 550 5.4.5 after DATA", smtptest.Options{Fault: smtptest.Fault{Data: &smtptest.Reply{Code: 550, EnhancedCode: "5.4.5", Message: "Daily user sending quota exceeded"}}}, nil, "quota"},
		{"R7/quota at MAIL", smtptest.Options{Fault: smtptest.Fault{Mail: &smtptest.Reply{Code: 550, EnhancedCode: "5.4.5", Message: "Daily sending quota exceeded"}}}, nil, "quota"},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			f := newFixture(t, &opts, func(c *relay.Config) {
				c.Relays[0].DailyCap = 10
				if tc.edit != nil {
					tc.edit(c)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			env := &deskmail.Envelope{Account: testAccount, To: []string{rcpt}}
			res, err := f.router.Send(ctx, env, testMsg("support@example.com"))
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if res.Via != "platform" || res.Recipients[0].Status != deskmail.StatusDelivered || !slices.Equal(f.plat.recipients(), []string{rcpt}) {
				t.Fatalf("not sent through the platform: %s via %q", statuses(res), res.Via)
			}
			if len(f.srv.Messages()) != 0 {
				t.Fatal("the relay also got the mail")
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("took %v: a stage was not bounded by the context", time.Since(start))
			}
			u := f.usage()
			if u.Relays["r1"] != 0 || u.Total != 1 {
				t.Fatalf("usage %+v: relay units not moved to the platform", u)
			}
			st, _ := f.store.Breaker(context.Background(), testAccount, "r1", relay.DayOf(f.clock.Now(), nil))
			if tc.class == "quota" && (!st.Exhausted || st.Faults != 0) {
				t.Fatalf("R8/quota: breaker %+v, want exhausted without a fault", st)
			}
			if tc.class == "fault" && (st.Faults != 1 || st.Exhausted) {
				t.Fatalf("breaker %+v, want one fault", st)
			}
		})
	}
}

// notFound is a dialer whose every lookup fails, so the DNS stage is
// tested without touching the network.
type notFound struct{}

func (notFound) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}}
}

func TestDNSFault(t *testing.T) {
	plat := &platform{}
	r, _ := relay.NewRouter(&relay.Options{
		Configs:  relay.Configs{"a": {Account: "a", Relays: []relay.Relay{{ID: "r1", Domain: "example.com", Host: "smtp.example.com"}}}},
		Platform: plat,
		SMTP:     &relay.SMTPOptions{Dialer: notFound{}},
	})
	res, err := r.Send(context.Background(), &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, testMsg("s@example.com"))
	if err != nil || res.Via != "platform" || len(plat.recipients()) != 1 {
		t.Fatalf("R7/DNS failure: via %q, %v", res.Via, err)
	}
	p := relay.NewDialer(&relay.SMTPOptions{Dialer: notFound{}}).Probe(context.Background(), "a", &relay.Relay{ID: "r1", Host: "smtp.example.com"})
	if p.Stage != relay.StageDNS || !strings.Contains(p.Message, "could not be resolved") {
		t.Fatalf("R14/probe = %+v", p)
	}
}

func TestBounceIsNotResent(t *testing.T) {
	f := newFixture(t, &smtptest.Options{Fault: smtptest.Fault{Rcpt: map[string]*smtptest.Reply{
		"gone@example.net":  {Code: 550, EnhancedCode: "5.1.1", Message: "No such user"},
		"later@example.net": {Code: 452, EnhancedCode: "4.2.2", Message: "Mailbox busy"},
	}}}, nil)
	res, err := f.send("ok@example.net", "gone@example.net", "later@example.net")
	if err != nil {
		t.Fatal(err)
	}
	want := "ok@example.net=delivered gone@example.net=rejected later@example.net=delivered"
	if got := statuses(res); got != want {
		t.Fatalf("R7/partial: %s, want %s", got, want)
	}
	gone := res.Recipients[1]
	if gone.Code != 550 || gone.EnhancedCode != "5.1.1" || gone.Reason != "bounce" {
		t.Fatalf("bounce reported as %+v", gone)
	}
	if !slices.Equal(relayed(f.srv), []string{"ok@example.net"}) || !slices.Equal(f.plat.recipients(), []string{"later@example.net"}) {
		t.Fatalf("relay got %v, platform got %v", relayed(f.srv), f.plat.recipients())
	}
	if res.Via != "relay:r1,platform" {
		t.Errorf("via %q", res.Via)
	}
	st, _ := f.store.Breaker(context.Background(), testAccount, "r1", relay.DayOf(f.clock.Now(), nil))
	if st.Faults != 0 {
		t.Errorf("a partly accepted send counted as a fault: %+v", st)
	}
}

func TestNoSecondDeliveryAfterData(t *testing.T) {
	f := newFixture(t, &smtptest.Options{Fault: smtptest.Fault{DropAfterData: true}}, nil)
	res, err := f.send("a@example.net", "b@example.net")
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); got != "a@example.net=unknown b@example.net=unknown" {
		t.Fatalf("got %s", got)
	}
	if len(f.plat.recipients()) != 0 {
		t.Fatalf("R7/resent after DATA: platform got %v", f.plat.recipients())
	}
	if len(f.srv.Messages()) != 1 {
		t.Fatal("server did not get the data")
	}
	t.Run("bounce after DATA is final", func(t *testing.T) {
		f.srv.SetFault(smtptest.Fault{Data: &smtptest.Reply{Code: 554, EnhancedCode: "5.6.0", Message: "Message content rejected"}})
		res, _ := f.send("c@example.net")
		if res.Recipients[0].Status != deskmail.StatusRejected || len(f.plat.recipients()) != 0 {
			t.Fatalf("%s, platform %v", statuses(res), f.plat.recipients())
		}
	})
}

func TestBreaker(t *testing.T) {
	f := newFixture(t, &smtptest.Options{Fault: smtptest.Fault{Mail: &smtptest.Reply{Code: 451, EnhancedCode: "4.3.0"}}}, nil)
	for i := 1; i <= 3; i++ {
		if res, _ := f.send("a@example.net"); res.Via != "platform" {
			t.Fatalf("send %d via %q", i, res.Via)
		}
	}
	if n := f.srv.Connections(); n != 3 {
		t.Fatalf("relay tried %d times, want 3", n)
	}
	if len(f.notified) != 1 || f.notified[0] != "acme/r1/2026-03-14" {
		t.Fatalf("R8/notified %v, want once", f.notified)
	}
	f.srv.SetFault(smtptest.Fault{})
	for i := 0; i < 3; i++ {
		if res, _ := f.send("b@example.net"); res.Via != "platform" {
			t.Fatalf("R8/broken relay used: via %q", res.Via)
		}
	}
	if n := f.srv.Connections(); n != 3 || len(f.notified) != 1 {
		t.Fatalf("broken relay contacted (%d) or notified again (%v)", n, f.notified)
	}
	f.clock.Add(24 * time.Hour)
	if res, _ := f.send("c@example.net"); res.Via != "relay:r1" {
		t.Fatalf("R8/next day: via %q", res.Via)
	}
}

func TestBreakerNeedsConsecutiveFaults(t *testing.T) {
	f := newFixture(t, nil, nil)
	bad := smtptest.Fault{Mail: &smtptest.Reply{Code: 451, EnhancedCode: "4.3.0"}}
	for _, fl := range []smtptest.Fault{bad, bad, {}, bad, bad} {
		f.srv.SetFault(fl)
		f.send("a@example.net")
	}
	if len(f.notified) != 0 {
		t.Fatalf("R8/breaker opened on non-consecutive faults")
	}
}

func TestQuotaExhaustsForTheDay(t *testing.T) {
	f := newFixture(t, &smtptest.Options{Fault: smtptest.Fault{Mail: &smtptest.Reply{Code: 550, EnhancedCode: "5.4.5", Message: "Daily sending quota exceeded"}}}, nil)
	f.send("a@example.net")
	f.srv.SetFault(smtptest.Fault{})
	if res, _ := f.send("b@example.net"); res.Via != "platform" || f.srv.Connections() != 1 {
		t.Fatalf("R8/exhausted relay used: via %q", res.Via)
	}
	if len(f.notified) != 0 {
		t.Fatal("quota notified as a breaker")
	}
	f.clock.Add(24 * time.Hour)
	if res, _ := f.send("c@example.net"); res.Via != "relay:r1" {
		t.Fatalf("next day via %q", res.Via)
	}
}

type verp struct{}

func (verp) ReturnPath(account, rcpt, id string) (string, error) {
	return "b-" + strings.ReplaceAll(rcpt, "@", "=") + "@bounce.platform.example", nil
}

func TestReturnPath(t *testing.T) {
	tests := []struct {
		mode  relay.ReturnPathMode
		froms []string
	}{
		{relay.ReturnPathKeep, []string{"bounces@platform.example"}},
		{relay.ReturnPathFrom, []string{"support@example.com"}},
		{relay.ReturnPathFixed, []string{"bounce@example.com"}},
		{relay.ReturnPathPlatform, []string{"b-a=example.net@bounce.platform.example", "b-b=example.net@bounce.platform.example"}},
	}
	for _, tc := range tests {
		t.Run("B8/"+string(tc.mode), func(t *testing.T) {
			srv := smtptest.New(t, nil)
			r := relayFor("r1", srv)
			r.ReturnPath, r.BounceAddress = tc.mode, "bounce@example.com"
			router, err := relay.NewRouter(&relay.Options{Configs: relay.Configs{"a": {Account: "a", Relays: []relay.Relay{r}}}, Platform: &platform{}, VERP: verp{}})
			if err != nil {
				t.Fatal(err)
			}
			env := &deskmail.Envelope{Account: "a", From: "bounces@platform.example", To: []string{"a@example.net", "b@example.net"}, MessageID: "m1@example.com"}
			res, err := router.Send(context.Background(), env, testMsg("support@example.com"))
			if err != nil || statuses(res) != "a@example.net=delivered b@example.net=delivered" {
				t.Fatalf("%s, %v", statuses(res), err)
			}
			var froms []string
			for _, m := range srv.Messages() {
				froms = append(froms, m.From)
			}
			if !slices.Equal(froms, tc.froms) {
				t.Fatalf("MAIL FROM %v, want %v", froms, tc.froms)
			}
			if env.From != "bounces@platform.example" {
				t.Fatal("caller's envelope modified")
			}
		})
	}
	t.Run("B8/platform mode without a signer", func(t *testing.T) {
		r := relay.Relay{ID: "r1", Domain: "example.com", Host: "h", ReturnPath: relay.ReturnPathPlatform}
		router, _ := relay.NewRouter(&relay.Options{Configs: relay.Configs{"a": {Account: "a", Relays: []relay.Relay{r}}}, Platform: &platform{}})
		_, err := router.Send(context.Background(), &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}, HeaderFrom: "s@example.com"}, nil)
		if !errors.Is(err, relay.ErrNoVERP) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestMiddleware(t *testing.T) {
	srv := smtptest.New(t, nil)
	plat := &platform{}
	mw, err := relay.Middleware(&relay.Options{Configs: relay.Configs{"a": {Account: "a", Relays: []relay.Relay{relayFor("r1", srv)}}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := deskmail.Chain(plat, mw)
	res, err := tr.Send(context.Background(), &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, testMsg("s@example.com"))
	if err != nil || res.Via != "relay:r1" {
		t.Fatalf("via %q, %v", res.Via, err)
	}
	res, err = tr.Send(context.Background(), &deskmail.Envelope{Account: "other", To: []string{"x@example.net"}}, testMsg("s@example.com"))
	if err != nil || res.Via != "platform" || len(plat.recipients()) != 1 {
		t.Fatalf("account without configuration: via %q, %v", res.Via, err)
	}
}

func TestPlatformFailureRefunds(t *testing.T) {
	plat := &platform{fail: errors.New("platform down")}
	r, _ := relay.NewRouter(&relay.Options{Configs: relay.Configs{"a": {Account: "a", Plan: relay.Plan{DailyTotal: 10}}}, Platform: plat, Now: newClock().Now})
	_, err := r.Send(context.Background(), &deskmail.Envelope{Account: "a", To: []string{"x@example.net", "y@example.net"}}, nil)
	if err == nil {
		t.Fatal("platform error lost")
	}
	u, _ := r.Store().Usage(context.Background(), "a", relay.DayOf(newClock().Now(), nil))
	if u.Total != 0 {
		t.Fatalf("R6/unsent units not refunded: %+v", u)
	}
}

func TestInternationalizedAddress(t *testing.T) {
	// smtptest does not offer SMTPUTF8, so the relay cannot carry the
	// mail and the platform does.
	f := newFixture(t, nil, nil)
	for i := 0; i < 4; i++ {
		res, err := f.send("用户@example.net")
		if err != nil || res.Via != "platform" || len(f.srv.Messages()) != 0 {
			t.Fatalf("via %q, %v", res.Via, err)
		}
	}
	if len(f.notified) != 0 {
		t.Fatal("a missing SMTPUTF8 opened the breaker")
	}
	if res, _ := f.send("ascii@example.net"); res.Via != "relay:r1" {
		t.Fatalf("ASCII mail via %q", res.Via)
	}
}

func TestVERPStopsAfterSessionFailure(t *testing.T) {
	srv := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{HangGreeting: true}})
	r := relayFor("r1", srv)
	r.ReturnPath = relay.ReturnPathPlatform
	plat := &platform{}
	router, _ := relay.NewRouter(&relay.Options{Configs: relay.Configs{"a": {Account: "a", Relays: []relay.Relay{r}}}, Platform: plat, VERP: verp{}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := router.Send(ctx, &deskmail.Envelope{Account: "a", To: []string{"a@example.net", "b@example.net", "c@example.net"}}, testMsg("s@example.com"))
	if err != nil || res.Via != "platform" || len(plat.recipients()) != 3 {
		t.Fatalf("%s via %q, %v", statuses(res), res.Via, err)
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("B8/relay contacted %d times after the session failed, want 1", n)
	}
}
