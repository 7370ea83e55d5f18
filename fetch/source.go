package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deskmail/deskmail"
)

// Protocol is how a source is read.
type Protocol string

// The protocols.
const (
	IMAP Protocol = "imap"
	POP3 Protocol = "pop3"
)

// TLSMode is how the connection to a source is secured.
type TLSMode string

// The TLS modes.
const (
	// TLSImplicit: TLS from the first byte (IMAPS 993, POP3S 995). The
	// zero value means TLSImplicit.
	TLSImplicit TLSMode = "implicit"
	// TLSStartTLS: plaintext greeting, then STARTTLS (IMAP) or STLS
	// (POP3); a server that does not offer it fails the attempt.
	TLSStartTLS TLSMode = "starttls"
	// TLSNone: no TLS. Only for servers on loopback or a private network
	// the host trusts.
	TLSNone TLSMode = "none"
)

// Mechanism is how a source logs in.
type Mechanism string

// The login mechanisms.
const (
	// MechPassword: IMAP LOGIN or POP3 USER/PASS with Source.Password.
	// The zero value means MechPassword.
	MechPassword Mechanism = "password"
	// MechXOAUTH2: SASL XOAUTH2 (Google, Microsoft) with a token from
	// Source.Token.
	MechXOAUTH2 Mechanism = "xoauth2"
	// MechOAUTHBEARER: SASL OAUTHBEARER (RFC 7628) with a token from
	// Source.Token.
	MechOAUTHBEARER Mechanism = "oauthbearer"
)

// After is what happens on the server to a message the host accepted.
type After string

// The after-delivery actions.
const (
	// AfterSeen: IMAP flags the message \Seen. The zero value means
	// AfterSeen for IMAP and AfterDelete for POP3.
	AfterSeen After = "seen"
	// AfterMove: IMAP moves the message to Source.MoveTo (MOVE, or COPY,
	// \Deleted and UID EXPUNGE where the server lacks MOVE).
	AfterMove After = "move"
	// AfterDelete: POP3 DELE; IMAP \Deleted and UID EXPUNGE (or EXPUNGE
	// without UIDPLUS).
	AfterDelete After = "delete"
	// AfterLeave: the message stays as it was (POP3 "leave on server");
	// the unique-id bookkeeping keeps it from being fetched again.
	AfterLeave After = "leave"
)

// TokenSource gives an OAuth 2.0 access token for XOAUTH2 and OAUTHBEARER.
// It is shaped like golang.org/x/oauth2.TokenSource with a context; an
// oauth2 token source plugs in as
//
//	fetch.TokenFunc(func(ctx context.Context) (string, error) {
//		t, err := ts.Token()
//		if err != nil {
//			return "", err
//		}
//		return t.AccessToken, nil
//	})
//
// Token is called once per connection and must return a valid (refreshed)
// token. Its error is reported as an authentication failure.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token implements TokenSource.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// Source is one mailbox to fetch: the settings a host stores for a
// customer's POP3 or IMAP account. JSON leaves the secrets out.
type Source struct {
	// Account is the tenant. Required.
	Account string `json:"account"`
	// ID is the host's id of the source (a support address, a mailbox
	// id), unique within the account: it keys the fetch state and the
	// health record. Required.
	ID string `json:"id"`
	// Address is the mailbox's address, for logs.
	Address string `json:"address,omitempty"`
	// Protocol is IMAP or POP3. Required.
	Protocol Protocol `json:"protocol"`
	// Host and Port are the server. Port zero means 993/995 with
	// TLSImplicit, 143/110 otherwise.
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
	// TLS is how the connection is secured; "" means TLSImplicit.
	TLS TLSMode `json:"tls,omitempty"`
	// ServerName is the name the certificate must carry; "" means Host.
	ServerName string `json:"server_name,omitempty"`
	// InsecureSkipVerify turns certificate verification off for this
	// source only. Verification is on for every source that does not set
	// it.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// RootCAs replaces the system roots for this source (a private CA).
	// Nil: the system roots.
	RootCAs *x509.CertPool `json:"-"`
	// Username is the login name. Required.
	Username string `json:"username"`
	// Mechanism is how to log in; "" means MechPassword.
	Mechanism Mechanism `json:"mechanism,omitempty"`
	// Password for MechPassword. Never serialised, logged or put into an
	// error.
	Password string `json:"-"`
	// Token gives the access token for MechXOAUTH2 and MechOAUTHBEARER.
	Token TokenSource `json:"-"`
	// Folder is the IMAP mailbox to read; "" means INBOX.
	Folder string `json:"folder,omitempty"`
	// After is what happens on the server to a message the host accepted;
	// "" means AfterSeen (IMAP) or AfterDelete (POP3).
	After After `json:"after,omitempty"`
	// MoveTo is the IMAP folder for AfterMove. It must exist.
	MoveTo string `json:"move_to,omitempty"`
	// OnlyNew skips the messages that are in the mailbox when the source
	// is fetched for the first time: they are recorded as seen, not
	// delivered, and only mail that arrives later is fetched.
	OnlyNew bool `json:"only_new,omitempty"`
	// Trusted marks the mailbox as its sender's own: an agent's or a sender
	// identity's mailbox whose Sent folder is read for the copies of mail
	// sent from another client (A14). Its mail goes through
	// inbound.Pipeline.Trusted, so its From counts as authenticated
	// without DKIM. Never set it for a support mailbox that receives mail
	// from outside: anyone can write any From there. False: the pipeline
	// authenticates the From by DKIM.
	Trusted bool `json:"trusted,omitempty"`
	// Revision is the host's version of the credentials (an update
	// counter or time). The fetch state remembers the settings it last
	// used; when they change (server, login name, mechanism, Revision, or
	// the password when Options.Keyring is set) a disabled source is
	// enabled again (A13). Change it whenever the password or token grant
	// changes.
	Revision string `json:"revision,omitempty"`
}

// ErrInvalidSource is returned for a Source that lacks a required field or
// names an unknown protocol, mode, mechanism or action.
var ErrInvalidSource = errors.New("fetch: invalid source")

func (s *Source) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSource, fmt.Sprintf(format, args...))
	}
	switch {
	case s == nil:
		return bad("nil")
	case s.Account == "" || s.ID == "":
		return bad("account and id are required")
	case s.Host == "" || strings.ContainsAny(s.Host, " \r\n/"):
		return bad("host %q", deskmail.SanitizeN(s.Host, 64))
	case s.Port < 0 || s.Port > 65535:
		return bad("port %d", s.Port)
	case s.Username == "" || strings.ContainsAny(s.Username, "\r\n"):
		return bad("a user name without line breaks is required")
	case strings.ContainsAny(s.Password, "\r\n"):
		return bad("the password holds a line break")
	}
	switch s.Protocol {
	case IMAP, POP3:
	default:
		return bad("protocol %q", deskmail.SanitizeN(string(s.Protocol), 32))
	}
	switch s.TLS {
	case "", TLSImplicit, TLSStartTLS, TLSNone:
	default:
		return bad("tls mode %q", deskmail.SanitizeN(string(s.TLS), 32))
	}
	switch s.mechanism() {
	case MechPassword:
	case MechXOAUTH2, MechOAUTHBEARER:
		if s.Token == nil {
			return bad("%s needs a Token", s.mechanism())
		}
	default:
		return bad("mechanism %q", deskmail.SanitizeN(string(s.Mechanism), 32))
	}
	switch a := s.after(); {
	case a == AfterLeave || a == AfterDelete:
	case s.Protocol == IMAP && a == AfterSeen:
	case s.Protocol == IMAP && a == AfterMove:
		if s.MoveTo == "" {
			return bad("after move needs MoveTo")
		}
	default:
		return bad("after %q for %s", deskmail.SanitizeN(string(a), 32), s.Protocol)
	}
	return nil
}

func (s *Source) tlsMode() TLSMode {
	if s.TLS == "" {
		return TLSImplicit
	}
	return s.TLS
}

func (s *Source) mechanism() Mechanism {
	if s.Mechanism == "" {
		return MechPassword
	}
	return s.Mechanism
}

func (s *Source) after() After {
	if s.After != "" {
		return s.After
	}
	if s.Protocol == POP3 {
		return AfterDelete
	}
	return AfterSeen
}

func (s *Source) folder() string {
	if s.Folder == "" {
		return "INBOX"
	}
	return s.Folder
}

func (s *Source) addr() string {
	port := s.Port
	if port == 0 {
		switch {
		case s.Protocol == IMAP && s.tlsMode() == TLSImplicit:
			port = 993
		case s.Protocol == IMAP:
			port = 143
		case s.tlsMode() == TLSImplicit:
			port = 995
		default:
			port = 110
		}
	}
	h := s.Host
	if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(port)
}

// settings returns the fingerprint of the settings a health record is
// about: server, login, mechanism, revision and, with a keyring, a MAC of
// the password (never the password or a plain hash of it).
func (s *Source) settings(k *deskmail.Keyring) string {
	h := sha256.New()
	for _, v := range []string{string(s.Protocol), s.addr(), string(s.tlsMode()), s.ServerName,
		strconv.FormatBool(s.InsecureSkipVerify), s.Username, string(s.mechanism()), s.folder(), s.Revision} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	if k != nil && s.Password != "" {
		h.Write(k.MAC([]byte("deskmail/fetch password\x00" + s.Password)))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
