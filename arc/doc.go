// Package arc verifies and adds Authenticated Received Chain sets (RFC
// 8617), so a receiver can believe what a forwarder it trusts saw before
// the forwarding broke SPF and DKIM.
//
// # Verification
//
// Verify collects the ARC-Seal, ARC-Message-Signature and
// ARC-Authentication-Results fields of a message and validates the chain
// as RFC 8617 section 5.2 says: instances i=1..N with no gap and no
// duplicate, N at most MaxInstances (50); cv=none at i=1 and cv=pass
// after it, any cv=fail failing the chain; the latest
// ARC-Message-Signature verified like a DKIM signature over the message
// (the fields its h= lists, picked from the bottom, and the body hash);
// and every ARC-Seal, from N down to 1, over the sets up to its own, in
// instance order, relaxed. Keys are looked up at
// SELECTOR._domainkey.DOMAIN through a Resolver shaped like
// *net.Resolver's LookupTXT, parsed with dkim.ParseKeyRecord, and checked
// as DKIM checks them: rsa-sha256 with keys of at least 1024 bits, and
// ed25519-sha256.
//
// The Chain it returns holds the validation result, the instances with
// each sealer's d= domain, its selector, the cv= it recorded and its
// recorded ARC-Authentication-Results, parsed with go-msgauth's authres.
// Whether to believe those results is the caller's decision: package
// senderauth believes them only from sealers the host lists.
//
// # Sealing
//
// Seal adds the next set to a message: it verifies the chain already
// there for cv=, writes the ARC-Authentication-Results from the results
// given (go-msgauth authres.Format), signs the message relaxed/relaxed
// with DefaultHeaders (or the fields given) and seals the sets. It is for
// tests and for hosts that forward mail.
//
// # Bounds
//
// A header section over MaxHeaderBytes (1 MiB) or MaxFields (2000
// fields) is not read: Verify returns an error wrapping ErrTooLarge. An
// ARC field over MaxFieldBytes (16 KiB), an instance over MaxInstances or
// a malformed tag list fails the chain with a reason. Tag lists are read
// by dkim.ParseTagList, the one tag-list parser of dkim and arc.
//
// # Notable choices
//
//   - go-msgauth (v0.7.0) has no ARC support and keeps its
//     canonicalization unexported, so relaxed and simple canonicalization
//     are written out here.
//   - Only the latest ARC-Message-Signature is verified, as RFC 8617
//     requires; the earlier ones are broken by design once a forwarder
//     changes the message.
//   - A DNS failure fails the chain with Chain.TempError set, so a caller
//     can tell it from a forgery.
//   - Reasons and recorded results that leave the package are sanitised
//     (deskmail.Sanitize).
//
// Cost: one SHA-256 pass over the body, one over the signed fields and one
// signature check per instance, and one TXT lookup per distinct key.
package arc
