// Package allow is the allow list of the inbound pipeline: the record of
// agents recovering mail that sender authentication suspended, so that the
// next mail of the same sender, failing the same way, through the same
// network, is not suspended again.
//
// # What an entry lifts
//
// An entry lifts exactly one thing: the suspension (Decision.Action
// "suspend", reason auth_fail or auth_permerror) of a mail whose DMARC
// evaluation failed. It does not make the mail authenticated: an agent's
// privileges (attaching by subject number, opening a ticket for the sender
// of a forwarded mail, private replies, outgoing copies) still need a
// DMARC-aligned SPF or DKIM pass or a trusted path, and a mail let through
// by an entry carries the reason auth_allowed beside the failure.
//
// An entry is as narrow as the evidence it was made from. A later mail is
// let through only when every field of its Key equals the entry's:
//
//   - Account: the tenant; entries never cross accounts.
//   - Sender: the From address (canonical key), or its domain for a
//     domain-wide entry.
//   - Failure: the reason code of the failure, auth_fail or auth_permerror.
//   - SPF and SPFDomain: the SPF result and the domain SPF checked (the
//     MAIL FROM domain, or the HELO name for a null sender).
//   - DKIM: the DKIM outcome, "none", "fail" or "pass:" and the signing
//     domain of the first passing signature.
//   - Network: the client IP's /24 (IPv4) or /64 (IPv6), NetworkOf.
//
// So an entry made for a customer whose own mail server is missing from
// its SPF record lets that server's mail through, and nothing else: a
// spoof of the same address under DMARC p=reject from any other network,
// with another envelope domain or with another SPF or DKIM outcome is
// suspended as before. A DNS failure (auth_temperror) never makes an
// entry, so an outage cannot turn into a standing pass.
//
// # Stores
//
// Store is the interface, with four methods, each atomic on its own.
// MemoryStore keeps entries in memory; package store/postgres has one on
// PostgreSQL (DB.AllowStore). Every implementation passes the suite in
// allowtest (allowtest.TestStore).
package allow
