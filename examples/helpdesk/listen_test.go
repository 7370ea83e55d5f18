package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
)

// TestListen runs -listen: the server takes a customer's mail and the
// desk prints its decision, then stops when the context ends.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := run(ctx, pw, options{listen: "127.0.0.1:0"})
		pw.CloseWithError(err)
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	next := func() string {
		if !lines.Scan() {
			t.Fatalf("output ended: %v", lines.Err())
		}
		return lines.Text()
	}
	first := next()
	_, addr, ok := strings.Cut(first, "inbound SMTP on ")
	addr, _, _ = strings.Cut(addr, " ")
	if !ok || addr == "" {
		t.Fatalf("first line %q", first)
	}
	sent := make(chan error, 1)
	go func() {
		sent <- deliver(addr, "mary@customer.example", []string{"support@acme.desk.example"},
			"From: Mary <mary@customer.example>\r\nTo: support@acme.example\r\nSubject: Hello\r\nMessage-ID: <l1@customer.example>\r\n\r\nHi.\r\n")
	}()
	for {
		l := next()
		if strings.Contains(l, "→ new ticket #1 for Mary <mary@customer.example>") {
			break
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
