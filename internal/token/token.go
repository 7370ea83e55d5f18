// Package token signs and verifies the short tokens deskmail puts in
// addresses and Message-IDs (threading tokens, VERP return paths).
//
// A token is a payload the caller encodes plus a truncated HMAC-SHA256 over
// it. A Keyring holds one or more secrets: the first signs, every one
// verifies, so a host rotates its secret by putting the new one first and
// keeping the old one until the mail signed with it no longer matters.
//
// Tokens travel in local parts, which some providers fold to lower case, so
// the text form is lower-case base32 without padding, and decoding ignores
// case.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// MinSecretLen is the shortest secret a Keyring accepts.
const MinSecretLen = 16

// MACLen is the length of the truncated MAC in bytes: 80 bits, enough that a
// forger must send about 2^79 guesses to have one accepted.
const MACLen = 10

// ErrNoSecret is returned by NewKeyring without a usable secret.
var ErrNoSecret = errors.New("token: no secret of at least 16 bytes")

// Encoding is lower-case base32 (RFC 4648 alphabet) without padding.
var Encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Keyring signs with its first secret and verifies with all of them.
// It is safe for concurrent use.
type Keyring struct {
	keys [][]byte
}

// NewKeyring returns a keyring over secrets, newest first. Every secret must
// be at least MinSecretLen bytes. The secrets are copied.
func NewKeyring(secrets ...[]byte) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	k := &Keyring{}
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("token: secret %d is %d bytes, want at least %d", i, len(s), MinSecretLen)
		}
		k.keys = append(k.keys, append([]byte(nil), s...))
	}
	return k, nil
}

// MAC returns the truncated MAC of payload under the signing secret.
func (k *Keyring) MAC(payload []byte) []byte {
	return mac(k.keys[0], payload)
}

// Verify reports whether m is the truncated MAC of payload under any of the
// keyring's secrets. It compares in constant time.
func (k *Keyring) Verify(payload, m []byte) bool {
	if len(m) != MACLen {
		return false
	}
	ok := false
	for _, key := range k.keys {
		if hmac.Equal(mac(key, payload), m) {
			ok = true
		}
	}
	return ok
}

// String returns a fixed text, so a Keyring printed by mistake never shows
// a secret.
func (k *Keyring) String() string { return "token.Keyring{…}" }

// GoString is String, for %#v.
func (k *Keyring) GoString() string { return k.String() }

func mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:MACLen]
}

// Encode returns the lower-case base32 form of b.
func Encode(b []byte) string { return Encoding.EncodeToString(b) }

// Decode decodes lower- or upper-case base32 without padding.
func Decode(s string) ([]byte, error) {
	b, err := Encoding.DecodeString(strings.ToLower(s))
	if err != nil {
		return nil, fmt.Errorf("token: not base32: %v", err)
	}
	return b, nil
}
