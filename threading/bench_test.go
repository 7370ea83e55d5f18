package threading_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail/internal/cputime"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/threading"
)

// synthetic returns n messages of a busy mailbox: 20% start a thread, the
// others answer one of the 1,000 newest messages and carry up to 10
// References; 1% refer to a message that is not in the set.
func synthetic(n int) []threading.Message {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	ms := make([]threading.Message, n)
	topic := make([]int, n)
	for i := range ms {
		m := &ms[i]
		m.ID = fmt.Sprintf("m%d.%x@bench.example.com", i, r.Uint32())
		m.Date = t0.Add(time.Duration(i) * time.Second)
		if i == 0 || r.IntN(5) == 0 {
			topic[i] = i
			m.Subject = fmt.Sprintf("Question %d about the invoice", i)
			continue
		}
		lo := max(0, i-1000)
		p := lo + r.IntN(i-lo)
		topic[i] = topic[p]
		refs := ms[p].References
		if len(refs) >= 10 {
			refs = refs[len(refs)-9:]
		}
		m.References = append(append(make([]string, 0, len(refs)+1), refs...), ms[p].ID)
		if r.IntN(100) == 0 {
			m.References = append([]string{"gone-" + m.ID}, m.References...)
		}
		m.InReplyTo = ms[p].ID
		m.Subject = fmt.Sprintf("Re: Question %d about the invoice", topic[i])
	}
	return ms
}

func BenchmarkThreads(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		ms := synthetic(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cputime.Now()
			for b.Loop() {
				roots := threading.Threads(ms, nil)
				if len(roots) == 0 {
					b.Fatal("no threads")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/msg")
			// CPU time of the process (all threads, GC included): on a
			// shared, oversubscribed machine wall time mostly measures the
			// neighbours.
			b.ReportMetric(float64((cputime.Now()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkMatchReply matches a customer's reply that carries 20 References
// (none of them a token: the provider rewrote our ids) against a memory
// index of 100,000 ids, with the stranger check on.
func BenchmarkMatchReply(b *testing.B) {
	f := newFixture(b, nil)
	ctx := context.Background()
	for i := 0; i < 100_000; i++ {
		_ = f.index.Add(ctx, "acct1", threading.Entry{MessageID: fmt.Sprintf("id%d@provider.example", i), Ticket: "t-43"})
	}
	var refs []string
	for i := 0; i < 20; i++ {
		refs = append(refs, fmt.Sprintf("<unknown%d@customer.example>", i))
	}
	refs[3] = "<id77@provider.example>"
	in := &threading.Inbound{
		Account: "acct1", MessageID: "<reply-1@customer.example>", InReplyTo: refs[19],
		References: strings.Join(refs, " "), Subject: "Re: Question [#124]",
		From: deskmail.Address{Local: "other", Domain: "example.org"},
	}
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cputime.Now()
		for b.Loop() {
			m, err := f.th.Match(ctx, in)
			if err != nil || m.Ticket != "t-43" {
				b.Fatal(m, err)
			}
		}
		b.ReportMetric(float64((cputime.Now()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	ours := f.msgID(b, "acct1", "t-42")
	tokIn := *in
	tokIn.From = deskmail.Address{Local: "customer", Domain: "example.net"}
	tokIn.InReplyTo = ours
	b.Run("token", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cputime.Now()
		for b.Loop() {
			m, err := f.th.Match(ctx, &tokIn)
			if err != nil || m.Ticket != "t-42" {
				b.Fatal(m, err)
			}
		}
		b.ReportMetric(float64((cputime.Now()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

func BenchmarkBaseSubject(b *testing.B) {
	for _, s := range []string{"Question 12 about the invoice", "Re: AW: [list] Question 12", "=?UTF-8?B?5Zue5aSNOiDkvaDlpb0=?="} {
		b.Run(s[:8], func(b *testing.B) {
			for b.Loop() {
				threading.BaseSubject(s)
			}
		})
	}
}
