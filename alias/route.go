package alias

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"

	message "github.com/emersion/go-message"
	gmmail "github.com/emersion/go-message/mail"
	gmtextproto "github.com/emersion/go-message/textproto"

	"github.com/deskmail/deskmail"
)

// Header is what the router reads from a message header: every value of a
// field, in the order the fields appear, top first. It is satisfied by
// *textproto.Header and *mail.Header of github.com/emersion/go-message
// (parse the header once, as the inbound pipeline does), by net/textproto's
// MIMEHeader and by net/http.Header. MailHeader adapts a net/mail.Header.
// The go-message types (*textproto.Header, *message.Header, *mail.Header)
// are read through their field iterators instead of Values, which copies.
type Header interface {
	Values(key string) []string
}

// gmHeader returns the go-message header behind h, or nil. Its Values
// copies the values of a field into a new slice on every call; the router
// reads go-message headers through FieldsByKey instead, which does not
// allocate.
func gmHeader(h Header) *gmtextproto.Header {
	switch h := h.(type) {
	case *gmtextproto.Header:
		return h
	case *message.Header:
		return &h.Header
	case *gmmail.Header:
		return &h.Header.Header
	}
	return nil
}

// The fields the router reads, indexes into headerView.
const (
	fieldOriginalTo = iota
	fieldDeliveredTo
	fieldForwardedTo
	fieldTo
	fieldCc
	fieldFrom
	numFields
)

var fieldNames = [numFields]string{"X-Original-To", "Delivered-To", "X-Forwarded-To", "To", "Cc", "From"}

// headerView reads the fields the router needs. A go-message header is read
// in one pass over its fields (a lookup by key costs several map accesses
// per value there); the first few values of each field are kept, and a
// field with more is read again by key.
type headerView struct {
	h    Header
	gm   *gmtextproto.Header
	n    [numFields]uint8
	over [numFields]bool
	v    [numFields][4]string
}

func (hv *headerView) init(h Header) {
	hv.h = h
	if h == nil {
		return
	}
	hv.gm = gmHeader(h)
	if hv.gm == nil {
		return
	}
	fs := hv.gm.Fields()
	for fs.Next() {
		i := -1
		switch fs.Key() {
		case "X-Original-To":
			i = fieldOriginalTo
		case "Delivered-To":
			i = fieldDeliveredTo
		case "X-Forwarded-To":
			i = fieldForwardedTo
		case "To":
			i = fieldTo
		case "Cc":
			i = fieldCc
		case "From":
			i = fieldFrom
		}
		if i < 0 || hv.over[i] {
			continue
		}
		if int(hv.n[i]) == len(hv.v[i]) {
			hv.over[i] = true
			continue
		}
		hv.v[i][hv.n[i]] = fs.Value()
		hv.n[i]++
	}
}

// each calls fn with each value of field f, top first, until fn returns
// false, and reports whether it ran to the end.
func (hv *headerView) each(f int, fn func(string) bool) bool {
	switch {
	case hv.h == nil:
	case hv.gm != nil && !hv.over[f]:
		for _, v := range hv.v[f][:hv.n[f]] {
			if !fn(v) {
				return false
			}
		}
	case hv.gm != nil:
		fs := hv.gm.FieldsByKey(fieldNames[f])
		for fs.Next() {
			if !fn(fs.Value()) {
				return false
			}
		}
	default:
		for _, v := range hv.h.Values(fieldNames[f]) {
			if !fn(v) {
				return false
			}
		}
	}
	return true
}

// MailHeader adapts a net/mail.Header to Header.
type MailHeader mail.Header

// Values returns the values of key, canonicalizing it as net/mail does.
func (h MailHeader) Values(key string) []string {
	return h[textproto.CanonicalMIMEHeaderKey(key)]
}

// MatchMethod says which part of the mail matched a support address. The
// methods are listed in the order the router trusts them.
type MatchMethod string

// The match methods, most trusted first (A2).
const (
	MatchEnvelope    MatchMethod = "envelope"       // an SMTP RCPT TO recipient
	MatchOriginalTo  MatchMethod = "x-original-to"  // X-Original-To (Postfix)
	MatchDeliveredTo MatchMethod = "delivered-to"   // Delivered-To
	MatchForwardedTo MatchMethod = "x-forwarded-to" // X-Forwarded-To (Gmail and others)
	MatchTo          MatchMethod = "to"             // the To header
	MatchCc          MatchMethod = "cc"             // the Cc header
)

var headerOrder = [...]struct {
	field  int
	method MatchMethod
}{
	{fieldOriginalTo, MatchOriginalTo},
	{fieldDeliveredTo, MatchDeliveredTo},
	{fieldForwardedTo, MatchForwardedTo},
	{fieldTo, MatchTo},
	{fieldCc, MatchCc},
}

// DropReason says why a routed mail must not become a ticket.
type DropReason string

// The drop reasons.
const (
	// DropAddressDisabled: every support address the mail matched in its
	// account has fetching turned off (A6).
	DropAddressDisabled DropReason = "address_disabled"
	// DropConfirmation: the mail comes from a provider's forwarding-
	// confirmation sender (Gmail's forwarding-noreply@google.com); it must
	// not become a ticket (A3). ParseConfirmation extracts its code and
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
	// Disabled reports that fetching is off for the address (A6).
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
	// a customer-owned forwarding address (A2): it matched a customer-owned
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

// RouterOptions configure a Router. Nil means the defaults of each field.
type RouterOptions struct {
	// SubaddressSeparator splits "support+tag@" (A16). Empty means
	// deskmail.DefaultSubaddressSeparator ("+"). A candidate that does not
	// match as is is looked up again without its tag.
	SubaddressSeparator string
	// MaxCandidates bounds how many addresses are looked up per mail, so a
	// header with thousands of recipients costs a bounded amount. Zero means
	// 100. Addresses beyond it are ignored, in trust order.
	MaxCandidates int
}

// Router finds the support address an inbound mail was sent to (A2, A4,
// A6). It is safe for concurrent use.
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
	mem   *MemoryStore // the store, when it is a MemoryStore (read in place)
	sep   string
	max   int
}

// NewRouter returns a Router over store.
func NewRouter(store Store, opts *RouterOptions) *Router {
	r := &Router{store: store, sep: deskmail.DefaultSubaddressSeparator, max: 100}
	r.mem, _ = store.(*MemoryStore)
	if opts != nil {
		if opts.SubaddressSeparator != "" {
			r.sep = opts.SubaddressSeparator
		}
		if opts.MaxCandidates > 0 {
			r.max = opts.MaxCandidates
		}
	}
	return r
}

// Route routes one inbound mail given its envelope recipients (RCPT TO,
// may be empty for fetched mail) and its header (may be nil). It returns
// ErrNoRoute when no support address matches, and a store's error
// otherwise.
func (r *Router) Route(ctx context.Context, rcpts []string, h Header) (Route, error) {
	c := collector{r: r, budget: r.max, matches: make([]Match, 0, 4), mem: r.mem}
	if r.mem == nil {
		if b, ok := r.store.(BatchLookup); ok {
			c.batch = b
		}
	}
	for _, rc := range rcpts {
		if err := c.add(ctx, rc, MatchEnvelope); err != nil {
			return Route{}, err
		}
	}
	var hv headerView
	hv.init(h)
	if h != nil {
		var err error
		for _, f := range headerOrder {
			method := f.method
			if !hv.each(f.field, func(v string) bool {
				err = c.add(ctx, v, method)
				return err == nil
			}) {
				return Route{}, err
			}
		}
	}
	if c.batch != nil {
		if err := c.resolve(ctx); err != nil {
			return Route{}, err
		}
	}
	rt := Route{Matches: c.matches}
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
	e, err := c.entry(ctx, rt.Key)
	if err != nil {
		return Route{}, err
	}
	rt.SupportAddress = e.Address
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
	r.forwarding(&rt, &hv)
	if rt.Drop == "" && fromConfirmationSender(&hv) {
		rt.Drop = DropConfirmation
	}
	return rt, nil
}

// fromConfirmationSender reports whether the From field names Gmail's
// forwarding-confirmation sender, without a full address parse.
func fromConfirmationSender(hv *headerView) bool {
	found := false
	hv.each(fieldFrom, func(v string) bool {
		for i := 0; i+len(GmailForwardingSender) <= len(v); i++ {
			// The sender starts with "f", which only 'f' and 'F' fold to.
			if v[i]|0x20 == 'f' && strings.EqualFold(v[i:i+len(GmailForwardingSender)], GmailForwardingSender) {
				a, err := deskmail.ParseAddress(v)
				found = err == nil && a.Key() == GmailForwardingSender
				return false
			}
		}
		return true
	})
	return found
}

// collector gathers the matches of one Route call.
type collector struct {
	r       *Router
	matches []Match
	budget  int
	// With a BatchLookup store, candidates are gathered in pending and
	// looked up in one call by resolve.
	batch   BatchLookup
	pending []candidate
	found   map[string]Entry
	// With a MemoryStore, entries are read in place.
	mem *MemoryStore
	// seen remembers the first keys looked up and where their match is in
	// Matches (-1: none), since the envelope, Delivered-To, X-Original-To
	// and To often repeat one address; with mem, also the matched entry.
	seen  [8]seenKey
	nseen int
}

type seenKey struct {
	key string
	idx int
	e   *Entry
}

type candidate struct {
	key    string
	method MatchMethod
}

// add looks up every address of one header value (or envelope recipient).
func (c *collector) add(ctx context.Context, raw string, m MatchMethod) error {
	var buf [8]string
	for _, k := range extractKeys(raw, buf[:0]) {
		if err := c.one(ctx, k, m); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) one(ctx context.Context, k string, m MatchMethod) error {
	if c.budget <= 0 {
		return nil
	}
	c.budget--
	if c.batch != nil {
		c.pending = append(c.pending, candidate{k, m})
		return nil
	}
	for i := 0; i < c.nseen; i++ {
		if c.seen[i].key == k {
			if j := c.seen[i].idx; j >= 0 {
				mt := c.matches[j]
				mt.Method = m
				c.matches = append(c.matches, mt)
			}
			return nil
		}
	}
	var e *Entry
	idx := -1
	if c.mem != nil {
		var mk, tag string
		if e, mk, tag = c.r.lookupRef(k); e != nil {
			idx = len(c.matches)
			c.matches = append(c.matches, newMatch(e, m, mk, tag))
		}
	} else {
		mt, ok, err := c.r.lookup(ctx, k, m)
		if err != nil {
			return err
		}
		if ok {
			idx = len(c.matches)
			c.matches = append(c.matches, mt)
		}
	}
	if c.nseen < len(c.seen) {
		c.seen[c.nseen] = seenKey{k, idx, e}
		c.nseen++
	}
	return nil
}

// entry returns the full entry of the chosen key: from the batch result,
// or by one more Lookup (cheaper than carrying every entry in the matches).
// An address deleted since it matched gives ErrNoRoute.
func (c *collector) entry(ctx context.Context, k string) (Entry, error) {
	if c.found != nil {
		if e, ok := c.found[k]; ok {
			return e, nil
		}
	}
	for _, s := range c.seen[:c.nseen] {
		if s.e != nil && c.matches[s.idx].Key == k {
			return *s.e, nil
		}
	}
	e, err := c.r.store.Lookup(ctx, k)
	if errors.Is(err, ErrNotFound) {
		return Entry{}, ErrNoRoute
	}
	if err != nil {
		return Entry{}, fmt.Errorf("alias: lookup: %w", err)
	}
	return e, nil
}

// resolve looks the pending candidates and their base keys up in one
// LookupKeys call and appends the matches in candidate order.
func (c *collector) resolve(ctx context.Context) error {
	if len(c.pending) == 0 {
		return nil
	}
	keys := make([]string, 0, 2*len(c.pending))
	seen := make(map[string]bool, 2*len(c.pending))
	addKey := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, p := range c.pending {
		addKey(p.key)
		if bk, _ := c.r.baseKey(p.key); bk != "" {
			addKey(bk)
		}
	}
	entries, err := c.batch.LookupKeys(ctx, keys)
	if err != nil {
		return fmt.Errorf("alias: lookup: %w", err)
	}
	found := make(map[string]Entry, len(entries))
	c.found = found
	for _, e := range entries {
		k := e.Address.Address
		if e.Platform {
			k = e.Address.PlatformAddress
		}
		found[k] = e
	}
	for _, p := range c.pending {
		if e, ok := found[p.key]; ok {
			c.matches = append(c.matches, newMatch(&e, p.method, p.key, ""))
			continue
		}
		if bk, tag := c.r.baseKey(p.key); bk != "" {
			if e, ok := found[bk]; ok {
				c.matches = append(c.matches, newMatch(&e, p.method, bk, tag))
			}
		}
	}
	return nil
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

// lookupRef is lookup in a MemoryStore without copying: the entry, the key
// that matched and the removed tag; a nil entry when neither key exists.
func (r *Router) lookupRef(k string) (*Entry, string, string) {
	if e := r.mem.lookupRef(k); e != nil {
		return e, k, ""
	}
	at := strings.LastIndexByte(k, '@')
	if at <= 0 {
		return nil, "", ""
	}
	base, tag := deskmail.SplitSubaddress(k[:at], r.sep)
	if tag == "" {
		return nil, "", ""
	}
	// The base key is built on the stack; the key reported is the entry's
	// own, equal to it.
	var buf [128]byte
	b := append(append(buf[:0], base...), k[at:]...)
	if e := r.mem.lookupRefBytes(b); e != nil {
		return e, e.key(), tag
	}
	return nil, "", ""
}

func (r *Router) lookup(ctx context.Context, k string, m MatchMethod) (Match, bool, error) {
	e, err := r.store.Lookup(ctx, k)
	if err == nil {
		return newMatch(&e, m, k, ""), true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Match{}, false, fmt.Errorf("alias: lookup: %w", err)
	}
	bk, tag := r.baseKey(k)
	if bk == "" {
		return Match{}, false, nil
	}
	e, err = r.store.Lookup(ctx, bk)
	if err == nil {
		return newMatch(&e, m, bk, tag), true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Match{}, false, fmt.Errorf("alias: lookup: %w", err)
	}
	return Match{}, false, nil
}

// forwarding decides ViaCustomerForward and ForwardedFor for the chosen
// match.
func (r *Router) forwarding(rt *Route, h *headerView) {
	s := &rt.SupportAddress
	if !s.CustomerOwned() {
		// A platform address reached directly; a forwarding header may still
		// name an outside address we do not know (a forward set up without
		// telling us).
		if rt.Platform || s.PlatformAddress == "" {
			if ff := r.foreignForward(rt, h); ff != "" {
				rt.ViaCustomerForward, rt.ForwardedFor = true, ff
			}
		}
		return
	}
	if !rt.Platform {
		// Matched the customer address itself: through a forwarding header
		// it was forwarded; in the envelope, To or Cc it came straight to a
		// domain the platform receives for.
		switch rt.Method {
		case MatchOriginalTo, MatchDeliveredTo, MatchForwardedTo:
			rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
			return
		}
		for _, m := range rt.Matches {
			if m.Account == rt.Account && m.Address == s.Address && m.Platform {
				rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
				return
			}
		}
		return
	}
	// Matched the platform address. It was forwarded unless the sender wrote
	// to the platform address itself (it appears in To or Cc while the
	// customer address appears nowhere).
	publicSeen, platformInHeader := false, false
	for _, m := range rt.Matches {
		if m.Account != rt.Account || m.Address != s.Address {
			continue
		}
		if !m.Platform {
			publicSeen = true
		} else if m.Method == MatchTo || m.Method == MatchCc {
			platformInHeader = true
		}
	}
	if publicSeen || !platformInHeader {
		rt.ViaCustomerForward, rt.ForwardedFor = true, s.Address
	}
}

// foreignForward returns the first address in X-Original-To or
// X-Forwarded-To that is not a support address of the route's account.
func (r *Router) foreignForward(rt *Route, h *headerView) string {
	foreign := ""
	var buf [4]string
	for _, f := range [...]int{fieldOriginalTo, fieldForwardedTo} {
		if !h.each(f, func(v string) bool {
			for _, k := range extractKeys(v, buf[:0]) {
				bk, _ := r.baseKey(k)
				own := k == rt.SupportAddress.PlatformAddress
				for _, m := range rt.Matches {
					if m.Account == rt.Account && (m.Key == k || m.Address == k || m.Key == bk) {
						own = true
						break
					}
				}
				if !own {
					foreign = k
					return false
				}
			}
			return true
		}) {
			return foreign
		}
	}
	return ""
}

// extractKeys appends the canonical keys of the addresses in a header value
// (an address list) to dst. Simple lists — names in quotes or encoded words,
// addresses in angle brackets or bare — are scanned without a parser;
// anything else (comments, groups, escapes, non-ASCII) goes through
// deskmail.ParseAddressList. Unparsable entries are skipped.
func extractKeys(v string, dst []string) []string {
	if out, ok := scanList(v, dst); ok {
		return out
	}
	if !simpleList(v) {
		list, _ := deskmail.ParseAddressList(v)
		for _, a := range list {
			if a.Domain != "" {
				dst = append(dst, a.Key())
			}
		}
		return dst
	}
	for i := 0; i <= len(v); {
		var part string
		part, i = nextPart(v, i)
		if k := partKey(part); k != "" {
			dst = append(dst, k)
		}
	}
	return dst
}

// The byte classes of scanList.
const (
	lPlain = iota
	lBad   // ends the fast path: controls, non-ASCII, comments, groups, escapes
	lQuote
	lColon
	lLT
	lGT
	lComma
)

var listClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c < 0x20 && c != '\t', c >= 0x7f, c == '(', c == ')', c == '\\', c == ';':
			t[c] = lBad
		case c == '"':
			t[c] = lQuote
		case c == ':':
			t[c] = lColon
		case c == '<':
			t[c] = lLT
		case c == '>':
			t[c] = lGT
		case c == ',':
			t[c] = lComma
		}
	}
	return t
}()

// scanList is the one-pass form of simpleList, nextPart and partKey for up
// to 8 list entries: it appends the same keys as extractKeys, or reports
// false when v is not a simple list or has more entries (extractKeys then
// takes its general path).
func scanList(v string, dst []string) ([]string, bool) {
	var ends [8]int
	n := 0
	inQuote, inAngle := false, false
	for i := 0; i < len(v); i++ {
		for i < len(v) && listClass[v[i]] == lPlain {
			i++
		}
		if i == len(v) {
			break
		}
		switch listClass[v[i]] {
		case lBad:
			return dst, false
		case lQuote:
			inQuote = !inQuote
		case lColon:
			if !inQuote {
				return dst, false
			}
		case lLT:
			if !inQuote {
				inAngle = true
			}
		case lGT:
			if !inQuote {
				inAngle = false
			}
		case lComma:
			if !inQuote && !inAngle {
				if n == len(ends)-1 {
					return dst, false
				}
				ends[n] = i
				n++
			}
		}
	}
	if inQuote {
		return dst, false
	}
	ends[n] = len(v)
	n++
	start := 0
	for _, end := range ends[:n] {
		if k := partKey(v[start:end]); k != "" {
			dst = append(dst, k)
		}
		start = end + 1
	}
	return dst, true
}

// nextPart returns the list entry of a simple list that starts at i and the
// index after its comma (len(v)+1 after the last entry).
func nextPart(v string, i int) (string, int) {
	inQuote, inAngle := false, false
	for j := i; j < len(v); j++ {
		switch c := v[j]; {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			return v[i:j], j + 1
		}
	}
	return v[i:], len(v) + 1
}

// partKey returns the canonical key of one simple list entry: the addr-spec
// in its last angle brackets, or the whole entry; "" when it does not parse.
func partKey(part string) string {
	if lt := strings.LastIndexByte(part, '<'); lt >= 0 {
		gt := strings.IndexByte(part[lt:], '>')
		if gt < 0 {
			return ""
		}
		part = part[lt+1 : lt+gt]
	}
	if k, ok := quickKey(part); ok {
		return k
	}
	k := deskmail.CanonicalKey(part)
	if strings.IndexByte(k, '@') <= 0 {
		return ""
	}
	return k
}

// The byte classes of quickKey.
const (
	kOther = iota // anything else: leave it to deskmail.CanonicalKey
	kPlain
	kDot
	kAt
)

var keyClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = kPlain
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = kPlain
	}
	for _, c := range "-_+=" {
		t[c] = kPlain
	}
	t['.'], t['@'] = kDot, kAt
	return t
}()

// quickKey returns deskmail.CanonicalKey(s) for the commonest form, an
// addr-spec already in canonical form (lower-case ASCII letters, digits,
// "-_+=", single dots inside the local part and labels, no A-label), in
// one pass and without allocating; ok is false for anything else.
func quickKey(s string) (string, bool) {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	if len(s) > 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	at := -1
	for i := 0; ; i++ {
		start := i
		for i < len(s) && keyClass[s[i]] == kPlain {
			i++
		}
		// A dot or @ must follow a plain byte, and so must the end.
		if i == start {
			return "", false
		}
		if i == len(s) {
			break
		}
		switch keyClass[s[i]] {
		case kDot:
			if at >= 0 && strings.HasPrefix(s[i+1:], "xn--") {
				return "", false
			}
		case kAt:
			if at >= 0 || strings.HasPrefix(s[i+1:], "xn--") {
				return "", false
			}
			at = i
		default:
			return "", false
		}
	}
	if at < 0 {
		return "", false
	}
	return s, true
}

// simpleList reports whether v can be scanned by extractKeys' fast path:
// printable ASCII without comments, groups or backslashes, and balanced
// quotes.
func simpleList(v string) bool {
	q := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c < 0x20 && c != '\t', c >= 0x7f, c == '(', c == ')', c == '\\', c == ';':
			return false
		case c == '"':
			q = !q
		case c == ':' && !q:
			return false
		}
	}
	return !q
}
