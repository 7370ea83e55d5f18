// Package senderauth decides whether an inbound message's From domain is
// authenticated: it runs SPF (package spf), DKIM (package dkim), ARC
// (package arc) and DMARC (package dmarc) for one message and returns one
// Verdict with an Authentication-Results value (RFC 8601, go-msgauth
// authres).
//
// # The verdict
//
// Authenticate (or Check, for a deskmail.Envelope and the raw message)
// checks SPF for MAIL FROM (HELO for the null sender), verifies every
// DKIM-Signature, verifies the ARC chain when the message has one, and
// evaluates DMARC for the From domain. The Verdict keeps apart what a host
// needs to tell apart:
//
//   - Result: the DMARC result (pass, fail, none, temperror, permerror);
//     permerror when the message has no usable From domain.
//   - Policy, PolicyTag, Disposition, Percent, Testing: the policy the
//     From domain asks for a failing message (p=, sp= or np=) and what is
//     applied after pct= and t=y.
//   - SPFAligned and DKIMAligned: whether SPF or a DKIM signature passed
//     for a domain DMARC-aligned with the From domain. These are the
//     message's own evidence, the test for granting an agent's privileges.
//     Without a DMARC record they say whether SPF or DKIM passed for the
//     From domain or a subdomain of it.
//   - ARCTrusted and ARCSealer: whether a trusted ARC sealer's recorded
//     pass was used.
//   - Code: the outcome, named for what happened: pass, arc_trusted, fail
//     (quarantine or reject), fail_policy_none, none, temperror,
//     permerror. No failure is ever coded pass.
//   - Action: accept, suspend (DMARC fails and asks for quarantine or
//     reject: hold for review, never drop) or retry (DNS failed).
//   - Reasons: deskmail.Reason values, one per step (codes spf, dkim, arc,
//     dmarc), the last carrying Code; whatever they quote from the mail is
//     sanitised.
//
// # Trusted ARC sealers
//
// Forwarding breaks SPF and often DKIM, so mail forwarded by a mailing
// list or a mailbox provider fails DMARC. Options.TrustedSealers (the
// host's list, such as google.com and outlook.com) and
// Message.TrustedSealers (per call: the account's own forwarding domain)
// name the ARC sealers whose word the host takes. The rule: when DMARC
// fails on the message's own results and the ARC chain passes, the most
// recent trusted sealer (its ARC-Seal d= domain or a subdomain of a listed
// one) whose ARC-Authentication-Results record dmarc=pass for the From
// domain, or spf=pass or dkim=pass for a domain aligned with it, turns the
// fail into a pass with Code arc_trusted. An untrusted sealer, a chain
// that fails (cv=fail, or the latest ARC-Message-Signature or any ARC-Seal
// not verifying) or a trusted sealer that recorded no aligned pass changes
// nothing; the reasons say which.
//
// # Explain
//
// Explain takes a From domain, a return path, the IP that will hand the
// mail to receivers and the DKIM signing domain, runs the real SPF and
// DMARC lookups and says in words what each method will report and why,
// with advice when DMARC fails. The relay case: a CRM platform's return
// path on mail that leaves through the customer's relay fails SPF (the
// relay is not in the platform's SPF) and could not align anyway, so only
// a DKIM signature of the From domain passes DMARC.
//
// # Cost
//
// A message without a DKIM-Signature costs no DKIM work and one without
// ARC fields no ARC work (a scan of the header finds them);
// Options.SkipDKIM turns verification off explicitly. Message.Header or
// Message.FromDomain let a caller that parsed the header already spare the
// scan for the From domain. DNS goes through one Resolver (spf.Resolver's
// method set), so *net.Resolver serves in production and dnstest.Zone in
// tests.
package senderauth
