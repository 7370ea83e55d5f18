// Package postgres keeps every piece of deskmail state on one PostgreSQL
// database (version 12 or later; CI runs 15), for deployments of many
// processes that must agree on caps, counters and indexes. It is built on
// pgx v5 and one *pgxpool.Pool; every call takes a context.
//
// # Use
//
//	db, err := postgres.Open(ctx, os.Getenv("DESKMAIL_POSTGRES_DSN"))
//	if err != nil { … }
//	defer db.Close()
//	if err := db.Migrate(ctx); err != nil { … } // once at start-up, from any number of processes
//
//	aliases := db.AliasStore()     // alias.Store
//	index := db.MessageIndex()     // threading.Store
//	limits := db.AutoreplyStore()  // autoreply.Store
//	bounces := db.BounceStore()    // bounce.Store
//	keys := db.DKIMKeyStore()      // dkim.KeyStore
//	relays := db.RelayStore()      // relay.Store
//	allowed := db.AllowStore()     // allow.Store (recovered senders)
//	mailboxes := db.FetchStore()   // fetch.Store (IMAP and POP3 bookkeeping)
//
// Open takes a PostgreSQL URL or key=value string (see pgxpool.ParseConfig:
// pool_max_conns and the other pool_* parameters apply, and any unknown
// parameter is sent to the server as a run-time setting). New wraps a pool
// the host already owns; Close then leaves it open. The stores are views of
// the same pool and cost nothing to create. Neither the DSN nor its
// password ever appears in an error.
//
// # Migrations
//
// The schema is a list of numbered SQL files embedded in the binary
// (migrations/0001_init.sql, 0002_relay_reserve_batch.sql, …). Migrate
// runs in one transaction under a transaction-scoped advisory lock (pg_advisory_xact_lock): it creates the
// version table deskmail_schema_version when missing, applies the files
// whose number it does not list, in order, and records them. It is
// idempotent, and safe when several processes start at once: they queue on
// the lock and the later ones find nothing to do. A failed migration rolls
// back entirely. SchemaVersion reports the highest applied number (0 before
// the first Migrate).
//
// # Schema
//
// Every table is named deskmail_*, keyed by account first, so accounts never
// see each other's rows and every per-account query is a primary-key
// lookup. Keys are text compared byte for byte (COLLATE "C"): Message-IDs
// differing in case are distinct. Times are timestamptz (microsecond
// precision: nanoseconds are truncated); days are date.
//
//	deskmail_schema_version    version, name, applied_at
//	deskmail_alias_accounts    account PK, doc jsonb (alias.Account), version
//	deskmail_alias_addresses   key PK (address or platform address), account → accounts, entry jsonb (alias.Entry)
//	deskmail_alias_fetch_health (account, source) PK, doc jsonb (alias.FetchHealth)
//	deskmail_message_index     (account, message_id) PK, ticket, outbound, created
//	deskmail_autoreply_counts  (account, recipient, day) PK, count
//	deskmail_bounce_addresses  (account, address) PK, state, soft_count, sends_left, last_reason, updated,
//	                           events jsonb, pending jsonb (sends not yet resolved), seen jsonb (idempotency keys)
//	deskmail_bounce_deliveries (account, message_id, recipient) PK, status, reason, detail, updated
//	deskmail_bounce_counts     (account, day) PK, sends, hard_bounces
//	deskmail_bounce_accounts   account PK, exempt, updated
//	deskmail_bounce_sent       (account, message_id) PK, recipients text[] (sorted), at; index on at
//	deskmail_dkim_domains      (account, domain) PK, state jsonb (dkim.KeyState, private keys included)
//	deskmail_relay_usage       (account, day) PK, total, relays jsonb {relay id: count}
//	deskmail_relay_breakers    (account, day, relay) PK, faults, open, exhausted, just_opened
//	deskmail_relay_reserve(…)  function: decides reservations of one account and day in order
//	deskmail_allow             (account, sender, failure, spf, spf_domain, dkim, network) PK, by_whom, at
//	deskmail_fetch_state       (account, source) PK, doc jsonb (fetch.State)
//
// Aggregates that are read and written whole (an alias account, a domain's
// DKIM keys, fetch health) are JSON documents; counters and the rows other
// systems may query (message index, deliveries, bounce states) are columns.
// The DKIM table holds private keys in PKCS #8 PEM: grant access to it as
// to any secret store, or encrypt the database at rest.
//
// # Concurrency guarantees
//
// Every guarantee holds across processes, not only goroutines, because it
// rests on the database alone; all statements run at READ COMMITTED, and
// every call runs on its caller's context: a context that ends stops the
// statement or rolls the transaction back.
//
//   - Relay reservations (relay.Store.Reserve) are decided against the
//     account's row for the day, which holds both the plan total and every
//     relay's count: a lone reservation by one INSERT … ON CONFLICT DO
//     UPDATE that applies only when the relay's breaker is neither open nor
//     exhausted (read in the same statement) and the plan total and the
//     relay count both stay within their caps; reservations of the same
//     account and day that meet in one process by deskmail_relay_reserve in
//     one transaction, which locks the row and decides each in arrival
//     order as if alone (see Throughput). Both counters move together or not
//     at all, and the row lock serialises concurrent writers, so no number
//     of processes overshoots a cap: TestMultiProcessRelayCap runs 8 OS
//     processes × 8 goroutines against a relay cap of 10,000 and admits
//     exactly 10,000; TestMultiProcessPlanCap does the same for a plan total
//     shared by two relays. Refund, Usage, RecordOutcome and Breaker are one
//     statement each; JustOpened is computed from the row before the
//     update, so exactly one concurrent fault reports it.
//   - A reservation whose context ends while it waits for its account's
//     batch is withdrawn; one whose context ends while its batch is decided
//     rolls the batch back and returns ctx.Err() with nothing counted, and
//     the other reservations of the batch are decided again without it. A
//     Reserve that returns an error has counted its units only when the
//     connection failed, or a context of its batch ended, during the commit,
//     which errs toward fewer sends, never more.
//   - Autoreply reservations (autoreply.Store.Reserve) are one UPSERT whose
//     update applies only below the limit.
//   - Bounce updates lose nothing: Update and UpdateAccount insert a
//     placeholder row or lock the existing one (INSERT … ON CONFLICT DO
//     UPDATE … RETURNING, the row lock of SELECT … FOR UPDATE that also
//     covers a first write), run fn once, write and commit; they take two
//     round trips, the lock and the write each pipelined with BEGIN and
//     COMMIT. fn is never retried; an fn error rolls back, placeholder
//     included. AddCounts is one UPSERT … SET n = n + $ (concurrent calls
//     of one account and day send their sums together, with the
//     cancellation rules of reservations). AddSent is one
//     UPSERT that merges the stored and the new recipients (sorted, without
//     duplicates) under the row lock, so concurrent sends of parts of one
//     message lose no recipient. TestMultiProcessBounce runs 8 processes ×
//     8 goroutines on one address and one day's counters and checks every
//     update arrived.
//   - The message index (threading.Store) is unique per account by its
//     primary key: Add is INSERT … ON CONFLICT DO NOTHING, and the first
//     writer wins; Lookup is one query over all the ids.
//   - Alias fetch health, fetch state and DKIM updates work as bounce
//     updates do.
//     UpdateAccount of alias runs fn under the account's row lock, in a
//     transaction that also rewrites the address index; the index's primary
//     key makes support addresses unique across accounts
//     (ErrAddressTaken). Two accounts swapping addresses at the same instant
//     can deadlock; the loser's transaction is retried, which may call fn
//     again, as the alias.Store contract allows.
//
// # Throughput
//
// A write is durable when it returns (synchronous_commit on), so writes to
// one row queue on its lock, each waiting for the previous commit to reach
// the disk; writes to different rows scale as far as PostgreSQL's group
// commit takes them. The hot rows of a sending process are an account's
// rows for the day: every send reserves on its relay usage row and adds to
// its bounce counters. Writes to the same one of those rows that arrive
// while one is in flight in the process therefore wait, then go together
// in one transaction and one commit: reservations through
// deskmail_relay_reserve, counters as one UPSERT of their sums. Writes of
// other accounts or days never wait for them, and a lone write is one
// statement, one round trip. Bounce address updates (one address each)
// and the other stores are not batched: each call is its own transaction
// or statement, so many writers of one address queue on its lock, one
// commit each.
// Size the pool (pool_max_conns) to the concurrency of the process; the
// pgxpool default is max(4, CPUs). Where losing the last fraction of a
// second of counter updates on a database crash is acceptable (never
// corruption, but a cap may then be overshot by what was lost), appending
// synchronous_commit=off to the DSN raises the rate of small writes
// further.
//
// The benchmarks (BenchmarkRelayReserve, BenchmarkBounceUpdate,
// BenchmarkBounceAddCounts) run 16 workers, each on its own account
// ("spread") or all on one key ("hot"), beside the memory stores. Medians
// of 6 runs (memory: 3), operations per second, PostgreSQL 15 on a shared
// 2-core machine whose load varied during the runs:
//
//	                     memory   PostgreSQL
//	Reserve, spread      8.8 M     8,830
//	Reserve, hot key     2.4 M    15,400
//	Update, spread       2.1 M     6,600
//	Update, hot address  4.3 M     2,000
//	AddCounts, spread    4.5 M    12,800
//	AddCounts, hot key   9.3 M    16,900
//
// # Housekeeping
//
// Day-keyed counters of autoreply and relay are never needed after the day
// is over; Prune deletes those older than a date. The recipients of sent
// messages expire after the bounce tracker's retention:
// BounceStore.PruneSent (called by bounce.Tracker.Prune) deletes them. Bounce
// daily counters, deliveries and address states are kept: the bounce gate's
// rolling window and the delivery history are the host's to expire.
//
// # Running the suites
//
// The tests run each package's conformance suite (aliastest, threadingtest,
// autoreplytest, bouncetest, dkimtest, relaytest) against this package,
// plus the multi-process tests, when DESKMAIL_POSTGRES_DSN names a database
// the tests may create tables in; otherwise they skip with a message.
// .ci/services installs and starts PostgreSQL and exports the variable, and
// .ci/run runs them:
//
//	export DESKMAIL_POSTGRES_DSN='postgres://deskmail:deskmail@127.0.0.1:5432/deskmail?sslmode=disable'
//	go test -race ./store/postgres/              # suites and multi-process tests
//	go test -short ./store/postgres/             # without the multi-process tests
//	go test -run '^$' -bench . -count 6 ./store/postgres/
//
// Subtests namespace their keys with a per-run prefix, so one database can
// run the suites repeatedly and in parallel; rows are left behind.
package postgres
