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
// (migrations/0001_init.sql, 0002_relay_reserve_batch.sql, …). Migrate runs in one transaction under a
// transaction-scoped advisory lock (pg_advisory_xact_lock): it creates the
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
//	deskmail_bounce_addresses  (account, address) PK, state, soft_count, sends_left, last_reason, updated, events jsonb
//	deskmail_bounce_deliveries (account, message_id, recipient) PK, status, reason, detail, updated
//	deskmail_bounce_counts     (account, day) PK, sends, hard_bounces
//	deskmail_bounce_accounts   account PK, exempt, updated
//	deskmail_dkim_domains      (account, domain) PK, state jsonb (dkim.KeyState, private keys included)
//	deskmail_relay_usage       (account, day) PK, total, relays jsonb {relay id: count}
//	deskmail_relay_breakers    (account, day, relay) PK, faults, open, exhausted, just_opened
//	deskmail_relay_reserve(…)  function: decides a batch of reservations of one account and day (batches of one row)
//	deskmail_relay_reserve_many(…) function: decides a batch of reservations of any accounts and days
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
// rests on the database alone; all statements run at READ COMMITTED.
//
//   - Relay reservations (relay.Store.Reserve) are decided by one
//     statement each: an INSERT … ON CONFLICT DO UPDATE on the account's row
//     for the day, which holds both the plan total and every relay's count,
//     that applies only when the relay's breaker is neither open nor
//     exhausted (read in the same statement) and the plan total and the
//     relay count both stay within their caps. Both counters move together
//     or not at all, and the row lock serialises concurrent statements, so
//     no number of processes overshoots a cap: TestMultiProcessRelayCap runs
//     8 OS processes × 8 goroutines against a relay cap of 10,000 and admits
//     exactly 10,000; TestMultiProcessPlanCap does the same for a plan total
//     shared by two relays. Reservations that meet in one process, of any
//     accounts and days, go together in one statement (see Throughput),
//     which locks their rows in key order and decides each row's
//     reservations in arrival order, each as if alone. Refund, Usage, RecordOutcome
//     and Breaker are one statement each too; JustOpened is computed from
//     the row before the update, so exactly one concurrent fault reports it.
//   - A reservation whose context ends while it waits for a batch is
//     withdrawn; once sent, it runs to its outcome (at most 30 s), so a
//     Reserve that reports an error never leaves units counted, unless the
//     connection breaks after the commit, which errs toward fewer sends.
//   - Autoreply reservations (autoreply.Store.Reserve) are one UPSERT whose
//     update applies only below the limit.
//   - Bounce updates lose nothing: Update and UpdateAccount insert a
//     placeholder row or lock the existing one (INSERT … ON CONFLICT DO
//     UPDATE … RETURNING, the row lock of SELECT … FOR UPDATE that also
//     covers a first write), run fn once, write and commit; they take two
//     round trips, the lock and the write each pipelined with BEGIN and
//     COMMIT. Concurrent Updates of one process, of any accounts and
//     addresses, go together in one such transaction: it locks (or
//     creates) all their rows in key order, runs each fn once in arrival
//     order on its row's evolving state (an fn error fails that call only
//     and keeps its row as it was), writes the changed rows in one
//     statement and commits once; a database error fails every call of
//     the batch, and nothing of it is stored. fn is never retried. An Update
//     whose context ends while it waits for a batch is withdrawn; once sent,
//     it runs to its outcome (at most 30 s).
//     AddCounts is one UPSERT … SET n = n + $ (concurrent calls of one
//     process send their sums per account and day together).
//     TestMultiProcessBounce runs 8 processes × 8 goroutines on one address
//     and one day's counters and checks every update arrived.
//   - The message index (threading.Store) is unique per account by its
//     primary key: Add is INSERT … ON CONFLICT DO NOTHING, and the first
//     writer wins; Lookup is one query over all the ids.
//   - Alias fetch health and DKIM updates work as bounce updates do.
//     UpdateAccount of alias runs fn under the account's row lock, in a
//     transaction that also rewrites the address index; the index's primary key
//     makes support addresses unique across accounts (ErrAddressTaken). Two
//     accounts swapping addresses at the same instant can deadlock; the
//     loser's transaction is retried, which may call fn again, as the
//     alias.Store contract allows.
//
// # Throughput
//
// A write is durable when it returns (synchronous_commit on), so the rate
// of writes is bounded by the time a commit takes to reach the disk
// (milliseconds without a write-back cache): writes to one row
// queue on its lock, each waiting for the previous commit, and even
// writes to different rows only scale as far as PostgreSQL's own group
// commit takes them. The stores therefore commit in groups themselves:
// relay reservations, bounce updates and the bounce gate's daily counters
// that arrive while earlier ones are in flight in the same process wait,
// then go together, whatever their accounts, days and addresses, in one
// statement or transaction that shares one commit.
// deskmail_relay_reserve_many, a PL/pgSQL function, decides a batch of
// reservations (deskmail_relay_reserve one of a single account and day);
// Update runs a batch of fns in one transaction; AddCounts adds the
// batch's sums. A lone call is a single plain statement (two
// round trips for Update), so latency without contention is unchanged.
// Size the pool (pool_max_conns) to the concurrency of the process; the
// pgxpool default is max(4, CPUs). Where losing the last fraction of a
// second of counter updates on a database crash is acceptable (never
// corruption, but a cap may then be overshot by what was lost), appending
// synchronous_commit=off to the DSN raises the rate of small writes
// further.
//
// The benchmarks (BenchmarkRelayReserve, BenchmarkBounceUpdate,
// BenchmarkBounceAddCounts) run 16 workers, each on its own account
// ("spread") or all on one key ("hot"), beside the memory stores.
// Medians of 6 alternating runs, operations per second, on a shared
// 2-core machine (in brackets: batching only per account and day, and no
// batching of Update, as before migration 0003):
//
//	                          memory      PostgreSQL
//	Reserve, spread           5.9 M       9,550  (6,410)
//	Reserve, hot key          2.6 M      11,900 (13,100, same within noise)
//	Update, spread            1.5 M       9,260  (4,600)
//	Update, hot address       2.0 M       9,530    (970)
//	AddCounts, spread         3.6 M      13,500  (7,200)
//	AddCounts, hot key        2.7 M      15,600 (18,700, same within noise)
//
// # Housekeeping
//
// Day-keyed counters of autoreply and relay are never needed after the day
// is over; Prune deletes those older than a date. Bounce daily counters,
// deliveries and address states are kept: the bounce gate's rolling window
// and the delivery history are the host's to expire.
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
