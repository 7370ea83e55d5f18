package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Algorithm is a DKIM key algorithm.
type Algorithm string

// The key algorithms deskmail generates and signs with.
const (
	RSA     Algorithm = "rsa"     // rsa-sha256 (RFC 6376, RFC 8301)
	Ed25519 Algorithm = "ed25519" // ed25519-sha256 (RFC 8463)
)

// Key size limits, in bits.
const (
	// MinSigningBits is the smallest RSA key GenerateKey creates and the
	// signer accepts.
	MinSigningBits = 2048
	// MinVerifyBits is the smallest RSA key a verifier accepts (RFC 8301
	// section 3.2).
	MinVerifyBits = 1024
)

// ErrWeakKey is returned for an RSA key below MinSigningBits (signing and
// generation) or MinVerifyBits (verification).
var ErrWeakKey = errors.New("dkim: RSA key too short")

// PrivateKeyPEM is a PKCS #8 PEM-encoded private key. Its String, GoString
// and LogValue methods redact it, so a KeyState printed with %v or logged
// with slog never shows key material.
type PrivateKeyPEM []byte

// String returns a redacted placeholder.
func (PrivateKeyPEM) String() string { return "[redacted private key]" }

// GoString returns a redacted placeholder.
func (PrivateKeyPEM) GoString() string { return "dkim.PrivateKeyPEM([redacted])" }

// LogValue keeps the key out of slog output.
func (PrivateKeyPEM) LogValue() slog.Value { return slog.StringValue("[redacted private key]") }

// GenerateKey creates a private key: RSA with bits bits (0 means 2048; less
// than MinSigningBits wraps ErrWeakKey) or Ed25519 (bits ignored). random
// is the entropy source; nil means crypto/rand.
func GenerateKey(alg Algorithm, bits int, random io.Reader) (crypto.Signer, error) {
	if random == nil {
		random = rand.Reader
	}
	switch alg {
	case RSA, "":
		if bits == 0 {
			bits = MinSigningBits
		}
		if bits < MinSigningBits {
			return nil, fmt.Errorf("%w: %d bits requested, at least %d required", ErrWeakKey, bits, MinSigningBits)
		}
		return rsa.GenerateKey(random, bits)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(random)
		if err != nil {
			return nil, fmt.Errorf("dkim: generating Ed25519 key: %w", err)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("dkim: unsupported algorithm %q (want rsa or ed25519)", alg)
}

// MarshalPrivateKey encodes key as a PKCS #8 PEM block ("PRIVATE KEY").
func MarshalPrivateKey(key crypto.Signer) (PrivateKeyPEM, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("dkim: encoding private key: unsupported key type %T", key)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey decodes a PEM private key: PKCS #8 ("PRIVATE KEY"),
// PKCS #1 ("RSA PRIVATE KEY", as openssl genrsa and opendkim-genkey write
// it). Errors never include key material.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("dkim: private key: no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("dkim: private key: unsupported PEM block type %q", block.Type)
	}
	if err != nil {
		// The x509 errors describe structure, not content, but keep them out
		// anyway: the input is secret.
		return nil, fmt.Errorf("dkim: private key: malformed %s block", block.Type)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("dkim: private key: unsupported key type %T", key)
	}
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < MinSigningBits {
			return nil, fmt.Errorf("%w: %d bits, at least %d required for signing", ErrWeakKey, k.N.BitLen(), MinSigningBits)
		}
	case ed25519.PrivateKey:
	default:
		return nil, fmt.Errorf("dkim: private key: unsupported key type %T (want RSA or Ed25519)", key)
	}
	return signer, nil
}

// AlgorithmOf returns the DKIM algorithm of a public or private key, or ""
// for other key types.
func AlgorithmOf(key any) Algorithm {
	switch key.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return RSA
	case ed25519.PublicKey, ed25519.PrivateKey:
		return Ed25519
	}
	return ""
}

// NewKeyRecord returns the key record to publish for a public key
// (*rsa.PublicKey or ed25519.PublicKey) or for a private key's public half.
// RSA keys are published as SubjectPublicKeyInfo, as opendkim-genkey does.
func NewKeyRecord(key any) (*KeyRecord, error) {
	if s, ok := key.(crypto.Signer); ok {
		key = s.Public()
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("dkim: encoding public key: %w", err)
		}
		return &KeyRecord{Version: "DKIM1", KeyType: "rsa", PublicKey: der}, nil
	case ed25519.PublicKey:
		return &KeyRecord{Version: "DKIM1", KeyType: "ed25519", PublicKey: append([]byte(nil), k...)}, nil
	}
	return nil, fmt.Errorf("dkim: unsupported key type %T", key)
}
