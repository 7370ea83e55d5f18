package autoreply_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail/autoreply"
	"github.com/emersion/go-message/textproto"
)

func ExampleDetect() {
	var h textproto.Header
	h.Set("From", "Jane Roe <jane@customer.example>")
	h.Set("Subject", "Automatic reply: Your ticket #42")
	h.Set("Auto-Submitted", "auto-replied")

	r, err := autoreply.Detect(context.Background(), &h, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Class, r.Automatic())
	fmt.Println(r.Header+":", r.Value)
	// Output:
	// auto-reply true
	// Auto-Submitted: auto-replied
}

func ExampleDetect_loop() {
	opts := &autoreply.Options{
		XLoop: "support@desk.example",
		// threading exports the real check; this stand-in knows our ids by suffix.
		OwnMessageID: func(_ context.Context, id string) (bool, error) {
			return strings.HasSuffix(id, "@desk.example"), nil
		},
	}
	var h textproto.Header
	h.Set("Message-ID", "<t.4f2a9@desk.example>")
	r, err := autoreply.Detect(context.Background(), &h, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Class, "by", r.Header)
	// Output:
	// loop by Message-ID
}

func ExampleMark() {
	var h textproto.Header
	if err := autoreply.Mark(&h, autoreply.AutoReplied, "support@desk.example"); err != nil {
		panic(err)
	}
	for _, k := range []string{"Auto-Submitted", "X-Auto-Response-Suppress", "X-Loop"} {
		fmt.Printf("%s: %s\n", k, h.Get(k))
	}
	// Output:
	// Auto-Submitted: auto-replied
	// X-Auto-Response-Suppress: All
	// X-Loop: support@desk.example
}

func ExampleLimiter() {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	l := autoreply.NewLimiter(autoreply.NewMemoryStore(), &autoreply.LimitOptions{
		Limit: 2,
		Now:   func() time.Time { return now },
	})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		r, err := l.Allow(ctx, "acme", "Jane@Customer.example")
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Reserved, r.Count)
	}
	now = now.Add(24 * time.Hour)
	r, _ := l.Allow(ctx, "acme", "jane@customer.example")
	fmt.Println("next day:", r.Reserved, r.Count)
	// Output:
	// true 1
	// true 2
	// false 2
	// next day: true 1
}
