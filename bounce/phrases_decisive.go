package bounce

// decisivePhrases are tried first, in order: wording precise enough to name
// the cause whatever enhanced status code comes with it (a generic 5.7.1 or
// 5.0.0 above all).
var decisivePhrases = []reasonPhrases{
	{ReasonUserUnknown, []tagged{
		{"dd this user doesn't have a", famYahoo},
	}},
	{ReasonSpeeding, []tagged{
		{"has sent to too many recipients this hour", famAny},
	}},
	{ReasonSpamDetected, []tagged{
		{"ofr_506", famOrange}, {"spam classification", famAny}, {"scored as spam", famAny},
		{"spam pattern", famAny}, {"spam contents", famAny},
		{"url within the body of the message was found on", famCox}, {"the url is listed on", famCox},
		{"temporarily blocked by our filter", famAny}, {"spam or virus", famAny},
	}},
	{ReasonBlocked, []tagged{
		{"remote protocol error", famAny}, {"refused to talk to me", famAny}, {"aup#cdrbl", famComcast},
		{"aup#cxbl", famComcast}, {"service refuse", famAny},
		{"blocked using", famAny}, {"spamhaus", famAny}, {"dnsbl", famAny},
		{"recipient's email system blocked the sending server", famOffice365},
		{"dynamic/zombied/spam ips blocked", famAny}, {"spamcop.net/bl", famAny}, {"looks suspiciously like spammer", famAny}, {"too many spams from your ip", famAny}, {"sending spam", famAny}, {"deferred due to user complaints", famYahoo},
		{"too many invalid recipients", famGoDaddy}, {"threshold of invalid recipients", famCox},
		{"unusual rate of unsolicited mail originating from your ip", famGmail},
		{"certificate-expired", famExchange}, {"possible spam/virus content", famAny},
	}},
	{ReasonTooManyConn, []tagged{
		{"aup#in-1310", famComcast}, {"ip frequency limited", famAny}, {"connection rate limit exceeded", famAny},
		{"too many recipients", famAny},
		{"too many errors from your ip", famAny},
		{"submission quota exceeded", famGmail}, {"daily sending quota exceeded", famGmail}, {"daily smtp relay limit exceeded", famGmail}, {"too many recipients in one message", famCox}, {"too many in a single session", famCox},
	}},
	{ReasonFiltered, []tagged{
		{"was rejected by a remote mail server", famAny}, {"refused due to recipient preferences", famAny},
		{"message filtered", famAny}, {"because the recipient is not accepting mail", famAny},
		{"has restricted sms e-mail", famAny}, {"is not accepting any mail", famAny}, {"rejected by recipient", famAny},
		{"this account is protected by", famAny}, {"user refuses to accept", famAny}, {"refuses to accept your mail", famAny}, {"refuse to receive mail", famAny},
		{"domain filter", famAny}, {"recipient's filter", famAny},
		{"bounced address", famAny}, {"rejected due to user rules", famAny}, {"not found recipient account", famAny}, {"resolver.rst.notauthorized", famExchange}, {"user reject", famAny}, {"you have been blocked by the recipient", famAny}, {"only accepting mail from specific email addresses", famAny},
		{"cannot route mail to user", famDomino},
	}},
	{ReasonMailerError, []tagged{
		{"procmail", famSendmail}, {"couldn't create", famAny}, {"x-unix", famSendmail},
		{"command died with status", famSendmail}, {"pipe to |", famAny}, {"unknown mailer error", famSendmail},
		{"mailer error", famSendmail},
	}},
	{ReasonFailedSTARTTLS, []tagged{
		{"does not support tls", famAny}, {"starttls is required", famAny},
		{"must issue a starttls command first", famAny}, {"tls required but not supported", famAny},
	}},
	{ReasonRejected, []tagged{
		{"does not accept mail from", famAny}, {"access denied (sender blacklisted)", famAny},
		{"sender is in my black list", famAny},
		{"access denied, bad outbound sender", famExchange}, {"access denied, banned sender", famExchange},
		{"access denied, spam abuse detected", famExchange}, {"client blocked from sending from unregistered domains", famExchange},
		{"blocked from sending emails due to suspicious activity", famAny}, {"send as a different email address", famAny},
		{"envelope blocked – user", famMimecast}, {"header-based blocked senders", famMimecast},
		{"header-based manually blocked senders", famMimecast}, {"sender was not authenticated", famExchange},
	}},
	{ReasonNotAccept, []tagged{
		{"name server: .: host not found", famSendmail},
		{"no smtp service", famAny}, {"doesn't receive email", famAny}, {"does not accept mail", famAny},
		{"couldn't find a mail exchanger", famExchange}, {"null mx", famAny},
	}},
	{ReasonBadReputation, []tagged{
		{"due to unexpected volume or user complaints", famAny}, {"poor reputation", famAny}, {"bad reputation", famAny},
	}},
	{ReasonRequirePTR, []tagged{
		{"mismatches client ip", famAny}, {"reverse dns", famAny}, {"ptr record", famAny}, {"unverifyable sending ips", famAny},
		{"cannot find your hostname", famAny},
	}},
	{ReasonNotCompliantRFC, []tagged{
		{"multiple addresses in from", famAny}, {"not rfc 5322 compliant", famAny}, {"duplicate header", famAny},
	}},
	{ReasonContentError, []tagged{
		{"media error", famAny}, {"improper use of 8-bit data", famAny}, {"mime complexity", famAny},
		{"too many*received*headers", famExim}, {"header size exceeds maximum permitted", famAny},
	}},
	{ReasonSystemError, []tagged{
		{"after multiple retries, giving up", famAny}, {"duplicated message-id", famAny},
		{"unable to contact ldap", famAny}, {"queue file write error", famAny}, {"internal system error", famAny},
		{"insufficient permission", famAny},
		{"create a mail loop", famAny},
	}},
	{ReasonOnHold, []tagged{
		{"on hold", famAny},
	}},
	{ReasonSuspend, []tagged{
		{"disabled recipient", famAny}, {"account is blocked", famAny}, {"temporary locked", famAny},
		{"temporarily locked", famAny},
		{"access denied, banned recipient", famExchange},
	}},
	{ReasonRejected, []tagged{
		{"sender address rejected", famPostfix}, {"domain of sender address", famAny}, {"sender was rejected", famAny},
		{"sender rejected", famAny}, {"mail from rejected", famAny}, {"invalid sender", famAny},
		{"sender verify failed", famExim}, {"sender domain", famAny}, {"is not a registered gateway user", famAny},
		{"purported responsible address", famAny}, {"google groups", famGmail}, {"groups.google.com", famGmail},
	}},
	{ReasonSecurityError, []tagged{
		{"delivery not authorized", famAny}, {"unauthenticated senders", famAny}, {"smtp authentication", famAny},
		{">... access denied", famSendmail},
	}},
	{ReasonNetworkError, []tagged{
		{"dns error", famAny}, {"host name lookup failure", famAny}, {"wasn't able to establish", famAny},
		{"name server timeout", famSendmail}, {"mail forwarding loop", famPostfix},
		{"host not found, try again", famSendmail},
		{"all routes to destination blocked", famOpenSMTPD},
	}},
	{ReasonHostUnknown, []tagged{
		{"domain does not exist", famAny}, {"host unknown", famSendmail}, {"no such domain", famAny},
		{"unknown domain", famAny}, {"domain name not found", famAny}, {"host or domain name not found", famPostfix},
		{"unrouteable mail domain", famExim}, {"bad destination system address", famAny}, {"domain may not exist", famAny},
		{"mail domain mentioned in email address is unknown", famAny},
		{"host name is unknown", famAny}, {"smtpsend.dns.nonexistentdomain", famExchange},
	}},
	{ReasonPolicyViolation, []tagged{
		{"because its content presents", famAny}, {"host network not allowed", famAny}, {"header error", famAny},
	}},
	{ReasonAuthFailure, []tagged{
		{"does not have authentication information", famAny},
	}},
	{ReasonExpired, []tagged{
		{"connection timed out", famAny}, {"timed out", famAny}, {"message expired", famAny},
		{"host not reachable", famAny}, {"in the queue too long", famAny},
		{"has not been collected after", famAny}, {"was aborted after", famAny},
		{"did not accept our requests to connect", famAny}, {"will be retried", famAny}, {"queue.expired", famAny},
	}},
	{ReasonSystemFull, []tagged{
		{"insufficient disk space", famAny},
	}},
	{ReasonExceedLimit, []tagged{
		{"header size exceeds limit", famAny},
	}},
	{ReasonMesgTooBig, []tagged{
		{"max message size exceeded", famAny}, {"maximum message size exceeded", famAny},
	}},
}
