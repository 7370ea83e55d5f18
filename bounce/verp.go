package bounce

import (
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/token"
)

// VERP errors.
var (
	// ErrNoToken: the address carries no VERP token of ours.
	ErrNoToken = errors.New("bounce: no VERP token")
	// ErrBadToken: the address has a VERP token whose signature does not
	// verify, or which does not decode: a forgery or a damaged address.
	ErrBadToken = errors.New("bounce: VERP token does not verify")
	// ErrTooLong: the return path would exceed the 254 octets SMTP allows
	// in a path.
	ErrTooLong = errors.New("bounce: VERP return path too long")
)

// DefaultVERPPrefix starts the local part of every VERP return path.
const DefaultVERPPrefix = "b"

// VERP makes and reads variable envelope return paths (B6, B10): the
// reverse-path of each outgoing message is
//
//	PREFIX-TOKEN@BOUNCE-DOMAIN
//
// where TOKEN is the lower-case base32 of (account, recipient, Message-ID)
// followed by an HMAC over them from the keyring, so a bounce to that address
// names exactly one recipient of one message of one account, and nobody
// without the secret can make one. The token survives MTAs that lower-case
// addresses. Rotate secrets by building the keyring with the new secret first
// and the old ones after: new tokens use the first, all verify.
//
// A VERP is safe for concurrent use.
type VERP struct {
	keys   *token.Keyring
	domain string
	prefix string
}

// VERPOptions configure NewVERP. Nil means the defaults.
type VERPOptions struct {
	// Prefix starts every local part, before a '-'. Empty means
	// DefaultVERPPrefix.
	Prefix string
}

// NewVERP returns a VERP for the platform's bounce domain, signing with
// keys.
func NewVERP(keys *token.Keyring, domain string, opts *VERPOptions) (*VERP, error) {
	if keys == nil {
		return nil, errors.New("bounce: VERP needs a keyring")
	}
	d, err := deskmail.NormalizeDomain(domain)
	if err != nil || d == "" {
		return nil, fmt.Errorf("bounce: bad bounce domain %q", domain)
	}
	v := &VERP{keys: keys, domain: d, prefix: DefaultVERPPrefix}
	if opts != nil && opts.Prefix != "" {
		v.prefix = strings.ToLower(opts.Prefix)
	}
	return v, nil
}

// Domain returns the bounce domain.
func (v *VERP) Domain() string { return v.domain }

// ReturnPath returns the VERP reverse-path for one recipient of one message
// of account. The relay package plugs a VERP in through this method.
func (v *VERP) ReturnPath(account, recipient, messageID string) (string, error) {
	if account == "" || recipient == "" {
		return "", errors.New("bounce: VERP needs an account and a recipient")
	}
	payload := encodeFields(account, strings.ToLower(recipient), strings.Trim(messageID, "<>"))
	mac := v.keys.MAC(payload)
	local := v.prefix + "-" + token.Encode(append(payload, mac...))
	addr := local + "@" + v.domain
	if len(addr) > 254 {
		return "", ErrTooLong
	}
	return addr, nil
}

// Token is what a verified VERP address says.
type Token struct {
	Account   string `json:"account"`
	Recipient string `json:"recipient"`
	MessageID string `json:"message_id"`
}

// Verify reads a VERP address. It returns ErrNoToken when addr is not a
// VERP address of this bounce domain and prefix, and ErrBadToken when the
// token does not verify.
func (v *VERP) Verify(addr string) (Token, error) {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || addr[at+1:] != v.domain {
		return Token{}, ErrNoToken
	}
	local := addr[:at]
	if !strings.HasPrefix(local, v.prefix+"-") {
		return Token{}, ErrNoToken
	}
	raw, err := token.Decode(local[len(v.prefix)+1:])
	if err != nil || len(raw) <= token.MACLen {
		return Token{}, ErrBadToken
	}
	payload, mac := raw[:len(raw)-token.MACLen], raw[len(raw)-token.MACLen:]
	if !v.keys.Verify(payload, mac) {
		return Token{}, ErrBadToken
	}
	f, ok := decodeFields(payload, 3)
	if !ok {
		return Token{}, ErrBadToken
	}
	return Token{Account: f[0], Recipient: f[1], MessageID: f[2]}, nil
}

// Find returns the first verified token among addrs (a report's Envelope),
// or ErrNoToken, or ErrBadToken when only forged tokens were found.
func (v *VERP) Find(addrs []string) (Token, error) {
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

// encodeFields joins strings with one-byte... lengths as uvarints.
func encodeFields(fs ...string) []byte {
	var b []byte
	for _, f := range fs {
		n := len(f)
		for n >= 0x80 {
			b = append(b, byte(n)|0x80)
			n >>= 7
		}
		b = append(b, byte(n))
		b = append(b, f...)
	}
	return b
}

func decodeFields(b []byte, n int) ([]string, bool) {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var l, shift int
		for {
			if len(b) == 0 || shift > 21 {
				return nil, false
			}
			c := b[0]
			b = b[1:]
			l |= int(c&0x7f) << shift
			shift += 7
			if c < 0x80 {
				break
			}
		}
		if l > len(b) {
			return nil, false
		}
		out = append(out, string(b[:l]))
		b = b[l:]
	}
	return out, len(b) == 0
}
