package fetch

import (
	"context"
	"fmt"

	"github.com/emersion/go-sasl"
)

// xoauth2 is the XOAUTH2 SASL mechanism (Google's and Microsoft's, no RFC):
// "user=" user ^A "auth=Bearer " token ^A ^A. go-sasl has OAUTHBEARER only.
type xoauth2 struct{ user, token string }

func (a *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the server's error report (a JSON challenge) with the empty
// response the mechanism asks for; the server then fails the exchange.
func (a *xoauth2) Next(challenge []byte) ([]byte, error) { return []byte{}, nil }

// saslClient returns the SASL client of an OAuth source, asking its Token
// source for the token. The token stays out of every error.
func (s *Source) saslClient(ctx context.Context, host string, port int) (sasl.Client, error) {
	tok, err := s.Token.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("token source: %w", err)
	}
	if tok == "" {
		return nil, fmt.Errorf("token source gave an empty token")
	}
	if s.mechanism() == MechXOAUTH2 {
		return &xoauth2{user: s.Username, token: tok}, nil
	}
	return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: s.Username, Token: tok, Host: host, Port: port}), nil
}
