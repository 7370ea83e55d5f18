package arc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/dkim"
)

// Resolver looks up TXT records, as *net.Resolver and dnstest's zone do
// (the shape of dkim.Resolver).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

var _ Resolver = net.DefaultResolver

// VerifyOptions configure Verify. Nil means the defaults of each field.
type VerifyOptions struct {
	// Resolver fetches the sealers' keys. Nil means net.DefaultResolver.
	Resolver Resolver
}

// Chain is the outcome of verifying a message's ARC chain.
type Chain struct {
	// Result is the chain validation status.
	Result Result `json:"result"`
	// Instances are the ARC sets in instance order, 1 first; empty when
	// the fields are too malformed to be told apart.
	Instances []Instance `json:"instances,omitempty"`
	// Reason says, for a fail, what broke the chain.
	Reason string `json:"reason,omitempty"`
	// TempError is set when a fail came from a DNS failure: the chain may
	// verify later.
	TempError bool `json:"temperror,omitempty"`
}

// Latest returns the instance with the highest i=, or nil.
func (c *Chain) Latest() *Instance {
	if c == nil || len(c.Instances) == 0 {
		return nil
	}
	return &c.Instances[len(c.Instances)-1]
}

// AuthResult returns the arc= entry of an Authentication-Results value.
func (c *Chain) AuthResult() authres.Result {
	r := &authres.GenericResult{Method: "arc", Value: authres.ResultValue(c.Result), Params: map[string]string{}}
	if c.Result == Fail && c.Reason != "" {
		r.Params["reason"] = deskmail.SanitizeN(c.Reason, 120)
	}
	if c.Result == Pass {
		if l := c.Latest(); l != nil {
			r.Params["header.s"] = l.Selector
			r.Params["header.d"] = l.Sealer
		}
	}
	return r
}

// failf makes the chain fail with a reason.
func (c *Chain) failf(format string, args ...any) *Chain {
	c.Result, c.Reason = Fail, deskmail.Sanitize(fmt.Sprintf(format, args...))
	return c
}

// Verify validates the ARC chain of msg (RFC 8617 section 5.2): the sets'
// structure (instances 1..N without gaps, N at most MaxInstances, one of
// each field per instance), the recorded cv= values (none at i=1, pass
// after; any fail fails the chain), the latest ARC-Message-Signature over
// the message as DKIM verifies a signature, and every ARC-Seal over the
// sets up to its own. A message without ARC fields has Result None. The
// error is for a message that cannot be read (header section over the
// bounds); chain problems are a Result of Fail with a Reason.
func Verify(ctx context.Context, msg []byte, opts *VerifyOptions) (*Chain, error) {
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	h, body, err := splitMessage(msg)
	if err != nil {
		return nil, err
	}
	return verifyChain(ctx, h, body, newKeys(o.Resolver)), nil
}

func verifyChain(ctx context.Context, h header, body []byte, k *keys) *Chain {
	c := &Chain{Result: None}
	sets, err := collect(h)
	if err != nil {
		return c.failf("%v", err)
	}
	if len(sets) == 0 {
		return c
	}
	for _, s := range sets {
		c.Instances = append(c.Instances, s.instance())
	}
	n := len(sets)
	for _, in := range c.Instances {
		switch {
		case in.CV == Fail:
			return c.failf("instance %d recorded cv=fail", in.Instance)
		case in.Instance == 1 && in.CV != None:
			return c.failf("instance 1 has cv=%s; the first instance must have cv=none", in.CV)
		case in.Instance > 1 && in.CV != Pass:
			return c.failf("instance %d has cv=%s; instances after the first must have cv=pass", in.Instance, in.CV)
		}
	}
	latest := sets[n-1]
	if err := verifyAMS(ctx, h, body, latest, k); err != nil {
		c.TempError = isTemp(err)
		return c.failf("ARC-Message-Signature of instance %d: %v", n, err)
	}
	for i := n; i >= 1; i-- {
		if err := verifySeal(ctx, sets[:i], k); err != nil {
			c.TempError = isTemp(err)
			return c.failf("ARC-Seal of instance %d: %v", i, err)
		}
	}
	c.Result = Pass
	return c
}

// amsHash computes the header hash of an ARC-Message-Signature (or of the
// one being made) over h: the fields its h= names, picked from the bottom,
// then the signature field itself with b= empty.
func amsHash(h header, field string, tags map[string]string) ([]byte, error) {
	hc, _, err := canonOf(tags["c"])
	if err != nil {
		return nil, err
	}
	hasher := sha256.New()
	p := newPicker(h)
	for _, name := range strings.Split(dkim.StripFWS(tags["h"]), ":") {
		if name == "" {
			continue
		}
		if strings.EqualFold(name, sealField) {
			return nil, errors.New("h= lists ARC-Seal, which RFC 8617 forbids")
		}
		if f := p.pick(name); f != "" {
			hasher.Write([]byte(canonHeader(f, hc)))
		}
	}
	hasher.Write([]byte(strings.TrimSuffix(canonHeader(stripB(field), hc), "\r\n")))
	return hasher.Sum(nil), nil
}

// canonOf reads c= (default simple/simple): whether the header and the
// body algorithms are relaxed.
func canonOf(c string) (header, body bool, err error) {
	c = strings.ToLower(dkim.StripFWS(c))
	if c == "" {
		return false, false, nil
	}
	hc, bc, _ := strings.Cut(c, "/")
	if bc == "" {
		bc = "simple"
	}
	for _, v := range []string{hc, bc} {
		if v != "simple" && v != "relaxed" {
			return false, false, fmt.Errorf("unknown canonicalization %q", deskmail.SanitizeN(v, 20))
		}
	}
	return hc == "relaxed", bc == "relaxed", nil
}

func bodyHash(body []byte, relaxed bool) []byte {
	sum := sha256.Sum256(canonBody(body, relaxed))
	return sum[:]
}

func verifyAMS(ctx context.Context, h header, body []byte, s *set, k *keys) error {
	for _, t := range []string{"a", "b", "bh", "d", "h", "s"} {
		if _, ok := s.amsTags[t]; !ok {
			return fmt.Errorf("required tag %s= missing", t)
		}
	}
	_, bc, err := canonOf(s.amsTags["c"])
	if err != nil {
		return err
	}
	if _, ok := s.amsTags["l"]; ok {
		return errors.New("l= (a partly signed body) is not accepted")
	}
	want, err := base64.StdEncoding.DecodeString(dkim.StripFWS(s.amsTags["bh"]))
	if err != nil {
		return errors.New("bh= is not base64")
	}
	if subtle.ConstantTimeCompare(bodyHash(body, bc), want) != 1 {
		return errors.New("body hash did not verify")
	}
	hashed, err := amsHash(h, s.ams, s.amsTags)
	if err != nil {
		return err
	}
	return k.verify(ctx, s.amsTags, hashed)
}

// sealHash computes the hash an ARC-Seal signs: the ARC sets of sets in
// instance order (ARC-Authentication-Results, ARC-Message-Signature,
// ARC-Seal), relaxed, the last seal with b= empty and without its CRLF.
func sealHash(sets []*set) []byte {
	hasher := sha256.New()
	for j, s := range sets {
		hasher.Write([]byte(relaxedHeader(s.aar)))
		hasher.Write([]byte(relaxedHeader(s.ams)))
		if j == len(sets)-1 {
			hasher.Write([]byte(strings.TrimSuffix(relaxedHeader(stripB(s.seal)), "\r\n")))
		} else {
			hasher.Write([]byte(relaxedHeader(s.seal)))
		}
	}
	return hasher.Sum(nil)
}

func verifySeal(ctx context.Context, sets []*set, k *keys) error {
	s := sets[len(sets)-1]
	for _, t := range []string{"a", "b", "cv", "d", "s"} {
		if _, ok := s.sealTags[t]; !ok {
			return fmt.Errorf("required tag %s= missing", t)
		}
	}
	if _, ok := s.sealTags["h"]; ok {
		return errors.New("h= is not allowed in an ARC-Seal")
	}
	return k.verify(ctx, s.sealTags, sealHash(sets))
}

// keys fetches and caches the sealers' public keys for one call.
type keys struct {
	r     Resolver
	cache map[string]keyAnswer
}

type keyAnswer struct {
	key crypto.PublicKey
	err error
}

func newKeys(r Resolver) *keys { return &keys{r: r, cache: map[string]keyAnswer{}} }

// tempError marks a DNS failure.
type tempError struct{ error }

func isTemp(err error) bool {
	var t tempError
	return errors.As(err, &t)
}

func (k *keys) lookup(ctx context.Context, domain, selector string) (crypto.PublicKey, error) {
	name := selector + "._domainkey." + domain
	if a, ok := k.cache[name]; ok {
		return a.key, a.err
	}
	a := keyAnswer{}
	txts, err := k.r.LookupTXT(ctx, name)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound, err == nil && len(txts) == 0:
		a.err = fmt.Errorf("no key at %s", name)
	case err != nil:
		a.err = tempError{fmt.Errorf("key lookup of %s failed: %v", name, err)}
	case len(txts) > 1:
		a.err = fmt.Errorf("%d key records at %s", len(txts), name)
	default:
		rec, err := dkim.ParseKeyRecord(txts[0])
		if err == nil {
			a.key, err = rec.Key()
		}
		if err != nil {
			a.err = fmt.Errorf("key at %s: %s", name, strings.TrimPrefix(err.Error(), "dkim: "))
		}
	}
	k.cache[name] = a
	return a.key, a.err
}

// verify checks the b= signature of tags over hashed with the key at
// s._domainkey.d.
func (k *keys) verify(ctx context.Context, tags map[string]string, hashed []byte) error {
	domain := strings.ToLower(strings.TrimSuffix(dkim.StripFWS(tags["d"]), "."))
	selector := dkim.StripFWS(tags["s"])
	if domain == "" || selector == "" {
		return errors.New("empty d= or s=")
	}
	sig, err := base64.StdEncoding.DecodeString(dkim.StripFWS(tags["b"]))
	if err != nil || len(sig) == 0 {
		return errors.New("b= is empty or not base64")
	}
	pub, err := k.lookup(ctx, domain, selector)
	if err != nil {
		return err
	}
	switch a := strings.ToLower(dkim.StripFWS(tags["a"])); a {
	case "rsa-sha256":
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errors.New("a=rsa-sha256 but the key is not RSA")
		}
		if rk.N.BitLen() < dkim.MinVerifyBits {
			return fmt.Errorf("RSA key of %d bits is under the %d-bit minimum", rk.N.BitLen(), dkim.MinVerifyBits)
		}
		if rsa.VerifyPKCS1v15(rk, crypto.SHA256, hashed, sig) != nil {
			return errors.New("signature did not verify")
		}
	case "ed25519-sha256":
		ek, ok := pub.(ed25519.PublicKey)
		if !ok {
			return errors.New("a=ed25519-sha256 but the key is not Ed25519")
		}
		if !ed25519.Verify(ek, hashed, sig) {
			return errors.New("signature did not verify")
		}
	default:
		return fmt.Errorf("unsupported algorithm a=%s", deskmail.SanitizeN(a, 30))
	}
	return nil
}
