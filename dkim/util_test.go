package dkim_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"testing"
)

func mustRead(t testing.TB, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsePKCS1 loads the 1024-bit test key, which dkim.ParsePrivateKey
// refuses for signing.
func parsePKCS1(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no pem")
	}
	return x509.ParsePKCS1PrivateKey(blk.Bytes)
}

func rawEd25519Seed(t *testing.T, k crypto.Signer) string {
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		t.Fatalf("%T is not Ed25519", k)
	}
	return base64.StdEncoding.EncodeToString(priv.Seed())
}

func parsePKCS1OrPKCS8(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no pem")
	}
	if blk.Type == "RSA PRIVATE KEY" {
		return x509.ParsePKCS1PrivateKey(blk.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	return k.(crypto.Signer), nil
}
