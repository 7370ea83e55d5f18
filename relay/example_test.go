package relay_test

import (
	"context"
	"fmt"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

// A router sends mail from example.com through the account's relay and
// everything else through the platform.
func ExampleRouter() {
	srv, err := smtptest.Start(&smtptest.Options{Security: smtptest.StartTLS, Users: map[string]string{"app": "secret"}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cfg := &relay.Config{
		Account: "acme",
		AnyPort: true, // the test server listens on a random port
		Plan:    relay.Plan{DailyTotal: 5000},
		Relays: []relay.Relay{{
			ID: "office365", Domain: "example.com", Host: srv.Host(), Port: srv.Port(),
			Security: relay.SecuritySTARTTLS, Auth: relay.AuthPlain, Username: "app", DailyCap: 2000,
		}},
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	platform := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", ""), nil
	})
	router, err := relay.NewRouter(&relay.Options{
		Configs:  relay.Configs{"acme": cfg},
		Platform: platform,
		SMTP: &relay.SMTPOptions{
			RootCAs: srv.CertPool(),
			Passwords: relay.PasswordFunc(func(ctx context.Context, account, relayID string) (string, error) {
				return "secret", nil // from the host's vault
			}),
		},
		Now: func() time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	msg := []byte("From: Support <support@example.com>\r\nSubject: Re: [#42]\r\n\r\nHello.\r\n")
	env := &deskmail.Envelope{Account: "acme", From: "support@example.com", To: []string{"customer@example.net"}, Kind: deskmail.KindReply}
	res, err := router.Send(context.Background(), env, msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Via, res.Recipients[0].Status)
	u, _ := router.Store().Usage(context.Background(), "acme", relay.DayOf(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), nil))
	fmt.Println("relayed today:", u.Relays["office365"], "of plan total used:", u.Total)
	// Output:
	// relay:office365 delivered
	// relayed today: 1 of plan total used: 1
}

// Classify tells a bounce from a relay problem.
func ExampleClassify() {
	for _, s := range []string{
		"550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown",
		"554 5.7.1 <x@example.net>: Relay access denied",
		"550 5.4.5 Daily user sending quota exceeded.",
		"451 4.3.0 Temporary lookup failure",
	} {
		r, _ := relay.ParseReply(s)
		fmt.Println(r.Code, r.EnhancedCode, relay.Classify(relay.StageRcpt, r))
	}
	// Output:
	// 550 5.1.1 bounce
	// 554 5.7.1 fault
	// 550 5.4.5 quota
	// 451 4.3.0 fault
}

// Probe is the admin's "test connection" button.
func ExampleDialer_Probe() {
	srv, err := smtptest.Start(&smtptest.Options{Users: map[string]string{"app": "right"}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	d := relay.NewDialer(&relay.SMTPOptions{Passwords: relay.PasswordFunc(func(context.Context, string, string) (string, error) {
		return "wrong", nil
	})})
	r := &relay.Relay{ID: "r1", Host: srv.Host(), Port: srv.Port(), Security: relay.SecurityNone, Auth: relay.AuthLogin, Username: "app"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := d.Probe(ctx, "acme", r)
	fmt.Println(p.OK, p.Stage, p.Code, p.EnhancedCode)
	// Output: false auth 535 5.7.8
}

// A CIDRSet holds the platform's source ranges for a relay's allow-list.
func ExampleCIDRSet() {
	s, err := relay.ParseCIDRSet("192.0.2.0/24", "2001:db8::/32", "198.51.100.7")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.SPFTerms())
	// Output: [ip4:192.0.2.0/24 ip4:198.51.100.7 ip6:2001:db8::/32]
}
