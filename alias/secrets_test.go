package alias_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/alias"
)

// TestSecretsStayOut checks that no error string or log line carries a
// signing secret or a token.
func TestSecretsStayOut(t *testing.T) {
	secret := "s3cr3t-signing-key-0123456789"
	keys, _ := deskmail.NewKeyring([]byte(secret))
	v := &alias.Verifier{Keyring: keys, Now: func() time.Time { return t0 }}
	a := &alias.Account{ID: "acme"}
	a.AddIdentity(alias.Identity{Address: "brad@acme.example"}, t0)
	tok1, _ := v.Issue(a, "brad@acme.example")
	tok2, _ := v.Issue(a, "brad@acme.example")
	var msgs []string
	_, err := v.Verify(a, tok1)
	msgs = append(msgs, fmt.Sprint(err))
	_, err = v.Verify(a, tok2[:len(tok2)-2]+"aa")
	msgs = append(msgs, fmt.Sprint(err))
	_, err = (&alias.Verifier{Keyring: keys, Now: func() time.Time { return t0.Add(1000 * time.Hour) }}).Verify(a, tok2)
	msgs = append(msgs, fmt.Sprint(err))
	f := &alias.ForwardingCheck{Keyring: keys, Now: func() time.Time { return t0 }}
	m, _ := f.Mail("acme", alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "support@acme.desk.example"})
	h := textproto.MIMEHeader{}
	h.Set(alias.ForwardingCheckHeader, m.Token[:len(m.Token)-2]+"aa")
	_, _, err = f.Recognize(h)
	msgs = append(msgs, fmt.Sprint(err), fmt.Sprintf("%v %+v %#v", keys, v, f))

	var logs bytes.Buffer
	hm := &alias.HealthMonitor{Store: alias.NewMemoryStore(), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Policy: &alias.HealthPolicy{AuthFailureLimit: 1}}
	hm.Record(context.Background(), "acme", "imap:support", alias.FetchAuthFailure, "535 authentication failed")
	msgs = append(msgs, logs.String())
	if !strings.Contains(logs.String(), "fetch source disabled") {
		t.Errorf("no log line when a source is disabled: %q", logs.String())
	}
	for _, s := range msgs {
		for _, secretish := range []string{secret, tok1, tok2, m.Token} {
			if strings.Contains(s, secretish) {
				t.Errorf("%q leaks a secret or token", s)
			}
		}
	}
}

// The zero Verifier and ForwardingCheck return errors instead of panicking.
func TestZeroValuesDoNotPanic(t *testing.T) {
	a := &alias.Account{ID: "a"}
	if err := a.AddAddress(alias.SupportAddress{Address: "support@acme.example", PlatformAddress: "acme@desk.example"}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddIdentity(alias.Identity{Address: "brad@acme.example", Name: "Brad"}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	var v alias.Verifier
	if _, err := v.Issue(a, "brad@acme.example"); !errors.Is(err, deskmail.ErrNoSecret) {
		t.Errorf("zero Verifier.Issue: %v, want ErrNoSecret", err)
	}
	if _, err := v.Account("abc"); err == nil {
		t.Error("zero Verifier verified a token")
	}
	var f alias.ForwardingCheck
	if _, err := f.Mail("a", a.Addresses[0]); !errors.Is(err, deskmail.ErrNoSecret) {
		t.Errorf("zero ForwardingCheck.Mail: %v, want ErrNoSecret", err)
	}
}
