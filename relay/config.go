package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskmail/deskmail"
)

// Security is how a relay connection is protected (R2).
type Security string

// The security modes.
const (
	// SecurityTLS is implicit TLS from the first byte (RFC 8314), usually
	// port 465 ("SSL" in admin screens).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS upgrades a plain connection with STARTTLS (RFC 3207),
	// usually port 587 or 25. A server that does not offer STARTTLS is a
	// TLS fault: the transport never falls back to plain text.
	SecuritySTARTTLS Security = "starttls"
	// SecurityNone sends in plain text.
	SecurityNone Security = "none"
)

// Valid reports whether s is a defined mode.
func (s Security) Valid() bool {
	return s == SecurityTLS || s == SecuritySTARTTLS || s == SecurityNone
}

// ParseSecurity parses "tls" (or "ssl", "implicit"), "starttls" and "none"
// (or "plain"), case-insensitively.
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tls", "ssl", "implicit", "smtps":
		return SecurityTLS, nil
	case "starttls":
		return SecuritySTARTTLS, nil
	case "none", "plain", "":
		return SecurityNone, nil
	}
	return "", fmt.Errorf("relay: unknown security %q (want tls, starttls or none)", s)
}

// AuthMechanism is how the transport authenticates to a relay (R3).
type AuthMechanism string

// The authentication mechanisms.
const (
	AuthNone        AuthMechanism = ""            // no AUTH
	AuthPlain       AuthMechanism = "PLAIN"       // RFC 4616, password
	AuthLogin       AuthMechanism = "LOGIN"       // password
	AuthXOAUTH2     AuthMechanism = "XOAUTH2"     // Google/Microsoft OAuth 2.0 bearer token
	AuthOAuthBearer AuthMechanism = "OAUTHBEARER" // RFC 7628 bearer token
)

// Valid reports whether m is a defined mechanism.
func (m AuthMechanism) Valid() bool {
	switch m {
	case AuthNone, AuthPlain, AuthLogin, AuthXOAUTH2, AuthOAuthBearer:
		return true
	}
	return false
}

// ReturnPathMode is the reverse-path (MAIL FROM) used on a relay route (B8).
// What each choice does to SPF and DMARC alignment (R12) is computed, with
// real DNS, by the sender-authentication package's Explain.
type ReturnPathMode string

// The return-path modes.
const (
	// ReturnPathKeep leaves the envelope's From as the caller set it.
	ReturnPathKeep ReturnPathMode = ""
	// ReturnPathPlatform uses the platform's VERP address on its bounce
	// domain, so bounces update delivery status. It needs a VERPSigner and
	// one envelope per recipient (the router splits the message).
	ReturnPathPlatform ReturnPathMode = "platform"
	// ReturnPathFrom uses the From header address: bounces go to the
	// sender's own mailbox and no status is updated.
	ReturnPathFrom ReturnPathMode = "from"
	// ReturnPathFixed uses Relay.BounceAddress.
	ReturnPathFixed ReturnPathMode = "fixed"
)

// Relay is one relay server configuration of an account (R1–R4, R9, R13).
// Credentials are not part of it: the transport asks the host's
// PasswordSource or TokenSource when it connects.
type Relay struct {
	// ID identifies the relay within its account; caps and the breaker are
	// kept under it. Required; keep it stable across edits.
	ID string `json:"id"`
	// Domain is the sending (From) domain the relay serves. Required.
	Domain string `json:"domain"`
	// Host is the relay's host name or IP address. Required.
	Host string `json:"host"`
	// Port is 25, 465 or 587. Zero means 465 for SecurityTLS and 587
	// otherwise.
	Port int `json:"port,omitempty"`
	// Security is the connection security. Empty means SecuritySTARTTLS.
	Security Security `json:"security,omitempty"`
	// InsecureSkipVerify turns certificate verification off for this relay
	// only (R2). False (verification on) is the default.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// Auth is the mechanism; AuthNone sends without AUTH.
	Auth AuthMechanism `json:"auth,omitempty"`
	// Username is the AUTH user name (the mailbox for OAuth mechanisms).
	Username string `json:"username,omitempty"`
	// Kinds lists the mail kinds the relay carries (R4). Empty means all.
	Kinds []deskmail.Kind `json:"kinds,omitempty"`
	// DailyCap is the most units (recipients, or messages with
	// Config.CountMessages) the relay takes per day (R5, R13). Zero means
	// no cap of its own.
	DailyCap int64 `json:"daily_cap,omitempty"`
	// Disabled keeps the relay configured but unused (R9). False means
	// enabled.
	Disabled bool `json:"disabled,omitempty"`
	// ReturnPath is the reverse-path mode on this route (B8).
	ReturnPath ReturnPathMode `json:"return_path,omitempty"`
	// BounceAddress is the reverse-path for ReturnPathFixed.
	BounceAddress string `json:"bounce_address,omitempty"`
	// Identity, when set, makes this relay a sender identity's own SMTP
	// server (A8, R13): it carries only mail whose From address is
	// Identity (compared by canonical key), it is tried before the
	// domain's relays, it does not count toward the plan's relay limits,
	// and mail it cannot take never falls back to the platform, which
	// cannot send as that address. DailyCap is then the server's own
	// sending limit.
	Identity string `json:"identity,omitempty"`
}

// Addr returns "host:port" with the default port filled in.
func (r *Relay) Addr() string {
	h := r.Host
	if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
		h = "[" + h + "]"
	}
	return fmt.Sprintf("%s:%d", h, r.port())
}

func (r *Relay) port() int {
	if r.Port != 0 {
		return r.Port
	}
	if r.security() == SecurityTLS {
		return 465
	}
	return 587
}

func (r *Relay) security() Security {
	if r.Security == "" {
		return SecuritySTARTTLS
	}
	return r.Security
}

// Carries reports whether the relay carries mail of kind k (empty is
// KindReply).
func (r *Relay) Carries(k deskmail.Kind) bool {
	if k == "" {
		k = deskmail.KindReply
	}
	if len(r.Kinds) == 0 {
		return true
	}
	for _, c := range r.Kinds {
		if c == k {
			return true
		}
	}
	return false
}

// Plan holds the limits an account's plan sets (R1, R6).
type Plan struct {
	// MaxDomains is how many sending domains may have relays. Zero means 5.
	MaxDomains int `json:"max_domains,omitempty"`
	// MaxRelaysPerDomain is how many relays one domain may have. Zero
	// means 3.
	MaxRelaysPerDomain int `json:"max_relays_per_domain,omitempty"`
	// DailyTotal is the most units the account sends per day over every
	// path, relays and platform together (R6). Zero means no limit.
	DailyTotal int64 `json:"daily_total,omitempty"`
}

// Config is the outbound configuration of one account.
type Config struct {
	// Account is the tenant. Required.
	Account string `json:"account"`
	// Plan holds the plan's limits.
	Plan Plan `json:"plan"`
	// Relays are tried in order: the first enabled relay for the From
	// domain that carries the kind, is under its cap and not broken takes
	// the mail.
	Relays []Relay `json:"relays,omitempty"`
	// CountMessages makes caps count messages. False counts recipients,
	// as providers' daily limits usually do.
	CountMessages bool `json:"count_messages,omitempty"`
	// AnyPort lets Validate accept ports other than 25, 465 and 587 (a
	// test server, an in-house relay). False means those three only (R2).
	AnyPort bool `json:"any_port,omitempty"`
	// Location is the time zone whose calendar day the caps and the
	// breaker use. Nil means UTC. It is serialised as its IANA name
	// ("Asia/Tokyo"), so it must be a zone time.LoadLocation knows:
	// Validate refuses others (a time.FixedZone), which would not survive
	// a round trip.
	Location *time.Location `json:"-"`
}

// configJSON is Config on the wire, with the location as its IANA name.
type configJSON struct {
	Account       string  `json:"account"`
	Plan          Plan    `json:"plan"`
	Relays        []Relay `json:"relays,omitempty"`
	CountMessages bool    `json:"count_messages,omitempty"`
	AnyPort       bool    `json:"any_port,omitempty"`
	Location      string  `json:"location,omitempty"`
}

// MarshalJSON writes the configuration with Location as its IANA name
// ("location"; omitted for UTC).
func (c Config) MarshalJSON() ([]byte, error) {
	j := configJSON{Account: c.Account, Plan: c.Plan, Relays: c.Relays, CountMessages: c.CountMessages, AnyPort: c.AnyPort}
	if c.Location != nil && c.Location != time.UTC {
		name := c.Location.String()
		if _, err := time.LoadLocation(name); err != nil || name == "Local" {
			return nil, fmt.Errorf("relay: location %q is not an IANA time zone name", name)
		}
		j.Location = name
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, loading the location by
// name; an unknown name is an error.
func (c *Config) UnmarshalJSON(b []byte) error {
	var j configJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Config{Account: j.Account, Plan: j.Plan, Relays: j.Relays, CountMessages: j.CountMessages, AnyPort: j.AnyPort}
	if j.Location != "" && j.Location != "UTC" {
		loc, err := time.LoadLocation(j.Location)
		if err != nil || j.Location == "Local" {
			return fmt.Errorf("relay: unknown time zone %q", j.Location)
		}
		c.Location = loc
	}
	return nil
}

// Config errors, matched with errors.Is on what Validate returns.
var (
	// ErrInvalidConfig is wrapped by every *ConfigError.
	ErrInvalidConfig = errors.New("relay: invalid configuration")
	// ErrPlanLimit is wrapped by the *ConfigError of a plan limit (too many
	// domains or relays per domain).
	ErrPlanLimit = errors.New("relay: plan limit exceeded")
)

// ConfigError is one problem Validate found.
type ConfigError struct {
	Relay  string `json:"relay,omitempty"` // the relay's ID, "" for the account
	Field  string `json:"field"`           // the field, such as "port"
	Reason string `json:"reason"`          // a sentence a person can read
	limit  bool
}

func (e *ConfigError) Error() string {
	if e.Relay == "" {
		return fmt.Sprintf("relay: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("relay: relay %q: %s: %s", e.Relay, e.Field, e.Reason)
}

// Is matches ErrInvalidConfig, and ErrPlanLimit for plan limits.
func (e *ConfigError) Is(target error) bool {
	return target == ErrInvalidConfig || (e.limit && target == ErrPlanLimit)
}

func (p Plan) maxDomains() int {
	if p.MaxDomains == 0 {
		return 5
	}
	return p.MaxDomains
}

func (p Plan) maxRelays() int {
	if p.MaxRelaysPerDomain == 0 {
		return 3
	}
	return p.MaxRelaysPerDomain
}

// Validate checks the configuration and the plan's limits and returns every
// problem found, joined; each is a *ConfigError. Disabled relays count
// toward the limits, as they are still configured (R9: delete to free a
// slot).
func (c *Config) Validate() error {
	var errs []error
	add := func(relay, field, reason string, limit bool) {
		errs = append(errs, &ConfigError{Relay: relay, Field: field, Reason: reason, limit: limit})
	}
	if c.Account == "" {
		add("", "account", "is empty", false)
	}
	if c.Plan.DailyTotal < 0 {
		add("", "plan.daily_total", "is negative", false)
	}
	if l := c.Location; l != nil && l != time.UTC {
		if _, err := time.LoadLocation(l.String()); err != nil || l.String() == "Local" {
			add("", "location", fmt.Sprintf("%q is not an IANA time zone name", l.String()), false)
		}
	}
	ids := map[string]bool{}
	perDomain := map[string]int{}
	var domains []string
	for i := range c.Relays {
		r := &c.Relays[i]
		id := r.ID
		if id == "" {
			id = fmt.Sprintf("#%d", i+1)
			add(id, "id", "is empty", false)
		} else if ids[id] {
			add(id, "id", "is used by another relay", false)
		}
		ids[id] = true
		d, err := deskmail.NormalizeDomain(r.Domain)
		if r.Domain == "" || err != nil {
			add(id, "domain", fmt.Sprintf("%q is not a domain name", r.Domain), false)
		} else if r.Identity != "" {
			if a, err := deskmail.ParseAddress(r.Identity); err != nil || a.Domain != d {
				add(id, "identity", fmt.Sprintf("%q is not an address in %s", r.Identity, d), false)
			}
		} else {
			if perDomain[d] == 0 {
				domains = append(domains, d)
			}
			perDomain[d]++
		}
		if r.Host == "" || strings.ContainsAny(r.Host, " \t\r\n/") {
			add(id, "host", fmt.Sprintf("%q is not a host name", r.Host), false)
		}
		switch {
		case r.Port == 0 || r.Port == 25 || r.Port == 465 || r.Port == 587:
		case c.AnyPort && r.Port > 0 && r.Port < 65536:
		default:
			add(id, "port", fmt.Sprintf("%d is not 25, 465 or 587", r.Port), false)
		}
		if r.Security != "" && !r.Security.Valid() {
			add(id, "security", fmt.Sprintf("%q is not tls, starttls or none", r.Security), false)
		}
		if r.Port == 465 && r.Security != SecurityTLS && r.Security != "" {
			add(id, "security", "port 465 expects implicit TLS", false)
		}
		if !r.Auth.Valid() {
			add(id, "auth", fmt.Sprintf("%q is not PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER", r.Auth), false)
		} else if r.Auth != AuthNone && r.Username == "" {
			add(id, "username", "is required with authentication", false)
		}
		for _, k := range r.Kinds {
			if !k.Valid() {
				add(id, "kinds", fmt.Sprintf("%q is not a mail kind", k), false)
			}
		}
		if r.DailyCap < 0 {
			add(id, "daily_cap", "is negative", false)
		}
		switch r.ReturnPath {
		case ReturnPathKeep, ReturnPathPlatform, ReturnPathFrom:
		case ReturnPathFixed:
			if _, err := deskmail.ParseAddress(r.BounceAddress); err != nil || r.BounceAddress == "" {
				add(id, "bounce_address", fmt.Sprintf("%q is not an address", r.BounceAddress), false)
			}
		default:
			add(id, "return_path", fmt.Sprintf("%q is not platform, from or fixed", r.ReturnPath), false)
		}
	}
	if n := len(domains); n > c.Plan.maxDomains() {
		add("", "relays", fmt.Sprintf("%d sending domains have relays; the plan allows %d", n, c.Plan.maxDomains()), true)
	}
	for _, d := range domains {
		if n := perDomain[d]; n > c.Plan.maxRelays() {
			add("", "relays", fmt.Sprintf("domain %s has %d relays; the plan allows %d per domain", d, n, c.Plan.maxRelays()), true)
		}
	}
	return errors.Join(errs...)
}

// location returns c.Location or UTC.
func (c *Config) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// ConfigSource gives the router an account's configuration. The host
// implements it over its own storage; it must be safe for concurrent use.
type ConfigSource interface {
	// RelayConfig returns the account's configuration, or ErrNoConfig
	// when the account has none (its mail goes through the platform,
	// uncounted).
	RelayConfig(ctx context.Context, account string) (*Config, error)
}

// ErrNoConfig is returned by a ConfigSource for an account without relay
// configuration.
var ErrNoConfig = errors.New("relay: no configuration for account")

// Configs is a ConfigSource over a map from account to configuration. The
// map must not change while in use.
type Configs map[string]*Config

// RelayConfig returns m[account] or ErrNoConfig.
func (m Configs) RelayConfig(_ context.Context, account string) (*Config, error) {
	if c, ok := m[account]; ok {
		return c, nil
	}
	return nil, ErrNoConfig
}

var _ ConfigSource = Configs(nil)
