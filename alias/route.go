package alias

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deskmail/deskmail"
)

// RouterOptions configure a Router. Nil means the defaults of each field.
type RouterOptions struct {
	// SubaddressSeparator splits "support+tag@". Empty means
	// deskmail.DefaultSubaddressSeparator ("+"). A candidate that does not
	// match as is is looked up again without its tag.
	SubaddressSeparator string
	// MaxCandidates bounds how many addresses are looked up per mail, so a
	// header with thousands of recipients costs a bounded amount. Zero means
	// 100. Addresses beyond it are ignored, in trust order.
	MaxCandidates int
}

// Router finds the support address, account and department an inbound
// mail was sent to, and whether its address is enabled. It is safe for
// concurrent use.
//
// # Candidates and trust
//
// The router collects the addresses of the mail in trust order: the envelope
// recipients given to Route, then X-Original-To, Delivered-To,
// X-Forwarded-To, To and Cc, each field's values top to bottom, each list
// left to right. Each candidate is looked up by its canonical key and, when
// that fails and it has a sub-address tag, by its base key.
//
// # The choice among several matches
//
// The account is that of the first match in trust order; matches of other
// accounts (a mail that copies two tenants) are listed in Route.Matches but
// never chosen, since that tenant receives its own delivery. Within the
// account, the first match whose address is enabled wins; when every match
// of the account is disabled, the first one is returned with Drop set to
// DropAddressDisabled. So "To: sales@, Cc: support@" picks sales@, and a
// disabled address in To does not drop a mail whose Cc names an enabled one.
//
// When the platform receives one message for several envelope recipients
// of different accounts, call Route once per recipient (passing that one
// recipient), as each tenant gets its own copy.
type Router struct {
	store Store
	sep   string
	max   int
}

// ErrNoStore is returned by NewRouter without a Store.
var ErrNoStore = errors.New("alias: no store")

// NewRouter returns a Router over store. It returns ErrNoStore when store
// is nil.
func NewRouter(store Store, opts *RouterOptions) (*Router, error) {
	if store == nil {
		return nil, ErrNoStore
	}
	r := &Router{store: store, sep: deskmail.DefaultSubaddressSeparator, max: 100}
	if opts != nil {
		if opts.SubaddressSeparator != "" {
			r.sep = opts.SubaddressSeparator
		}
		if opts.MaxCandidates > 0 {
			r.max = opts.MaxCandidates
		}
	}
	return r, nil
}

// routedFields are the header fields the router reads, in trust order after
// the envelope, with the method each match gets.
var routedFields = [...]struct {
	name   string
	method MatchMethod
}{
	{"X-Original-To", MatchOriginalTo},
	{"Delivered-To", MatchDeliveredTo},
	{"X-Forwarded-To", MatchForwardedTo},
	{"To", MatchTo},
	{"Cc", MatchCc},
}

// candidate is one address of the mail, in trust order.
type candidate struct {
	key    string
	method MatchMethod
}

// Route routes one inbound mail given its envelope recipients (RCPT TO,
// may be empty for fetched mail) and its header (may be nil). It returns
// ErrNoRoute when no support address matches, and a store's error
// otherwise. The store is asked once per mail, with every candidate
// address and its base address (LookupKeys).
func (r *Router) Route(ctx context.Context, rcpts []string, h deskmail.Header) (Route, error) {
	cands := r.candidates(rcpts, h)
	if len(cands) == 0 {
		return Route{}, ErrNoRoute
	}
	found, err := r.lookup(ctx, cands)
	if err != nil {
		return Route{}, err
	}
	var rt Route
	for _, c := range cands {
		if e, ok := found[c.key]; ok {
			rt.Matches = append(rt.Matches, newMatch(&e, c.method, c.key, ""))
		} else if bk, tag := r.baseKey(c.key); bk != "" {
			if e, ok := found[bk]; ok {
				rt.Matches = append(rt.Matches, newMatch(&e, c.method, bk, tag))
			}
		}
	}
	if len(rt.Matches) == 0 {
		return Route{}, ErrNoRoute
	}
	acct := rt.Matches[0].Account
	chosen := -1
	for i := range rt.Matches {
		if rt.Matches[i].Account == acct && !rt.Matches[i].Disabled {
			chosen = i
			break
		}
	}
	if chosen < 0 {
		chosen = 0
		rt.Drop = DropAddressDisabled
	}
	rt.Match = rt.Matches[chosen]
	rt.SupportAddress = found[rt.Key].Address
	if rt.Tag == "" {
		// The envelope often names the platform address while the header
		// keeps the customer's "support+orders@": report that tag.
		for _, m := range rt.Matches {
			if m.Tag != "" && m.Account == rt.Account && m.Address == rt.Address {
				rt.Tag = m.Tag
				break
			}
		}
	}
	r.forwarding(&rt, h)
	if rt.Drop == "" && fromConfirmationSender(h) {
		rt.Drop = DropConfirmation
	}
	return rt, nil
}

// candidates returns the addresses of the mail in trust order, at most
// r.max of them.
func (r *Router) candidates(rcpts []string, h deskmail.Header) []candidate {
	var out []candidate
	add := func(v string, m MatchMethod) bool {
		for _, k := range addressKeys(v) {
			if len(out) >= r.max {
				return false
			}
			out = append(out, candidate{k, m})
		}
		return true
	}
	for _, rc := range rcpts {
		if !add(rc, MatchEnvelope) {
			return out
		}
	}
	if h == nil {
		return out
	}
	for _, f := range routedFields {
		for _, v := range h.Values(f.name) {
			if !add(v, f.method) {
				return out
			}
		}
	}
	return out
}

// lookup asks the store for every candidate key and base key in one call
// and returns the entries by the key they were found under.
func (r *Router) lookup(ctx context.Context, cands []candidate) (map[string]Entry, error) {
	keys := make([]string, 0, 2*len(cands))
	seen := make(map[string]bool, 2*len(cands))
	for _, c := range cands {
		for _, k := range [2]string{c.key, ""} {
			if k == "" {
				k, _ = r.baseKey(c.key)
			}
			if k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	entries, err := r.store.LookupKeys(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("alias: lookup: %w", err)
	}
	found := make(map[string]Entry, len(entries))
	for _, e := range entries {
		found[e.key()] = e
	}
	return found, nil
}

// baseKey returns the key without its sub-address tag, and the tag; "" when
// the key has no tag.
func (r *Router) baseKey(k string) (string, string) {
	at := strings.LastIndexByte(k, '@')
	if at <= 0 {
		return "", ""
	}
	base, tag := deskmail.SplitSubaddress(k[:at], r.sep)
	if tag == "" {
		return "", ""
	}
	return base + k[at:], tag
}

// addressKeys returns the canonical keys of the addresses in a header value
// (an address list) or an envelope address. Entries that do not parse are
// skipped; the others still count.
func addressKeys(v string) []string {
	list, _ := deskmail.ParseAddressList(v)
	keys := make([]string, 0, len(list))
	for _, a := range list {
		if a.Domain != "" {
			keys = append(keys, a.Key())
		}
	}
	return keys
}

// fromConfirmationSender reports whether the From field names Gmail's
// forwarding-confirmation sender.
func fromConfirmationSender(h deskmail.Header) bool {
	if h == nil {
		return false
	}
	for _, v := range h.Values("From") {
		if a, err := deskmail.ParseAddress(v); err == nil && a.Key() == GmailForwardingSender {
			return true
		}
	}
	return false
}
