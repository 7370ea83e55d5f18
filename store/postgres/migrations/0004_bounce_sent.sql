-- bounce: the sends of each address not yet known to have bounced or
-- succeeded (B3), and the idempotency keys of the outcomes applied to it
-- (B10), as JSON arrays beside its state.
alter table deskmail_bounce_addresses
	add column pending jsonb not null default '[]',
	add column seen    jsonb not null default '[]';

-- bounce: the recipients of each sent message (B10), in ascending order;
-- rows expire by at (PruneSent).
create table deskmail_bounce_sent (
	account    text collate "C" not null,
	message_id text collate "C" not null,
	recipients text[] collate "C" not null,
	at         timestamptz not null,
	primary key (account, message_id)
);
create index deskmail_bounce_sent_at on deskmail_bounce_sent (at);

-- relay: reservations batch only per account and day
-- (deskmail_relay_reserve); the cross-account function of 0003 is gone.
drop function if exists deskmail_relay_reserve_many(text[], date[], text[], bigint[], bigint[], bigint[]);
