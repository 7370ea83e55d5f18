# Sourced by .ci/services: a private Dovecot (IMAP and POP3) on loopback for
# the fetch tests and bench/fetch. It runs from its own directory with its
# own configuration and never touches the system instance. Nothing here may
# fail the run: without Dovecot the tests that need it skip.
#
# Exports, when Dovecot started:
#   DESKMAIL_DOVECOT_IMAP   127.0.0.1:PORT, IMAP with STARTTLS
#   DESKMAIL_DOVECOT_IMAPS  127.0.0.1:PORT, IMAP over implicit TLS
#   DESKMAIL_DOVECOT_POP3   127.0.0.1:PORT, POP3 with STLS
#   DESKMAIL_DOVECOT_POP3S  127.0.0.1:PORT, POP3 over implicit TLS
#   DESKMAIL_DOVECOT_USER / DESKMAIL_DOVECOT_PASS  the test login
#   DESKMAIL_DOVECOT_MAILDIR  the test user's maildir
#   DESKMAIL_DOVECOT_CA     the self-signed certificate (PEM) the server uses

apt_packages+=(dovecot-imapd dovecot-pop3d openssl)

dovecot_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null
}

start_dovecot() {
	if [ -n "${DESKMAIL_DOVECOT_IMAP:-}" ]; then
		echo "using DESKMAIL_DOVECOT_IMAP from the environment"
		return 0
	fi
	if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/imap ] || [ ! -x /usr/lib/dovecot/pop3 ]; then
		echo "dovecot-imapd/dovecot-pop3d are not installed: the fetch tests against Dovecot will skip"
		return 0
	fi
	if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
		echo "openssl or python3 missing: not starting Dovecot; the fetch tests against it will skip"
		return 0
	fi
	local dir=/tmp/deskmail-dovecot
	if [ -f "$dir/run/master.pid" ]; then
		kill "$(cat "$dir/run/master.pid")" 2>/dev/null || true
		sleep 1
	fi
	rm -rf "$dir" 2>/dev/null || true
	mkdir -p "$dir/run" "$dir/state" "$dir/mail" "$dir/home" || return 0
	local user=deskmail pass=deskmail-test-pass
	if ! openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1; then
		echo "openssl could not make a certificate: not starting Dovecot"
		return 0
	fi
	chmod 0644 "$dir/cert.pem" "$dir/key.pem" 2>/dev/null || true
	printf '%s:{PLAIN}%s::::::\n' "$user" "$pass" >"$dir/passwd"
	local p_imap p_imaps p_pop3 p_pop3s
	p_imap=$(dovecot_free_port || true)
	p_imaps=$(dovecot_free_port || true)
	p_pop3=$(dovecot_free_port || true)
	p_pop3s=$(dovecot_free_port || true)
	if [ -z "$p_imap" ] || [ -z "$p_imaps" ] || [ -z "$p_pop3" ] || [ -z "$p_pop3s" ]; then
		echo "no free loopback ports: not starting Dovecot"
		return 0
	fi
	# Mail processes may not run as root: the mail belongs to nobody.
	local uid=nobody gid=nogroup
	getent group nogroup >/dev/null || gid=nobody
	chown -R "$uid:$gid" "$dir/mail" "$dir/home" 2>/dev/null || true
	cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
instance_name = deskmail-test
log_path = $dir/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# The tests log in with wrong passwords on purpose: no delay for them.
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
mail_location = maildir:$dir/mail/%u
first_valid_uid = 1
pop3_uidl_format = %08Xv%08Xu
mail_max_userip_connections = 100
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $p_imap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $p_imaps
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $p_pop3
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $p_pop3s
    ssl = yes
  }
}
EOF
	if ! dovecot -c "$dir/dovecot.conf" >"$dir/start.log" 2>&1; then
		echo "dovecot did not start (see below): the fetch tests against it will skip"
		cat "$dir/start.log" "$dir/dovecot.log" 2>/dev/null | tail -20 || true
		return 0
	fi
	local i up=
	for i in $(seq 1 20); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p_imap") 2>/dev/null; then
			up=1
			break
		fi
		sleep 0.5
	done
	if [ -z "$up" ]; then
		echo "dovecot is not answering on 127.0.0.1:$p_imap: the fetch tests against it will skip"
		return 0
	fi
	export DESKMAIL_DOVECOT_IMAP="127.0.0.1:$p_imap"
	export DESKMAIL_DOVECOT_IMAPS="127.0.0.1:$p_imaps"
	export DESKMAIL_DOVECOT_POP3="127.0.0.1:$p_pop3"
	export DESKMAIL_DOVECOT_POP3S="127.0.0.1:$p_pop3s"
	export DESKMAIL_DOVECOT_USER="$user"
	export DESKMAIL_DOVECOT_PASS="$pass"
	export DESKMAIL_DOVECOT_MAILDIR="$dir/mail/$user"
	export DESKMAIL_DOVECOT_CA="$dir/cert.pem"
	echo "Dovecot running: IMAP $DESKMAIL_DOVECOT_IMAP, IMAPS $DESKMAIL_DOVECOT_IMAPS, POP3 $DESKMAIL_DOVECOT_POP3, POP3S $DESKMAIL_DOVECOT_POP3S"
}

service_starters+=(start_dovecot)
