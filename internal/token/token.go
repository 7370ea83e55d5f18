// Package token signs and verifies the short tokens deskmail puts in
// addresses and Message-IDs (threading tokens, VERP return paths).
//
// A token is a payload the caller encodes plus a truncated MAC over it made
// by a deskmail.Keyring.
//
// Tokens travel in local parts, which some providers fold to lower case, so
// the text form is lower-case base32 without padding, and decoding ignores
// case.
package token

import (
	"encoding/base32"
	"fmt"
	"strings"
)

// Encoding is lower-case base32 (RFC 4648 alphabet) without padding.
var Encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

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
