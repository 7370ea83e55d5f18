package dkim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"strings"
)

// CheckStatus is the outcome of comparing a published key with the local one.
type CheckStatus string

// The outcomes of CheckPublished.
const (
	CheckMatch     CheckStatus = "match"     // the published key is the local key
	CheckMismatch  CheckStatus = "mismatch"  // a different key is published
	CheckMissing   CheckStatus = "missing"   // no record at the name
	CheckRevoked   CheckStatus = "revoked"   // the record has an empty p=
	CheckInvalid   CheckStatus = "invalid"   // the record does not parse
	CheckMultiple  CheckStatus = "multiple"  // several TXT records at the name
	CheckTempError CheckStatus = "temperror" // DNS failed; try again
)

// KeyCheck is the result of CheckPublished.
type KeyCheck struct {
	Status CheckStatus `json:"status"`
	// Name is the DNS name looked up: SELECTOR._domainkey.DOMAIN.
	Name string `json:"name"`
	// Published is what DNS returned, one string per record.
	Published []string `json:"published,omitempty"`
	// Expected is the record that should be published for the local key.
	Expected string `json:"expected"`
	// KeySize is the published key's size in bits, when it parses.
	KeySize int `json:"key_size,omitempty"`
	// Testing is set when the published record carries t=y.
	Testing bool `json:"testing,omitempty"`
	// Reason says in words what is wrong and what to do.
	Reason string `json:"reason"`
}

// OK reports whether the published key matches.
func (c *KeyCheck) OK() bool { return c.Status == CheckMatch }

// CheckPublished looks up the key record of selector at domain and
// compares it with local, the local private or public key. Only the
// public half is used; the result never includes private material. A DNS
// failure is a CheckTempError result, not an error; the error is for an
// unusable local key.
func CheckPublished(ctx context.Context, r Resolver, domain, selector string, local any) (*KeyCheck, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	want, err := NewKeyRecord(local)
	if err != nil {
		return nil, err
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	c := &KeyCheck{Name: selector + "._domainkey." + domain, Expected: want.String()}
	txts, err := r.LookupTXT(ctx, c.Name)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound, err == nil && len(txts) == 0:
		c.Status, c.Reason = CheckMissing, fmt.Sprintf("no TXT record at %s: publish %q", c.Name, c.Expected)
		return c, nil
	case err != nil:
		c.Status, c.Reason = CheckTempError, fmt.Sprintf("DNS lookup of %s failed: %v", c.Name, err)
		return c, nil
	}
	c.Published = txts
	if len(txts) > 1 {
		c.Status, c.Reason = CheckMultiple, fmt.Sprintf("%d TXT records at %s; verifiers reject that (RFC 6376 section 3.6.2.2): keep only %q", len(txts), c.Name, c.Expected)
		return c, nil
	}
	got, err := ParseKeyRecord(txts[0])
	if err != nil {
		c.Status, c.Reason = CheckInvalid, fmt.Sprintf("the record at %s does not parse (%v): replace it with %q", c.Name, strings.TrimPrefix(err.Error(), "dkim: "), c.Expected)
		return c, nil
	}
	c.KeySize, c.Testing = got.KeySize(), got.Testing()
	if got.Revoked() {
		c.Status, c.Reason = CheckRevoked, fmt.Sprintf("the record at %s is revoked (empty p=): publish %q", c.Name, c.Expected)
		return c, nil
	}
	pub, err := got.Key()
	if err == nil && samePublic(pub, local) {
		c.Status, c.Reason = CheckMatch, fmt.Sprintf("%s publishes the local %s key (%d bits)", c.Name, AlgorithmOf(pub), c.KeySize)
		if c.Testing {
			c.Reason += "; the record still has t=y (testing): remove it once signing works"
		}
		return c, nil
	}
	c.Status, c.Reason = CheckMismatch, fmt.Sprintf("%s publishes a different key: mail signed with the local key will fail DKIM; publish %q", c.Name, c.Expected)
	return c, nil
}

func samePublic(pub crypto.PublicKey, local any) bool {
	if s, ok := local.(crypto.Signer); ok {
		local = s.Public()
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		l, ok := local.(*rsa.PublicKey)
		return ok && p.Equal(l)
	case ed25519.PublicKey:
		l, ok := local.(ed25519.PublicKey)
		return ok && bytes.Equal(p, l)
	}
	return false
}
