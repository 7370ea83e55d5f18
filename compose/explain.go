package compose

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/relay"
	"github.com/deskmail/deskmail/senderauth"
)

// ExplainReturnPath says what SPF, DKIM and DMARC outcome a receiver will
// see for mail From from, handed over by the server at ip (a relay, or the
// platform's), with this Sender's return-path choice (B8, R12). It is
// senderauth.Explain run on the return path the Sender would use: the
// VERP domain, the From address, or the fixed bounce address. With a
// Signer, the message is taken as signed for the From domain (pass a
// selector in dkimSelector to check the published key). opts carries the
// resolver; nil means the system's.
func (s *Sender) ExplainReturnPath(ctx context.Context, from string, ip netip.Addr, dkimSelector string, opts *senderauth.Options) (*senderauth.Explanation, error) {
	a, err := deskmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("compose: From address: %w", err)
	}
	sc := &senderauth.Scenario{FromDomain: a.Domain, IP: ip}
	switch s.o.ReturnPath {
	case relay.ReturnPathPlatform:
		sc.ReturnPath = s.o.VERP.Domain()
	case relay.ReturnPathFixed:
		sc.ReturnPath = s.o.BounceAddress
	default:
		sc.ReturnPath = a.Addr()
	}
	if s.o.Signer != nil {
		sc.DKIMDomain, sc.DKIMSelector = a.Domain, dkimSelector
	}
	return senderauth.Explain(ctx, sc, opts)
}
