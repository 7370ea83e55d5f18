package relay_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/smtptest"
)

// TestSendLeavesNoGoroutines sends through well-behaved and faulty servers,
// including a cancelled send, and checks that no goroutine outlives Send.
func TestSendLeavesNoGoroutines(t *testing.T) {
	faults := []smtptest.Options{
		{}, {Security: smtptest.StartTLS}, {Security: smtptest.ImplicitTLS},
		{Fault: smtptest.Fault{HangGreeting: true}},
		{Fault: smtptest.Fault{DropAfterData: true}},
		{Fault: smtptest.Fault{RcptAll: &smtptest.Reply{Code: 550, EnhancedCode: "5.1.1"}}},
		{Security: smtptest.StartTLS, Fault: smtptest.Fault{WrongCert: true}},
	}
	var servers []*smtptest.Server
	for i := range faults {
		s, err := smtptest.Start(&faults[i])
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	before := runtime.NumGoroutine()
	for _, s := range servers {
		d := relay.NewDialer(&relay.SMTPOptions{RootCAs: s.CertPool()})
		r := relayFor("r1", s)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		d.Transport(&r).Send(ctx, &deskmail.Envelope{Account: "a", To: []string{"x@example.net"}}, testMsg("s@example.com"))
		cancel()
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after sends, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	for _, s := range servers {
		s.Close()
	}
}
