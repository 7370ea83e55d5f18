package relay_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
)

// TestConcurrentCapsExact sends 100,000 messages from 64 goroutines over
// four accounts, each with two relays for its domain, and checks that every
// relay cap and every plan total is met exactly (R5, R6).
func TestConcurrentCapsExact(t *testing.T) {
	const (
		goroutines = 64
		sends      = 100_000
		accounts   = 4
		cap1, cap2 = 7_000, 5_000
		planTotal  = 20_000 // of 25,000 attempts per account
	)
	configs := relay.Configs{}
	for a := 0; a < accounts; a++ {
		name := fmt.Sprintf("acct%d", a)
		configs[name] = &relay.Config{Account: name, Plan: relay.Plan{DailyTotal: planTotal}, Relays: []relay.Relay{
			{ID: "r1", Domain: "example.com", Host: "r1.invalid", DailyCap: cap1},
			{ID: "r2", Domain: "example.com", Host: "r2.invalid", DailyCap: cap2},
		}}
	}
	var counts sync.Map // "account/path" -> *atomic.Int64
	count := func(key string) {
		v, _ := counts.LoadOrStore(key, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	get := func(key string) int64 {
		v, ok := counts.Load(key)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	fake := func(path string) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			count(env.Account + "/" + path)
			return deskmail.ResultFor(env, deskmail.StatusDelivered, 250, "", ""), nil
		})
	}
	router, err := relay.NewRouter(&relay.Options{
		Configs:        configs,
		Platform:       fake("platform"),
		RelayTransport: func(r *relay.Relay) deskmail.Transport { return fake(r.ID) },
		Now:            newClock().Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var limited atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= sends {
					return
				}
				env := &deskmail.Envelope{Account: fmt.Sprintf("acct%d", i%accounts), To: []string{"x@example.net"}, HeaderFrom: "s@example.com"}
				_, err := router.Send(context.Background(), env, nil)
				if errors.Is(err, relay.ErrPlanCapReached) {
					limited.Add(1)
				} else if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for a := 0; a < accounts; a++ {
		name := fmt.Sprintf("acct%d", a)
		r1, r2, p := get(name+"/r1"), get(name+"/r2"), get(name+"/platform")
		if r1 != cap1 || r2 != cap2 || r1+r2+p != planTotal {
			t.Errorf("%s: r1 %d r2 %d platform %d; want %d, %d and a total of %d", name, r1, r2, p, cap1, cap2, planTotal)
		}
	}
	if want := int64(sends - accounts*planTotal); limited.Load() != want {
		t.Errorf("%d sends refused by the plan total, want %d", limited.Load(), want)
	}
}
