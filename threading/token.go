package threading

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/token"
)

// Token errors. Both are returned by ParseMessageID, ParseReplyTag and
// ParseBodyMarker, and compared with errors.Is.
var (
	// ErrNotOurs means the value is not in the form this install writes: a
	// Message-ID of another system, or of another deskmail install.
	ErrNotOurs = errors.New("threading: not one of our tokens")
	// ErrInvalidToken means the value looks like one of ours but does not
	// verify: forged, truncated, corrupted, or signed with a secret no longer
	// in the keyring. Such a value must never attach a mail to a ticket.
	ErrInvalidToken = errors.New("threading: token does not verify")
)

// Token is what a signed token carries.
type Token struct {
	// Install is the install id the token was written by.
	Install string `json:"install,omitempty"`
	// Account is the tenant.
	Account string `json:"account,omitempty"`
	// Ticket is the host's ticket id.
	Ticket string `json:"ticket,omitempty"`
	// Message is the host's id of the outgoing message; empty in reply tags
	// and body markers, which name a ticket only.
	Message string `json:"message,omitempty"`
}

// Token kinds: the first byte of a token's payload.
const (
	kindMessage byte = 'm' // Message-ID: account, ticket, message in the payload
	kindTicket  byte = 't' // reply tag, body marker: ticket only, account bound by the MAC
)

// Field encodings, the first byte of each field.
const (
	fieldRaw    byte = 0 // uvarint length + bytes
	fieldNumber byte = 1 // uvarint of a canonical decimal number
	fieldUUID   byte = 2 // 16 bytes of a canonical lower-case UUID
)

// maxField bounds one field of a token; maxTokenText bounds the encoded
// text accepted for decoding, so hostile input stays cheap.
const (
	maxField     = 255
	maxTokenText = 900
)

// macPrefix separates threading MACs from every other use of the keyring.
const macPrefix = "deskmail/threading/v1\x00"

func appendField(b []byte, s string) []byte {
	if n, ok := canonicalNumber(s); ok {
		b = append(b, fieldNumber)
		return binary.AppendUvarint(b, n)
	}
	if u, ok := canonicalUUID(s); ok {
		b = append(b, fieldUUID)
		return append(b, u[:]...)
	}
	b = append(b, fieldRaw)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readField decodes one field from b and returns the rest.
func readField(b []byte) (string, []byte, bool) {
	if len(b) == 0 {
		return "", nil, false
	}
	switch b[0] {
	case fieldNumber:
		n, k := binary.Uvarint(b[1:])
		if k <= 0 {
			return "", nil, false
		}
		return strconv.FormatUint(n, 10), b[1+k:], true
	case fieldUUID:
		if len(b) < 17 {
			return "", nil, false
		}
		h := hex.EncodeToString(b[1:17])
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], b[17:], true
	case fieldRaw:
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > maxField || uint64(len(b)-1-k) < n {
			return "", nil, false
		}
		return string(b[1+k : 1+k+int(n)]), b[1+k+int(n):], true
	}
	return "", nil, false
}

func canonicalNumber(s string) (uint64, bool) {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

func canonicalUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return u, false
		}
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

// macInput is what the MAC covers: the install, the account and the payload
// (kind and fields).
func macInput(install, account string, payload []byte) []byte {
	b := make([]byte, 0, len(macPrefix)+len(install)+len(account)+2+len(payload))
	b = append(b, macPrefix...)
	b = append(b, install...)
	b = append(b, 0)
	b = append(b, account...)
	b = append(b, 0)
	return append(b, payload...)
}

// seal signs payload for account and returns the token text.
func seal(keys *deskmail.Keyring, install, account string, payload []byte) string {
	m := keys.MAC(macInput(install, account, payload))
	return token.Encode(append(payload, m...))
}

// open decodes and verifies token text. For kindTicket the account must be
// given; for kindMessage it is read from the payload and, when account is
// not empty, must equal it.
func open(keys *deskmail.Keyring, install, account, text string) (Token, error) {
	if text == "" || len(text) > maxTokenText {
		return Token{}, ErrInvalidToken
	}
	raw, err := token.Decode(text)
	if err != nil || len(raw) < 1+deskmail.MACLen {
		return Token{}, ErrInvalidToken
	}
	// Only the canonical text verifies: the last base32 character carries
	// spare bits a forger could flip.
	if token.Encode(raw) != strings.ToLower(text) {
		return Token{}, ErrInvalidToken
	}
	payload, m := raw[:len(raw)-deskmail.MACLen], raw[len(raw)-deskmail.MACLen:]
	t := Token{Install: install}
	rest := payload[1:]
	var ok bool
	switch payload[0] {
	case kindMessage:
		if t.Account, rest, ok = readField(rest); !ok {
			return Token{}, ErrInvalidToken
		}
		if t.Ticket, rest, ok = readField(rest); !ok {
			return Token{}, ErrInvalidToken
		}
		if t.Message, rest, ok = readField(rest); !ok {
			return Token{}, ErrInvalidToken
		}
	case kindTicket:
		if account == "" {
			return Token{}, ErrInvalidToken
		}
		t.Account = account
		if t.Ticket, rest, ok = readField(rest); !ok {
			return Token{}, ErrInvalidToken
		}
	default:
		return Token{}, ErrInvalidToken
	}
	if len(rest) != 0 {
		return Token{}, ErrInvalidToken
	}
	if !keys.Verify(macInput(install, t.Account, payload), m) {
		return Token{}, ErrInvalidToken
	}
	if account != "" && t.Account != account {
		// Verified, but for another tenant: not evidence for this one.
		return Token{}, fmt.Errorf("%w: signed for another account", ErrInvalidToken)
	}
	return t, nil
}

func messagePayload(t Token) []byte {
	b := make([]byte, 0, 16+len(t.Account)+len(t.Ticket)+len(t.Message))
	b = append(b, kindMessage)
	b = appendField(b, t.Account)
	b = appendField(b, t.Ticket)
	return appendField(b, t.Message)
}

func ticketPayload(ticket string) []byte {
	b := make([]byte, 0, 8+len(ticket))
	b = append(b, kindTicket)
	return appendField(b, ticket)
}

// idPrefix starts the local part of every Message-ID deskmail writes:
// "dm." + install id + "." + token.
const idPrefix = "dm."

// IsOurMessageID reports whether id (with or without angle brackets) has the
// form of a Message-ID written by the deskmail install install:
// <dm.INSTALL.TOKEN@domain>, compared without regard to case. It checks the
// form only, not the signature, so it needs no secret and costs a few
// string comparisons: loop detection (autoreply) can call it on every mail.
// Use Threader.ParseMessageID to verify the token and read it.
func IsOurMessageID(id, install string) bool {
	_, ok := splitOurID(id, install)
	return ok
}

// splitOurID returns the token text of one of our ids.
func splitOurID(id, install string) (string, bool) {
	id = cleanID(id)
	at := strings.LastIndexByte(id, '@')
	if at < 0 || install == "" {
		return "", false
	}
	local := id[:at]
	p := len(idPrefix) + len(install)
	if len(local) <= p+1 || !strings.EqualFold(local[:len(idPrefix)], idPrefix) ||
		!strings.EqualFold(local[len(idPrefix):p], install) || local[p] != '.' {
		return "", false
	}
	return local[p+1:], true
}

// markerPrefix and markerSuffix surround a body marker's token.
const (
	markerPrefix = "ref:dm."
	markerSuffix = ":ref"
)
