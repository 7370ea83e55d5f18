package deskmail

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinSecretLen is the shortest secret a Keyring accepts, in bytes.
const MinSecretLen = 16

// MACLen is the length of the truncated MACs a Keyring makes, in bytes: 80
// bits, so a forger must send about 2^79 guesses to have one accepted.
const MACLen = 10

// ErrNoSecret is returned by NewKeyring when it is given no secret, and by
// constructors that need a Keyring and were given none.
var ErrNoSecret = errors.New("deskmail: no signing secret")

// ErrShortSecret is returned by NewKeyring for a secret shorter than
// MinSecretLen.
var ErrShortSecret = errors.New("deskmail: signing secret shorter than 16 bytes")

// Keyring holds the secrets deskmail signs its tokens with: the thread
// tokens in Message-IDs and reply addresses, VERP return paths, identity
// verification links and forwarding checks. One Keyring serves them all.
//
// The first secret signs; every secret verifies. To rotate, put the new
// secret first and keep the old ones until the mail signed with them no
// longer matters (for thread tokens: as long as customers may reply to old
// mail, months; for verification links: their expiry).
//
// A Keyring never prints, logs or serialises its secrets. It is safe for
// concurrent use and immutable once made.
type Keyring struct {
	keys [][]byte
}

// NewKeyring returns a keyring over secrets, newest first. Every secret must
// be at least MinSecretLen bytes; 32 random bytes are a good choice. The
// secrets are copied. It returns ErrNoSecret without secrets and an error
// wrapping ErrShortSecret for a short one (the error names its position,
// never its bytes).
func NewKeyring(secrets ...[]byte) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	k := &Keyring{}
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("%w: secret %d is %d bytes", ErrShortSecret, i, len(s))
		}
		k.keys = append(k.keys, append([]byte(nil), s...))
	}
	return k, nil
}

// MustKeyring is NewKeyring for secrets known to be valid, such as constants
// in tests; it panics on an error.
func MustKeyring(secrets ...[]byte) *Keyring {
	k, err := NewKeyring(secrets...)
	if err != nil {
		panic(err)
	}
	return k
}

// MAC returns the MACLen-byte truncated HMAC-SHA256 of payload under the
// signing (first) secret.
func (k *Keyring) MAC(payload []byte) []byte {
	return mac(k.keys[0], payload)
}

// Verify reports whether m is the truncated MAC of payload under any of the
// keyring's secrets. It compares in constant time.
func (k *Keyring) Verify(payload, m []byte) bool {
	if k == nil || len(m) != MACLen {
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
func (k *Keyring) String() string { return "deskmail.Keyring{…}" }

// GoString is String, for %#v.
func (k *Keyring) GoString() string { return k.String() }

// MarshalText returns the same fixed text as String, so a Keyring inside a
// value that is logged or serialised shows no secret.
func (k *Keyring) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:MACLen]
}
