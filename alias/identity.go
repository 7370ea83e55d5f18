package alias

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/internal/token"
)

// IdentityStatus is the state of a sender identity.
type IdentityStatus string

// The identity statuses. The life cycle is
//
//	pending ──verify──▶ verified ──auth failure──▶ failed ──re-auth──▶ verified
//	   any ──disable──▶ disabled ──enable──▶ pending or verified
//	   any ──delete───▶ deleted (kept, never used again)
const (
	// StatusPending: added, verification mail sent (or SMTP login not yet
	// confirmed); not usable as From.
	StatusPending IdentityStatus = "pending"
	// StatusVerified: usable as From.
	StatusVerified IdentityStatus = "verified"
	// StatusFailed: its own SMTP server refused the credentials, typically
	// after the password was changed: re-authentication is needed.
	StatusFailed IdentityStatus = "failed"
	// StatusDisabled: turned off by an administrator.
	StatusDisabled IdentityStatus = "disabled"
	// StatusDeleted: deleted; kept so old tokens and history resolve.
	StatusDeleted IdentityStatus = "deleted"
)

func (s IdentityStatus) valid() bool {
	switch s {
	case StatusPending, StatusVerified, StatusFailed, StatusDisabled, StatusDeleted:
		return true
	}
	return false
}

// Identity is a sender identity: an address agents may send as,
// optionally through its own SMTP server.
type Identity struct {
	// Address is the addr-spec, canonical form. Required.
	Address string `json:"address"`
	// Name is the display name. May be empty.
	Name string `json:"name,omitempty"`
	// Department limits the identity to one department's replies; empty
	// means any department.
	Department string `json:"department,omitempty"`
	// Status is the life-cycle state.
	Status IdentityStatus `json:"status"`
	// VerifiedBefore records that the identity was verified once, so that
	// enabling it again returns it to StatusVerified.
	VerifiedBefore bool `json:"verified_before,omitempty"`
	// SMTP, when set, makes the identity send through its own server: no
	// platform verification or SPF record is needed, but the login must
	// succeed.
	SMTP *SMTPServer `json:"smtp,omitempty"`
	// VerificationSeq counts the verification mails issued; a token is
	// valid only for the latest, so a resend invalidates earlier links.
	VerificationSeq uint32 `json:"verification_seq,omitempty"`
	// CreatedAt, VerifiedAt and UpdatedAt record the life cycle.
	CreatedAt  time.Time `json:"created_at,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitempty"`
	UpdatedAt  time.Time `json:"updated_at,omitempty"`
}

// AuthMethod is how an identity logs in to its own SMTP server.
type AuthMethod string

// The SMTP login methods.
const (
	AuthPassword    AuthMethod = "password"     // the mailbox password
	AuthAppPassword AuthMethod = "app_password" // a provider app password
	AuthOAuth2      AuthMethod = "oauth2"       // XOAUTH2 / OAUTHBEARER
)

// SMTPServer is the SMTP server an identity sends through. It holds
// data only; the relay package sends through it. The secret itself is
// never stored here: CredentialRef names it in the host's secret store
// (a vault path, a row id), so the alias store never holds a password or
// token.
type SMTPServer struct {
	Host string `json:"host"`
	// Port: 0 means 587 with STARTTLS, or 465 when Security is "tls".
	Port int `json:"port,omitempty"`
	// Security is "starttls" (the zero value means it), "tls" (implicit
	// TLS) or "none" (loopback and tests only).
	Security string `json:"security,omitempty"`
	// Username is the login name; empty means the identity's address.
	Username string `json:"username,omitempty"`
	// Auth is the login method; empty means AuthPassword.
	Auth AuthMethod `json:"auth,omitempty"`
	// Provider names a known provider for OAuth ("gmail", "outlook",
	// "office365"), or is empty.
	Provider string `json:"provider,omitempty"`
	// CredentialRef identifies the secret in the host's secret store.
	CredentialRef string `json:"credential_ref,omitempty"`
	// DailyLimit is the server's own sending limit per day, in
	// recipients (R13). Zero means no limit of its own.
	DailyLimit int64 `json:"daily_limit,omitempty"`
}

// Identity returns the identity with the canonical key of addr that is not
// deleted, or nil.
func (a *Account) Identity(addr string) *Identity {
	k := deskmail.CanonicalKey(addr)
	if k == "" {
		return nil
	}
	for i := range a.Identities {
		if a.Identities[i].Address == k && a.Identities[i].Status != StatusDeleted {
			return &a.Identities[i]
		}
	}
	return nil
}

// AddIdentity adds a sender identity in StatusPending. Its address is
// stored in canonical form; a deleted identity with the same address is
// replaced. The department, if set, must exist.
func (a *Account) AddIdentity(x Identity, now time.Time) error {
	k, err := canonical(x.Address)
	if err != nil {
		return err
	}
	if err := deskmail.CheckHeaderValue(x.Name); err != nil {
		return fmt.Errorf("alias: identity name: %w", err)
	}
	if a.Identity(k) != nil {
		return fmt.Errorf("%w: identity %s", ErrExists, k)
	}
	if x.Department != "" && a.department(x.Department) == nil {
		return fmt.Errorf("%w: %q", ErrUnknownDepartment, x.Department)
	}
	x.Address = k
	x.Status = StatusPending
	x.VerifiedBefore = false
	x.CreatedAt, x.UpdatedAt, x.VerifiedAt = now, now, time.Time{}
	if x.SMTP != nil {
		s := *x.SMTP
		x.SMTP = &s
	}
	for i := range a.Identities {
		if a.Identities[i].Address == k { // a deleted one: reuse its slot
			x.VerificationSeq = a.Identities[i].VerificationSeq
			a.Identities[i] = x
			return nil
		}
	}
	a.Identities = append(a.Identities, x)
	return nil
}

func (a *Account) liveIdentity(addr string) (*Identity, error) {
	x := a.Identity(addr)
	if x == nil {
		return nil, fmt.Errorf("%w: identity %s", ErrNotFound, addr)
	}
	return x, nil
}

// DisableIdentity turns an identity off.
func (a *Account) DisableIdentity(addr string, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	x.Status, x.UpdatedAt = StatusDisabled, now
	return nil
}

// EnableIdentity turns a disabled identity on again: verified when it was
// verified before, else pending.
func (a *Account) EnableIdentity(addr string, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	if x.Status != StatusDisabled {
		return nil
	}
	x.Status = StatusPending
	if x.VerifiedBefore {
		x.Status = StatusVerified
	}
	x.UpdatedAt = now
	return nil
}

// DeleteIdentity deletes an identity. It is kept with StatusDeleted,
// never used as From again, and its verification tokens stop working.
func (a *Account) DeleteIdentity(addr string, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	x.Status, x.UpdatedAt = StatusDeleted, now
	x.VerificationSeq++
	return nil
}

// SetIdentitySMTP sets or replaces the identity's own SMTP server settings,
// typically with a new CredentialRef after the customer changed a password
// . The identity goes back to pending until the host reports a
// successful login with IdentityAuthenticated. A nil server returns the
// identity to platform sending, also pending (it needs mail verification).
func (a *Account) SetIdentitySMTP(addr string, s *SMTPServer, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	if s != nil {
		c := *s
		s = &c
	}
	x.SMTP = s
	if x.Status != StatusDisabled {
		x.Status = StatusPending
	}
	x.UpdatedAt = now
	return nil
}

// IdentityAuthFailed records that the identity's own SMTP server refused its
// credentials: StatusFailed, re-authentication needed. Disabled
// identities stay disabled.
func (a *Account) IdentityAuthFailed(addr string, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	if x.SMTP == nil {
		return fmt.Errorf("%w: %s has no SMTP server", ErrIdentityState, x.Address)
	}
	if x.Status != StatusDisabled {
		x.Status, x.UpdatedAt = StatusFailed, now
	}
	return nil
}

// IdentityAuthenticated records a successful login to the identity's own
// SMTP server, which verifies it (no mail verification needed).
func (a *Account) IdentityAuthenticated(addr string, now time.Time) error {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return err
	}
	if x.SMTP == nil {
		return fmt.Errorf("%w: %s has no SMTP server", ErrIdentityState, x.Address)
	}
	if x.Status == StatusDisabled {
		return fmt.Errorf("%w: %s is disabled", ErrIdentityState, x.Address)
	}
	x.Status, x.VerifiedBefore, x.VerifiedAt, x.UpdatedAt = StatusVerified, true, now, now
	return nil
}

// Token errors, returned by Verifier and ForwardingCheck.
var (
	// ErrTokenInvalid: the token is malformed or its signature is wrong.
	ErrTokenInvalid = errors.New("alias: invalid token")
	// ErrTokenExpired: the token was valid but is past its expiry.
	ErrTokenExpired = errors.New("alias: token expired")
	// ErrTokenSuperseded: a newer verification mail was sent (a resend), or
	// the identity was deleted; only the latest token works.
	ErrTokenSuperseded = errors.New("alias: token superseded by a newer one")
)

// DefaultVerificationTTL is how long a verification link stays valid.
const DefaultVerificationTTL = 72 * time.Hour

// Verifier issues and checks the signed, expiring tokens of identity
// verification mails. A token names the account, the identity and the
// sequence number of the mail; issuing a new one (a resend) increments the
// identity's VerificationSeq, so older links stop working.
//
// Use Issue and Verify inside Store.UpdateAccount so the sequence number and
// the status change are saved atomically. Safe for concurrent use.
type Verifier struct {
	// Keyring signs and verifies tokens. Required: without it Issue returns
	// an error wrapping deskmail.ErrNoSecret and no token verifies.
	Keyring *deskmail.Keyring
	// TTL is the token lifetime; zero means DefaultVerificationTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

const (
	tokenVersionIdentity = 1
	tokenVersionForward  = 2
)

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) ttl() time.Duration {
	if v.TTL > 0 {
		return v.TTL
	}
	return DefaultVerificationTTL
}

// Issue returns a token for the verification mail of the identity addr,
// invalidating earlier ones. The identity must be pending or failed.
func (v *Verifier) Issue(a *Account, addr string) (string, error) {
	x, err := a.liveIdentity(addr)
	if err != nil {
		return "", err
	}
	if x.Status != StatusPending && x.Status != StatusFailed {
		return "", fmt.Errorf("%w: %s is %s", ErrIdentityState, x.Address, x.Status)
	}
	exp := v.now().Add(v.ttl())
	tok, err := signToken(v.Keyring, tokenVersionIdentity, exp, x.VerificationSeq+1, a.ID, x.Address)
	if err != nil {
		return "", err
	}
	x.VerificationSeq++
	return tok, nil
}

// Account returns the account a token names, so the caller knows which
// account to update before calling Verify. It checks the signature but not
// the expiry.
func (v *Verifier) Account(tok string) (string, error) {
	p, err := openToken(v.Keyring, tokenVersionIdentity, tok)
	if err != nil {
		return "", err
	}
	return p.account, nil
}

// Verify checks a token from a verification link and marks the identity it
// names verified, returning the identity's address. Errors: ErrTokenInvalid
// (bad signature, other account), ErrTokenExpired, ErrTokenSuperseded (a
// resend happened or the identity was deleted), ErrIdentityState (disabled).
// Verifying an identity that is already verified with its latest token is
// not an error.
func (v *Verifier) Verify(a *Account, tok string) (string, error) {
	p, err := openToken(v.Keyring, tokenVersionIdentity, tok)
	if err != nil {
		return "", err
	}
	if p.account != a.ID {
		return "", fmt.Errorf("%w: token names another account", ErrTokenInvalid)
	}
	now := v.now()
	if !now.Before(p.exp) {
		return "", ErrTokenExpired
	}
	x := a.Identity(p.addr)
	if x == nil || x.VerificationSeq != p.seq {
		return "", ErrTokenSuperseded
	}
	switch x.Status {
	case StatusVerified:
		return x.Address, nil
	case StatusPending, StatusFailed:
	default:
		return "", fmt.Errorf("%w: %s is %s", ErrIdentityState, x.Address, x.Status)
	}
	x.Status, x.VerifiedBefore, x.VerifiedAt, x.UpdatedAt = StatusVerified, true, now, now
	return x.Address, nil
}

type tokenPayload struct {
	exp           time.Time
	seq           uint32
	account, addr string
}

// signToken encodes version | expiry (unix seconds) | seq | account NUL addr
// and appends the truncated MAC, in lower-case base32.
func signToken(k *deskmail.Keyring, version byte, exp time.Time, seq uint32, account, addr string) (string, error) {
	if k == nil {
		return "", fmt.Errorf("alias: %w (Keyring)", deskmail.ErrNoSecret)
	}
	b := make([]byte, 0, 14+len(account)+len(addr)+deskmail.MACLen)
	b = append(b, version)
	b = binary.BigEndian.AppendUint64(b, uint64(exp.Unix()))
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, account...)
	b = append(b, 0)
	b = append(b, addr...)
	b = append(b, k.MAC(b)...)
	return token.Encode(b), nil
}

func openToken(k *deskmail.Keyring, version byte, tok string) (tokenPayload, error) {
	if k == nil {
		return tokenPayload{}, fmt.Errorf("%w: no keyring", ErrTokenInvalid)
	}
	if len(tok) > 1024 {
		return tokenPayload{}, ErrTokenInvalid
	}
	b, err := token.Decode(tok)
	if err != nil || len(b) < 14+deskmail.MACLen {
		return tokenPayload{}, ErrTokenInvalid
	}
	body, m := b[:len(b)-deskmail.MACLen], b[len(b)-deskmail.MACLen:]
	if body[0] != version || !k.Verify(body, m) {
		return tokenPayload{}, ErrTokenInvalid
	}
	rest := body[13:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return tokenPayload{}, ErrTokenInvalid
	}
	return tokenPayload{
		exp:     time.Unix(int64(binary.BigEndian.Uint64(body[1:9])), 0),
		seq:     binary.BigEndian.Uint32(body[9:13]),
		account: string(rest[:i]),
		addr:    string(rest[i+1:]),
	}, nil
}

// Endpoint returns the server's "host:port" with the documented defaults
// applied (587, or 465 for implicit TLS) and whether the connection uses
// implicit TLS rather than STARTTLS.
func (s *SMTPServer) Endpoint() (addr string, implicitTLS bool) {
	implicitTLS = s.Security == "tls"
	port := s.Port
	if port == 0 {
		port = 587
		if implicitTLS {
			port = 465
		}
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port)), implicitTLS
}
