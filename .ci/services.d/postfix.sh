# Postfix for smtpd: a private instance on loopback that relays every mail
# it receives by LMTP to 127.0.0.1:$DESKMAIL_POSTFIX_LMTP, where
# TestPostfixRelaysIntoLMTP starts the smtpd server. No DNS, no local
# delivery, nothing listening beyond 127.0.0.1; its state lives under
# /tmp/deskmail-postfix and is recreated on every run.
apt_packages+=(postfix)

start_postfix() {
	if [ -n "${DESKMAIL_POSTFIX_SMTP:-}" ]; then
		echo "using DESKMAIL_POSTFIX_SMTP from the environment"
		return 0
	fi
	if ! command -v postfix >/dev/null 2>&1 || ! command -v postconf >/dev/null 2>&1; then
		echo "postfix is not installed: the smtpd Postfix test will skip"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "not root: cannot start a private Postfix; the smtpd Postfix test will skip"
		return 0
	fi
	local dir=/tmp/deskmail-postfix smtp_port=10025 lmtp_port=10024
	if [ -d "$dir/etc" ]; then
		postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir" || true
	mkdir -p "$dir/etc" "$dir/spool" "$dir/data" || return 0
	chmod 755 "$dir" "$dir/etc" "$dir/spool" || true
	chown postfix "$dir/data" 2>/dev/null || true
	cat >"$dir/etc/main.cf" <<MAIN || return 0
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.deskmail.test
mydomain = deskmail.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:local delivery is off
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = lmtp:inet:127.0.0.1:$lmtp_port
relay_transport = lmtp:inet:127.0.0.1:$lmtp_port
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtputf8_enable = no
biff = no
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
bounce_queue_lifetime = 0
maximal_queue_lifetime = 1m
MAIN
	cat >"$dir/etc/master.cf" <<MASTER || return 0
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
lmtp      unix  - - n -    - lmtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
MASTER
	if ! postfix -c "$dir/etc" check >"$dir/check.log" 2>&1 || ! postfix -c "$dir/etc" start >>"$dir/check.log" 2>&1; then
		echo "warning: the private Postfix did not start (see $dir/check.log); the smtpd Postfix test will skip"
		return 0
	fi
	local i
	for i in $(seq 1 20); do
		(exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
		sleep 0.5
	done
	export DESKMAIL_POSTFIX_SMTP="127.0.0.1:$smtp_port"
	export DESKMAIL_POSTFIX_LMTP="127.0.0.1:$lmtp_port"
	export DESKMAIL_POSTFIX_CONFIG="$dir/etc"
	echo "Postfix on $DESKMAIL_POSTFIX_SMTP relaying by LMTP to $DESKMAIL_POSTFIX_LMTP"
}

service_starters+=(start_postfix)
