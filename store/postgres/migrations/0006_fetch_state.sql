-- fetch: the bookkeeping of each mailbox source (IMAP UIDVALIDITY and last
-- UID, POP3 UIDLs, the settings fingerprint), one JSON document per
-- account and source.
create table deskmail_fetch_state (
	account text collate "C" not null,
	source  text collate "C" not null,
	doc     jsonb not null,
	primary key (account, source)
);
