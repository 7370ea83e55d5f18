package inbound_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail/inbound"
	"github.com/deskmail/deskmail/internal/cputime"
)

// supportMail returns a typical 8 KB support mail: a dozen trace and client
// header fields, a reply to one of our messages, and a quoted plain-text body.
func supportMail(inReplyTo string) []byte {
	var b strings.Builder
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "Received: from mail%d.customer.example (mail%d.customer.example [192.0.2.%d])\r\n\tby mx.desk.example with ESMTPS id 4Ab%dCdE; Mon, 2 Nov 2026 09:0%d:00 +0000\r\n", i, i, 10+i, i, i)
	}
	b.WriteString("Return-Path: <mary@customer.example>\r\n")
	b.WriteString("From: Mary Major <mary@customer.example>\r\n")
	b.WriteString("To: Acme Support <support@acme.example>\r\n")
	b.WriteString("Cc: Joe <joe@customer.example>\r\n")
	b.WriteString("Subject: Re: Your order [#1001] - the widget still does not work\r\n")
	b.WriteString("Date: Mon, 2 Nov 2026 09:00:00 +0000\r\n")
	b.WriteString("Message-ID: <CAF=abc123def456@mail.customer.example>\r\n")
	b.WriteString("In-Reply-To: <" + inReplyTo + ">\r\n")
	b.WriteString("References: <first@mail.customer.example> <" + inReplyTo + ">\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\n")
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	b.WriteString("User-Agent: Mozilla/5.0 Thunderbird/128.0\r\n")
	b.WriteString("X-Mailer: Thunderbird\r\n\r\n")
	for b.Len() < 8192-200 {
		b.WriteString("Hello, I tried again this morning and the widget still shows the same error after the update.\r\n")
		b.WriteString("> On Monday you wrote: please restart the widget and tell us whether the error persists.\r\n")
	}
	b.WriteString("\r\nThanks,\r\nMary\r\n")
	return []byte(b.String())
}

// BenchmarkProcess runs the whole pipeline on a typical 8 KB support mail
// with the memory stores and a dnstest zone (SPF and DMARC records, no DKIM
// signature to verify), beside the baseline of parsing the header alone.
func BenchmarkProcess(b *testing.B) {
	w := newWorld(b, nil)
	raw := supportMail(w.ourID)
	env := fromCustomer("support@acme.desk.example")
	ctx := context.Background()
	b.Run("pipeline", func(b *testing.B) {
		d, err := w.p.Process(ctx, env, raw)
		if err != nil || d.Action != inbound.ActionAppend {
			b.Fatalf("%v %v", d, err)
		}
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cputime.Now()
		for i := 0; i < b.N; i++ {
			if _, err := w.p.Process(ctx, env, raw); err != nil {
				b.Fatal(err)
			}
		}
		cputime.Report(b, cpu)
	})
	b.Run("header-only", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		cpu := cputime.Now()
		for i := 0; i < b.N; i++ {
			if _, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw))); err != nil {
				b.Fatal(err)
			}
		}
		cputime.Report(b, cpu)
	})
}
