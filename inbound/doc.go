// Package inbound is the inbound pipeline of deskmail: one call takes a raw
// mail and its SMTP envelope and returns a Decision the host applies — open
// a ticket, append to one, suspend for review, drop, a processed bounce,
// a forwarding confirmation or an outgoing copy — with the account, support
// address, department, contact, ticket, privacy, auto-reply class,
// authentication verdict and the reasons, each a machine code and a sentence.
//
// # Use
//
//	p, err := inbound.New(&inbound.Options{
//		Aliases:  aliasStore,            // alias.Store: accounts and addresses (required)
//		Threader: threader,              // threading: tickets by Message-ID and tokens
//		Agents:   agents,                // the host's agent directory
//		Bounces:  tracker,               // bounce.Tracker with VERP and inbound.OwnMessage(threader)
//		Auth:     &senderauth.Options{AuthServID: "mx.example.net"},
//		Allow:    allowStore,            // allow list for Recover (allow.NewMemoryStore, postgres)
//	})
//	d, err := p.Process(ctx, &deskmail.Envelope{From: from, To: rcpts, ClientIP: ip, HELO: helo}, raw)
//	if errors.Is(err, inbound.ErrTemporary) { /* answer 451 4.3.0: the sender retries */ }
//	switch d.Action { case inbound.ActionNewTicket: …; case inbound.ActionAppend: … }
//
// An SMTP transaction whose recipients belong to several accounts goes
// through ProcessAll, which returns one Decision per account. New returns
// ErrNoAliases without Options.Aliases; every other option may be nil and
// turns its step off.
//
// After filing the mail, the host indexes its Message-ID with
// Threader.Remember, so that replies and duplicates find the ticket. The
// pipeline never writes host data; the only stores it changes are the ones
// deskmail owns: the bounce state (through Bounces, for an attributed
// report) and the allow list (through Allow, in Recover).
//
// # Steps
//
// Process runs these steps in order; each adds a Reason to the Decision.
//
//  1. Read the header once with go-message's textproto, at most
//     Options.MaxHeaderBytes (1 MiB); the raw bytes stay untouched for DKIM.
//     A mail over Options.MaxBytes (50 MiB), or whose header cannot be read,
//     is suspended (malformed, too_large), never dropped.
//  2. Authenticate: senderauth.Authenticate checks SPF for MAIL FROM and the
//     client IP, verifies DKIM and ARC, and evaluates DMARC alignment,
//     giving one verdict and an Authentication-Results value. Its outcome
//     decides two things, later: whether a failing mail is suspended (the
//     last step) and whether the sender may have an agent's privileges
//     (steps 7 to 10). Mail without a client IP (fetched over POP or IMAP)
//     was accepted by its mailbox, which checked SPF: it is never
//     suspended, and its From is authenticated through an aligned DKIM
//     signature alone (auth_pass), else not (auth_skipped).
//  3. Forwarding confirmations: the platform's own signed check mail
//     (alias.ForwardingCheck) and Gmail's confirmation are
//     ActionConfirmation, never tickets. ConfirmationTrusted is set only
//     when a valid DKIM signature of google.com covers it, so a forged
//     confirmation's link is not followed automatically.
//  4. Delivery reports: a candidate (null sender, multipart/report,
//     Return-Path <>, a MAILER-DAEMON or postmaster sender,
//     X-Failed-Recipients) is parsed by bounce.Parse; a failure, delay,
//     delivery or complaint report is attributed by the Tracker — a verified
//     VERP token among the envelope recipients and report addresses, or the
//     returned message's Message-ID (OwnMessage) — and applied to the
//     address state: ActionBounce with the ticket of the message that
//     bounced. A report about no mail of ours is dropped with
//     bounce_not_ours and changes nothing; the same report delivered again
//     is dropped with bounce_replayed, since the tracker applies each
//     outcome once.
//  5. Automatic mail: autoreply.Detect, with our X-Loop value and the
//     Threader's verified Message-ID check. Our own mail coming back is
//     dropped (loop); other automatic mail goes on with NoAutoResponse set.
//  6. Route: alias.Router by envelope, X-Original-To, Delivered-To,
//     X-Forwarded-To, To, Cc. No match or a disabled address is a drop with
//     its reason.
//  7. Outgoing copy: an authenticated From that is one of the account's
//     identities or support addresses is a copy of mail sent from another
//     client (a Bcc to self), filed against its first outside recipient, on
//     the ticket it threads to if any.
//  8. Thread: threading.Threader.Match with the account's subject-number
//     settings: our own Message-ID is a loop, an indexed one a duplicate
//     (both dropped); a verified token or an indexed reference appends; a
//     ticket number in the subject appends only for senders the settings
//     allow (authenticated, active, unrestricted agents; the ticket's
//     contact, CC, BCC), so a stranger's number opens a new ticket. A
//     stranger holding a real Message-ID joins as a private note.
//  9. Agent forwards: a new ticket from an authenticated active agent, with
//     the forwarded-sender setting on for the department, is opened for the
//     original sender found by the forward package, and is private.
//  10. Private replies: an authenticated agent's reply on a ticket whose To
//     and Cc leave out the ticket's contact is private when AutoPrivate is
//     on.
//  11. Participants: the sender and the other addresses, minus the
//     account's own, with the host's records from alias.Directory.
//  12. Suspend: a mail that would open, join or copy into a ticket and whose
//     DMARC evaluation failed under a quarantine or reject policy, failed
//     permanently, or could not be done for a DNS failure, is ActionSuspend,
//     with Held naming what recovering it does and every other field filled
//     in — unless an allow entry covers the failure (see Recovery).
//
// # Privileges follow authentication
//
// An agent's privileges are attaching a mail to a ticket by the number in
// its subject, opening a ticket for the original sender of a forwarded
// mail, making a reply private when it leaves out the customer, and an
// outgoing copy filed from the account's own address. A From address says
// nothing by itself — anyone can write any From — so the pipeline grants
// them only when the From is authenticated (Decision.Authenticated):
//
//   - DMARC passed through an SPF or a DKIM pass aligned with the From
//     domain (auth_pass), or a trusted ARC sealer recorded such a pass
//     before a forwarder broke it (arc_trusted). The sealers trusted are
//     the host's (senderauth.Options.TrustedSealers) and the account's
//     own (alias.Account.ARCSealers: the domains of its customer-owned
//     addresses, whose mail system forwards to the platform, and
//     Settings.ARCSealers); or
//   - the path is marked trusted (auth_trusted): Options.Trusted for a
//     whole pipeline, or Pipeline.Trusted for one call — the host's own
//     submission server, where SMTP AUTH proved the sender and the server
//     checked that the From belongs to the login, or an authenticated
//     fetch of the agent's own mailbox.
//
// Any other outcome leaves the From unauthenticated, also when the mail is
// accepted: a DMARC failure under p=none (auth_fail_policy_none), a domain
// without a DMARC record (auth_none, no alignment is evaluated then), a
// permanent error (auth_permerror), fetched mail without an aligned DKIM
// pass (auth_skipped) and Options.SkipAuth. An agent's address, or one of the account's own
// addresses, in an unauthenticated From gets the reason
// agent_unauthenticated, which says which check was missing — "From
// brad@acme.example is an agent, but neither SPF nor DKIM passed aligned
// with acme.example (DMARC fail, policy none)" — and the mail is treated
// as a customer's: Decision.Agent stays false, the subject number is
// ignored for it, a forward opens the ticket for the agent's address
// itself, a reply through a real Message-ID joins as a private note, and a
// mail from the account's own address is no outgoing copy and gets no
// automatic answer.
//
// # Reason codes of sender authentication
//
//	auth_pass              DMARC pass through an aligned SPF or DKIM pass
//	arc_trusted            DMARC pass on a trusted ARC sealer's recorded pass
//	auth_fail              DMARC fail under quarantine or reject: suspended
//	auth_fail_policy_none  DMARC fail, policy none (or lowered to none by pct/t): accepted, unauthenticated
//	auth_none              no DMARC record: accepted, unauthenticated
//	auth_temperror         DNS failed: suspended, and never recorded in the allow list
//	auth_permerror         the mail or the records could not be evaluated
//	auth_skipped           Options.SkipAuth, or fetched mail without an aligned DKIM pass: unauthenticated
//	auth_trusted           Options.Trusted: authenticated by the host
//	auth_allowed           failed, but an allow entry lifted the suspension
//	recovered              Recover lifted the suspension
//	agent_unauthenticated  an agent's or the account's own address, unauthenticated
//
// # Recovery and the allow list
//
// Recover runs the pipeline again on a suspended mail with the suspension
// lifted, and the Decision has the action the mail was held as. For a
// DMARC failure it records an allow entry (package allow) in Options.Allow:
// the account, the From address (or its domain, with ScopeDomain), the
// failure, the SPF result and the domain SPF checked, the DKIM outcome, the
// client IP's /24 or /64, who recovered it and when. A later mail is let
// through (auth_allowed) only when all of these are the same, so an entry
// for a customer's misconfigured server lets that server's mail in and is
// no pass for a spoof of the same address from anywhere else, even under
// p=reject. An entry lifts the suspension only: the mail stays
// unauthenticated and gets no agent privileges. A DNS failure is lifted
// for the recovered mail only and recorded nowhere.
//
// # Errors
//
// Process, ProcessAll and Recover return an error only when nothing could
// be decided: a host callback or store failed (Aliases, Agents, Tickets,
// Directory, Bounces, Allow, the Threader's index) or the context ended.
// Such an error is a *TemporaryError naming the step and wrapping the
// callback's error, and matches ErrTemporary with errors.Is: the host
// answers 451 4.3.0, or fetches the mail again later. Everything about the
// mail itself, hostile input included, is a Decision. Recover also returns
// ErrNoAllowStore and ErrNoRecoverer for a call it cannot make.
//
// # Text from the mail
//
// Every Reason text (Decision.Reasons and Decision.Thread) passes through
// deskmail.Sanitize, whichever step quoted the mail: control characters
// such as ESC, CR, LF and NUL and the format characters that reorder text
// arrive escaped. The data fields Subject and ContactName hold the decoded
// text as the mail has it; sanitise them before printing. A Decision
// encodes as JSON with snake_case keys and decodes back to the same JSON;
// the Threader's and the VERP's secrets never appear in it or in a log
// line.
//
// # Bounds on hostile mail
//
// Every step's work is capped: the header size, the routing candidates
// (alias: 100), the addresses read from To and Cc (100), the body searched
// for a ticket marker (Options.MaxBodyScan, 64 KiB), the bounce parser's
// input (256 KiB), the forward parser's (forward.Options) and the number of
// DKIM signatures verified. FuzzProcess checks that no input panics and
// that every decision carries an action and a reason.
//
// # Cost
//
// A typical 8 KB support mail that replies to one of our messages takes
// 30 to 45 µs of CPU, 380 allocations and 32 KB through the whole pipeline
// with memory stores and no DKIM signature, four to five times the cost of
// parsing its header alone (BenchmarkProcess). A quarter of the bytes is
// the copy of the body the threader searches for its marker. DNS lookups
// and the host's stores come on top.
//
// # Choices
//
// Sender authentication runs early and is applied last, so that a
// suspended mail is fully decided and Held says what recovering it does.
// Reports are recognised before routing because bounces arrive on the VERP
// bounce domain, which is no support address. A forwarding-check token
// that fails to verify is noted and the mail goes on as an ordinary one.
// Privileges need DMARC alignment rather than any SPF or DKIM pass,
// because only an aligned pass ties the From address a person sees to the
// domain that vouched for the mail.
package inbound
