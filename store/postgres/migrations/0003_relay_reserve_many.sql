-- relay: reserve a batch of reservations of any accounts and days in one
-- statement. The usage rows of the batch are created if missing and
-- locked in key order (so two batches never deadlock), then each row's
-- reservations are decided in arrival order, each as if alone: the
-- breaker of its relay, the plan cap, then the relay cap; each row is
-- written once. Returns one code per reservation: 0 reserved, 1 breaker
-- open, 2 relay exhausted, 3 plan cap, 4 relay cap.
create function deskmail_relay_reserve_many(
	p_accounts text[], p_days date[],
	p_relays text[], p_ns bigint[], p_relay_caps bigint[], p_plan_caps bigint[]
) returns int[] language plpgsql as $$
declare
	n        int := coalesce(array_length(p_ns, 1), 0);
	v_codes  int[] := array_fill(0, array[n]);
	v_total  bigint;
	v_relays jsonb;
	v_used   bigint;
	v_open   boolean;
	v_exh    boolean;
	k        record;
	i        int;
begin
	insert into deskmail_relay_usage (account, day, total, relays)
	select distinct t.a, t.d, 0::bigint, '{}'::jsonb
	from unnest(p_accounts, p_days) as t(a, d)
	order by t.a, t.d
	on conflict (account, day) do nothing;
	for k in
		select u.account, u.day, u.total, u.relays from deskmail_relay_usage u
		where (u.account, u.day) in (select t.a, t.d from unnest(p_accounts, p_days) as t(a, d))
		order by u.account, u.day
		for update
	loop
		v_total := k.total;
		v_relays := k.relays;
		for i in 1 .. n loop
			continue when p_accounts[i] <> k.account or p_days[i] <> k.day;
			if p_relays[i] <> '' then
				v_open := null;
				v_exh := null;
				select b.open, b.exhausted into v_open, v_exh from deskmail_relay_breakers b
				where b.account = k.account and b.day = k.day and b.relay = p_relays[i];
				if coalesce(v_open, false) then
					v_codes[i] := 1;
					continue;
				end if;
				if coalesce(v_exh, false) then
					v_codes[i] := 2;
					continue;
				end if;
			end if;
			if p_plan_caps[i] > 0 and v_total + p_ns[i] > p_plan_caps[i] then
				v_codes[i] := 3;
				continue;
			end if;
			if p_relays[i] <> '' then
				v_used := coalesce((v_relays->>p_relays[i])::bigint, 0);
				if p_relay_caps[i] > 0 and v_used + p_ns[i] > p_relay_caps[i] then
					v_codes[i] := 4;
					continue;
				end if;
				v_relays := jsonb_set(v_relays, array[p_relays[i]], to_jsonb(v_used + p_ns[i]));
			end if;
			v_total := v_total + p_ns[i];
			v_codes[i] := 0;
		end loop;
		update deskmail_relay_usage set total = v_total, relays = v_relays
		where account = k.account and day = k.day;
	end loop;
	return v_codes;
end
$$;
