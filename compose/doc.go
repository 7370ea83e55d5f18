// Package compose builds the outgoing mail of a helpdesk from a host's
// draft and sends it, or a message the host brings, through one send
// chain.
//
// # Composing
//
// A Composer turns a Draft into an RFC 5322 message on go-message:
//
//   - From is the account's identity or support address (alias
//     Account.Sender), with the agent's name as display name when the
//     account's setting is on ("Brad <support@acme.example>"); the
//     support address is added to Cc when auto-CC is on, once.
//   - With a Ticket, Message-ID carries the threading package's signed
//     token, In-Reply-To and References repeat the thread, the subject gets
//     the ticket tag when subject numbers are on, and Reply-To is the
//     support address's platform address with a reply tag (NoReplyTo
//     leaves it out). Without a ticket the Message-ID is random. Its domain
//     is Options.MessageIDDomain, else the From domain; a domain literal or
//     a .invalid name is refused (ErrNoMessageIDDomain).
//   - Sender names Options.PlatformSender when the host's SendsAs says the
//     account does not send as the From domain itself.
//   - Notification and workflow mail is marked Auto-Submitted:
//     auto-generated (RFC 3834, with the autoreply package's fields);
//     notification and mass mail with an UnsubscribeURL gets
//     List-Unsubscribe and List-Unsubscribe-Post: List-Unsubscribe=One-Click
//     (RFC 8058). The dkim package's default header set signs both.
//   - Header text is RFC 2047 encoded when it is not ASCII (UTF-8, Q or B
//     by which is shorter, words of at most 62 characters so a folded line
//     stays within 78), and also when it holds control characters or "=?".
//     Draft.SMTPUTF8 (the relay announced SMTPUTF8, RFC 6531) writes raw
//     UTF-8 instead (RFC 6532) and allows non-ASCII local parts, which are
//     refused otherwise (ErrNeedsSMTPUTF8). Headers are folded at white
//     space at 76 characters; only an unbreakable token (a long
//     Message-ID) may pass 78, never 998.
//   - The body is one text part; text and HTML in multipart/alternative
//     (with only HTML, the text part is derived from it); inline images
//     (Attachment.ContentID, referenced as cid: from the HTML) in
//     multipart/related (RFC 2387); files in multipart/mixed. Text is 7bit
//     when it is ASCII lines of at most 78 characters, else
//     quoted-printable, or base64 when more than one byte in six would be
//     escaped (CJK text); files are base64, their names RFC 2231 encoded.
//     Line ends are CRLF. Boundaries derive from the Message-ID and start
//     with "=_", which neither quoted-printable nor base64 can produce.
//   - Date comes from the injected clock.
//
// Every draft field that becomes a header is checked for CR, LF and NUL
// first; Compose fails with an error wrapping deskmail.ErrHeaderInjection.
// Attachments over Options.MaxAttachmentSize, alone or together, fail with
// ErrAttachmentTooLarge: nothing is truncated.
//
// # Cost
//
// A reply with text and HTML composes in a few microseconds; the message
// is built in one buffer sized from the draft.
package compose
