// Command constructors builds every public constructor of deskmail the way
// a host does: once with real options, and once with each required piece
// missing. A missing piece must be reported at construction, as a sentinel
// error the host can branch on with errors.Is; nothing may panic, then or
// later. It prints one line per case and exits 1 if any case fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
	"github.com/deskmail/deskmail/autoreply"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/compose"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dnstest"
	"github.com/deskmail/deskmail/fetch"
	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/senderauth"
	"github.com/deskmail/deskmail/smtpd"
	"github.com/deskmail/deskmail/store/postgres"
	"github.com/deskmail/deskmail/threading"
)

var failed bool

// check runs one construction: want nil means it must succeed, otherwise
// it must fail with an error that errors.Is want.
func check(name string, want error, build func() error) {
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		err = build()
	}()
	ok := (want == nil && err == nil) || (want != nil && errors.Is(err, want))
	status := "ok  "
	if !ok {
		status, failed = "FAIL", true
	}
	switch {
	case err == nil:
		fmt.Printf("%s %s\n", status, name)
	default:
		fmt.Printf("%s %s: %v\n", status, name, err)
	}
}

func main() {
	ctx := context.Background()
	keys := deskmail.MustKeyring([]byte("constructors: 32 bytes of secret"))
	aliases := alias.NewMemoryStore()
	zone := dnstest.New()

	check("deskmail.NewKeyring without a secret", deskmail.ErrNoSecret, func() error {
		_, err := deskmail.NewKeyring()
		return err
	})
	check("deskmail.NewKeyring with a short secret", deskmail.ErrShortSecret, func() error {
		_, err := deskmail.NewKeyring([]byte("short"))
		return err
	})

	check("alias.NewRouter", nil, func() error { _, err := alias.NewRouter(aliases, nil); return err })
	check("alias.NewRouter without a store", alias.ErrNoStore, func() error { _, err := alias.NewRouter(nil, nil); return err })
	check("zero alias.Verifier issues no token", deskmail.ErrNoSecret, func() error {
		a := &alias.Account{ID: "acme"}
		_ = a.AddAddress(alias.SupportAddress{Address: "support@acme.example"})
		_ = a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, zeroTime)
		_, err := (&alias.Verifier{}).Issue(a, "brad@acme.example")
		return err
	})
	check("zero alias.ForwardingCheck writes no check mail", deskmail.ErrNoSecret, func() error {
		_, err := (&alias.ForwardingCheck{}).Mail("acme", alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"})
		return err
	})
	check("alias.HealthMonitor without a store", alias.ErrNoStore, func() error {
		_, err := (&alias.HealthMonitor{}).Record(ctx, "acme", "imap", alias.FetchOK, "")
		return err
	})

	var th *threading.Threader
	check("threading.New", nil, func() error {
		var err error
		th, err = threading.New(&threading.Options{Install: "desk", Keyring: keys, Domain: "desk.example", Index: threading.NewMemoryStore()})
		return err
	})
	check("threading.New without options", deskmail.ErrNoSecret, func() error { _, err := threading.New(nil); return err })
	check("threading.New without a keyring", deskmail.ErrNoSecret, func() error {
		_, err := threading.New(&threading.Options{Install: "desk", Domain: "desk.example"})
		return err
	})
	check("threading.New without a Message-ID domain", threading.ErrNoDomain, func() error {
		_, err := threading.New(&threading.Options{Install: "desk", Keyring: keys})
		return err
	})

	var verp *bounce.VERP
	check("bounce.NewVERP", nil, func() error { var err error; verp, err = bounce.NewVERP(keys, "bounce.desk.example", nil); return err })
	check("bounce.NewVERP without a keyring", bounce.ErrNoKeyring, func() error { _, err := bounce.NewVERP(nil, "bounce.desk.example", nil); return err })
	var tracker *bounce.Tracker
	check("bounce.NewTracker", nil, func() error {
		var err error
		tracker, err = bounce.NewTracker(bounce.NewMemoryStore(), &bounce.Options{VERP: verp})
		return err
	})
	check("bounce.NewTracker without a store", bounce.ErrNoStore, func() error { _, err := bounce.NewTracker(nil, nil); return err })

	platform := deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
		return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "2.0.0", "ok"), nil
	})
	relayOpts := &relay.Options{Configs: relay.Configs{}, Platform: platform, Store: relay.NewMemoryStore(), VERP: verp}
	check("relay.NewRouter", nil, func() error { _, err := relay.NewRouter(relayOpts); return err })
	check("relay.NewRouter without options", relay.ErrNoConfigSource, func() error { _, err := relay.NewRouter(nil); return err })
	check("relay.NewRouter without a platform transport", relay.ErrNoPlatform, func() error {
		_, err := relay.NewRouter(&relay.Options{Configs: relay.Configs{}})
		return err
	})

	var signer *dkim.Signer
	check("dkim.NewSigner", nil, func() error {
		var err error
		signer, err = dkim.NewSigner(&dkim.SignerOptions{Keys: dkim.NewMemoryStore()})
		return err
	})
	check("dkim.NewSigner without a key store", dkim.ErrNoKeyStore, func() error { _, err := dkim.NewSigner(nil); return err })

	check("autoreply.NewLimiter (nil store: in memory)", nil, func() error {
		_, err := autoreply.NewLimiter(nil, nil).Allow(ctx, "acme", "mary@customer.example")
		return err
	})

	var pipe *inbound.Pipeline
	check("inbound.New", nil, func() error {
		var err error
		pipe, err = inbound.New(&inbound.Options{Aliases: aliases, Threader: th, Bounces: tracker, Auth: &senderauth.Options{Resolver: zone}})
		return err
	})
	check("inbound.New without options", inbound.ErrNoAliases, func() error { _, err := inbound.New(nil); return err })
	check("inbound.New without an alias store", inbound.ErrNoAliases, func() error {
		_, err := inbound.New(&inbound.Options{Threader: th})
		return err
	})
	check("inbound Recover without an allow list", inbound.ErrNoAllowStore, func() error {
		_, err := pipe.Recover(ctx, &deskmail.Envelope{}, []byte("From: a@b.example\r\n\r\nx\r\n"), inbound.Recovery{By: "admin"})
		return err
	})

	handler := inbound.HandlerFunc(func(ctx context.Context, d *inbound.Delivery) error { return nil })
	check("smtpd.New", nil, func() error {
		_, err := smtpd.New(&smtpd.Options{Pipeline: pipe, Aliases: aliases, Handler: handler, Domain: "mx.desk.example"})
		return err
	})
	check("smtpd.New without a pipeline", smtpd.ErrNoPipeline, func() error {
		_, err := smtpd.New(&smtpd.Options{Aliases: aliases, Handler: handler})
		return err
	})
	check("smtpd.New without an alias store", smtpd.ErrNoAliases, func() error {
		_, err := smtpd.New(&smtpd.Options{Pipeline: pipe, Handler: handler})
		return err
	})
	check("smtpd.New without a handler", smtpd.ErrNoHandler, func() error {
		_, err := smtpd.New(&smtpd.Options{Pipeline: pipe, Aliases: aliases})
		return err
	})

	fetchHandler := inbound.HandlerFunc(func(ctx context.Context, dl *inbound.Delivery) error { return nil })
	check("fetch.New", nil, func() error {
		_, err := fetch.New(&fetch.Options{Pipeline: pipe, Handler: fetchHandler, Health: &alias.HealthMonitor{Store: aliases}})
		return err
	})
	check("fetch.New without a pipeline", fetch.ErrNoPipeline, func() error {
		_, err := fetch.New(&fetch.Options{Handler: fetchHandler})
		return err
	})
	check("fetch.New without a handler", fetch.ErrNoHandler, func() error {
		_, err := fetch.New(&fetch.Options{Pipeline: pipe})
		return err
	})

	var composer *compose.Composer
	check("compose.New", nil, func() error { var err error; composer, err = compose.New(&compose.Options{Threader: th}); return err })
	check("compose.New without a threader", compose.ErrNoThreader, func() error { _, err := compose.New(nil); return err })
	check("compose.NewSender", nil, func() error {
		_, err := compose.NewSender(&compose.SenderOptions{Composer: composer, Transport: platform, Gate: tracker, Relay: relayOpts, Signer: signer, ReturnPath: relay.ReturnPathPlatform, VERP: verp})
		return err
	})
	check("compose.NewSender without a transport", compose.ErrNoTransport, func() error { _, err := compose.NewSender(nil); return err })
	check("compose.NewSender with the platform return path and no VERP", compose.ErrNoVERP, func() error {
		_, err := compose.NewSender(&compose.SenderOptions{Transport: platform, ReturnPath: relay.ReturnPathPlatform})
		return err
	})
	check("compose.NewIdentityRoutes without an alias store", compose.ErrNoAliasStore, func() error {
		_, err := compose.NewIdentityRoutes(nil)
		return err
	})

	check("postgres.New without a pool", postgres.ErrNoPool, func() error { _, err := postgres.New(nil); return err })

	if failed {
		fmt.Println("FAIL: a constructor accepted a missing dependency or panicked")
		os.Exit(1)
	}
	fmt.Println("every constructor reports what is missing")
}
