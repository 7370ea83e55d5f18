package relay_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
)

// BenchmarkRoute measures one routing decision with its reservation on the
// memory store (target: over 1,000,000 a second on 2 cores). Each parallel
// worker sends for its own account, as a multi-tenant sender does.
func BenchmarkRoute(b *testing.B) {
	const accounts = 256
	configs := relay.Configs{}
	for i := 0; i < accounts; i++ {
		name := fmt.Sprintf("acct%d", i)
		configs[name] = &relay.Config{Account: name, Relays: []relay.Relay{
			{ID: "mass", Domain: "example.com", Host: "r1.invalid", Kinds: []deskmail.Kind{deskmail.KindMass}},
			{ID: "r1", Domain: "example.com", Host: "r2.invalid"},
		}}
	}
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	r, err := relay.NewRouter(&relay.Options{Configs: configs, Platform: deskmail.TransportFunc(nil), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	var worker atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		env := &deskmail.Envelope{Account: fmt.Sprintf("acct%d", worker.Add(1)%accounts), To: []string{"x@example.net"}, HeaderFrom: "support@example.com"}
		for pb.Next() {
			rt, err := r.Route(ctx, env, nil)
			if err != nil || rt.Relay == nil {
				b.Fatal(rt, err)
			}
		}
	})
}

// BenchmarkClassify measures reply classification.
func BenchmarkClassify(b *testing.B) {
	rep, _ := relay.ParseReply("550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown in virtual mailbox table")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		relay.Classify(relay.StageRcpt, rep)
	}
}
