package compose

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/bounce"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/relay"
)

// Errors of NewSender and Send.
var (
	// ErrNoTransport: SenderOptions.Transport, the platform's own path, is
	// missing.
	ErrNoTransport = errors.New("compose: SenderOptions.Transport is required")
	// ErrNoComposer: Send was called on a Sender without a Composer.
	ErrNoComposer = errors.New("compose: Send needs SenderOptions.Composer")
	// ErrNoVERP: the platform return path was chosen without a VERP.
	ErrNoVERP = errors.New("compose: the platform return path needs SenderOptions.VERP")
	// ErrNoBounceAddress: the fixed return path was chosen without an
	// address.
	ErrNoBounceAddress = errors.New("compose: the fixed return path needs SenderOptions.BounceAddress")
)

// SenderOptions configure a Sender. Transport is required; every other
// step is left out when its field is nil.
type SenderOptions struct {
	// Composer composes drafts for Send. Nil: only SendRaw works.
	Composer *Composer
	// Transport is the platform's own path, the last step. Required.
	Transport deskmail.Transport
	// Gate drops blocked recipients and pauses notifications of accounts
	// over their bounce rate, and records each recipient's outcome (B2–B5).
	Gate *bounce.Tracker
	// Relay routes through the accounts' relays with caps and fallback
	// (R1–R9). Its Platform field is ignored: the platform path is
	// Transport. Its RelayTransport (nil: SMTP through a relay.Dialer on
	// Relay.SMTP) is wrapped so relay routes are signed too.
	Relay *relay.Options
	// Signer signs with the From domain's DKIM key (R10), on every route.
	Signer *dkim.Signer
	// ReturnPath is the MAIL FROM choice of the account (B8) for the
	// platform route and for relays that keep the caller's: the platform
	// VERP (one envelope per recipient), the From address, or
	// BounceAddress. relay.ReturnPathKeep leaves the envelope's From.
	ReturnPath relay.ReturnPathMode
	// VERP makes platform return paths. Required for ReturnPathPlatform.
	VERP *bounce.VERP
	// BounceAddress is the return path of ReturnPathFixed.
	BounceAddress string
}

// Sender is the one send path: every message, composed or brought by the
// host, goes return path → bounce gate → relay route → DKIM signing →
// transport. Safe for concurrent use.
type Sender struct {
	o     SenderOptions
	chain deskmail.Transport
}

// NewSender returns a Sender. It fails with ErrNoTransport without a
// Transport, ErrNoVERP or ErrNoBounceAddress when the return path needs
// one, and with the relay package's errors for bad Relay options.
func NewSender(opts *SenderOptions) (*Sender, error) {
	if opts == nil || opts.Transport == nil {
		return nil, ErrNoTransport
	}
	s := &Sender{o: *opts}
	switch s.o.ReturnPath {
	case relay.ReturnPathPlatform:
		if s.o.VERP == nil {
			return nil, ErrNoVERP
		}
	case relay.ReturnPathFixed:
		if _, err := deskmail.ParseAddress(s.o.BounceAddress); err != nil || s.o.BounceAddress == "" {
			return nil, ErrNoBounceAddress
		}
	case relay.ReturnPathKeep, relay.ReturnPathFrom:
	default:
		return nil, fmt.Errorf("compose: unknown return path %q", s.o.ReturnPath)
	}
	sign := func(t deskmail.Transport) deskmail.Transport { return t }
	if s.o.Signer != nil {
		mw := s.o.Signer.Middleware()
		sign = func(t deskmail.Transport) deskmail.Transport { return mw(t) }
	}
	t := sign(s.o.Transport)
	if s.o.Relay != nil {
		ro := *s.o.Relay
		relayT := ro.RelayTransport
		if relayT == nil {
			d := relay.NewDialer(ro.SMTP)
			relayT = d.Transport
		}
		ro.RelayTransport = func(r *relay.Relay) deskmail.Transport { return sign(relayT(r)) }
		mw, err := relay.Middleware(&ro)
		if err != nil {
			return nil, err
		}
		t = mw(t)
	}
	if s.o.Gate != nil {
		t = s.o.Gate.Middleware()(t)
	}
	s.chain = t
	return s, nil
}

// Sent is the outcome of Send: the message as composed (before signing)
// and the per-recipient result.
type Sent struct {
	Message *Message         `json:"message"`
	Result  *deskmail.Result `json:"result"`
}

// Send composes d and sends it. The error is Compose's, or the chain's
// when the send failed as a whole; Sent.Result then may still carry the
// recipients' statuses.
func (s *Sender) Send(ctx context.Context, d *Draft) (*Sent, error) {
	if s.o.Composer == nil {
		return nil, ErrNoComposer
	}
	m, err := s.o.Composer.Compose(ctx, d)
	if err != nil {
		return nil, err
	}
	res, err := s.SendRaw(ctx, m.Envelope, m.Bytes)
	return &Sent{Message: m, Result: res}, err
}

// SendRaw sends a message the host built ("bring your own message")
// through the same chain. env needs Account and To; HeaderFrom and
// MessageID save parsing the message. The return path is applied as
// configured: with the platform VERP, each recipient gets its own
// envelope and the results are merged in env.To's order.
func (s *Sender) SendRaw(ctx context.Context, env *deskmail.Envelope, msg []byte) (*deskmail.Result, error) {
	if env == nil || env.Account == "" {
		return nil, errors.New("compose: envelope without account")
	}
	if len(env.To) == 0 {
		return nil, ErrNoRecipients
	}
	switch s.o.ReturnPath {
	case relay.ReturnPathFrom:
		e := env.Clone()
		e.From = headerFrom(env, msg)
		return s.chain.Send(ctx, e, msg)
	case relay.ReturnPathFixed:
		e := env.Clone()
		e.From = s.o.BounceAddress
		return s.chain.Send(ctx, e, msg)
	case relay.ReturnPathPlatform:
		out := &deskmail.Result{}
		var firstErr error
		for _, rc := range env.To {
			rp, err := s.o.VERP.ReturnPath(env.Account, rc, env.MessageID)
			if err != nil {
				return nil, fmt.Errorf("compose: VERP return path: %w", err)
			}
			e := env.Clone()
			e.To, e.From = []string{rc}, rp
			res, err := s.chain.Send(ctx, e, msg)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			rr, ok := res.Recipient(rc)
			if !ok {
				rr = deskmail.RecipientResult{Recipient: rc, Status: deskmail.StatusDeferred, Message: errText(err)}
			}
			out.Recipients = append(out.Recipients, rr)
			if res != nil && res.Via != "" && out.Via == "" {
				out.Via = res.Via
			}
		}
		if firstErr != nil && !anyTaken(out) {
			return out, firstErr
		}
		return out, nil
	}
	return s.chain.Send(ctx, env, msg)
}

func anyTaken(r *deskmail.Result) bool {
	for _, rr := range r.Recipients {
		if rr.Status == deskmail.StatusDelivered || rr.Status == deskmail.StatusUnknown || rr.Status == deskmail.StatusRejected {
			return true
		}
	}
	return false
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return deskmail.Sanitize(err.Error())
}

// headerFrom is env.HeaderFrom, else the address of the message's From.
func headerFrom(env *deskmail.Envelope, msg []byte) string {
	if env.HeaderFrom != "" {
		return env.HeaderFrom
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msg)))
	if err == nil {
		if a, err := deskmail.ParseAddress(h.Get("From")); err == nil {
			return a.Addr()
		}
	}
	return env.From
}
