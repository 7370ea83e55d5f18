package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/store/postgres"
)

// Open, migrate and hand the stores to the packages. The examples of this
// package need a server, so they are compiled but not run by go test.
func Example() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, os.Getenv("DESKMAIL_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err) // never quotes the password
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil { // safe from every process at start-up
		log.Fatal(err)
	}
	_ = db.AliasStore()     // alias.Store for the router and account settings
	_ = db.MessageIndex()   // threading.Store for the Threader
	_ = db.AutoreplyStore() // autoreply.Store for the Limiter
	_ = db.BounceStore()    // bounce.Store for the tracker and Gate
	_ = db.DKIMKeyStore()   // dkim.KeyStore for the signer and rotation
	_ = db.RelayStore()     // relay.Store for caps and breakers
}

// A reservation against a relay's daily cap and the plan's daily total: one
// statement, exact across processes.
func ExampleRelayStore_Reserve() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, os.Getenv("DESKMAIL_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	s := db.RelayStore()
	day := relay.DayOf(time.Now(), nil)
	err = s.Reserve(ctx, relay.Reservation{Account: "acme", Relay: "ses-1", Day: day, N: 3, RelayCap: 10000, PlanCap: 50000})
	switch {
	case errors.Is(err, relay.ErrRelayCapReached):
		fmt.Println("relay full today: try the next relay")
	case errors.Is(err, relay.ErrPlanCapReached):
		fmt.Println("plan total reached today")
	case err != nil:
		log.Fatal(err)
	}
}

// Remove counters of finished days, e.g. from a daily job.
func ExampleDB_Prune() {
	ctx := context.Background()
	db, err := postgres.Open(ctx, os.Getenv("DESKMAIL_POSTGRES_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	n, err := db.Prune(ctx, time.Now().AddDate(0, 0, -3))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows deleted:", n)
}
