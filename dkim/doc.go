// Package dkim signs and verifies DomainKeys Identified Mail (RFC 6376) for
// a helpdesk's outgoing and incoming mail, on top of
// github.com/emersion/go-msgauth/dkim, and manages the keys: generation,
// PEM storage, the DNS record to publish and selector rotation.
//
// RFCs: 6376 (DKIM), 8301 (rsa-sha256 only, RSA keys of at least 1024 bits
// to verify), 8463 (Ed25519), 6008 and 8601 (header.b and
// Authentication-Results).
//
// # Keys
//
// GenerateKey makes RSA keys of 2048 bits or more, or Ed25519 keys.
// MarshalPrivateKey and ParsePrivateKey store and load them as PEM (PKCS #8;
// PKCS #1 "RSA PRIVATE KEY" files from openssl or opendkim-genkey load too).
// NewKeyRecord gives the record to publish at SELECTOR._domainkey.DOMAIN;
// KeyRecord.TXTStrings splits it into the 255-byte strings a TXT record is
// made of (a 2048-bit RSA record does not fit in one), and ZoneLine prints
// it for a zone file.
//
// # Rotation and the key store
//
// The keys of one domain of one account are a KeyState, which a KeyStore
// persists (NewMemoryStore in memory; store/postgres in a database; every
// implementation runs dkimtest.TestStore). A rotation keeps two selectors
// live: Begin adds the next key as pending (its record must be published),
// Promote makes it sign once CheckPublished sees it in DNS, and the old key
// stays published as retiring until Retire drops it after a grace period
// long enough for queued mail to be verified. NextSelector names selectors
// by month ("dm202611").
//
// # Signing
//
// Signer.Middleware is a deskmail.Middleware: it signs each message with
// the active key of its From domain (Envelope.HeaderFrom, else the From
// header) for the envelope's account. Defaults: relaxed/relaxed
// canonicalization and RecommendedHeaders(), which oversigns From, Subject,
// To, Cc, Date, Message-ID and Reply-To by listing each twice, the way
// go-msgauth signs a second, empty instance, so a receiver rejects a copy
// of those fields added in transit. Mail for a domain without a key goes
// out unsigned (logged) unless SignerOptions.RequireKey is set. Sign signs
// with an explicit key.
//
// # Verification
//
// Verify reports one Verification per DKIM-Signature with the domain,
// selector, algorithm, key size and b= prefix go-msgauth's result lacks.
// go-msgauth does the verification and the cryptography; Verify reads
// each signature with ParseSignature's parser, fetches each key once
// through a Resolver shaped like *net.Resolver and ties each of
// go-msgauth's results to its own signature: it enumerates the
// DKIM-Signature fields exactly as go-msgauth does (a field without a
// colon counts, with an empty value) and checks that the result's d= and
// h= are the signature's, so a malformed, duplicated or extra signature
// never moves a result onto another one. On top of go-msgauth it honours
// t=s (i= must be in d= exactly) and t=y (a failure becomes neutral), and
// enforces x= against the injected clock. RSA keys under 1024 bits,
// rsa-sha1 and l= are permerrors.
//
// # Bounds
//
// At most VerifyOptions.MaxSignatures (5) signatures are verified; the
// rest are permerror without a DNS query. A signature, a key record or
// any tag list over MaxTagList (16 KiB) is a *RecordError. ParseTagList
// is the one tag-list parser, shared with package arc.
//
// # Published keys
//
// CheckPublished compares the record at SELECTOR._domainkey.DOMAIN with the
// local key and says what is wrong in words: missing, revoked, unparsable,
// several records, another key, or a DNS failure.
//
// # Secrets
//
// Private keys never appear in errors or logs: PrivateKeyPEM prints as
// "[redacted private key]" with %v, %s, %#v and slog, and parse errors
// describe the structure, not the bytes (tested).
//
// # Notable choices
//
//   - go-msgauth stamps t= from the system clock; only x= uses the injected
//     clock (SignOptions.Now, VerifyOptions.Now).
//   - A passing signature from a t=y key stays pass with Testing set;
//     dmarc counts it, as large receivers do.
//   - Messages should use CRLF line ends, as on the wire.
package dkim
