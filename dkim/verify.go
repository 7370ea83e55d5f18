package dkim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/deskmail/deskmail"
)

// Resolver looks up TXT records. *net.Resolver implements it, and so does
// dnstest's zone. LookupTXT returns one string per record, with a
// record's character-strings joined; a *net.DNSError with IsNotFound
// means no such name, one with IsTemporary or IsTimeout a temporary
// failure.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Result is the outcome of one signature (RFC 8601 section 2.7.1).
type Result string

// The DKIM results.
const (
	ResultNone      Result = "none"      // the message is not signed
	ResultPass      Result = "pass"      // the signature verified
	ResultFail      Result = "fail"      // the signature or body hash did not verify
	ResultNeutral   Result = "neutral"   // failed, but the key is in testing mode (t=y)
	ResultPolicy    Result = "policy"    // verified, but refused by local policy
	ResultTempError Result = "temperror" // the key could not be fetched now
	ResultPermError Result = "permerror" // malformed signature or key, no key, weak key
)

// VerifyOptions configure Verify. Nil means the defaults of each field.
type VerifyOptions struct {
	// Resolver fetches key records. Nil means net.DefaultResolver.
	Resolver Resolver
	// MaxSignatures is how many signatures are verified; the rest are
	// reported as permerror without a DNS query. Zero means 5.
	MaxSignatures int
	// Now is the clock for x= expiry. Nil means time.Now.
	Now func() time.Time
}

// Verification is the outcome of one DKIM-Signature, with what
// go-msgauth's own result lacks: selector, algorithm, key size and the
// b= prefix, so two signatures of one domain can be told apart.
type Verification struct {
	Result     Result `json:"result"`
	Domain     string `json:"domain"`
	Selector   string `json:"selector"`
	Identifier string `json:"identifier,omitempty"`
	// Algorithm is a= ("rsa-sha256", "ed25519-sha256").
	Algorithm string `json:"algorithm"`
	// KeySize is the public key's size in bits (0 when not fetched).
	KeySize int `json:"key_size,omitempty"`
	// BPrefix is the first 8 characters of b= (RFC 6008 header.b).
	BPrefix string `json:"b_prefix,omitempty"`
	// Testing is set when the key record carries t=y.
	Testing bool `json:"testing,omitempty"`
	// Headers are the signed header fields (h=).
	Headers []string `json:"headers,omitempty"`
	// Reason explains a result other than pass, for a person; what it
	// quotes from the mail is sanitised.
	Reason string `json:"reason,omitempty"`
	// Signature and Key are the parsed signature and key record, when
	// they could be parsed. Verify leaves Signature.BodyHash and
	// Signature.Data nil, keeps only the first 8 characters of b= in
	// Signature.B (BPrefix), and leaves the key bytes unparsed
	// (go-msgauth decodes and checks them); use ParseSignature and
	// ParseKeyRecord for the strict, fully decoded forms.
	Signature *Signature `json:"-"`
	Key       *KeyRecord `json:"-"`
}

// AuthResult returns the Authentication-Results entry for v, with
// header.d, header.i, header.s, header.a and header.b (RFC 8601, RFC 6008).
func (v *Verification) AuthResult() authres.Result {
	p := map[string]string{
		"header.d": v.Domain,
		"header.i": v.Identifier,
		"header.s": v.Selector,
		"header.a": v.Algorithm,
		"header.b": v.BPrefix,
	}
	if v.Reason != "" {
		p["reason"] = v.Reason
	}
	return &authres.GenericResult{Method: "dkim", Value: authres.ResultValue(v.Result), Params: p}
}

type txtAnswer struct {
	name string
	txts []string
	err  error
}

// verifyRun is the state of one Verify call: the key records fetched
// while reading the signatures, handed to go-msgauth through its
// LookupTXT hook so each key name is queried once.
type verifyRun struct {
	answers []txtAnswer // one per distinct key name; few per message
	buf     [2]txtAnswer
	mopts   msgdkim.VerifyOptions
	rd      bytes.Reader
}

func (r *verifyRun) find(name string) (txtAnswer, bool) {
	for _, a := range r.answers {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return txtAnswer{}, false
}

func (r *verifyRun) lookupTXT(name string) ([]string, error) {
	a, ok := r.find(name)
	if !ok {
		return nil, errors.New("key not fetched")
	}
	return a.txts, a.err
}

// verification holds a Verification with the signature and key record
// it points to, so that each signature costs one allocation for the three.
// The decoded key goes into pkey when it is at most a 2048-bit RSA key in
// SubjectPublicKeyInfo form (294 bytes).
type verification struct {
	v    Verification
	sig  Signature
	key  KeyRecord
	pkey [296]byte
}

// Verify checks every DKIM-Signature of msg and returns one Verification
// per signature, in header order; none for an unsigned message. The error
// is for a message that cannot be read at all (a malformed header
// section); signature problems are results.
//
// go-msgauth verifies; Verify reads each signature itself for what
// go-msgauth's result lacks (selector, algorithm, b= prefix, key size)
// and ties each of go-msgauth's results to its own signature: the fields
// are enumerated exactly as go-msgauth enumerates them, and a result whose
// d= and h= are not those of the signature it is paired with is a
// permerror rather than a result for the wrong signature.
//
// On top of go-msgauth's checks, Verify honours the key flags: t=s makes a
// signature whose i= domain differs from d= a permerror, and t=y turns a
// failure into neutral (RFC 6376 section 3.6.1: a testing domain's failures
// must not count against it). RSA keys under 1024 bits are a permerror
// (RFC 8301), as are rsa-sha1 and l= (a partially signed body).
func Verify(ctx context.Context, msg []byte, opts *VerifyOptions) ([]*Verification, error) {
	var o VerifyOptions
	if opts != nil {
		o = *opts
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = 5
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}

	run := &verifyRun{}
	out := run.read(ctx, msg, &o)
	if len(out) == 0 {
		return nil, nil
	}

	run.mopts.LookupTXT = run.lookupTXT
	run.mopts.MaxVerifications = min(len(out), o.MaxSignatures)
	run.rd.Reset(msg)
	verifs, err := msgdkim.VerifyWithOptions(&run.rd, &run.mopts)
	if err != nil && !errors.Is(err, msgdkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("dkim: reading message: %w", err)
	}
	for i, v := range out {
		if v.Result != "" {
			continue
		}
		if i >= len(verifs) {
			v.Result, v.Reason = ResultPermError, "not verified"
			continue
		}
		mv := verifs[i]
		if !sameSignature(mv, v.Signature) {
			v.Result, v.Reason = ResultPermError, "not verified: the verifier's result could not be tied to this signature"
			continue
		}
		switch {
		case mv.Err == nil:
			v.Result = ResultPass
		case msgdkim.IsTempFail(mv.Err):
			v.Result = ResultTempError
		case msgdkim.IsPermFail(mv.Err):
			v.Result = ResultPermError
		default:
			v.Result = ResultFail
		}
		if mv.Err != nil {
			v.Reason = deskmail.Sanitize(mv.Err.Error())
		}
		v.applyPolicy(now())
	}
	return out, nil
}

// sameSignature reports whether go-msgauth's result mv is for sig: its d=
// and, when go-msgauth got that far, its h= list are sig's.
func sameSignature(mv *msgdkim.Verification, sig *Signature) bool {
	if !strings.EqualFold(strings.TrimSuffix(mv.Domain, "."), sig.Domain) {
		return false
	}
	if mv.HeaderKeys == nil {
		return true
	}
	n := 0
	for _, k := range mv.HeaderKeys {
		if k == "" {
			continue
		}
		if n >= len(sig.Headers) || k != sig.Headers[n] {
			return false
		}
		n++
	}
	return n == len(sig.Headers)
}

// read parses every DKIM-Signature of msg and fetches and parses its key
// record: everything Verify adds to go-msgauth's verification before
// calling it, as one function so BenchmarkVerifyWrapper measures it.
func (run *verifyRun) read(ctx context.Context, msg []byte, o *VerifyOptions) []*Verification {
	run.answers = run.buf[:0]
	var out []*Verification
	signatureFields(msg, func(value string) {
		box := &verification{}
		v := &box.v
		out = append(out, v)
		sig := &box.sig
		if err := parseSignature(sig, value, false); err != nil {
			v.Result, v.Reason = ResultPermError, deskmail.Sanitize(strings.TrimPrefix(err.Error(), "dkim: "))
			return
		}
		v.Signature = sig
		v.Domain, v.Selector, v.Identifier, v.Algorithm = sig.Domain, sig.Selector, sig.Identifier, sig.Algorithm
		v.BPrefix, v.Headers = sig.BPrefix(bPrefixLen), sig.Headers
		if len(out) > o.MaxSignatures {
			v.Result, v.Reason = ResultPermError, fmt.Sprintf("not verified: more than %d signatures", o.MaxSignatures)
			return
		}
		name := sig.keyName
		a, ok := run.find(name)
		if !ok {
			txts, err := o.Resolver.LookupTXT(ctx, name)
			if err != nil && ctx.Err() != nil {
				err = &net.DNSError{Err: ctx.Err().Error(), Name: name, IsTimeout: true}
			}
			a = txtAnswer{name, txts, err}
			run.answers = append(run.answers, a)
		}
		if a.err == nil && len(a.txts) == 1 {
			if err := parseKeyRecord(&box.key, a.txts[0], false, box.pkey[:]); err == nil {
				rec := &box.key
				v.Key, v.KeySize, v.Testing = rec, rec.KeySize(), rec.Testing()
			}
		}
	})
	return out
}

// applyPolicy adds the checks go-msgauth leaves out.
func (v *Verification) applyPolicy(now time.Time) {
	sig, key := v.Signature, v.Key
	if key != nil && v.Result == ResultPass {
		if key.KeyType == "rsa" && v.KeySize < MinVerifyBits {
			v.Result, v.Reason = ResultPermError, fmt.Sprintf("RSA key of %d bits is under the %d-bit minimum (RFC 8301)", v.KeySize, MinVerifyBits)
			return
		}
		if key.Strict() {
			idom := strings.ToLower(sig.Identifier[strings.LastIndexByte(sig.Identifier, '@')+1:])
			if idom != sig.Domain {
				v.Result, v.Reason = ResultPermError, fmt.Sprintf("key has t=s (strict) but i= domain %q differs from d=%s", idom, sig.Domain)
				return
			}
		}
	}
	if v.Result == ResultPass && !sig.Expiration.IsZero() && now.After(sig.Expiration) {
		v.Result, v.Reason = ResultPermError, "signature has expired (x=)"
		return
	}
	if v.Testing && v.Result == ResultFail {
		v.Result, v.Reason = ResultNeutral, "key is in testing mode (t=y); failure ignored: "+v.Reason
	}
}
