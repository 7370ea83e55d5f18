package bounce

import "strings"

// The phrase tables below are in the order they are tried: the first reason
// with a matching phrase wins. A phrase is lower case; "a*b" matches when a
// occurs and b occurs after it. They were collected from the bounces of real
// MTAs, much as sisimai's reason classes (BSD-2-Clause) collect them.
var phraseTable = []struct {
	reason  Reason
	phrases []string
}{
	{ReasonDelivered, []string{}},
	{ReasonUserUnknown, []string{"dd this user doesn't have a"}},
	{ReasonSpeeding, []string{"has sent to too many recipients this hour"}},
	{ReasonSpamDetected, []string{"ofr_506"}},
	{ReasonBlocked, []string{"remote protocol error", "refused to talk to me", "aup#cdrbl", "aup#cxbl"}},
	{ReasonTooManyConn, []string{"aup#in-1310"}},
	{ReasonFiltered, []string{"was rejected by a remote mail server"}},
	{ReasonMailerError, []string{"procmail", "couldn't create", "x-unix", "command died with status", "pipe to |", "unknown mailer error", "mailer error"}},
	{ReasonFailedSTARTTLS, []string{"does not support tls", "starttls is required", "must issue a starttls command first", "tls required but not supported"}},
	{ReasonNotAccept, []string{"no smtp service", "doesn't receive email", "does not accept mail", "couldn't find a mail exchanger", "null mx"}},
	{ReasonBadReputation, []string{"due to unexpected volume or user complaints", "poor reputation", "bad reputation"}},
	{ReasonRequirePTR, []string{"mismatches client ip", "reverse dns", "ptr record", "cannot find your hostname"}},
	{ReasonNotCompliantRFC, []string{"multiple addresses in from", "not rfc 5322 compliant", "duplicate header"}},
	{ReasonContentError, []string{"media error", "improper use of 8-bit data", "mime complexity"}},
	{ReasonSystemError, []string{"after multiple retries, giving up", "duplicated message-id", "unable to contact ldap", "queue file write error", "internal system error", "insufficient permission"}},
	{ReasonOnHold, []string{"on hold"}},
	{ReasonSecurityError, []string{"delivery not authorized", "unauthenticated senders", "smtp authentication"}},
	{ReasonSuspend, []string{"disabled recipient", "account is blocked", "temporary locked", "temporarily locked"}},
	{ReasonRejected, []string{
		"sender address rejected", "domain of sender address", "sender was rejected", "sender rejected",
		"mail from rejected", "invalid sender", "sender verify failed", "sender domain", "is not a registered gateway user",
		"purported responsible address", "google groups", "groups.google.com",
	}},
	{ReasonSecurityError, []string{">... access denied"}},
	{ReasonNetworkError, []string{"dns error", "host name lookup failure", "wasn't able to establish", "name server timeout", "mail forwarding loop"}},
	{ReasonHostUnknown, []string{"domain does not exist", "host unknown", "no such domain", "unknown domain", "domain name not found", "host or domain name not found", "unrouteable mail domain", "bad destination system address", "domain may not exist"}},
	{ReasonFiltered, []string{
		"refused due to recipient preferences", "message filtered", "because the recipient is not accepting mail",
		"has restricted sms e-mail", "is not accepting any mail", "rejected by recipient", "this account is protected by",
		"user refuses to accept", "refuse to receive mail", "domain filter", "recipient's filter",
	}},
	{ReasonPolicyViolation, []string{"because its content presents", "host network not allowed", "header error"}},
	{ReasonTooManyConn, []string{"ip frequency limited", "connection rate limit exceeded", "too many recipients"}},
	{ReasonSpamDetected, []string{"spam classification", "scored as spam"}},
	{ReasonAuthFailure, []string{"does not have authentication information"}},
	{ReasonExpired, []string{"connection timed out", "timed out", "message expired", "host not reachable", "in the queue too long",
		"did not accept our requests to connect", "will be retried", "queue.expired"}},
	{ReasonSystemFull, []string{"insufficient disk space"}},
	{ReasonBlocked, []string{"service refuse"}},
	// The general table follows; the groups above are specific phrases that
	// win over the enhanced status code.
	{"", nil},
	{ReasonHasMoved, []string{" has been replaced by ", "address has changed", "mailbox has moved"}},
	{ReasonVirusDetected, []string{
		"virus", "infected", "malware detected", "message contains a virus", "your message was infected",
	}},
	{ReasonNotAccept, []string{
		"does not accept mail", "host does not accept mail", "null mx", "mail receiving disabled",
		"this domain does not accept email", "no mx record found for domain", "domain does not accept mail",
		"mx record points to", "accepts no mail",
	}},
	{ReasonFailedSTARTTLS, []string{
		"starttls is required", "must issue a starttls command first", "tls required but not supported",
		"encryption required for requested authentication mechanism", "tls is required", "requires tls",
		"tls connection required", "failed to negotiate tls", "tls negotiation failed", "starttls failed",
	}},
	{ReasonMailboxFull, []string{
		"account disabled temporarily for exceeding receiving limits", "account is exceeding their quota",
		"account is over quota", "account is temporarily over quota", "boite du destinataire pleine",
		"delivery failed: over quota", "disc quota exceeded", "does not have enough space",
		"exceeded storage allocation", "exceeding its mailbox quota", "full mailbox", "is over disk quota",
		"is over quota", "mail file size exceeds the maximum size allowed for mail delivery",
		"mail quota exceeded", "mailbox exceeded the local limit", "mailbox full", "mailbox is full",
		"mailbox over quota", "mailbox size limit exceeded", "maildir over quota", "not enough disk space",
		"not enough storage space", "over the allowed quota", "quota exceeded", "quota violation",
		"recipient reached disk quota", "mailbox would exceed maximum allowed storage",
		"has exceeded its disk space limit", "space has been used up", "is over quota",
		"too much mail data", "user has exceeded quota", "user has too many messages on the server",
		"user is over quota", "user is over the quota", "user over quota", "would be over the allowed quota",
		"mailbox has exceeded", "over quota", "insufficient disk space", "out of storage space",
		"mailbox is full", "mailbox quota", "exceeds quota", "over its quota", "quota full",
		"inbox is full", "mailfolder is full", "mailbox size exceeded", "storage quota",
		"the recipient's inbox is out of storage space", "has reached its quota",
	}},
	{ReasonMesgTooBig, []string{
		"exceeded maximum inbound message size", "line limit exceeded", "max message size exceeded",
		"message file too big", "message length exceeds administrative limit",
		"message size exceeds fixed limit", "message size exceeds fixed maximum message size",
		"message size exceeds maximum value", "message too big", "message too large",
		"message size exceeds", "taille limite du message atteinte", "message exceeds maximum size",
		"exceeds the maximum size", "message is too large", "message is too big", "size exceeds",
		"maximum message size", "exceeds size limit",
	}},
	{ReasonExceedLimit, []string{
		"message header size exceeds limit", "message too many recipients", "too many recipients",
		"exceeds the limit of", "header size exceeds",
	}},
	{ReasonSuspend, []string{
		"account disabled", "has been disabled", "has been suspended", "mailbox currently suspended",
		"mailbox disabled", "mailbox is frozen", "temporarily inactive", "recipient suspend the service",
		"this account has been disabled or discontinued", "this mailbox is disabled", "user suspended",
		"account is locked", "account is disabled", "account is inactive", "is disabled",
		"account has been disabled", "mailbox unavailable or access denied", "is not active",
		"account is suspended", "due to extended inactivity", "mailbox is inactive", "account inactive",
		"mailbox is disabled", "suspended", "no longer active", "deactivated", "account expired",
		"user account is expired", "mailbox has been blocked",
	}},
	{ReasonAuthFailure, []string{
		"spf check failed", "spf fail", "spf validation", "sender policy framework", "dmarc policy",
		"dmarc", "dkim", "is not permitted to send", "unauthenticated email", "authentication failure",
		"failed spf", "fails spf", "spf record", "spf)", "spf softfail", "spf: ", "5.7.26", "spf-fail",
		"not authorized to send", "sender authentication",
	}},
	{ReasonRequirePTR, []string{
		"reverse dns", "ptr record", "no ptr", "cannot find your hostname", "cannot find your reverse hostname",
		"cannot resolve your address", "ip name lookup failed", "reverse lookup", "rdns",
		"no reverse", "hostname lookup failed", "does not have a valid ptr", "reverse-dns",
		"reverse hostname", "unresolvable relay host name", "client host rejected: cannot find your hostname",
		"your ip address has no ptr", "could not resolve your ip", "invalid ptr",
	}},
	{ReasonBadReputation, []string{
		"poor reputation", "bad reputation", "ip reputation", "low reputation", "sender reputation",
		"domain reputation", "reputation of", "temporarily rate limited due to ip reputation",
	}},
	{ReasonSpeeding, []string{
		"please try again slower", "receiving mail at a rate that", "rate limit", "rate-limit", "ratelimit",
		"too many messages", "sending too fast", "exceeded the rate", "throttled", "throttling",
		"rate that prevents additional messages", "rate of incoming", "too fast",
	}},
	{ReasonTooManyConn, []string{
		"too many connections", "maximum connection limit", "connection rate limit exceeded",
		"no more connections", "too many simultaneous connections", "exceeds allowed connection",
		"too many concurrent", "connection limit", "too many smtp sessions", "too many sessions",
	}},
	{ReasonNoRelaying, []string{
		"as a relay", "insecure mail relay", "not permitted to relay", "not a gateway",
		"not allowed to relay", "not an open relay", "relay access denied", "relay denied",
		"relay not permitted", "relaying denied", "relaying mail to", "we don't relay",
		"relay not allowed", "relaying not allowed", "unable to relay", "not configured to relay",
		"relay prohibited", "relaying is prohibited", "relay for", "no relaying",
		"that domain isn't in my list of allowed rcpthost", "is not in my list of allowed rcpthosts",
		"mail server requires authentication when attempting to send to a non-local",
	}},
	{ReasonUserUnknown, []string{
		"#5.1.1 bad address", "#5.1.0 address rejected", "couldn't be found", "invalid final delivery userid", "unable to deliver message to", "550 address invalid", "address does not exist", "address not present in directory",
		"address unknown", "can't accept user", "destination addresses were unknown",
		"destination server rejected recipients", "email address does not exist",
		"email address could not be found", "invalid address", "invalid mailbox", "invalid recipient",
		"is not a known user", "is not a valid mailbox", "mailbox does not exist", "mailbox not found",
		"mailbox not present", "no account by that name", "no mail box available for this user",
		"no mailbox by that name", "no mailbox found", "no such address", "no such mailbox",
		"no such person at this address", "no such recipient", "no such user", "account unavailable",
		"no valid recipients", "not a valid recipient", "not a valid user", "not our customer",
		"not a valid mailbox", "invalid user", "unknown user", "user unknown", "userunknown",
		"recipient does not exist", "recipient is not accepted", "recipient is not local",
		"recipient not exist", "recipient not found", "recipient not ok", "recipient unknown",
		"recipient address rejected: access denied", "recipient address rejected: user",
		"resolver.adr.recipnotfound", "resolver.adr.recipientnotfound", "recipientnotfound",
		"no mailbox here by that name", "the email account that you tried to reach does not exist",
		"the user does not exist", "this address no longer accepts mail",
		"this email address is wrong or no longer valid", "badrecipientto list", "badrcptto list",
		"unknown mailbox", "unknown recipient", "user does not exist", "user missing home directory",
		"user not active", "user not exist", "user not found", "user not known", "utilisateur inconnu",
		"invalid or unknown virtual user", "no such local user", "unknown local part", "user doesn't exist",
		"user_unknown", "not listed in public name & address book", "not listed in domino directory",
		"recipient name is not recognized", "mailbox unavailable", "does not exist", "not exist",
		"no such account", "unknown address", "unknown or illegal alias",
		"doesn't have a", "no such user here", "recipient rejected", "user invalid", "bad destination mailbox",
		"address is not valid", "not a known user", "is unknown", "invalid-recipient", "not found in directory",
		"unrouteable address", "no mailbox", "unknown account", "no longer available", "nonexistent",
		"inactive user", "does not have an account", "isn't a valid", "not a registered user",
		"no mail-box", "recipient invalid", "mailbox is not valid", "bad address",
	}},
	{ReasonHostUnknown, []string{
		"domain does not exist", "domain is not reachable", "domain must exist", "host or domain name not found",
		"host unknown", "name or service not known", "no such domain", "unknown domain", "domain name not found",
		"unknown host", "unrouteable mail domain", "host not found", "nxdomain", "illegal host/domain name",
		"domain not found", "no valid mx", "couldn't find any host named", "no route to domain",
		"mail for * loops back", "domain is not valid", "does not resolve",
	}},
	{ReasonSpamDetected, []string{
		"spam", "unsolicited", "junk mail", "bulk mail", "message content rejected", "blocked as bulk",
		"content filter", "classified as junk", "suspicious content",
	}},
	{ReasonPolicyViolation, []string{
		"closed mailing list", "denied by policy", "not accepted for policy reasons", "security policies",
		"local policy", "organizational settings", "message given low priority",
		"rejected for policy reasons", "protocol violation", "not subscribed to this group",
		"allowable number of posts", "policy violation", "violates our policy", "policy reasons",
		"content presents a potential security issue", "prohibited by policy", "policy restriction",
		"due to policy", "policy rejection",
	}},
	{ReasonRejected, []string{
		"access denied (in reply to mail from command)", "administrative prohibition", "batv",
		"backscatter protection", "bogus mail from", "without a valid sender domain",
		"valid-address-filter", "senderfilterconfig", "emetteur invalide", "empty envelope senders not allowed",
		"no third-party dsns", "domain is invalid", "fully qualified email address required",
		"invalid sender", "mail from not owned by user", "mail from rejected", "email address is not verified",
		"returned mail not accepted here", "sender address rejected", "sender domain", "sender email address rejected",
		"sender is spammer", "sender not pre-approved", "sender rejected", "sender verify failed",
		"empty email address", "this server does not accept mail from", "unsigned dsn",
		"unroutable sender address", "has been blacklisted", "sender address is not", "sender denied",
		"domain of sender address", "sender verification", "envelope sender", "mail from: rejected",
		"rejected: sender", "sender unknown", "sender is not allowed", "not allowed to post",
		"does not have permission to post", "no permission to post", "posting is restricted",
	}},
	{ReasonBlocked, []string{
		"access denied. ip name lookup failed", "access from ip address", "bad sender ip address",
		"banned sending ip", "blacklisted", "blocked using", "blocked - see", "dnsbl", "client host rejected",
		"connection dropped", "domain is banned", "dynamic/zombied/spam ips blocked",
		"esmtp not accepting connections", "go away", "helo command rejected", "host network not allowed",
		"hosts with dynamic ip", "is in a black list", "no access from mail server",
		"not currently accepting mail from", "get a custom reverse dns name",
		"please use the smtp server of your isp", "refused - see http", "has not passed validation",
		"rejecting open proxy", "sender ip address rejected", "server access forbidden by your ip",
		"smtp error from remote mail server after initial connection", "looks suspiciously like spammer",
		"due to unexpected volume or user complaints", "to submit messages to this e-mail system has been rejected",
		"from your ip", "unwanted messages have been sent from the following ip", "was blocked by",
		"from dynamic ips", "you are not allowed to connect", "your ip address is", "spamhaus", "listed in",
		"blocklist", "blacklist", "block list", "black list", "rbl", "your network is temporarily blocked",
		"ip address blocked", "ip blocked", "blocked by", "has been blocked", "connection refused",
		"connection rejected", "your host", "is blocked", "temporarily blocked", "access denied", "blocked",
		"not allowed to send from your ip", "mail from your ip",
	}},
	{ReasonSecurityError, []string{
		"authentication failed", "authentication required", "authentication turned on",
		"you don't authenticate", "must be authenticated", "please authenticate", "authentication is required",
		"verification failure", "account has been compromised", "not authorized", "unauthorized",
		"message was blocked because its content presents a potential security issue",
		"sender is not authenticated", "auth required",
	}},
	{ReasonContentError, []string{
		"improper use of 8-bit data", "recipient list, exceeds policy limit", "mime complexity",
		"invalid mime", "improperly-formatted binary content", "unnecessary base64 encoding",
		"message contains invalid header", "content error", "illegal content", "content rejected",
		"message content", "invalid characters", "encoding error", "8-bit data",
	}},
	{ReasonNotCompliantRFC, []string{
		"not rfc 5322 compliant", "rfc5322", "rfc 5322", "rfc 2822", "rfc2822", "rfc 822", "rfc822 compliant",
		"duplicate header", "multiple addresses in from", "bare newlines", "bare lf", "not compliant",
		"more than one from", "multiple from", "missing required header",
	}},
	{ReasonSyntaxError, []string{
		"syntax error", "command unrecognized", "unrecognized command", "command not recognized",
		"bad command", "parameter not implemented", "command not implemented", "bad sequence of commands",
	}},
	{ReasonSystemFull, []string{
		"mail system full", "insufficient system storage", "not enough space on the disk", "system storage",
		"disk full", "file system full", "no space left on device",
	}},
	{ReasonMailerError, []string{
		"x-unix", "command died with status", "command failed", "exit code", "pipe to |", "procmail",
		"unknown mailer error", "mailer error", "local delivery failed", "mailbox delivery failed",
		"delivery program", "exited with", "x-local",
	}},
	{ReasonNetworkError, []string{
		"could not connect", "unable to connect", "no route to host", "mail forwarding loop",
		"hop count exceeded", "too many hops", "loop detected", "name server timeout",
		"unexpected name server reply", "host is unreachable", "unable to resolve", "dns lookup",
		"network is unreachable", "connection reset", "lost connection", "connection closed",
		"could not be resolved", "temporary dns", "dns failure", "routing loop", "mail loop",
		"connection timed out", "timed out", "timeout",
	}},
	{ReasonSystemError, []string{
		"aliasing/forwarding loop broken", "can't create user output file", "could not load drd",
		"internal error", "internal server error", "interrupted system call", "error while being processed",
		"create a mail loop", "local configuration error", "local error in processing",
		"loop was found in the mail exchanger", "loops back to myself", "configuration error",
		"service currently unavailable", "system config error", "transaction failed",
		"system error", "out of memory", "temporarily unavailable", "server error", "service unavailable",
		"resources temporarily", "temporary local problem",
		"temporary error",
	}},
	{ReasonExpired, []string{
		"delivery time expired", "within the allowed", "giving up on", "has been delayed", "message expired",
		"message timed out", "retry time not reached", "server did not respond", "in the queue too long",
		"queue period", "could not be delivered for", "retry timeout exceeded",
		"queue too long", "deferred", "will continue to try", "expired", "still trying", "delivery delayed",
		"not yet been delivered", "could not be delivered within", "delivery attempts will continue",
		"retry limit", "has not been delivered",
	}},
}

// matcher is a compiled phrase table.
type matcher struct {
	reasons []Reason
	phrases [][]phrase
}

// phrase is one entry of the table: fragments that must occur in order.
type phrase []string

// specificMatcher holds the groups before the {"", nil} separator: phrases
// precise enough to win over an enhanced status code. defaultMatcher holds
// the whole table.
var specificMatcher, defaultMatcher = compileMatchers()

func compileMatchers() (*matcher, *matcher) {
	specific, all := &matcher{}, &matcher{}
	inSpecific := true
	for _, e := range phraseTable {
		if e.reason == "" {
			inSpecific = false
			continue
		}
		var ps []phrase
		for _, p := range e.phrases {
			ps = append(ps, phrase(strings.Split(p, "*")))
		}
		if inSpecific {
			specific.reasons = append(specific.reasons, e.reason)
			specific.phrases = append(specific.phrases, ps)
		}
		all.reasons = append(all.reasons, e.reason)
		all.phrases = append(all.phrases, ps)
	}
	return specific, all
}

// match returns the first reason with a phrase in lower-case text s. A
// bitmap of the text's byte pairs rejects most phrases before any search.
func (m *matcher) match(s string) Reason {
	if s == "" {
		return ""
	}
	var pairs bigrams
	pairs.fill(s)
	for i, ps := range m.phrases {
		for _, p := range ps {
			if p.mayBeIn(&pairs) && p.in(s) {
				return m.reasons[i]
			}
		}
	}
	return ""
}

// bigrams is a set of byte pairs, one bit per pair.
type bigrams [1024]uint64

func (b *bigrams) fill(s string) {
	for i := 0; i+1 < len(s); i++ {
		k := uint16(s[i])<<8 | uint16(s[i+1])
		b[k>>6] |= 1 << (k & 63)
	}
}

func (b *bigrams) has(x, y byte) bool {
	k := uint16(x)<<8 | uint16(y)
	return b[k>>6]&(1<<(k&63)) != 0
}

// mayBeIn reports whether every fragment's first, middle and last byte
// pairs occur in the text.
func (p phrase) mayBeIn(b *bigrams) bool {
	for _, f := range p {
		n := len(f)
		if n < 2 {
			continue
		}
		m := n / 2
		if m+1 >= n {
			m = n - 2
		}
		if !b.has(f[0], f[1]) || !b.has(f[m], f[m+1]) || !b.has(f[n-2], f[n-1]) {
			return false
		}
	}
	return true
}

func (p phrase) in(s string) bool {
	for _, f := range p {
		i := strings.Index(s, f)
		if i < 0 {
			return false
		}
		s = s[i+len(f):]
	}
	return true
}
