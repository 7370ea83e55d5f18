// Package threading keeps every mail on the right ticket, and no one else's.
//
// It has four parts: outbound thread headers carrying signed tokens,
// inbound matching of a mail to a ticket, the base subject of RFC 5256 with
// localized prefixes, and thread trees of a mailbox by RFC 5256 REFERENCES.
//
// # Outbound headers
//
// A Threader is made once with an install id and the host's secrets:
//
//	th, err := threading.New(&threading.Options{
//		Install: "acme",
//		Keyring: deskmail.MustKeyring(newSecret, previousSecret),
//		Domain:  "support.example.com",
//	})
//
// Threader.Headers returns, for a message on a ticket:
//
//   - Message-ID: <dm.INSTALL.TOKEN@domain>. TOKEN is lower-case base32 of
//     the account, ticket and message ids (numbers and UUIDs packed) and an
//     80-bit truncated HMAC-SHA256 over them and the install id. It is a
//     dot-atom, so it is safe in any local part, and it is decoded without
//     regard to case, so providers that fold ids to lower case do not break
//     it. The install id stays readable: IsOurMessageID checks the form
//     without any secret (loop detection, bounce attribution), and
//     Threader.ParseMessageID verifies the token and returns it.
//   - In-Reply-To: the parent (the customer's last mail).
//   - References: the ids already on the ticket, ours among them, oldest
//     first, trimmed to the first and the newest (20 by default). A
//     provider that rewrites our Message-ID (Amazon SES does) or a client
//     that drops References still leaves one of our signed ids in the
//     reply.
//   - Reply-To, when Outgoing.Support is set: support+TAG@domain, where TAG
//     names the ticket and is signed for the account (short enough for the
//     64-octet local part). The separator is configurable.
//   - Subject with the ticket tag, "[#123]" by default (Options.SubjectTag).
//
// Threader.BodyMarker gives a "ref:dm.INSTALL.TAG:ref" text to hide in
// bodies, for replies that lose every header.
//
// Secrets rotate: the Keyring's first secret signs, all verify. Secrets and token
// texts never appear in errors or logs.
//
// # Inbound matching
//
// Threader.Match returns the ticket, the Method and a Reason (a code and a
// sentence), trying in order:
//
//  1. the mail's own Message-ID: ours and verified, or indexed as one of our
//     sent mails → MethodLoop; indexed as a received mail → MethodDuplicate;
//  2. a verified token: In-Reply-To, References (newest first), a reply tag
//     on a recipient, a body marker → MethodToken;
//  3. the host's message index (Store), for the ids of In-Reply-To and
//     References, which holds ids of mail we received and ids providers
//     assigned to mail we sent → MethodIndex;
//  4. the ticket number in the subject, only with Settings.SubjectNumber
//     (off by default), and only for a sender allowed by
//     Settings.SubjectAgents (an active agent who is not restricted) or
//     Settings.SubjectParticipants (the ticket's contact, CC or BCC); a
//     ticket number alone, from anyone else, never attaches a mail;
//  5. otherwise MethodNew.
//
// So a customer's new mail that carries our references joins its ticket
// whatever its subject, instead of opening a duplicate.
//
// A token that does not verify — forged, truncated, written by another
// install, or signed for another account — is ignored and recorded in
// Match.Notes. Guessing a token takes about 2^79 tries.
//
// Strangers: a mail that matched through steps 2-3 but whose sender is
// neither the ticket's contact, CC, BCC nor an active agent is a stranger's.
// By default (StrangerJoin) it joins the ticket with Match.Stranger set, and
// the inbound pipeline makes it a private note: an agent sees the answer of
// the colleague the customer forwarded our mail to, but the stranger is not
// added to the ticket and receives nothing. StrangerNewTicket opens a new
// ticket instead. Without Options.Tickets the check is skipped.
//
// The inbound pipeline fills an Inbound from a parsed header with
// NewInbound, adds the envelope recipients and the body text, calls Match,
// and after filing the mail calls Threader.Remember with its Message-ID.
// The outbound path calls Remember with the Message-ID it wrote and any id
// the provider reported.
//
// # Recognising our own mail
//
// The form of our Message-IDs is stable and documented, so other packages
// can use it without a Threader: IsOurMessageID(id, install) is a string
// check with no secret (autoreply's loop detection), and
// Threader.ParseMessageID verifies the MAC and returns the Token with
// account, ticket and message (bounce attribution of a returned message).
//
// # What the host implements
//
// Store is the message index (Message-ID → ticket per account), with
// NewMemoryStore as the embedded default and threadingtest.TestStore as its
// conformance suite; store/postgres implements it on a table. Tickets looks
// up a ticket by id and by number with its participants; Agents looks up an
// agent by address. Settings come as a plain struct, in Options or
// per mail in Inbound.Settings.
//
// # Base subject
//
// BaseSubject implements RFC 5256 §2.1 after RFC 2047 decoding (every
// charset go-message knows, ISO-2022-JP included), and removes localized
// prefixes as well: AW, SV, VS, WG, TR, RV, Antw, Odp, R, RIF, RES, YNT,
// 回复, 答复, 回覆, 転送, 返信 and more, with full-width colons and counters
// ("Re[2]:", "Re^2:").
//
// # Thread trees
//
// Threads builds RFC 5256 REFERENCES (JWZ) trees in linear time: one map
// from id to container, no walks up the tree per link; reference loops are
// found in one pass afterwards and broken at the newest link. A million
// messages thread in about 0.8 s on a small machine.
package threading
