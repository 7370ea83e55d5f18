package bounce

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/token"
)

// VERP errors.
var (
	// ErrNoKeyring is returned by NewVERP given a nil keyring, and by the
	// methods of a VERP that was not constructed.
	ErrNoKeyring = errors.New("bounce: VERP needs a keyring")
	// ErrNoToken: the address carries no VERP token of ours.
	ErrNoToken = errors.New("bounce: no VERP token")
	// ErrBadToken: the address has a VERP token whose signature does not
	// verify, or which does not decode: a forgery or a damaged address.
	ErrBadToken = errors.New("bounce: VERP token does not verify")
	// ErrTooLong: the return path would exceed the 254 octets SMTP allows
	// in a path (RFC 5321 section 4.5.3.1.3), or the local part the 64
	// octets of VERPOptions.MaxLocal.
	ErrTooLong = errors.New("bounce: VERP return path too long")
)

// DefaultVERPPrefix starts the local part of every VERP return path.
const DefaultVERPPrefix = "b"

// Sizes of the parts of a VERP token, in bytes before base32.
const (
	// MessageHashLen is the length of the message reference: the first
	// 48 bits of SHA-256 over the Message-ID.
	MessageHashLen = 6
	// RecipientHashLen is the length of the recipient reference: the
	// first 32 bits of SHA-256 over the lower-cased recipient.
	RecipientHashLen = 4
	// MaxLocalPart is the RFC 5321 limit of a local part, in octets.
	MaxLocalPart = 64
)

// Account encodings, the first byte of a token. The byte also versions the
// format: a later format takes new values.
const (
	acctRaw       = 0 // the account's bytes
	acctUUIDLower = 1 // a lower-case RFC 9562 text UUID as its 16 bytes
	acctUUIDUpper = 2 // the same in upper case
	acctHex       = 3 // an even-length lower-case hex string as its bytes
	acctDecimal   = 4 // a decimal number without leading zeros as big-endian uint64
	acctMax       = acctDecimal
)

// fixedLen is what a token carries besides its account.
const fixedLen = 1 + MessageHashLen + RecipientHashLen + deskmail.MACLen

// macDomain separates VERP MACs from every other use of the keyring.
var macDomain = []byte("deskmail/bounce/verp/1\x00")

// VERP makes and reads variable envelope return paths (B6, B10): the
// reverse-path of each outgoing message is
//
//	PREFIX-TOKEN@BOUNCE-DOMAIN
//
// where TOKEN is the lower-case base32 of the account (compactly encoded),
// a 48-bit hash of the Message-ID, a 32-bit hash of the recipient and an
// 80-bit HMAC over them from the keyring. Nobody without the secret can make
// one, and the token is short: for a UUID account the local part is 62
// octets whatever the recipient and Message-ID (see the package
// documentation, "Attribution"). The token survives MTAs that change the
// case of addresses. Rotate secrets by building the keyring with the new
// secret first and the old ones after: new tokens use the first, all verify.
//
// A VERP is safe for concurrent use.
type VERP struct {
	keys     *deskmail.Keyring
	domain   string
	prefix   string
	maxLocal int
}

// VERPOptions configure NewVERP. Nil means the defaults.
type VERPOptions struct {
	// Prefix starts every local part, before a '-'. Empty means
	// DefaultVERPPrefix.
	Prefix string
	// MaxLocal is the longest local part ReturnPath makes, in octets;
	// longer ones fail with ErrTooLong. Zero means no limit but the
	// 254-octet path: accounts that do not fit 64 octets (raw accounts
	// over 17 octets) still get a return path, which Postfix, Exim and
	// the large providers accept. Set it to MaxLocalPart to keep strictly
	// to RFC 5321.
	MaxLocal int
}

// NewVERP returns a VERP for the platform's bounce domain, signing with
// keys. It returns ErrNoKeyring for a nil keyring.
func NewVERP(keys *deskmail.Keyring, domain string, opts *VERPOptions) (*VERP, error) {
	if keys == nil {
		return nil, ErrNoKeyring
	}
	d, err := deskmail.NormalizeDomain(domain)
	if err != nil || d == "" {
		return nil, fmt.Errorf("bounce: bad bounce domain %q", domain)
	}
	v := &VERP{keys: keys, domain: d, prefix: DefaultVERPPrefix}
	if opts != nil {
		if opts.Prefix != "" {
			v.prefix = strings.ToLower(opts.Prefix)
		}
		v.maxLocal = opts.MaxLocal
	}
	return v, nil
}

// Domain returns the bounce domain ("" for the zero VERP).
func (v *VERP) Domain() string {
	if v == nil {
		return ""
	}
	return v.domain
}

// ReturnPath returns the VERP reverse-path for one recipient of one message
// of account. The relay package plugs a VERP in through this method
// (relay.VERPSigner). messageID may be empty (the token then matches no
// Message-ID) and may carry angle brackets.
func (v *VERP) ReturnPath(account, recipient, messageID string) (string, error) {
	if v == nil || v.keys == nil {
		return "", ErrNoKeyring
	}
	if account == "" || recipient == "" {
		return "", errors.New("bounce: VERP needs an account and a recipient")
	}
	b := make([]byte, 0, fixedLen+len(account))
	b = appendAccount(b, account)
	mh := messageHash(messageID)
	rh := recipientHash(recipient)
	b = append(b, mh[:]...)
	b = append(b, rh[:]...)
	b = append(b, v.mac(b)...)
	local := v.prefix + "-" + token.Encode(b)
	if v.maxLocal > 0 && len(local) > v.maxLocal {
		return "", ErrTooLong
	}
	addr := local + "@" + v.domain
	if len(addr) > 254 {
		return "", ErrTooLong
	}
	return addr, nil
}

func (v *VERP) mac(payload []byte) []byte {
	return v.keys.MAC(append(macDomain[:len(macDomain):len(macDomain)], payload...))
}

// Token is what a verified VERP address says: the account in clear, the
// message and the recipient as hashes, which MessageIs and RecipientIs
// compare with candidates from a report or the delivery records.
type Token struct {
	Account string `json:"account"`
	// MessageHash and RecipientHash are the references as the token
	// carries them (MessageHashLen and RecipientHashLen bytes).
	MessageHash   [MessageHashLen]byte   `json:"-"`
	RecipientHash [RecipientHashLen]byte `json:"-"`
}

// MessageIs reports whether the token was made for messageID (angle
// brackets and surrounding space ignored). An empty messageID never
// matches.
func (t Token) MessageIs(messageID string) bool {
	if strings.Trim(strings.TrimSpace(messageID), "<>") == "" {
		return false
	}
	return messageHash(messageID) == t.MessageHash
}

// RecipientIs reports whether the token was made for the recipient address
// (compared case-insensitively, angle brackets ignored).
func (t Token) RecipientIs(address string) bool {
	if normAddr(address) == "" {
		return false
	}
	return recipientHash(address) == t.RecipientHash
}

// Verify reads a VERP address. It returns ErrNoToken when addr is not a
// VERP address of this bounce domain and prefix, and ErrBadToken when the
// token does not decode or verify; ErrNoKeyring for the zero VERP.
func (v *VERP) Verify(addr string) (Token, error) {
	if v == nil || v.keys == nil {
		return Token{}, ErrNoKeyring
	}
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || addr[at+1:] != v.domain {
		return Token{}, ErrNoToken
	}
	local := addr[:at]
	if !strings.HasPrefix(local, v.prefix+"-") {
		return Token{}, ErrNoToken
	}
	return v.decode(local[len(v.prefix)+1:])
}

func (v *VERP) decode(s string) (Token, error) {
	// 254 octets of base32 are at most 158 bytes: refuse longer input
	// before decoding it.
	if len(s) > 254 {
		return Token{}, ErrBadToken
	}
	raw, err := token.Decode(s)
	if err != nil || len(raw) < fixedLen || raw[0] > acctMax || token.Encode(raw) != s {
		// The last check refuses the non-canonical spellings base32 allows
		// in the unused bits of the last character: one token, one address.
		return Token{}, ErrBadToken
	}
	n := len(raw) - deskmail.MACLen
	payload, mac := raw[:n], raw[n:]
	if !v.keys.Verify(append(macDomain[:len(macDomain):len(macDomain)], payload...), mac) {
		return Token{}, ErrBadToken
	}
	acct, ok := decodeAccount(payload[0], payload[1:n-MessageHashLen-RecipientHashLen])
	if !ok {
		return Token{}, ErrBadToken
	}
	t := Token{Account: acct}
	copy(t.MessageHash[:], payload[n-MessageHashLen-RecipientHashLen:])
	copy(t.RecipientHash[:], payload[n-RecipientHashLen:])
	return t, nil
}

// Find returns the first verified token among addrs (a report's Envelope),
// or ErrNoToken, or ErrBadToken when only forged tokens were found.
func (v *VERP) Find(addrs []string) (Token, error) {
	if v == nil || v.keys == nil {
		return Token{}, ErrNoKeyring
	}
	err := ErrNoToken
	for _, a := range addrs {
		t, e := v.Verify(a)
		if e == nil {
			return t, nil
		}
		if errors.Is(e, ErrBadToken) {
			err = e
		}
	}
	return Token{}, err
}

func messageHash(id string) (h [MessageHashLen]byte) {
	s := sha256.Sum256([]byte("m\x00" + strings.Trim(strings.TrimSpace(id), "<>")))
	copy(h[:], s[:])
	return h
}

func recipientHash(addr string) (h [RecipientHashLen]byte) {
	s := sha256.Sum256([]byte("r\x00" + normAddr(addr)))
	copy(h[:], s[:])
	return h
}

// appendAccount appends the account's encoding byte and its bytes,
// choosing the most compact encoding that gives the account back exactly.
func appendAccount(b []byte, a string) []byte {
	if u, ok := parseUUID(a); ok {
		tag := byte(acctUUIDLower)
		if a != strings.ToLower(a) {
			tag = acctUUIDUpper
		}
		return append(append(b, tag), u[:]...)
	}
	if len(a) >= 2 && len(a)%2 == 0 && isLowerHex(a) {
		h, _ := hex.DecodeString(a)
		return append(append(b, acctHex), h...)
	}
	if n, err := strconv.ParseUint(a, 10, 64); err == nil && strconv.FormatUint(n, 10) == a {
		b = append(b, acctDecimal)
		var x [8]byte
		binary.BigEndian.PutUint64(x[:], n)
		i := 0
		for i < 7 && x[i] == 0 {
			i++
		}
		return append(b, x[i:]...)
	}
	return append(append(b, acctRaw), a...)
}

func decodeAccount(tag byte, b []byte) (string, bool) {
	switch tag {
	case acctRaw:
		if len(b) == 0 {
			return "", false
		}
		return string(b), true
	case acctUUIDLower, acctUUIDUpper:
		if len(b) != 16 {
			return "", false
		}
		var d [36]byte
		hex.Encode(d[0:8], b[0:4])
		d[8] = '-'
		hex.Encode(d[9:13], b[4:6])
		d[13] = '-'
		hex.Encode(d[14:18], b[6:8])
		d[18] = '-'
		hex.Encode(d[19:23], b[8:10])
		d[23] = '-'
		hex.Encode(d[24:36], b[10:16])
		if tag == acctUUIDUpper {
			return strings.ToUpper(string(d[:])), true
		}
		return string(d[:]), true
	case acctHex:
		if len(b) == 0 {
			return "", false
		}
		return hex.EncodeToString(b), true
	case acctDecimal:
		if len(b) == 0 || len(b) > 8 || (len(b) > 1 && b[0] == 0) {
			return "", false
		}
		var x [8]byte
		copy(x[8-len(b):], b)
		return strconv.FormatUint(binary.BigEndian.Uint64(x[:]), 10), true
	}
	return "", false
}

// parseUUID reads the 36-character text form of a UUID in one case only.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	if s != strings.ToLower(s) && s != strings.ToUpper(s) {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
