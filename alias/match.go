package alias

import "errors"

// MatchMethod says which part of the mail matched a support address. The
// methods are listed in the order the router trusts them.
type MatchMethod string

// The match methods, most trusted first.
const (
	MatchEnvelope    MatchMethod = "envelope"       // an SMTP RCPT TO recipient
	MatchOriginalTo  MatchMethod = "x-original-to"  // X-Original-To (Postfix)
	MatchDeliveredTo MatchMethod = "delivered-to"   // Delivered-To
	MatchForwardedTo MatchMethod = "x-forwarded-to" // X-Forwarded-To (Gmail and others)
	MatchTo          MatchMethod = "to"             // the To header
	MatchCc          MatchMethod = "cc"             // the Cc header
)

// DropReason says why a routed mail must not become a ticket.
type DropReason string

// The drop reasons.
const (
	// DropAddressDisabled: every support address the mail matched in its
	// account has fetching turned off.
	DropAddressDisabled DropReason = "address_disabled"
	// DropConfirmation: the mail comes from a provider's forwarding-
	// confirmation sender (Gmail's forwarding-noreply@google.com); it must
	// not become a ticket. ParseConfirmation extracts its code and
	// link.
	DropConfirmation DropReason = "forwarding_confirmation"
)

// ErrNoRoute is returned by Route when no support address matches.
var ErrNoRoute = errors.New("alias: no support address matches")

// Match is one support address found in a mail.
type Match struct {
	// Account is the tenant that owns the support address.
	Account string `json:"account"`
	// Address is the support address (SupportAddress.Address).
	Address string `json:"address"`
	// Platform reports that the platform address matched rather than the
	// address itself.
	Platform bool `json:"platform,omitempty"`
	// Disabled reports that fetching is off for the address.
	Disabled bool `json:"disabled,omitempty"`
	// Department is the effective department (Account.DepartmentOf).
	Department string `json:"department,omitempty"`
	// Method is where the address was found.
	Method MatchMethod `json:"method"`
	// Key is the canonical key that matched (after removing a sub-address
	// tag, if that is what made it match).
	Key string `json:"key"`
	// Tag is the sub-address tag removed to match ("billing" for
	// support+billing@), or "".
	Tag string `json:"tag,omitempty"`
}

func newMatch(e *Entry, m MatchMethod, key, tag string) Match {
	return Match{Account: e.Account, Address: e.Address.Address, Platform: e.Platform, Disabled: e.Address.Disabled,
		Department: e.Department, Method: m, Key: key, Tag: tag}
}

// Route is the router's answer for one inbound mail.
type Route struct {
	// Account, Address, Department, Method and Key describe the chosen
	// match (see Router for the choice). Tag is the sub-address tag of the
	// chosen match or, when it has none, of the first other match of the
	// same support address, so "To: support+orders@" is reported even when
	// the envelope named the platform address.
	Match
	// SupportAddress is the chosen support address in full.
	SupportAddress SupportAddress `json:"support_address"`
	// ViaCustomerForward reports that the mail reached the platform through
	// a customer-owned forwarding address: it matched a customer-owned
	// support address, either through its platform address while the
	// header names the customer address or no platform address at all, or
	// through a forwarding header (X-Original-To, Delivered-To,
	// X-Forwarded-To) naming the customer address.
	ViaCustomerForward bool `json:"via_customer_forward"`
	// ForwardedFor is the customer-side address the mail was first sent to,
	// when ViaCustomerForward is set.
	ForwardedFor string `json:"forwarded_for,omitempty"`
	// Drop is set when the mail must not become a ticket (a disabled
	// address, a forwarding confirmation); Account and Address still say
	// where it was addressed.
	Drop DropReason `json:"drop,omitempty"`
	// Matches lists every support address found, in trust order, including
	// those of other accounts and duplicates found by several methods.
	Matches []Match `json:"matches,omitempty"`
}
