package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// PasswordSource gives the transport a relay's password for AUTH PLAIN and
// LOGIN. The host keeps passwords (encrypted, in a vault); the library never
// stores, logs or puts them in an error. Implementations must be safe for
// concurrent use.
type PasswordSource interface {
	RelayPassword(ctx context.Context, account, relayID string) (string, error)
}

// PasswordFunc adapts a function to a PasswordSource.
type PasswordFunc func(ctx context.Context, account, relayID string) (string, error)

// RelayPassword calls f.
func (f PasswordFunc) RelayPassword(ctx context.Context, account, relayID string) (string, error) {
	return f(ctx, account, relayID)
}

// Token is an OAuth 2.0 access token.
type Token struct {
	// AccessToken is the bearer token. Secret: never serialised.
	AccessToken string `json:"-"`
	// Expiry is when the token stops working. Zero means it does not
	// expire, or the source does not say.
	Expiry time.Time `json:"expiry,omitzero"`
}

// TokenSource gives the transport an OAuth access token for AUTH XOAUTH2 and
// OAUTHBEARER, refreshing it as needed (the host holds the refresh token and
// the provider's client secret). The transport caches a token until a
// minute before its Expiry and drops it when the server rejects it, so the
// next connection asks for a fresh one. Implementations must be safe for
// concurrent use.
type TokenSource interface {
	RelayToken(ctx context.Context, account, relayID string) (Token, error)
}

// TokenFunc adapts a function to a TokenSource.
type TokenFunc func(ctx context.Context, account, relayID string) (Token, error)

// RelayToken calls f.
func (f TokenFunc) RelayToken(ctx context.Context, account, relayID string) (Token, error) {
	return f(ctx, account, relayID)
}

var (
	_ PasswordSource = PasswordFunc(nil)
	_ TokenSource    = TokenFunc(nil)
)

// ErrNoCredentials is returned (wrapped in an *Error at StageAuth) when a
// relay needs a password or token and the options have no source for it.
var ErrNoCredentials = errors.New("relay: no credential source for the relay's authentication")

// xoauth2Client is the client side of Google's XOAUTH2 SASL mechanism
// (https://developers.google.com/gmail/imap/xoauth2-protocol), which
// go-sasl does not provide: one initial response
// "user=" user "\x01auth=Bearer " token "\x01\x01". On failure the server
// sends a JSON error as a challenge; the client answers with an empty
// response and the server ends with 535.
type xoauth2Client struct {
	username, token string
}

// NewXOAUTH2Client returns a SASL client for XOAUTH2.
func NewXOAUTH2Client(username, token string) sasl.Client {
	return &xoauth2Client{username: username, token: token}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	// The challenge is the server's JSON error; an empty response makes it
	// send the final 535.
	return []byte{}, nil
}

// tokenCache keeps tokens per account and relay.
type tokenCache struct {
	mu sync.Mutex
	m  map[[2]string]Token
}

func (tc *tokenCache) get(ctx context.Context, src TokenSource, now time.Time, account, relayID string) (Token, error) {
	k := [2]string{account, relayID}
	tc.mu.Lock()
	t, ok := tc.m[k]
	tc.mu.Unlock()
	if ok && t.AccessToken != "" && (t.Expiry.IsZero() || now.Add(time.Minute).Before(t.Expiry)) {
		return t, nil
	}
	t, err := src.RelayToken(ctx, account, relayID)
	if err != nil {
		return Token{}, err
	}
	tc.mu.Lock()
	if tc.m == nil {
		tc.m = map[[2]string]Token{}
	}
	tc.m[k] = t
	tc.mu.Unlock()
	return t, nil
}

func (tc *tokenCache) drop(account, relayID string) {
	tc.mu.Lock()
	delete(tc.m, [2]string{account, relayID})
	tc.mu.Unlock()
}

// auth runs AUTH with the relay's mechanism. Errors never carry the secret.
func (d *Dialer) auth(ctx context.Context, account string, r *Relay, c *smtp.Client) error {
	addr := r.Addr()
	var client sasl.Client
	usedToken := false
	switch r.Auth {
	case AuthNone:
		return nil
	case AuthPlain, AuthLogin:
		if d.opts.Passwords == nil {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: ErrNoCredentials}
		}
		pw, err := d.opts.Passwords.RelayPassword(ctx, account, r.ID)
		if err != nil {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: fmt.Errorf("password source: %w", err)}
		}
		if r.Auth == AuthPlain {
			client = sasl.NewPlainClient("", r.Username, pw)
		} else {
			client = sasl.NewLoginClient(r.Username, pw)
		}
	case AuthXOAUTH2, AuthOAuthBearer:
		if d.opts.Tokens == nil {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: ErrNoCredentials}
		}
		tok, err := d.tokens.get(ctx, d.opts.Tokens, d.opts.Now(), account, r.ID)
		if err != nil {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: fmt.Errorf("token source: %w", err)}
		}
		usedToken = true
		if r.Auth == AuthXOAUTH2 {
			client = NewXOAUTH2Client(r.Username, tok.AccessToken)
		} else {
			client = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: r.Username, Token: tok.AccessToken})
		}
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: errors.New("server does not offer AUTH")}
	}
	if err := c.Auth(client); err != nil {
		if usedToken {
			d.tokens.drop(account, r.ID)
		}
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Reply: smtpReply(se)}
		}
		var ob *sasl.OAuthBearerError
		if errors.As(err, &ob) {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: fmt.Errorf("oauth: %s", ob.Status)}
		}
		if ctx.Err() != nil {
			return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: ctx.Err()}
		}
		// Other errors come from the network; their text holds no secret.
		return &Error{Relay: addr, Stage: StageAuth, Class: ClassFault, Err: errors.New(scrub(err.Error()))}
	}
	return nil
}

// scrub keeps only the first line of an error text and cuts base64-looking
// payloads, as a last guard against echoing an AUTH exchange.
func scrub(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
