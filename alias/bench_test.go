package alias_test

import (
	"bufio"
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/deskmail/deskmail/internal/cputime"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/alias"
)

// bigStore holds accounts × perAccount support addresses, each customer-owned
// with a platform address, two departments per account.
func bigStore(b testing.TB, accounts, perAccount int) *alias.MemoryStore {
	s := alias.NewMemoryStore()
	ctx := context.Background()
	for i := 0; i < accounts; i++ {
		id := fmt.Sprintf("acct%04d", i)
		err := s.UpdateAccount(ctx, id, func(a *alias.Account) error {
			a.AddDepartment(alias.Department{ID: "support"})
			a.AddDepartment(alias.Department{ID: "sales"})
			for j := 0; j < perAccount; j++ {
				dept := "support"
				if j%2 == 1 {
					dept = "sales"
				}
				if err := a.AddAddress(alias.SupportAddress{
					Address:         fmt.Sprintf("alias%d@company%04d.example", j, i),
					PlatformAddress: fmt.Sprintf("alias%d@%s.desk.example", j, id),
					Department:      dept,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

const typicalHeader = "Return-Path: <mary@customer.example>\r\n" +
	"Delivered-To: alias3@acct0421.desk.example\r\n" +
	"Received: from mx.customer.example (mx.customer.example [192.0.2.7])\r\n\tby mx.desk.example with ESMTPS id 4Xyz; Sun, 22 Nov 2026 10:00:00 +0000\r\n" +
	"X-Original-To: alias3@company0421.example\r\n" +
	"From: Mary Customer <mary@customer.example>\r\n" +
	"To: \"Company Support\" <alias3@company0421.example>\r\n" +
	"Cc: Bob <bob@customer.example>\r\n" +
	"Subject: Order 1234 has not arrived\r\n" +
	"Message-ID: <abc123@customer.example>\r\n" +
	"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\n"

func typical(b testing.TB) textproto.Header {
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(typicalHeader)))
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkRoute routes a typical support mail (envelope recipient, a
// Delivered-To, an X-Original-To, To and Cc) against stores of growing
// size; ns/op must not grow with the store.
func BenchmarkRoute(b *testing.B) {
	for _, size := range []struct{ accounts, per int }{{10, 10}, {1000, 10}, {10000, 10}} {
		b.Run(fmt.Sprintf("addresses=%d", size.accounts*size.per), func(b *testing.B) {
			r, _ := alias.NewRouter(bigStore(b, size.accounts, size.per), nil)
			h := typical(b)
			rcpts := []string{"alias3@acct0003.desk.example"}
			if size.accounts > 421 {
				rcpts = []string{"alias3@acct0421.desk.example"}
			}
			ctx := context.Background()
			runtime.GC() // settle the store's allocations before timing
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Now()
			for i := 0; i < b.N; i++ {
				rt, err := r.Route(ctx, rcpts, &h)
				if err != nil || rt.Account == "" {
					b.Fatal(rt, err)
				}
			}
			cputime.Report(b, cpu)
		})
	}
}
