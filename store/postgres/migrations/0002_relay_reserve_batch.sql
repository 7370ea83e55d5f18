-- relay: reserve a batch of reservations of one account and day in one
-- statement, in order, each as if alone: the breaker of its relay, the
-- plan cap, then the relay cap. The row lock of the usage row serialises
-- batches from every process. Returns one code per reservation: 0
-- reserved, 1 breaker open, 2 relay exhausted, 3 plan cap, 4 relay cap.
create function deskmail_relay_reserve(
	p_account text, p_day date,
	p_relays text[], p_ns bigint[], p_relay_caps bigint[], p_plan_caps bigint[]
) returns int[] language plpgsql as $$
declare
	v_total  bigint;
	v_relays jsonb;
	v_codes  int[] := '{}';
	v_used   bigint;
	v_open   boolean;
	v_exh    boolean;
	i        int;
begin
	insert into deskmail_relay_usage (account, day, total, relays)
	values (p_account, p_day, 0, '{}')
	on conflict (account, day) do nothing;
	select total, relays into v_total, v_relays
	from deskmail_relay_usage where account = p_account and day = p_day
	for update;
	for i in 1 .. coalesce(array_length(p_ns, 1), 0) loop
		if p_relays[i] <> '' then
			select open, exhausted into v_open, v_exh from deskmail_relay_breakers
			where account = p_account and day = p_day and relay = p_relays[i];
			if coalesce(v_open, false) then
				v_codes := v_codes || 1;
				continue;
			end if;
			if coalesce(v_exh, false) then
				v_codes := v_codes || 2;
				continue;
			end if;
		end if;
		if p_plan_caps[i] > 0 and v_total + p_ns[i] > p_plan_caps[i] then
			v_codes := v_codes || 3;
			continue;
		end if;
		if p_relays[i] <> '' then
			v_used := coalesce((v_relays->>p_relays[i])::bigint, 0);
			if p_relay_caps[i] > 0 and v_used + p_ns[i] > p_relay_caps[i] then
				v_codes := v_codes || 4;
				continue;
			end if;
			v_relays := jsonb_set(v_relays, array[p_relays[i]], to_jsonb(v_used + p_ns[i]));
		end if;
		v_total := v_total + p_ns[i];
		v_codes := v_codes || 0;
	end loop;
	update deskmail_relay_usage set total = v_total, relays = v_relays
	where account = p_account and day = p_day;
	return v_codes;
end
$$;
