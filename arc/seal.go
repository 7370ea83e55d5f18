package arc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskmail/deskmail/dkim"
)

// DefaultHeaders returns a fresh copy of the header fields an
// ARC-Message-Signature signs by default, when present.
func DefaultHeaders() []string {
	return []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "DKIM-Signature"}
}

// ErrNoKey is returned by Seal when SealOptions.Key is nil.
var ErrNoKey = errors.New("arc: SealOptions.Key is required")

// ErrNoDomain is returned by Seal when SealOptions.Domain or Selector is
// empty.
var ErrNoDomain = errors.New("arc: SealOptions.Domain and Selector are required")

// ErrChainFull is returned by Seal for a message that already carries
// MaxInstances ARC sets.
var ErrChainFull = errors.New("arc: the chain already has the maximum number of instances")

// SealOptions configure Seal.
type SealOptions struct {
	// Domain (d=) and Selector (s=) name the sealer's key, published at
	// SELECTOR._domainkey.DOMAIN. Required.
	Domain   string
	Selector string
	// Key signs both the ARC-Message-Signature and the ARC-Seal: an RSA
	// key of at least dkim.MinSigningBits bits (rsa-sha256) or an Ed25519
	// key (ed25519-sha256). Required. It never appears in errors.
	Key crypto.Signer
	// AuthServID and Results are what the sealer recorded about the
	// message as it arrived, written to the ARC-Authentication-Results
	// (RFC 8601 syntax through go-msgauth authres). An empty AuthServID
	// means Domain.
	AuthServID string
	Results    []authres.Result
	// Headers are the fields the ARC-Message-Signature signs; nil means
	// DefaultHeaders. ARC-Seal may not be listed.
	Headers []string
	// Resolver verifies the chain already on the message, for cv=. Nil
	// means net.DefaultResolver.
	Resolver Resolver
	// Now stamps t=. Nil means time.Now.
	Now func() time.Time
}

// Seal adds the next ARC set to msg (RFC 8617 section 5.1) and returns the
// message with the ARC-Seal, ARC-Message-Signature and
// ARC-Authentication-Results fields prepended: it verifies the chain
// already there for cv= (none for the first set, pass or fail after), then
// signs the message relaxed/relaxed and seals the sets. It is for tests and
// for hosts that forward mail; a helpdesk receiving mail only verifies.
func Seal(ctx context.Context, msg []byte, opts *SealOptions) ([]byte, error) {
	if opts == nil || opts.Key == nil {
		return nil, ErrNoKey
	}
	if opts.Domain == "" || opts.Selector == "" {
		return nil, ErrNoDomain
	}
	o := *opts
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.AuthServID == "" {
		o.AuthServID = o.Domain
	}
	if o.Headers == nil {
		o.Headers = DefaultHeaders()
	}
	for _, name := range o.Headers {
		if strings.EqualFold(name, sealField) {
			return nil, errors.New("arc: SealOptions.Headers may not list ARC-Seal")
		}
	}
	alg, err := algorithm(o.Key)
	if err != nil {
		return nil, err
	}
	h, body, err := splitMessage(msg)
	if err != nil {
		return nil, err
	}
	sets, err := collect(h)
	cv := None
	switch {
	case err != nil:
		cv = Fail
	case len(sets) > 0:
		cv = verifyChain(ctx, h, body, newKeys(o.Resolver)).Result
	}
	n := len(sets) + 1
	if err != nil {
		// A malformed chain: seal after the highest instance seen.
		n = highestInstance(h) + 1
	}
	if n > MaxInstances {
		return nil, ErrChainFull
	}
	domain := strings.ToLower(o.Domain)
	ts := strconv.FormatInt(now().Unix(), 10)
	ni := strconv.Itoa(n)

	aar := aarField + ": i=" + ni + "; " + strings.TrimSpace(authres.Format(o.AuthServID, o.Results)) + "\r\n"
	if len(o.Results) == 0 {
		aar = aarField + ": i=" + ni + "; " + o.AuthServID + "; none\r\n"
	}

	ams := amsField + ": i=" + ni + "; a=" + alg + "; c=relaxed/relaxed; d=" + domain + "; s=" + o.Selector +
		"; t=" + ts + ";\r\n\th=" + strings.Join(o.Headers, ":") +
		";\r\n\tbh=" + base64.StdEncoding.EncodeToString(bodyHash(body, true)) + ";\r\n\tb="
	amsTags, err := tagsOf(ams + "\r\n")
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	hashed, err := amsHash(h, ams+"\r\n", amsTags)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	sig, err := sign(o.Key, hashed)
	if err != nil {
		return nil, err
	}
	ams += fold(sig) + "\r\n"

	seal := sealField + ": i=" + ni + "; a=" + alg + "; t=" + ts + "; cv=" + string(cv) + ";\r\n\td=" + domain + "; s=" + o.Selector + ";\r\n\tb="
	all := append(append([]*set(nil), sets...), &set{i: n, aar: aar, ams: ams, seal: seal + "\r\n"})
	if cv == Fail {
		// RFC 8617 section 5.1.2: a failed chain is sealed over the new
		// set only, so the seal still says who saw it fail.
		all = all[len(all)-1:]
	}
	sig, err = sign(o.Key, sealHash(all))
	if err != nil {
		return nil, err
	}
	seal += fold(sig) + "\r\n"

	out := make([]byte, 0, len(seal)+len(ams)+len(aar)+len(msg))
	out = append(out, seal...)
	out = append(out, ams...)
	out = append(out, aar...)
	return append(out, msg...), nil
}

// highestInstance returns the highest i= of any ARC field that has one.
func highestInstance(h header) int {
	max := 0
	for _, f := range h {
		name := fieldName(f)
		switch {
		case strings.EqualFold(name, aarField):
			if i, _, err := aarInstance(fieldValue(f)); err == nil {
				max = maxInt(max, i)
			}
		case strings.EqualFold(name, sealField), strings.EqualFold(name, amsField):
			if tags, err := tagsOf(f); err == nil {
				if i, err := instanceOf(tags["i"]); err == nil {
					max = maxInt(max, i)
				}
			}
		}
	}
	return max
}

func algorithm(key crypto.Signer) (string, error) {
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < dkim.MinSigningBits {
			return "", fmt.Errorf("%w: %d bits, at least %d required for sealing", dkim.ErrWeakKey, k.N.BitLen(), dkim.MinSigningBits)
		}
		return "rsa-sha256", nil
	case ed25519.PublicKey:
		return "ed25519-sha256", nil
	}
	return "", fmt.Errorf("arc: unsupported key type %T (want RSA or Ed25519)", key.Public())
}

func sign(key crypto.Signer, hashed []byte) (string, error) {
	var opts crypto.SignerOpts = crypto.SHA256
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		opts = crypto.Hash(0)
	}
	sig, err := key.Sign(rand.Reader, hashed, opts)
	if err != nil {
		return "", errors.New("arc: signing failed")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// fold splits a base64 value over lines of at most 72 characters.
func fold(s string) string {
	var b strings.Builder
	for len(s) > 72 {
		b.WriteString(s[:72])
		b.WriteString("\r\n\t ")
		s = s[72:]
	}
	b.WriteString(s)
	return b.String()
}
