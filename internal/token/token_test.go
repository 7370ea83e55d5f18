package token

import (
	"bytes"
	"fmt"
	"testing"
)

func TestKeyringRotation(t *testing.T) {
	old, _ := NewKeyring([]byte("old-secret-0123456789"))
	rotated, _ := NewKeyring([]byte("new-secret-0123456789"), []byte("old-secret-0123456789"))
	other, _ := NewKeyring([]byte("someone-elses-secret!"))
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
	if rotated.Verify(p, m[:MACLen-1]) {
		t.Error("truncated MAC accepted")
	}
	if rotated.Verify([]byte("acct\x00ticket\x00msh"), m) {
		t.Error("MAC accepted for another payload")
	}
}

func TestNewKeyringRejectsShortSecrets(t *testing.T) {
	if _, err := NewKeyring(); err == nil {
		t.Error("no secret accepted")
	}
	_, err := NewKeyring([]byte("short"))
	if err == nil {
		t.Fatal("short secret accepted")
	}
	if bytes.Contains([]byte(err.Error()), []byte("short")) {
		t.Errorf("error %q shows the secret", err)
	}
	k, _ := NewKeyring([]byte("do-not-print-this-secret"))
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); bytes.Contains([]byte(s), []byte("do-not-print")) {
		t.Errorf("formatting shows the secret: %s", s)
	}
}

func TestEncodeDecodeIgnoresCase(t *testing.T) {
	b := []byte{0, 1, 2, 250, 255, 7}
	s := Encode(b)
	for _, in := range []string{s, string(bytes.ToUpper([]byte(s)))} {
		got, err := Decode(in)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("Decode(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := Decode("!!"); err == nil {
		t.Error("Decode accepted junk")
	}
}
