package bounce

import "testing"

// TestProviderWording checks wording that providers and MTAs write in
// their replies (Exchange Online, Google, Mimecast, Cox, GoDaddy, Tencent,
// Exim, Sendmail, qmail and others), each classified by its words alone,
// under the generic reply code a relay would report.
func TestProviderWording(t *testing.T) {
	for _, tt := range []struct {
		code     int
		enhanced string
		text     string
		want     Reason
	}{
		{550, "", "Unrouteable address", ReasonHostUnknown},
		{554, "", "This IP has been temporarily blocked for attempting to mail too many invalid recipients. IB112", ReasonBlocked},
		{550, "", "The sending IP address has exceeded the threshold of invalid recipients and has been blocked", ReasonBlocked},
		{550, "5.7.1", "Our system has detected an unusual rate of unsolicited mail originating from your IP address", ReasonBlocked},
		{550, "5.7.322", "certificate-expired: destination mail server's certificate is expired", ReasonBlocked},
		{550, "", "Message was rejected for possible spam/virus content", ReasonBlocked},
		{550, "5.4.4", "SMTPSEND.DNS.NonExistentDomain; nonexistent domain", ReasonHostUnknown},
		{552, "", "Message too large for this system", ReasonMesgTooBig},
		{553, "", "sorry, that domain or user isn't in my list of allowed rcpthosts (#5.7.1)", ReasonUserUnknown},
		{553, "", "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", ReasonNoRelaying},
		{550, "", "Recipient refuses to accept your mail", ReasonFiltered},
		{550, "", "Mail domain mentioned in email address is unknown", ReasonHostUnknown},
		{451, "", "Name service error for domain example.com: Host not found, try again", ReasonNetworkError},
		{554, "", "Message looping (received 6 times)", ReasonNetworkError},
		{550, "", "Too many \"Received\" headers - suspected mail loop", ReasonContentError},
		{550, "", "It would create a mail loop", ReasonSystemError},
		{550, "", "Post by non-member to a members-only list", ReasonPolicyViolation},
		{550, "", "We do not accept messages containing images or other attachments", ReasonPolicyViolation},
		{550, "", "This server does not accept mail from example.org", ReasonRejected},
		{550, "", "Access denied (sender blacklisted)", ReasonRejected},
		{550, "", "Invalid/inactive user", ReasonSuspend},
		{550, "", "Too many errors from your IP", ReasonTooManyConn},
		{550, "", "It has a potentially executable attachment", ReasonVirusDetected},
		{550, "", "Could not find a gateway for example.com", ReasonExpired},
		{552, "", "Maildir delivery failed: Userdisk quota exceeded", ReasonMailboxFull},
		{550, "", "Message rejected due to user rules", ReasonFiltered},
		{550, "", "You have been blocked by the recipient", ReasonFiltered},
		{550, "5.7.1", "RESOLVER.RST.NotAuthorized; not authorized", ReasonFiltered},
		{550, "5.3.4", "Message too large", ReasonMesgTooBig},
		{550, "", "Message too large", ReasonExceedLimit},
		{550, "5.7.501", "Access denied, spam abuse detected", ReasonRejected},
		{550, "5.7.511", "Access denied, banned sender", ReasonRejected},
		{550, "5.7.505", "Access denied, banned recipient", ReasonSuspend},
		{550, "5.7.136", "Sender was not authenticated", ReasonRejected},
		{550, "5.2.122", "The recipient has exceeded their limit for the number of messages they can receive per hour", ReasonTooManyConn},
		{450, "4.4.24", "Message failed to be replicated: insufficient system resource", ReasonSystemError},
		{550, "5.3.2", "STOREDRV.Deliver: Missing or bad StoreDriver MDB properties", ReasonNotAccept},
		{450, "4.7.321", "starttls-not-supported: Destination mail server must support TLS to receive mail", ReasonFailedSTARTTLS},
		{535, "5.7.1", "Username and Password not accepted", ReasonSecurityError},
		{421, "4.7.0", "Try again later, closing connection.", ReasonBlocked},
		{550, "5.4.5", "Daily sending quota exceeded", ReasonTooManyConn},
		{550, "", "A URL within the body of the message was found on blocklists SURBL and Spamhaus DBL. AUP#URLBL011", ReasonSpamDetected},
		{550, "", "Your email was rejected for having too many recipients in one message.", ReasonTooManyConn},
		{550, "", "Mail content denied", ReasonSpamDetected},
		{550, "", "Connection frequency limited", ReasonTooManyConn},
		{550, "", "Rejected by header-based Anti-Spoofing policy", ReasonPolicyViolation},
		{550, "", "Envelope blocked – User Entry", ReasonRejected},
		{550, "", "all relevant MX records point to non-existent hosts", ReasonHostUnknown},
		{550, "", "an MX or SRV record indicated no SMTP service", ReasonNotAccept},
		{550, "", "delivery to pipe forbidden", ReasonSystemError},
		{550, "", "malformed address: x@ may not follow <x@y>", ReasonSyntaxError},
		{450, "", "Temporary failure in MX lookup", ReasonNetworkError},
		{550, "", "No valid route to destination", ReasonNetworkError},
		{550, "", "Sorry, I couldn't find any host by that name", ReasonHostUnknown},
		{550, "", "kim@example.jp は Domino ディレクトリには見つかりません", ReasonUserUnknown},
		{550, "", "No matches to nameserver query", ReasonUserUnknown},
		{550, "", "Sorry, your envelope recipient has been denied", ReasonUserUnknown},
		{550, "", "Unknown local-part \"kim\" in domain \"example.com\"", ReasonUserUnknown},
		{450, "", "service permits 2 unverifyable sending IPs - example.com is not 192.0.2.2", ReasonRequirePTR},
		{550, "", "Rejected due to a poor email reputation score", ReasonBadReputation},
		{421, "", "Messages from 192.0.2.1 temporarily deferred due to user complaints", ReasonBlocked},
		{554, "", "Too many spams from your IP (192.0.2.1)", ReasonBlocked},
		{550, "", "Message contains spam or virus", ReasonSpamDetected},
		{550, "", "This message was rejected by Recurrent Pattern Detection System", ReasonSpamDetected},
		{554, "", "Authentification requise", ReasonSecurityError},
		{550, "", "Nie ma takiego konta", ReasonUserUnknown},
		{550, "", "Destinatario sconosciuto o mailbox disattivata", ReasonUserUnknown},
		{550, "", "No such mail drop defined", ReasonUserUnknown},
		{550, "", "Questo indirizzo e' bloccato per inutilizzo", ReasonSuspend},
		{550, "", "Esta casilla ha expirado por falta de uso", ReasonSuspend},
		{452, "", "Benutzer hat zuviele Mails auf dem Server", ReasonMailboxFull},
		{550, "", "Host name is unknown", ReasonHostUnknown},
	} {
		if got := ClassifyReply(tt.code, tt.enhanced, tt.text, nil); got.Reason != tt.want {
			t.Errorf("%d %s %q: %s, want %s", tt.code, tt.enhanced, tt.text, got.Reason, tt.want)
		}
	}
}
