-- deskmail schema, version 1. Every table is keyed by account first, so
-- tenants never see each other's rows and per-account queries use the
-- primary key. Keys are compared byte for byte (COLLATE "C").

-- alias: accounts are documents (alias.Account as JSON); the address index
-- is derived from them in the same transaction and makes support
-- addresses unique across accounts.
create table deskmail_alias_accounts (
	account text collate "C" primary key,
	doc     jsonb  not null,
	version bigint not null,
	updated timestamptz not null default now()
);

create table deskmail_alias_addresses (
	key     text collate "C" primary key,
	account text collate "C" not null references deskmail_alias_accounts (account) on delete cascade,
	entry   jsonb not null
);
create index deskmail_alias_addresses_account on deskmail_alias_addresses (account);

create table deskmail_alias_fetch_health (
	account text collate "C" not null,
	source  text collate "C" not null,
	doc     jsonb not null,
	primary key (account, source)
);

-- threading: the message index, Message-ID → ticket, unique per account.
create table deskmail_message_index (
	account    text collate "C" not null,
	message_id text collate "C" not null,
	ticket     text not null,
	outbound   boolean not null,
	created    timestamptz not null,
	primary key (account, message_id)
);

-- autoreply: automatic mails per recipient and civil day (L2).
create table deskmail_autoreply_counts (
	account   text collate "C" not null,
	recipient text collate "C" not null,
	day       date not null,
	count     integer not null,
	primary key (account, recipient, day)
);
create index deskmail_autoreply_counts_day on deskmail_autoreply_counts (day);

-- bounce: address states (B2-B4), delivery statuses (B7), daily counters
-- of the account gate (B5) and account settings.
create table deskmail_bounce_addresses (
	account     text collate "C" not null,
	address     text collate "C" not null,
	state       text not null,
	soft_count  integer not null,
	sends_left  integer not null,
	last_reason text not null,
	updated     timestamptz not null,
	events      jsonb not null,
	primary key (account, address)
);

create table deskmail_bounce_deliveries (
	account    text collate "C" not null,
	message_id text collate "C" not null,
	recipient  text collate "C" not null,
	status     text not null,
	reason     text not null,
	detail     text not null,
	updated    timestamptz not null,
	primary key (account, message_id, recipient)
);

create table deskmail_bounce_counts (
	account      text collate "C" not null,
	day          date not null,
	sends        bigint not null,
	hard_bounces bigint not null,
	primary key (account, day)
);

create table deskmail_bounce_accounts (
	account text collate "C" primary key,
	exempt  boolean not null,
	updated timestamptz not null
);

-- dkim: the keys of one signing domain (dkim.KeyState as JSON, private
-- keys included: restrict access to this table).
create table deskmail_dkim_domains (
	account text collate "C" not null,
	domain  text collate "C" not null,
	state   jsonb not null,
	primary key (account, domain)
);

-- relay: one row per account and day holds the plan total and the count
-- of every relay (R5, R6), so a reservation checks and moves both in one
-- single-row statement; breakers (R8) per relay and day.
create table deskmail_relay_usage (
	account text collate "C" not null,
	day     date not null,
	total   bigint not null,
	relays  jsonb not null,
	primary key (account, day)
);
create index deskmail_relay_usage_day on deskmail_relay_usage (day);

create table deskmail_relay_breakers (
	account     text collate "C" not null,
	day         date not null,
	relay       text collate "C" not null,
	faults      integer not null,
	open        boolean not null,
	exhausted   boolean not null,
	just_opened boolean not null,
	primary key (account, day, relay)
);
create index deskmail_relay_breakers_day on deskmail_relay_breakers (day);
