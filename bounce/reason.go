package bounce

import "strings"

// Reason is why a message was not delivered, named after sisimai's taxonomy
// so results compare with the established tool. The zero value is no reason.
type Reason string

// The reasons. Severity gives each one's default severity; doc.go lists them.
const (
	ReasonAuthFailure     Reason = "authfailure"     // SPF, DKIM or DMARC failed at the receiver
	ReasonBadReputation   Reason = "badreputation"   // the sending IP or domain has a poor reputation
	ReasonBlocked         Reason = "blocked"         // the receiving server blocks the sending host (blocklist, IP)
	ReasonContentError    Reason = "contenterror"    // the message content or MIME structure was refused
	ReasonDelivered       Reason = "delivered"       // delivered: not a failure
	ReasonExceedLimit     Reason = "exceedlimit"     // the message exceeds a recipient-side limit
	ReasonExpired         Reason = "expired"         // delivery gave up after retrying (queue timeout)
	ReasonFailedSTARTTLS  Reason = "failedstarttls"  // TLS could not be negotiated
	ReasonFeedback        Reason = "feedback"        // a complaint (ARF feedback report)
	ReasonFiltered        Reason = "filtered"        // the recipient's filter refused the message
	ReasonHasMoved        Reason = "hasmoved"        // the mailbox moved to another address
	ReasonHostUnknown     Reason = "hostunknown"     // the recipient domain does not exist
	ReasonMailboxFull     Reason = "mailboxfull"     // the recipient's mailbox is full
	ReasonMailerError     Reason = "mailererror"     // the local delivery program failed
	ReasonMesgTooBig      Reason = "mesgtoobig"      // the message is too large
	ReasonNetworkError    Reason = "networkerror"    // the server was unreachable, or DNS or routing failed
	ReasonNoRelaying      Reason = "norelaying"      // relaying was denied
	ReasonNotAccept       Reason = "notaccept"       // the domain accepts no mail (null MX)
	ReasonNotCompliantRFC Reason = "notcompliantrfc" // the message violates RFC 5322
	ReasonOnHold          Reason = "onhold"          // the failure could not be decided yet
	ReasonPolicyViolation Reason = "policyviolation" // a local policy of the receiver refused it
	ReasonRejected        Reason = "rejected"        // the envelope sender was refused
	ReasonRequirePTR      Reason = "requireptr"      // the sending host has no reverse DNS
	ReasonSecurityError   Reason = "securityerror"   // authentication or security requirement not met
	ReasonSpamDetected    Reason = "spamdetected"    // the message was judged to be spam
	ReasonSpeeding        Reason = "speeding"        // rate limited
	ReasonSuspend         Reason = "suspend"         // the recipient's mailbox is disabled or suspended
	ReasonSyntaxError     Reason = "syntaxerror"     // an SMTP syntax error
	ReasonSystemError     Reason = "systemerror"     // an error at the receiving system (loop, config)
	ReasonSystemFull      Reason = "systemfull"      // the receiving system's disk is full
	ReasonTooManyConn     Reason = "toomanyconn"     // too many connections
	ReasonUndefined       Reason = "undefined"       // a failure whose cause could not be told
	ReasonUserUnknown     Reason = "userunknown"     // no such user
	ReasonVacation        Reason = "vacation"        // an auto-reply: not a failure
	ReasonVirusDetected   Reason = "virusdetected"   // a virus was found in the message
)

// Reasons returns every Reason in alphabetical order, in a fresh slice.
func Reasons() []Reason {
	return append([]Reason(nil), allReasons[:]...)
}

var allReasons = [...]Reason{
	ReasonAuthFailure, ReasonBadReputation, ReasonBlocked, ReasonContentError, ReasonDelivered,
	ReasonExceedLimit, ReasonExpired, ReasonFailedSTARTTLS, ReasonFeedback, ReasonFiltered,
	ReasonHasMoved, ReasonHostUnknown, ReasonMailboxFull, ReasonMailerError, ReasonMesgTooBig,
	ReasonNetworkError, ReasonNoRelaying, ReasonNotAccept, ReasonNotCompliantRFC, ReasonOnHold,
	ReasonPolicyViolation, ReasonRejected, ReasonRequirePTR, ReasonSecurityError, ReasonSpamDetected,
	ReasonSpeeding, ReasonSuspend, ReasonSyntaxError, ReasonSystemError, ReasonSystemFull,
	ReasonTooManyConn, ReasonUndefined, ReasonUserUnknown, ReasonVacation, ReasonVirusDetected,
}

// Valid reports whether r is one of the defined reasons.
func (r Reason) Valid() bool {
	_, ok := pseudoCode[r]
	return ok
}

// Failure reports whether r describes a failed delivery: every reason but
// delivered, vacation and feedback (a complaint is delivered mail).
func (r Reason) Failure() bool {
	switch r {
	case "", ReasonDelivered, ReasonVacation, ReasonFeedback:
		return false
	}
	return true
}

// Severity is what a failure means for the address it happened to.
type Severity string

// The severities.
const (
	// SeverityHard: the address must not be sent to again (B2).
	SeverityHard Severity = "hard"
	// SeveritySoft: a temporary failure; a few more sends are allowed (B3).
	SeveritySoft Severity = "soft"
	// SeverityNone: not a failure of the address (delivered, vacation,
	// complaint).
	SeverityNone Severity = "none"
)

// SeverityPolicy maps a reason to a severity. A host passes its own (in
// ParseOptions and the Tracker's Options) to change what blocks an
// address; DefaultPolicy is used otherwise. A SeverityPolicy must be safe
// for concurrent use.
type SeverityPolicy interface {
	Severity(r Reason) Severity
}

// SeverityPolicyFunc adapts a function to a SeverityPolicy.
type SeverityPolicyFunc func(Reason) Severity

// Severity calls f.
func (f SeverityPolicyFunc) Severity(r Reason) Severity { return f(r) }

// PolicyMap is a Policy from a map; reasons missing from the map fall back to
// DefaultPolicy.
type PolicyMap map[Reason]Severity

// Severity returns m[r], or DefaultPolicy's severity when r is not in m.
func (m PolicyMap) Severity(r Reason) Severity {
	if s, ok := m[r]; ok {
		return s
	}
	return DefaultPolicy.Severity(r)
}

// BuiltinPolicy is the type of DefaultPolicy. It has one meaningful value,
// so that the default cannot be replaced at run time.
type BuiltinPolicy uint8

// DefaultPolicy is the built-in policy (B1): no such user, no such domain, a
// moved mailbox, and blocked or refused by the receiving server are hard; a
// suspended (disabled, frozen) mailbox may come back and is soft; too large, mailbox full, server down or unreachable, too slow and
// every other temporary cause are soft; delivered, vacation and feedback are
// none. The package documentation lists every reason.
const DefaultPolicy BuiltinPolicy = 0

// Severity returns the built-in severity of r.
func (BuiltinPolicy) Severity(r Reason) Severity { return defaultSeverity(r) }

func defaultSeverity(r Reason) Severity {
	switch r {
	case ReasonUserUnknown, ReasonHostUnknown, ReasonHasMoved, ReasonNotAccept,
		ReasonBlocked, ReasonRejected, ReasonFiltered, ReasonNoRelaying:
		return SeverityHard
	case ReasonDelivered, ReasonVacation, ReasonFeedback, "":
		return SeverityNone
	}
	return SeveritySoft
}

// pseudoCode is sisimai's internal status code for a reason, used when a
// bounce carries no enhanced status code of its own: "5.0.9xx", or "4.0.9xx"
// for a temporary failure.
var pseudoCode = map[Reason]string{
	ReasonUndefined: "900", ReasonOnHold: "901", ReasonSyntaxError: "902", ReasonNoRelaying: "909",
	ReasonFiltered: "910", ReasonUserUnknown: "911", ReasonHostUnknown: "912", ReasonHasMoved: "916",
	ReasonRejected: "918", ReasonSuspend: "921", ReasonMailboxFull: "922", ReasonExceedLimit: "923",
	ReasonSystemError: "930", ReasonSystemFull: "931", ReasonNotAccept: "932", ReasonMesgTooBig: "934",
	ReasonMailerError: "939", ReasonNetworkError: "944", ReasonTooManyConn: "945", ReasonSpeeding: "946",
	ReasonExpired: "947", ReasonContentError: "960", ReasonSecurityError: "970", ReasonBlocked: "971",
	ReasonPolicyViolation: "972", ReasonRequirePTR: "973", ReasonBadReputation: "974",
	ReasonAuthFailure: "975", ReasonFailedSTARTTLS: "976", ReasonSpamDetected: "980",
	ReasonVirusDetected: "981", ReasonNotCompliantRFC: "982",
	ReasonDelivered: "", ReasonVacation: "", ReasonFeedback: "",
}

// PseudoStatus returns the sisimai-style internal status code for r when a
// failure carries no enhanced status code: "5.0.911" for userunknown, or
// "4.0.947" with temporary set. It returns "" for non-failures.
func PseudoStatus(r Reason, temporary bool) string {
	c := pseudoCode[r]
	if c == "" {
		if r == ReasonDelivered {
			return "2.0.0"
		}
		return ""
	}
	if temporary {
		return "4.0." + c
	}
	return "5.0." + c
}

// statusReason maps a specific enhanced status code (RFC 3463) to a reason.
// Generic codes (x.0.0, 5.7.1, …) are not mapped: the text decides them.
func statusReason(st string) Reason {
	if len(st) < 5 {
		return ""
	}
	sub := st[2:]
	switch sub {
	case "1.1", "1.6", "1.10":
		if sub == "1.6" {
			return ReasonHasMoved
		}
		return ReasonUserUnknown
	case "1.2":
		return ReasonHostUnknown
	case "1.3":
		return ReasonUserUnknown
	case "1.7", "1.8":
		return ReasonRejected
	case "2.1":
		return ReasonSuspend
	case "2.2":
		return ReasonMailboxFull
	case "2.3":
		return ReasonExceedLimit
	case "3.1":
		return ReasonSystemFull
	case "3.4":
		return ReasonMesgTooBig
	case "4.1":
		return ReasonExpired
	case "4.2", "4.4":
		return ReasonNetworkError
	case "4.3":
		return ReasonSystemError
	case "4.6", "4.5":
		return ReasonNetworkError
	case "4.7":
		return ReasonExpired
	case "5.3":
		return ReasonExceedLimit
	case "5.0", "5.1", "5.2", "5.4", "5.5":
		return ReasonSyntaxError
	case "6.0", "6.1", "6.2", "6.3", "6.5":
		return ReasonContentError
	case "7.2", "7.3", "7.4", "7.5", "7.6":
		return ReasonSecurityError
	case "7.9":
		return ReasonPolicyViolation
	case "7.7", "7.8", "7.11":
		return ReasonSecurityError
	case "7.10":
		return ReasonFailedSTARTTLS
	case "7.13", "7.14":
		return ReasonSuspend
	case "7.15", "7.16", "7.17", "7.18", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24", "7.25", "7.26":
		return ReasonAuthFailure
	case "7.27":
		return ReasonNotAccept
	case "7.28":
		return ReasonSpeeding
	case "7.29", "7.30":
		return ReasonAuthFailure
	}
	return ""
}

// statusClass returns '2', '4' or '5' for an enhanced or reply code, or 0.
func statusClass(s string) byte {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	switch s[0] {
	case '2', '4', '5':
		return s[0]
	}
	return 0
}
