package senderauth

import (
	"context"
	"net"
	"net/netip"

	"github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
	"github.com/deskmail/deskmail/arc"
	"github.com/deskmail/deskmail/dkim"
	"github.com/deskmail/deskmail/dmarc"
	"github.com/deskmail/deskmail/spf"
)

// Resolver answers every DNS query of a verdict: SPF (TXT, A/AAAA, MX,
// PTR), DKIM and ARC keys (TXT) and DMARC (TXT, A/AAAA, MX). It is
// spf.Resolver; *net.Resolver and dnstest.Zone implement it.
type Resolver = spf.Resolver

var _ Resolver = net.DefaultResolver

// Message is an inbound message as the receiving server saw it.
type Message struct {
	// IP is the connecting client's address.
	IP netip.Addr
	// HELO is the name the client gave in HELO/EHLO.
	HELO string
	// MailFrom is the envelope sender (MAIL FROM); "" is the null sender.
	MailFrom string
	// Raw is the message as received, header and body, CRLF line ends.
	Raw []byte
	// Header is the header of Raw as textproto.ReadHeader parsed it, for a
	// caller that has it already (the inbound pipeline): the From domain is
	// then taken from its first From field instead of a second scan of
	// Raw. It must be the header of Raw. Nil: Raw is scanned.
	Header *textproto.Header
	// FromDomain is the lower-case domain of the first address of the
	// first From field, for a caller that parsed it already, exactly as
	// dkim.FromDomain(Raw) would give it. Empty: taken from Header, or
	// from Raw.
	FromDomain string
	// TrustedSealers are ARC sealers (d= domains) trusted for this message
	// only, on top of Options.TrustedSealers: typically the account's own
	// forwarding domain.
	TrustedSealers []string
}

// Action is what the inbound pipeline should do with a message.
type Action string

// The actions of a Verdict.
const (
	// Accept: deliver normally (DMARC passed, or no policy asks otherwise).
	Accept Action = "accept"
	// Suspend: hold for review (DMARC failed with quarantine or reject).
	// Mail that fails is suspended, not lost, and can be recovered.
	Suspend Action = "suspend"
	// Retry: DNS failed; evaluate again later (or accept and flag).
	Retry Action = "retry"
)

// The outcome codes of a Verdict (Verdict.Code, and the code of its last
// reason). Each names what happened; none says "pass" for a failure.
const (
	CodePass           = "pass"             // DMARC passed on the message's own SPF or DKIM
	CodeARCTrusted     = "arc_trusted"      // DMARC failed, but a trusted ARC sealer recorded a pass
	CodeFail           = "fail"             // DMARC failed and the domain asks for quarantine or reject
	CodeFailPolicyNone = "fail_policy_none" // DMARC failed and the domain asks for nothing (p=none, or pct=/t= lowered it to none)
	CodeNone           = "none"             // the From domain publishes no DMARC record
	CodeTempError      = "temperror"        // DNS failed; evaluate again later
	CodePermError      = "permerror"        // the message has no usable From domain
)

// The codes of the other reasons of a Verdict, one per method.
const (
	ReasonSPF   = "spf"   // what SPF found
	ReasonDKIM  = "dkim"  // what DKIM verification found (or that it was skipped)
	ReasonDMARC = "dmarc" // one step of the DMARC evaluation
	ReasonARC   = "arc"   // what the ARC chain says and whether it was used
)

// Options configure Authenticate. Nil means the defaults of each field.
type Options struct {
	// Resolver answers every DNS query. Nil means DMARC.Resolver when that
	// also implements Resolver (dnstest.Zone and *net.Resolver do), else
	// net.DefaultResolver.
	Resolver Resolver
	// DMARC are the DMARC options (mode, pct= sampling). Nil means
	// defaults. Their Resolver, when set, is used for DMARC.
	DMARC *dmarc.Options
	// AuthServID is the authserv-id of the Authentication-Results value
	// (RFC 8601), normally the receiving host's name. Empty means
	// "deskmail".
	AuthServID string
	// DKIM configures signature verification; its Resolver defaults to
	// the one above.
	DKIM *dkim.VerifyOptions
	// SkipDKIM turns DKIM verification off, for a host that verified the
	// signatures upstream or measures throughput without it: no key is
	// looked up, Verdict.DKIM stays empty, DMARC rests on SPF alignment
	// alone, and a signed message gets "dkim=none reason=..." in the
	// Authentication-Results, with a reason saying so. A message without
	// a DKIM-Signature costs no DKIM work either way.
	SkipDKIM bool
	// TrustedSealers are the ARC sealers (ARC-Seal d= domains, such as
	// "google.com" or "outlook.com") whose recorded authentication results
	// the host believes. A sealer matches its domain and every subdomain
	// of it. Empty: ARC chains are verified and reported, but never change
	// the outcome.
	TrustedSealers []string
	// ARC configures chain verification; its Resolver defaults to the one
	// above.
	ARC *arc.VerifyOptions
}

// Verdict is the combined SPF, DKIM, ARC and DMARC evaluation of an
// inbound message.
type Verdict struct {
	SPF  *spf.Check           `json:"-"`
	DKIM []*dkim.Verification `json:"dkim"`
	// ARC is the verified ARC chain; nil when the message has no ARC
	// header fields.
	ARC *arc.Chain `json:"arc,omitempty"`
	// DMARC is the DMARC evaluation on the message's own SPF and DKIM
	// results, before any ARC override.
	DMARC *dmarc.Result `json:"dmarc"`
	// SPFResult and SPFDomain repeat the SPF outcome for JSON.
	SPFResult spf.Result `json:"spf"`
	SPFDomain string     `json:"spf_domain"`

	// Result is the final DMARC result: DMARC.Outcome, or pass when a
	// trusted ARC sealer's recorded pass was used (ARCTrusted).
	Result dmarc.Outcome `json:"result"`
	// Policy is the policy the From domain asks for a failing message
	// (p=, sp= or np=, named by PolicyTag), Disposition what is applied
	// after pct= and t=y; Percent is pct= (100 when absent) and Testing
	// t=y. Empty policy and disposition none for a pass.
	Policy      dmarc.Policy `json:"policy,omitempty"`
	PolicyTag   string       `json:"policy_tag,omitempty"`
	Disposition dmarc.Policy `json:"disposition"`
	Percent     int          `json:"percent,omitempty"`
	Testing     bool         `json:"testing,omitempty"`
	// SPFAligned is set when SPF passed for a domain DMARC-aligned with
	// the From domain; DKIMAligned when a DKIM signature of such a domain
	// passed. They are the message's own evidence: an ARC override sets
	// neither. A From domain without a DMARC record is aligned only with
	// itself and its subdomains (relaxed).
	SPFAligned  bool `json:"spf_aligned"`
	DKIMAligned bool `json:"dkim_aligned"`
	// ARCTrusted is set when DMARC failed but a trusted sealer's recorded
	// pass made Result pass; ARCSealer names that sealer's d= domain.
	ARCTrusted bool   `json:"arc_trusted"`
	ARCSealer  string `json:"arc_sealer,omitempty"`
	// Code names the outcome: one of the Code constants.
	Code string `json:"code"`
	// Action is what to do with the message.
	Action Action `json:"action"`
	// AuthenticationResults is the value of an Authentication-Results
	// header field for the message (without the field name).
	AuthenticationResults string `json:"authentication_results"`
	// Reasons say why, for the review queue: one per method step (codes
	// ReasonSPF, ReasonDKIM, ReasonARC, ReasonDMARC), the last one with
	// the outcome Code. Text quoted from the mail is sanitised.
	Reasons []deskmail.Reason `json:"reasons"`
}

// resolvers picks the resolver of each method.
func (o *Options) resolver() Resolver {
	if o.Resolver != nil {
		return o.Resolver
	}
	if o.DMARC != nil {
		if r, ok := o.DMARC.Resolver.(Resolver); ok && r != nil {
			return r
		}
	}
	return net.DefaultResolver
}

// Check is Authenticate for an envelope as the inbound pipeline holds it:
// ClientIP, HELO and From (MAIL FROM) of env, and the raw message.
func Check(ctx context.Context, env *deskmail.Envelope, raw []byte, opts *Options) (*Verdict, error) {
	if env == nil {
		env = &deskmail.Envelope{}
	}
	return Authenticate(ctx, &Message{IP: env.ClientIP, HELO: env.HELO, MailFrom: env.From, Raw: raw}, opts)
}
