package dkim

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/deskmail/deskmail"
	msgdkim "github.com/emersion/go-msgauth/dkim"
)

// RecommendedHeaders returns a fresh copy of the default signed header set. From, Subject, To,
// Cc, Date, Message-ID and Reply-To are listed twice: go-msgauth signs the
// present instance for the first entry and an empty instance for the
// second, so no receiver accepts an added copy of those fields
// ("oversigning", RFC 6376 section 8.15). The rest are signed once, when
// present.
func RecommendedHeaders() []string {
	return append([]string(nil), recommendedHeaders[:]...)
}

var recommendedHeaders = [...]string{
	"From", "From",
	"Subject", "Subject",
	"To", "To",
	"Cc", "Cc",
	"Date", "Date",
	"Message-ID", "Message-ID",
	"Reply-To", "Reply-To",
	"In-Reply-To", "References",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"List-Unsubscribe", "List-Unsubscribe-Post",
}

// Canonicalization is a DKIM canonicalization algorithm.
type Canonicalization = msgdkim.Canonicalization

// The canonicalization algorithms (RFC 6376 section 3.4).
const (
	Relaxed = msgdkim.CanonicalizationRelaxed
	Simple  = msgdkim.CanonicalizationSimple
)

// ErrNoKey is returned by Signer when the From domain has no active key
// and SignerOptions.RequireKey is set.
var ErrNoKey = errors.New("dkim: no signing key for domain")

// ErrNoKeyStore is returned by NewSigner when SignerOptions.Keys is nil.
var ErrNoKeyStore = errors.New("dkim: SignerOptions.Keys is required")

// ErrNoFrom is returned when a message to sign has no From address to take
// the signing domain from.
var ErrNoFrom = errors.New("dkim: message has no From address to take the signing domain from")

// SignOptions are the signature parameters.
type SignOptions struct {
	// Headers are the header fields to sign. Nil means RecommendedHeaders().
	// It must include From.
	Headers []string
	// HeaderCanonicalization and BodyCanonicalization: "" means Relaxed.
	HeaderCanonicalization Canonicalization
	BodyCanonicalization   Canonicalization
	// Expiration, when positive, adds x= that far after Now. Zero means
	// no x= (signatures do not expire).
	Expiration time.Duration
	// Now is the clock for x=. Nil means time.Now. (go-msgauth stamps t=
	// from the system clock.)
	Now func() time.Time
}

func (o *SignOptions) msgauth(domain, selector string, key crypto.Signer) *msgdkim.SignOptions {
	so := &msgdkim.SignOptions{
		Domain:                 domain,
		Selector:               selector,
		Signer:                 key,
		HeaderCanonicalization: Relaxed,
		BodyCanonicalization:   Relaxed,
		HeaderKeys:             recommendedHeaders[:],
	}
	if o == nil {
		return so
	}
	if o.Headers != nil {
		so.HeaderKeys = o.Headers
	}
	if o.HeaderCanonicalization != "" {
		so.HeaderCanonicalization = o.HeaderCanonicalization
	}
	if o.BodyCanonicalization != "" {
		so.BodyCanonicalization = o.BodyCanonicalization
	}
	if o.Expiration > 0 {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		so.Expiration = now().Add(o.Expiration)
	}
	return so
}

// Sign signs msg for domain with key under selector and returns the
// message with the DKIM-Signature field prepended. msg should use CRLF
// line ends, as on the wire. Errors never contain key material.
func Sign(msg []byte, domain, selector string, key crypto.Signer, opts *SignOptions) ([]byte, error) {
	if rk, ok := key.Public().(interface{ Size() int }); ok && AlgorithmOf(key) == RSA && rk.Size()*8 < MinSigningBits {
		return nil, fmt.Errorf("%w: %d bits, at least %d required for signing", ErrWeakKey, rk.Size()*8, MinSigningBits)
	}
	s, err := msgdkim.NewSigner(opts.msgauth(domain, selector, key))
	if err != nil {
		return nil, sanitize(err)
	}
	if _, err := s.Write(msg); err != nil {
		s.Close()
		return nil, sanitize(err)
	}
	if err := s.Close(); err != nil {
		return nil, sanitize(err)
	}
	sig := s.Signature()
	out := make([]byte, 0, len(sig)+len(msg))
	out = append(out, sig...)
	return append(out, msg...), nil
}

// sanitize makes sure an error from go-msgauth carries our prefix. Its
// errors describe options and message structure, never key bytes.
func sanitize(err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "dkim: ") {
		return errors.New(msg)
	}
	return fmt.Errorf("dkim: %w", err)
}

// SignerOptions configure a Signer.
type SignerOptions struct {
	// Keys holds every account's domain keys. Required.
	Keys KeyStore
	// Sign are the signature parameters; nil means relaxed/relaxed with
	// RecommendedHeaders and no expiration.
	Sign *SignOptions
	// RequireKey makes the middleware fail a send whose From domain has no
	// active key (ErrNoKey). False (the default) sends such mail unsigned
	// and logs it at Warn.
	RequireKey bool
	// Logger receives one line per unsigned message. Nil means no logging.
	// Key material is never logged.
	Logger *slog.Logger
}

// Signer signs outgoing mail with the active key of its From domain,
// fetched from a KeyStore per message. It caches parsed private keys by
// their PEM text. Safe for concurrent use.
type Signer struct {
	opts SignerOptions

	mu    sync.Mutex
	cache map[string]crypto.Signer // PEM text -> parsed key
}

// NewSigner returns a Signer.
func NewSigner(opts *SignerOptions) (*Signer, error) {
	if opts == nil || opts.Keys == nil {
		return nil, ErrNoKeyStore
	}
	return &Signer{opts: *opts, cache: map[string]crypto.Signer{}}, nil
}

const maxCachedKeys = 4096

func (s *Signer) parsed(pemKey PrivateKeyPEM) (crypto.Signer, error) {
	s.mu.Lock()
	k, ok := s.cache[string(pemKey)]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := ParsePrivateKey(pemKey)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxCachedKeys {
		clear(s.cache)
	}
	s.cache[string(pemKey)] = k
	s.mu.Unlock()
	return k, nil
}

// SignDomain signs msg with the active key of domain for account. It
// wraps ErrNoKey when the domain has no active key.
func (s *Signer) SignDomain(ctx context.Context, account, domain string, msg []byte) ([]byte, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	st, err := s.opts.Keys.Get(ctx, account, domain)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, domain)
	}
	if err != nil {
		return nil, fmt.Errorf("dkim: loading keys for %s: %w", domain, err)
	}
	active := st.Active()
	if active == nil {
		return nil, fmt.Errorf("%w: %s has keys but none is active", ErrNoKey, domain)
	}
	key, err := s.parsed(active.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("dkim: key %s of %s: %w", active.Selector, domain, err)
	}
	return Sign(msg, domain, active.Selector, key, s.opts.Sign)
}

// Sign signs msg for its From domain (see SignDomain).
func (s *Signer) Sign(ctx context.Context, account string, msg []byte) ([]byte, error) {
	d := FromDomain(msg)
	if d == "" {
		return nil, ErrNoFrom
	}
	return s.SignDomain(ctx, account, d, msg)
}

// Middleware returns a deskmail.Middleware that signs every message for
// its From domain (Envelope.HeaderFrom when set, else the From header)
// before passing it on. A message without a key for its domain goes out
// unsigned unless RequireKey is set. Other signing errors fail the send
// before anything reaches the next transport.
func (s *Signer) Middleware() deskmail.Middleware {
	return func(next deskmail.Transport) deskmail.Transport {
		return deskmail.TransportFunc(func(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
			domain := ""
			if env.HeaderFrom != "" {
				if i := strings.LastIndexByte(env.HeaderFrom, '@'); i >= 0 {
					domain = strings.Trim(env.HeaderFrom[i+1:], "> ")
				}
			}
			if domain == "" {
				domain = FromDomain(msg)
			}
			if domain == "" {
				return nil, ErrNoFrom
			}
			signed, err := s.SignDomain(ctx, env.Account, domain, msg)
			if errors.Is(err, ErrNoKey) && !s.opts.RequireKey {
				if s.opts.Logger != nil {
					s.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "dkim: sending unsigned",
						slog.String("account", env.Account), slog.String("domain", domain), slog.String("reason", err.Error()))
				}
				return next.Send(ctx, env, msg)
			}
			if err != nil {
				return nil, err
			}
			return next.Send(ctx, env, signed)
		})
	}
}
