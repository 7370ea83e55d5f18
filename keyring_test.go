package deskmail_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/deskmail/deskmail"
)

func TestKeyringRotation(t *testing.T) {
	old, _ := deskmail.NewKeyring([]byte("old-secret-0123456789"))
	rotated, _ := deskmail.NewKeyring([]byte("new-secret-0123456789"), []byte("old-secret-0123456789"))
	other, _ := deskmail.NewKeyring([]byte("someone-elses-secret!"))
	p := []byte("acct\x00ticket\x00msg")
	m := old.MAC(p)
	if !rotated.Verify(p, m) {
		t.Error("rotated keyring rejects a MAC of the previous secret")
	}
	if other.Verify(p, m) {
		t.Error("a foreign keyring accepts the MAC")
	}
	if old.Verify(p, rotated.MAC(p)) {
		t.Error("old keyring accepts a MAC of the new secret")
	}
	if rotated.Verify(p, m[:deskmail.MACLen-1]) {
		t.Error("truncated MAC accepted")
	}
	if rotated.Verify([]byte("acct\x00ticket\x00msh"), m) {
		t.Error("MAC accepted for another payload")
	}
}

func TestNewKeyringRejectsShortSecrets(t *testing.T) {
	if _, err := deskmail.NewKeyring(); err == nil {
		t.Error("no secret accepted")
	}
	_, err := deskmail.NewKeyring([]byte("tiny!"))
	if err == nil {
		t.Fatal("short secret accepted")
	}
	if bytes.Contains([]byte(err.Error()), []byte("tiny!")) {
		t.Errorf("error %q shows the secret", err)
	}
	k, _ := deskmail.NewKeyring([]byte("do-not-print-this-secret"))
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); bytes.Contains([]byte(s), []byte("do-not-print")) {
		t.Errorf("formatting shows the secret: %s", s)
	}
}

func TestKeyringSentinels(t *testing.T) {
	if _, err := deskmail.NewKeyring(); !errors.Is(err, deskmail.ErrNoSecret) {
		t.Errorf("no secret: %v, want ErrNoSecret", err)
	}
	if _, err := deskmail.NewKeyring([]byte("0123456789abcdef"), []byte("x")); !errors.Is(err, deskmail.ErrShortSecret) {
		t.Errorf("short secret: %v, want ErrShortSecret", err)
	}
	var nilring *deskmail.Keyring
	if nilring.Verify([]byte("p"), make([]byte, deskmail.MACLen)) {
		t.Error("a nil keyring verifies")
	}
}

func TestKeyringNeverSerialised(t *testing.T) {
	k, _ := deskmail.NewKeyring([]byte("do-not-print-this-secret"))
	b, err := json.Marshal(struct{ K *deskmail.Keyring }{k})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("do-not-print")) {
		t.Errorf("JSON shows the secret: %s", b)
	}
}
