package smtptest_test

import (
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/deskmail/deskmail/smtptest"
)

const msg = "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n"

func dial(t *testing.T, s *smtptest.Server) *smtp.Client {
	t.Helper()
	var c *smtp.Client
	var err error
	switch s.Security() {
	case smtptest.ImplicitTLS:
		c, err = smtp.DialTLS(s.Addr(), s.ClientTLSConfig())
	case smtptest.StartTLS:
		c, err = smtp.DialStartTLS(s.Addr(), s.ClientTLSConfig())
	default:
		c, err = smtp.Dial(s.Addr())
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.CommandTimeout = 5 * time.Second
	c.SubmissionTimeout = 5 * time.Second
	t.Cleanup(func() { c.Close() })
	return c
}

func send(c *smtp.Client, from string, to ...string) error {
	return c.SendMail(from, to, strings.NewReader(msg))
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestCapture(t *testing.T) {
	for _, sec := range []smtptest.Security{smtptest.None, smtptest.StartTLS, smtptest.ImplicitTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			s := smtptest.New(t, &smtptest.Options{Security: sec})
			c := dial(t, s)
			if err := send(c, "bounce@example.com", "b@example.net", "c@example.net"); err != nil {
				t.Fatal(err)
			}
			m := s.Messages()
			if len(m) != 1 || m[0].From != "bounce@example.com" || len(m[0].To) != 2 || string(m[0].Data) != msg {
				t.Fatalf("captured %+v", m)
			}
			if m[0].TLS != (sec != smtptest.None) {
				t.Errorf("TLS = %v", m[0].TLS)
			}
			s.Reset()
			if len(s.Messages()) != 0 {
				t.Error("Reset kept messages")
			}
		})
	}
}

type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}
func (x xoauth2) Next([]byte) ([]byte, error) { return nil, errors.New("unexpected challenge") }

func TestAuth(t *testing.T) {
	s := smtptest.New(t, &smtptest.Options{Security: smtptest.StartTLS,
		Users: map[string]string{"app": "pw"}, Tokens: map[string]string{"app@example.com": "tok"}})
	good := map[string]sasl.Client{
		"PLAIN":       sasl.NewPlainClient("", "app", "pw"),
		"LOGIN":       sasl.NewLoginClient("app", "pw"),
		"XOAUTH2":     xoauth2{"app@example.com", "tok"},
		"OAUTHBEARER": sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "app@example.com", Token: "tok"}),
	}
	for name, a := range good {
		t.Run(name, func(t *testing.T) {
			c := dial(t, s)
			if err := c.Auth(a); err != nil {
				t.Fatalf("auth: %v", err)
			}
			if err := send(c, "a@example.com", "b@example.net"); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("bad password", func(t *testing.T) {
		c := dial(t, s)
		if err := c.Auth(sasl.NewPlainClient("", "app", "nope")); code(err) != 535 {
			t.Fatalf("err = %v, want 535", err)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		c := dial(t, s)
		if err := c.Auth(xoauth2{"app@example.com", "nope"}); code(err) != 535 {
			t.Fatalf("err = %v, want 535", err)
		}
	})
	t.Run("mail before auth", func(t *testing.T) {
		c := dial(t, s)
		if err := c.Mail("a@example.com", nil); code(err) != 530 {
			t.Fatalf("err = %v, want 530", err)
		}
	})
	t.Run("AuthFail fault", func(t *testing.T) {
		s.SetFault(smtptest.Fault{AuthFail: true})
		defer s.SetFault(smtptest.Fault{})
		c := dial(t, s)
		if err := c.Auth(sasl.NewLoginClient("app", "pw")); code(err) != 535 {
			t.Fatalf("err = %v, want 535", err)
		}
	})
}

func TestFaults(t *testing.T) {
	t.Run("refuse at start", func(t *testing.T) {
		s := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{Refuse: true}})
		_, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			t.Fatal("connection was not refused")
		}
	})
	t.Run("refuse later", func(t *testing.T) {
		s := smtptest.New(t, nil)
		s.SetFault(smtptest.Fault{Refuse: true})
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err = c.Read(make([]byte, 10))
			c.Close()
		}
		if err == nil {
			t.Fatal("connection was served")
		}
	})
	t.Run("hang at greeting", func(t *testing.T) {
		s := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{HangGreeting: true}})
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err = c.Read(make([]byte, 10))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read = %v, want timeout", err)
		}
	})
	t.Run("wrong certificate", func(t *testing.T) {
		s := smtptest.New(t, &smtptest.Options{Security: smtptest.ImplicitTLS, Fault: smtptest.Fault{WrongCert: true}})
		_, err := smtp.DialTLS(s.Addr(), s.ClientTLSConfig())
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want a certificate error", err)
		}
	})
	replies := []struct {
		name  string
		fault smtptest.Fault
		want  int
	}{
		{"mail", smtptest.Fault{Mail: &smtptest.Reply{Code: 550, EnhancedCode: "5.7.1", Message: "Relaying denied"}}, 550},
		{"rcpt one", smtptest.Fault{Rcpt: map[string]*smtptest.Reply{"b@example.net": {Code: 550, EnhancedCode: "5.1.1"}}}, 550},
		{"rcpt all", smtptest.Fault{RcptAll: &smtptest.Reply{Code: 451, EnhancedCode: "4.3.0"}}, 451},
		{"data", smtptest.Fault{Data: &smtptest.Reply{Code: 550, EnhancedCode: "5.4.5", Message: "Daily sending quota exceeded"}}, 550},
	}
	for _, tc := range replies {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.New(t, &smtptest.Options{Fault: tc.fault})
			c := dial(t, s)
			err := send(c, "a@example.com", "b@example.net")
			if code(err) != tc.want {
				t.Fatalf("err = %v, want %d", err, tc.want)
			}
			if len(s.Messages()) != 0 {
				t.Error("rejected mail was captured")
			}
		})
	}
	t.Run("rcpt partial", func(t *testing.T) {
		s := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{Rcpt: map[string]*smtptest.Reply{"x@example.net": {Code: 550, EnhancedCode: "5.1.1"}}}})
		c := dial(t, s)
		if err := c.Mail("a@example.com", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("x@example.net", nil); code(err) != 550 {
			t.Fatalf("rcpt x: %v", err)
		}
		if err := c.Rcpt("y@example.net", nil); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(msg))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if m := s.Messages(); len(m) != 1 || len(m[0].To) != 1 || m[0].To[0] != "y@example.net" {
			t.Fatalf("captured %+v", m)
		}
	})
	t.Run("drop after data", func(t *testing.T) {
		s := smtptest.New(t, &smtptest.Options{Fault: smtptest.Fault{DropAfterData: true}})
		c := dial(t, s)
		err := send(c, "a@example.com", "b@example.net")
		if err == nil || code(err) != 0 {
			t.Fatalf("err = %v, want a dropped connection", err)
		}
		if len(s.Messages()) != 1 {
			t.Fatal("dropped message was not captured")
		}
	})
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, f := range []smtptest.Fault{{}, {HangGreeting: true}} {
		s, err := smtptest.Start(&smtptest.Options{Security: smtptest.ImplicitTLS, Fault: f})
		if err != nil {
			t.Fatal(err)
		}
		conns := make([]net.Conn, 3)
		for i := range conns {
			if f.HangGreeting {
				conns[i], err = net.Dial("tcp", s.Addr())
			} else {
				conns[i], err = tls.Dial("tcp", s.Addr(), s.ClientTLSConfig())
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s.Close() // twice is fine
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left running (before: %d)", n, before)
	}
}
