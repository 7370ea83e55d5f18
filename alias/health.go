package alias

import (
	"context"
	"log/slog"
	"time"
)

// FetchOutcome is the result of one attempt to fetch mail from a source
// (a customer mailbox read over POP or IMAP).
type FetchOutcome string

// The fetch outcomes.
const (
	FetchOK FetchOutcome = "ok"
	// FetchAuthFailure: the server refused the credentials.
	FetchAuthFailure FetchOutcome = "auth_failure"
	// FetchConnFailure: the server could not be reached or dropped the
	// connection.
	FetchConnFailure FetchOutcome = "connection_failure"
	// FetchCertFailure: the server's TLS certificate did not verify (PKIX
	// error: self-signed, expired, wrong name). Reported as its own kind,
	// since the fix is on the server, not in the credentials.
	FetchCertFailure FetchOutcome = "certificate_failure"
)

// Default health thresholds: what mail providers tolerate before they lock
// an account for repeated bad logins, with room for flaky networks.
const (
	DefaultAuthFailureLimit = 10
	DefaultConnFailureLimit = 50
)

// FetchHealth is the health record of one fetch source.
type FetchHealth struct {
	// AuthFailures, ConnFailures and CertFailures count consecutive
	// failures of each kind; any success resets all three.
	AuthFailures int `json:"auth_failures"`
	ConnFailures int `json:"conn_failures"`
	CertFailures int `json:"cert_failures"`
	// LastOutcome and LastAttempt describe the latest recorded attempt.
	LastOutcome FetchOutcome `json:"last_outcome,omitempty"`
	LastAttempt time.Time    `json:"last_attempt,omitzero"`
	// LastSuccess is the time of the latest FetchOK.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastError is a short description of the latest failure, as given by
	// the caller. It must not hold a secret.
	LastError string `json:"last_error,omitempty"`
	// Disabled is set when a threshold was reached: the host stops fetching
	// until the credentials are edited (Reenable).
	Disabled bool `json:"disabled"`
	// DisabledReason is the kind of failure that disabled the source.
	DisabledReason FetchOutcome `json:"disabled_reason,omitempty"`
	// DisabledAt is when the source was disabled.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
}

// HealthPolicy holds the thresholds of consecutive failures that disable a
// fetch source. Nil or zero fields mean the defaults.
type HealthPolicy struct {
	// AuthFailureLimit: consecutive authentication failures that disable
	// the source. Zero means DefaultAuthFailureLimit (10).
	AuthFailureLimit int `json:"auth_failure_limit,omitempty"`
	// ConnFailureLimit: consecutive connection failures that disable the
	// source. Zero means DefaultConnFailureLimit (50).
	ConnFailureLimit int `json:"conn_failure_limit,omitempty"`
	// CertFailureLimit: consecutive certificate failures that disable the
	// source. Zero means ConnFailureLimit's value: a certificate failure is
	// a connection that could not be secured.
	CertFailureLimit int `json:"cert_failure_limit,omitempty"`
}

func (p *HealthPolicy) limits() (auth, conn, cert int) {
	auth, conn = DefaultAuthFailureLimit, DefaultConnFailureLimit
	if p != nil {
		if p.AuthFailureLimit > 0 {
			auth = p.AuthFailureLimit
		}
		if p.ConnFailureLimit > 0 {
			conn = p.ConnFailureLimit
		}
		cert = p.CertFailureLimit
	}
	if cert <= 0 {
		cert = conn
	}
	return
}

// Record applies one fetch outcome to h at time now and reports whether this
// outcome disabled the source. A success resets every counter. A failure
// increments its own counter and resets the other kinds (the counts are of
// consecutive failures of one kind). Outcomes recorded while the source is
// disabled update the counters and times but never re-enable it: only
// Reenable does, when the credentials or server settings are edited.
// An unknown outcome counts as a connection failure.
func (p *HealthPolicy) Record(h *FetchHealth, o FetchOutcome, detail string, now time.Time) (disabled bool) {
	authL, connL, certL := p.limits()
	h.LastOutcome, h.LastAttempt = o, now
	var n, limit int
	switch o {
	case FetchOK:
		h.AuthFailures, h.ConnFailures, h.CertFailures = 0, 0, 0
		h.LastSuccess, h.LastError = now, ""
		return false
	case FetchAuthFailure:
		h.AuthFailures++
		h.ConnFailures, h.CertFailures = 0, 0
		n, limit = h.AuthFailures, authL
	case FetchCertFailure:
		h.CertFailures++
		h.AuthFailures, h.ConnFailures = 0, 0
		n, limit = h.CertFailures, certL
	default:
		h.LastOutcome = FetchConnFailure
		h.ConnFailures++
		h.AuthFailures, h.CertFailures = 0, 0
		n, limit = h.ConnFailures, connL
	}
	h.LastError = detail
	if !h.Disabled && n >= limit {
		h.Disabled, h.DisabledReason, h.DisabledAt = true, h.LastOutcome, now
		return true
	}
	return false
}

// Reenable clears the disabled state and every counter: call it when the
// credentials (or the server settings) of the source are edited.
func Reenable(h *FetchHealth) {
	*h = FetchHealth{LastSuccess: h.LastSuccess}
}

// HealthMonitor records fetch outcomes in a Store. Safe for
// concurrent use.
type HealthMonitor struct {
	// Store keeps the health records. Required: without it every method
	// returns ErrNoStore.
	Store Store
	// Policy holds the thresholds; nil means the defaults.
	Policy *HealthPolicy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger, when set, receives one Warn line when a source is disabled.
	Logger *slog.Logger
}

// Record records one outcome for a source of account and returns the new
// health. The source id is the host's (a support address, a mailbox id).
// detail is kept as LastError; it must not hold a secret.
func (m *HealthMonitor) Record(ctx context.Context, account, source string, o FetchOutcome, detail string) (FetchHealth, error) {
	if m == nil || m.Store == nil {
		return FetchHealth{}, ErrNoStore
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	var disabled bool
	h, err := m.Store.UpdateFetchHealth(ctx, account, source, func(h *FetchHealth) error {
		disabled = m.Policy.Record(h, o, detail, now())
		return nil
	})
	if err == nil && disabled && m.Logger != nil {
		m.Logger.Warn("alias: fetch source disabled", "account", account, "source", source,
			"reason", string(h.DisabledReason), "auth_failures", h.AuthFailures,
			"conn_failures", h.ConnFailures, "cert_failures", h.CertFailures)
	}
	return h, err
}

// CredentialsChanged re-enables a source after its credentials or server
// settings were edited, resetting its counters.
func (m *HealthMonitor) CredentialsChanged(ctx context.Context, account, source string) (FetchHealth, error) {
	if m == nil || m.Store == nil {
		return FetchHealth{}, ErrNoStore
	}
	return m.Store.UpdateFetchHealth(ctx, account, source, func(h *FetchHealth) error {
		Reenable(h)
		return nil
	})
}
