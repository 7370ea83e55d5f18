-- inbound/allow: the allow list recovered mail records. One row per key;
-- every key column takes part in the primary key, so an entry matches only
-- a mail whose evidence equals it field for field.
create table deskmail_allow (
	account    text collate "C" not null,
	sender     text collate "C" not null,
	failure    text collate "C" not null,
	spf        text collate "C" not null,
	spf_domain text collate "C" not null,
	dkim       text collate "C" not null,
	network    cidr not null,
	by_whom    text not null,
	at         timestamptz not null,
	primary key (account, sender, failure, spf, spf_domain, dkim, network)
);
