// Package inbound is the inbound pipeline of deskmail: one call takes a raw
// mail and its SMTP envelope and returns a Decision the host applies — open
// a ticket, append to one, suspend for review, drop, a processed bounce,
// a forwarding confirmation or an outgoing copy — with the account, support
// address, department, contact, ticket, privacy, auto-reply class,
// authentication verdict and the reasons, each a machine code and a sentence.
//
// Feature ids refer to FEATURES.md: routing A2-A6, forwarding confirmations
// A3, agent forwards and privacy A11 and A12, outgoing copies A14, contacts
// A15, threading T1-T5, bounces on their ticket B6 (and B10 for forged ones),
// sender authentication D4, auto-replies and loops L1 and L2.
//
// # Use
//
//	p, err := inbound.New(&inbound.Options{
//		Aliases:  aliasStore,            // alias.Store: accounts and addresses
//		Threader: threader,              // threading: tickets by Message-ID and tokens
//		Bounces:  tracker,               // bounce.Tracker with VERP and inbound.OwnMessage(threader)
//		Auth:     &senderauth.Options{AuthServID: "mx.example.net"},
//	})
//	d, err := p.Process(ctx, &deskmail.Envelope{From: from, To: rcpts, ClientIP: ip, HELO: helo}, raw)
//	// err: a store failed; answer 451 and let the sender retry.
//	switch d.Action { case inbound.ActionNewTicket: …; case inbound.ActionAppend: … }
//
// An SMTP transaction whose recipients belong to several accounts goes
// through ProcessAll, which returns one Decision per account.
//
// After filing the mail, the host indexes its Message-ID with
// Threader.Remember, so that replies and duplicates find the ticket. The
// pipeline never writes host data; the only stores it changes are the ones
// deskmail owns: the bounce state (through Bounces, for an attributed report).
//
// # Steps
//
// Process runs these steps in order; each adds a Reason to the Decision.
//
//  1. Read the header once with go-message's textproto, at most
//     Options.MaxHeaderBytes (1 MiB); the raw bytes stay untouched for DKIM. A
//     mail over Options.MaxBytes (50 MiB), or whose header cannot be read, is
//     suspended (malformed, too_large), never dropped.
//  2. Authenticate (D4): senderauth.Authenticate checks SPF for MAIL FROM and the
//     client IP, verifies DKIM and evaluates DMARC alignment, giving one
//     verdict and an Authentication-Results value. The verdict is applied in
//     the last step. Mail without a client IP (fetched over POP or IMAP) is
//     not authenticated again: its mailbox did it.
//  3. Forwarding confirmations (A3): the platform's own signed check mail
//     (alias.ForwardingCheck) and Gmail's confirmation are ActionConfirmation,
//     never tickets. ConfirmationTrusted is set only when a valid DKIM
//     signature of google.com covers it, so a forged confirmation's link is
//     not followed automatically.
//  4. Delivery reports (B6, B10): a candidate (null sender, multipart/report,
//     Return-Path <>, a MAILER-DAEMON or postmaster sender, X-Failed-Recipients)
//     is parsed by bounce.Parse; a failure, delay, delivery or complaint report
//     is attributed by the Tracker — a verified VERP token among the envelope
//     recipients and report addresses, or the returned message's Message-ID
//     (OwnMessage) — and applied to the address state: ActionBounce with the
//     ticket of the message that bounced. A report about no mail of ours is
//     dropped with bounce_not_ours and changes nothing.
//  5. Automatic mail (L1, L2): autoreply.Detect, with our X-Loop value and
//     the Threader's verified Message-ID check. Our own mail coming back is
//     dropped (loop); other automatic mail goes on with NoAutoResponse set.
//  6. Route (A2, A4, A6): alias.Router by envelope, X-Original-To,
//     Delivered-To, X-Forwarded-To, To, Cc. No match or a disabled address
//     is a drop with its reason.
//  7. Outgoing copy (A14): a From that is one of the account's identities or
//     support addresses means a copy of mail sent from another client (a Bcc
//     to self). It is filed against its first outside recipient, on the ticket
//     it threads to if any.
//  8. Thread (T1-T5): threading.Threader.Match with the account's subject
//     number settings: our own Message-ID is a loop, an indexed one a
//     duplicate (both dropped); a verified token or an indexed reference
//     appends; a ticket number in the subject appends only for senders the
//     settings allow (active, unrestricted agents; the ticket's contact, CC,
//     BCC), so a stranger's random number opens a new ticket. A stranger
//     holding a real Message-ID joins as a private note.
//  9. Agent forwards (A11): a new ticket from an active agent, with the
//     forwarded-sender setting on for the department, is opened for the
//     original sender found by the forward package, and is private (A12).
//  10. Private replies (A12): an agent's reply on a ticket whose To and Cc
//     leave out the ticket's contact is private when AutoPrivate is on.
//  11. Participants (A15): the sender and the other addresses, minus the
//     account's own, with the host's records from alias.Directory.
//  12. Suspend (D4): a mail that would open, join or copy into a ticket and
//     whose DMARC evaluation failed with a quarantine or reject policy is
//     ActionSuspend, with Held naming what recovering it does, and every
//     other field filled in. A DNS failure during authentication (temperror)
//     suspends too, with the reason auth_temperror: unverified mail is held,
//     not trusted, and an agent (or a later run) recovers it.
//
// # Bounds on hostile mail
//
// Every step's work is capped: the header size, the routing candidates
// (alias: 100), the addresses read from To and Cc (100), the body searched
// for a ticket marker (Options.MaxBodyScan, 64 KiB), the bounce parser's
// input (256 KiB), the forward parser's (forward.Options) and the number of
// DKIM signatures verified (dkim: 5). FuzzProcess checks that no input
// panics and that every decision carries an action and a reason.
//
// # Choices
//
// Process returns an error only for a failing store, directory or context;
// everything about the mail itself is a Decision. Sender authentication is
// applied last so that a suspended mail is fully decided and can be
// recovered without running the pipeline again. Reports are recognised before
// routing because bounces arrive on the VERP bounce domain, which is no
// support address. A forwarding-check token that fails to verify is noted
// and the mail goes on as an ordinary one.
package inbound
