# shellcheck shell=bash
#
# tests/e2e/lib.sh - a private Postfix, an smtp-sink and the sendguard
# milter on loopback, for the end-to-end tests, `make demo` and the
# throughput bench. Sourced by bash scripts; needs root (Postfix).
#
# Layout: one "slot" directory per running harness under
# $SG_TEST_ROOT (default /var/tmp/sendguard-test): e2e1..e2e4 (tests may
# run concurrently, each takes a free slot under flock), demo, bench.
# The slot paths are fixed because non-root sendmail(1) (the milter's
# notices) and postqueue accept a private config directory only when
# /etc/postfix/main.cf lists it in alternate_config_directories, which
# takes exact paths. A slot holds:
#   postfix/            config directory (main.cf, master.cf)
#   spool/ data/        queue_directory, data_directory
#   log/maillog         Postfix's log (maillog_file, via postlogd)
#   sink/               one file per delivered message (smtp-sink -d)
#   milter/             sendguard.conf, store, keys, spool, stderr log
#   state               pids and ports, for sg_stop_slot (make demo-stop)
# A slot is wiped when it is next taken, not at exit: after a failure
# its logs are there to read.
#
# The Postfix instance has three smtpd listeners on 127.0.0.1:
#   $SG_GW_PORT     the gateway: smtpd_milters = sendguard
#   $SG_PLAIN_PORT  no milter (baseline: Postfix alone)
#   $SG_RELAY_PORT  no milter; queues the mail and hands it to the
#                   gateway port through the "gwloop" transport, so a
#                   tempfail from the gateway leaves it deferred in our
#                   own queue (what a relaying MTA in front does)
# and sendmail -C $SG_PFDIR submits through pickup with
# non_smtpd_milters = sendguard. Everything is relayed to smtp-sink on
# $SG_SINK_PORT. Nothing touches the system Postfix instance except
# appending the slot directories to alternate_config_directories in
# /etc/postfix/main.cf (created, inert, when missing).

set -u

SG_SRCDIR=${SG_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SG_TEST_ROOT=${SG_TEST_ROOT:-/var/tmp/sendguard-test}
SG_ALL_SLOTS="e2e1 e2e2 e2e3 e2e4 demo bench"
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/test/sendguard-milter}
SG_CTL=${SG_CTL:-$SG_SRCDIR/build/sendguardctl}
SG_MILTER_USER=${SG_MILTER_USER:-sendguard}
# How Postfix reaches the milter: inet (a loopback port) or unix (a
# socket in the slot, as on Debian under /var/spool/postfix). On inet,
# Postfix's small back-to-back writes (macros, then the command) meet
# Nagle and delayed ACKs: about 40 ms twice per message.
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-inet}
SG_INTERNAL=${SG_INTERNAL:-example.lg.jp}
export LC_ALL=C.UTF-8

SG_SLOT="" SG_BASE="" SG_PFDIR="" SG_SPOOL="" SG_SINK="" SG_MDIR=""
SG_GW_PORT="" SG_PLAIN_PORT="" SG_RELAY_PORT="" SG_SINK_PORT="" SG_MILTER_PORT=""
SG_SINK_PID="" SG_MILTER_PID="" SG_PF_STARTED=0 SG_MILTER_SOCK=""
SG_PORTS_TAKEN=""

# --- results ---------------------------------------------------------------

PASS=0
FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: one assertion.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
note() { echo "     # $*"; }
die()  { echo "e2e: $*" >&2; exit 2; }

# wait_for SECONDS COMMAND...: poll every 0.2 s until COMMAND succeeds.
wait_for() {
	local t=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge $((t * 5)) ] && return 1
		sleep 0.2
	done
	return 0
}

# --- slots, ports, cleanup -------------------------------------------------

# sg_pick_port and sg_free_ports: tests/e2e/ports.sh (also the
# PostgreSQL tests' ports).
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

# sg_take_slot NAME...: take the first free slot among NAMEs (flock on
# fd 9, held until this shell exits; every child started here closes
# fd 9, so a killed run frees its slot), stop whatever a killed run
# left there, and make it empty. With SG_SLOT_NOWAIT=1 it returns 1
# when every slot is busy instead of waiting.
sg_take_slot() {
	local s
	[ "$(id -u)" = 0 ] || die "needs root (Postfix, smtp-sink -u postfix)"
	mkdir -p "$SG_TEST_ROOT"
	chmod 755 "$SG_TEST_ROOT"
	for s in "$@"; do
		exec 9>"$SG_TEST_ROOT/$s.lock"
		if flock -n 9; then
			SG_SLOT=$s
			break
		fi
		exec 9>&-
	done
	if [ -z "$SG_SLOT" ]; then
		[ "${SG_SLOT_NOWAIT:-0}" = 1 ] && return 1
		s=$1
		echo "e2e: every slot busy, waiting for $s" >&2
		exec 9>"$SG_TEST_ROOT/$s.lock"
		flock -w 1200 9 || die "slot $s stayed busy"
		SG_SLOT=$s
	fi
	SG_BASE=$SG_TEST_ROOT/$SG_SLOT
	sg_stop_slot "$SG_BASE" >/dev/null 2>&1
	sg_free_ports
	rm -rf "$SG_BASE"
	mkdir -p "$SG_BASE"
	chmod 755 "$SG_BASE"
	SG_PFDIR=$SG_BASE/postfix
	SG_SPOOL=$SG_BASE/spool
	SG_SINK=$SG_BASE/sink
	SG_MDIR=$SG_BASE/milter
	: >"$SG_BASE/state"
}

sg_state() { echo "$1=$2" >>"$SG_BASE/state"; }

# sg_stop_slot DIR: stop what the state file of a slot names (a run
# that was killed, or `make demo-stop`). Used by sg_take_slot.
sg_stop_slot() {
	local dir=$1 k v pid pfdir=""
	[ -f "$dir/state" ] || return 0
	while IFS='=' read -r k v; do
		case $k in
		driver_pid)
			# the script that owns the slot: let its trap do the work
			if [ "$v" != "$$" ] && kill -0 "$v" 2>/dev/null; then
				kill -TERM "$v" 2>/dev/null
				for _ in $(seq 1 100); do kill -0 "$v" 2>/dev/null || break; sleep 0.1; done
			fi ;;
		pfdir) pfdir=$v ;;
		sink_pid | milter_pid | web_pid | sleeper_pid | applier_pid)
			kill -TERM "$v" 2>/dev/null ;;
		esac
	done <"$dir/state"
	if [ -n "$pfdir" ] && [ -f "$pfdir/main.cf" ]; then
		pid=$(cat "$dir/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			postfix -c "$pfdir" stop >/dev/null 2>&1
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	return 0
}

# The EXIT trap: stop everything this shell started, even on failure.
sg_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	milter_stop >/dev/null 2>&1
	pf_stop >/dev/null 2>&1
	sink_stop >/dev/null 2>&1
	[ -n "$SG_BASE" ] && [ -f "$SG_BASE/state" ] && : >"$SG_BASE/state"
	exit "$rc"
}
sg_install_traps() {
	trap sg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# sg_milter_addr: choose the milter's address once; sets SG_MILTER_PF
# (Postfix syntax) and SG_MILTER_LM (libmilter syntax).
sg_milter_addr() {
	[ -n "${SG_MILTER_PF:-}" ] && return 0
	if [ "$SG_MILTER_SOCKET" = unix ]; then
		SG_MILTER_SOCK=$SG_BASE/msock/milter.sock
		SG_MILTER_PF=unix:$SG_MILTER_SOCK
		SG_MILTER_LM=unix:$SG_MILTER_SOCK
	else
		[ -n "$SG_MILTER_PORT" ] || sg_pick_port SG_MILTER_PORT
		SG_MILTER_PF=inet:127.0.0.1:$SG_MILTER_PORT
		SG_MILTER_LM=inet:$SG_MILTER_PORT@127.0.0.1
	fi
}

# --- what every run on the machine shares ---------------------------------

# sg_locked COMMAND...: run COMMAND (in a subshell) holding the harness's
# machine-wide lock. /etc/passwd, /etc/group and /etc/postfix/main.cf
# are shared by every test run on the machine, whatever its
# SG_TEST_ROOT and however many run at once (make e2e and make
# fault-tests run several scripts in parallel): useradd and usermod fail
# at once ("cannot lock /etc/passwd") while another holds the file, and
# alternate_config_directories is read, then written.
SG_GLOBAL_LOCK=${SG_GLOBAL_LOCK:-/run/lock/sendguard-test.lock}
sg_locked() {
	mkdir -p "$(dirname "$SG_GLOBAL_LOCK")"
	(
		flock -w 120 8 || { echo "sg_locked: $SG_GLOBAL_LOCK busy for 120 s" >&2; exit 1; }
		"$@"
	) 8>"$SG_GLOBAL_LOCK"
}

# --- the system main.cf: only alternate_config_directories ----------------

sg_allow_config_dirs() {
	local want="" d
	for d in $SG_ALL_SLOTS; do want="$want $SG_TEST_ROOT/$d/postfix"; done
	mkdir -p /etc/postfix
	sg_locked sg_allow_config_dirs_now "$want"
}
sg_allow_config_dirs_now() {
	local want=$1 d cur add=""
	if [ ! -f /etc/postfix/main.cf ]; then
		# Created here: inert if a host ever starts the system
		# instance (no listener but loopback, inet services off).
		cat >/etc/postfix/main.cf <<-EOF
		# Created by sendguard's test harness (tests/e2e/lib.sh): Postfix was
		# installed with "No configuration". Private test instances live in
		# the directories below; this system instance relays for nobody.
		compatibility_level = 3.6
		inet_interfaces = loopback-only
		master_service_disable = inet
		EOF
	fi
	cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
	for d in $want; do
		case " $(echo "$cur" | tr ',' ' ') " in *" $d "*) ;; *) add="$add $d" ;; esac
	done
	if [ -n "$add" ]; then
		postconf -c /etc/postfix -e "alternate_config_directories = $(echo $cur $add)"
	fi
}

# --- Postfix -----------------------------------------------------------------

# pf_setup: write the private instance. Extra main.cf lines may be given
# as arguments ("name = value").
pf_setup() {
	sg_pick_port SG_GW_PORT
	sg_pick_port SG_PLAIN_PORT
	sg_pick_port SG_RELAY_PORT
	[ -n "$SG_SINK_PORT" ] || sg_pick_port SG_SINK_PORT
	sg_milter_addr
	mkdir -p "$SG_PFDIR" "$SG_SPOOL" "$SG_BASE/data" "$SG_BASE/log"
	chown postfix:postfix "$SG_BASE/data"
	sg_allow_config_dirs || die "cannot update /etc/postfix/main.cf"
	cat >"$SG_PFDIR/main.cf" <<EOF
# sendguard test instance ($SG_SLOT): loopback only, relays to smtp-sink.
compatibility_level = 3.6
queue_directory = $SG_SPOOL
data_directory = $SG_BASE/data
maillog_file = $SG_BASE/log/maillog
maillog_file_prefixes = $SG_BASE/log
syslog_name = postfix-sg-$SG_SLOT
mail_owner = postfix
setgid_group = postdrop
myhostname = gw.sendguard.test
mydomain = $SG_INTERNAL
myorigin = \$mydomain
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the test instance
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SG_SINK_PORT
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_host_lookup = native
disable_dns_lookups = yes
biff = no
append_dot_mydomain = no
# Retry at once: the tempfail test waits for deferred mail.
minimal_backoff_time = 1s
maximal_backoff_time = 1s
queue_run_delay = 1s
# A 10 MB attachment is ~13.7 MB in base64.
message_size_limit = 60000000
# What an administrator adds (conf/postfix/main.cf.snippet), on loopback.
smtpd_milters = $SG_MILTER_PF
non_smtpd_milters = $SG_MILTER_PF
milter_default_action = tempfail
milter_protocol = 6
enable_long_queue_ids = yes
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 300s
milter_connect_macros = j {daemon_name} {daemon_addr} v _
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
milter_end_of_data_macros = i {auth_authen}
EOF
	local l
	for l in "$@"; do echo "$l" >>"$SG_PFDIR/main.cf"; done
	cat >"$SG_PFDIR/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$SG_GW_PORT inet n - n - - smtpd
  -o syslog_name=postfix-sg-$SG_SLOT/gw
127.0.0.1:$SG_PLAIN_PORT inet n - n - - smtpd
  -o syslog_name=postfix-sg-$SG_SLOT/plain
  -o smtpd_milters=
127.0.0.1:$SG_RELAY_PORT inet n - n - - smtpd
  -o syslog_name=postfix-sg-$SG_SLOT/relay
  -o smtpd_milters=
  -o content_filter=gwloop:[127.0.0.1]:$SG_GW_PORT
gwloop    unix  -       -       n       -       -       smtp
  -o syslog_name=postfix-sg-$SG_SLOT/gwloop
  -o myhostname=relay.sendguard.test
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	sg_state pfdir "$SG_PFDIR"
	sg_state ports "gw=$SG_GW_PORT plain=$SG_PLAIN_PORT relay=$SG_RELAY_PORT sink=$SG_SINK_PORT milter=$SG_MILTER_PF"
}

# pf_sasl USER...: SMTP AUTH (Cyrus SASL, sasldb, PLAIN/LOGIN) on the
# smtpd listeners, each USER with password "pw-USER", realm
# sendguard.test; call after pf_setup, before pf_start. Needs
# saslpasswd2 (sasl2-bin). Postfix then sends the milter {auth_authen}.
pf_sasl() {
	local d=$SG_PFDIR/sasl u
	command -v saslpasswd2 >/dev/null || die "saslpasswd2 is not installed (sasl2-bin, make deps)"
	mkdir -p "$d"
	cat >"$d/smtpd.conf" <<EOF2
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $d/sasldb2
EOF2
	for u in "$@"; do
		printf '%s' "pw-$u" | saslpasswd2 -f "$d/sasldb2" -p -c -u sendguard.test "$u" ||
			die "saslpasswd2 $u"
	done
	chown -R postfix: "$d"
	chmod 700 "$d"
	chmod 600 "$d/sasldb2"
	cat >>"$SG_PFDIR/main.cf" <<EOF2
# SMTP AUTH for the identity tests (tests/e2e/lib.sh pf_sasl)
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $d
smtpd_sasl_local_domain = sendguard.test
smtpd_sasl_security_options = noanonymous
EOF2
}
# sg_swaks_auth PORT LOGIN FROM TO FILE OUT: sg_swaks after AUTH PLAIN.
sg_swaks_auth() {
	swaks --server 127.0.0.1 --port "$1" --helo client.sendguard.test \
		--auth PLAIN --auth-user "$2" --auth-password "pw-$2" \
		--from "$3" --to "$4" --data "@$5" --timeout 120 --suppress-data >"$6" 2>&1
	sg_wait_confirmed "$(swaks_qid "$6")"
	return 0
}

pf_start() {
	local out
	out=$(postfix -c "$SG_PFDIR" set-permissions 2>&1) ||
		{ echo "$out" >&2; die "postfix set-permissions failed"; }
	out=$(postfix -c "$SG_PFDIR" start 2>&1 9>&-) ||
		{ echo "$out" >&2; tail -20 "$SG_BASE/log/maillog" >&2; die "postfix start failed"; }
	SG_PF_STARTED=1
	wait_for 20 pf_listening || { tail -20 "$SG_BASE/log/maillog" >&2; die "Postfix does not listen on $SG_GW_PORT"; }
}
pf_listening() {
	[ -n "$(ss -Htln "sport = :$SG_GW_PORT" 2>/dev/null)" ] &&
		[ -n "$(ss -Htln "sport = :$SG_RELAY_PORT" 2>/dev/null)" ]
}
pf_stop() {
	[ "$SG_PF_STARTED" = 1 ] || return 0
	SG_PF_STARTED=0
	local pid
	pid=$(tr -d ' ' <"$SG_SPOOL/pid/master.pid" 2>/dev/null)
	postfix -c "$SG_PFDIR" stop >/dev/null 2>&1
	[ -n "$pid" ] || return 0
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
	postfix -c "$SG_PFDIR" abort >/dev/null 2>&1
	kill -KILL "$pid" 2>/dev/null
	return 0
}
pf_flush() { postqueue -c "$SG_PFDIR" -f >/dev/null 2>&1; }
# The queue as JSON lines (postqueue -j).
pf_queue() { postqueue -c "$SG_PFDIR" -j 2>/dev/null; }
# pf_queue_name QUEUEID: which queue holds it (hold, deferred, active, ...)
pf_queue_name() {
	pf_queue | jq -r --arg q "$1" 'select(.queue_id == $q) | .queue_name'
}
pf_queue_count() { pf_queue | grep -c . ; }
pf_queue_empty() { [ "$(pf_queue_count)" = 0 ]; }
# Only hold queue entries left: nothing in flight.
pf_queue_settled() {
	[ "$(pf_queue | jq -r 'select(.queue_name != "hold") | .queue_id' | grep -c .)" = 0 ] &&
		[ -z "$(ls -A "$SG_SPOOL/maildrop" 2>/dev/null)" ]
}
pf_log() { cat "$SG_BASE/log/maillog" 2>/dev/null; }

# --- smtp-sink -------------------------------------------------------------

sink_start() {
	[ -n "$SG_SINK_PORT" ] || sg_pick_port SG_SINK_PORT
	mkdir -p "$SG_SINK"
	chown postfix:postfix "$SG_SINK"
	if [ "${1:-dump}" = dump ]; then
		smtp-sink -u postfix -d "$SG_SINK/%Y%m%dT%H%M%S." "127.0.0.1:$SG_SINK_PORT" 256 \
			>"$SG_BASE/log/sink.log" 2>&1 9>&- &
	else
		smtp-sink -u postfix -c "127.0.0.1:$SG_SINK_PORT" 256 >"$SG_BASE/log/sink.log" 2>&1 9>&- &
	fi
	SG_SINK_PID=$!
	sg_state sink_pid "$SG_SINK_PID"
	wait_for 10 sink_listening || die "smtp-sink does not listen on $SG_SINK_PORT"
}
sink_listening() { [ -n "$(ss -Htln "sport = :$SG_SINK_PORT" 2>/dev/null)" ]; }
sink_stop() {
	[ -n "$SG_SINK_PID" ] || return 0
	kill -TERM "$SG_SINK_PID" 2>/dev/null
	wait "$SG_SINK_PID" 2>/dev/null
	SG_SINK_PID=""
}
# sink_files PATTERN: the captured messages that contain the fixed string.
sink_files() { grep -rlF -- "$1" "$SG_SINK" 2>/dev/null | sort; }
sink_count() { sink_files "$1" | grep -c . ; }
sink_has() { [ "$(sink_count "$1")" -ge "${2:-1}" ]; }
# The message of a capture file without smtp-sink's own header lines
# (X-Client-*, X-Helo/Mail/Rcpt-Args and its 3-line Received).
sink_message() {
	awk 'BEGIN{s=1}
	     s==1 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): /{next}
	     s==1 && /^Received: from .*/{s=2; next}
	     s==2 {s=3; next}
	     s==3 {s=4; next}
	     {print}' "$1"
}

# --- comparing what was sent with what arrived ----------------------------
# (shared by the Postfix, workflow and Sendmail end-to-end tests)

# The message as sent, LF line ends, for comparison with the sink.
as_sent() { tr -d '\r' <"$1"; }
# A delivered message without the headers the path adds: Received
# (with its continuation lines) and X-Sendguard (the verdict).
as_delivered() {
	sink_message "$1" | awk '
		BEGIN { h = 1 }
		h && /^$/ { h = 0 }
		h && /^[ \t]/ { if (skip) next; print; next }
		h { skip = ($0 ~ /^(Received|X-Sendguard):/) }
		h && skip { next }
		{ print }' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
# header NAME FILE: the first value of a header in a sink file (unfolded).
header() {
	sink_message "$2" | awk -v n="$1" '
		/^$/ { exit }
		f && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next }
		f { print v; exit }
		tolower(substr($0, 1, length(n) + 1)) == tolower(n) ":" {
			f = 1; v = substr($0, length(n) + 2); sub(/^ /, "", v) }
		END { if (f) print v }' | head -1
}
# The body (after the first empty line) of a file, CR and trailing
# empty lines removed (smtp-sink's capture ends with empty lines).
body_of() {
	tr -d '\r' <"$1" | awk 'b { print } /^$/ { b = 1 }' |
		sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
# rc CMD...: run it, keep its output in OUT and its status in RC.
rc() { OUT=$("$@" 2>&1); RC=$?; }
status_of() { sg_sql "SELECT status || '/' || applied FROM holds WHERE id = '$1';"; }
sink_rcpts() { sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$1"; }

# --- the approval page, as a person reaches it ------------------------------
# (shared by test_delay.sh, tests/pg/e2e.sh and tests/pg/twogw.sh)

# sg_notice_link SINK BASE_URL HID PERSON: the page link for HID in
# PERSON's notice at the sink directory SINK (the body is base64);
# empty when none arrived yet.
sg_notice_link() {
	local f
	for f in $(grep -l '^X-Sendguard-Notice:' "$1"/* 2>/dev/null); do
		sink_rcpts "$f" | grep -qx "$4" || continue
		sed '1,/^\r\?$/d' "$f" | tr -cd 'A-Za-z0-9+/=' | base64 -d 2>/dev/null |
			grep -o "$2/hold/$3?t=[A-Za-z0-9_.-]*" | head -1
	done | head -1
}
# sg_page_post LINK OUT ACTION [NAME=VALUE...]: the page's form as a
# browser sends it: the CSRF value from the page the link opens, the
# link's token, action=ACTION, then each NAME=VALUE (url-encoded) in
# order. The answer goes to the file OUT; prints the HTTP status.
sg_page_post() {
	local link=$1 out=$2 action=$3 tok=${1#*\?t=} csrf f
	local -a fields=()
	shift 3
	for f in "$@"; do fields+=(--data-urlencode "$f"); done
	csrf=$(curl -s "$link" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
	curl -s -o "$out" -w '%{http_code}' -H 'Sec-Fetch-Site: same-origin' \
		--data-urlencode "t=$tok" --data-urlencode "csrf=$csrf" \
		--data-urlencode "action=$action" "${fields[@]}" "${link%%\?*}"
}

# --- the milter ------------------------------------------------------------

sg_ensure_user() {
	local err
	err=$(sg_locked sg_ensure_user_now 2>&1) || die "${err:-cannot create user $SG_MILTER_USER}"
	return 0
}
sg_ensure_user_now() {
	id "$SG_MILTER_USER" >/dev/null 2>&1 ||
		# What `make install` does: a system user with no login.
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$SG_MILTER_USER" || { echo "cannot create user $SG_MILTER_USER"; return 1; }
	# ... in group postdrop, so that `postqueue -j` (which confirms holds,
	# issue 15) reaches showq without its setgid, as under the unit's
	# NoNewPrivileges=yes.
	if getent group postdrop >/dev/null && ! id -Gn "$SG_MILTER_USER" | grep -qw postdrop; then
		usermod -a -G postdrop "$SG_MILTER_USER" || { echo "cannot add $SG_MILTER_USER to postdrop"; return 1; }
	fi
	return 0
}

# milter_setup [KEY=VALUE in section.key form]...: write the milter's
# configuration, store and key directories. Overrides like
# "actions.exposed-recipients=bcc" replace the defaults below.
milter_setup() {
	sg_ensure_user
	sg_milter_addr
	mkdir -p "$SG_MDIR/db" "$SG_MDIR/keys" "$SG_MDIR/spool"
	chown "$SG_MILTER_USER:" "$SG_MDIR/db" "$SG_MDIR/keys" "$SG_MDIR/spool"
	chmod 700 "$SG_MDIR/db" "$SG_MDIR/keys" "$SG_MDIR/spool"
	local tpl=$SG_SRCDIR/conf/templates
	MILTER_OVERRIDES=("$@")
	{
		echo "# sendguard test configuration ($SG_SLOT), written by tests/e2e/lib.sh"
		sg_conf_section policy "internal_domains = $SG_INTERNAL" "trusted_domains = lgwan.example.lg.jp"
		sg_conf_section actions
		sg_conf_section rules "dir = $SG_SRCDIR/rules"
		sg_conf_section milter "socket = $SG_MILTER_LM" \
			"user = $SG_MILTER_USER" "spool_dir = $SG_MDIR/spool" \
			"memory_limit = 2M" "failure_action = tempfail" "add_header = yes" \
			"pid_file ="
		sg_conf_section store "path = $SG_MDIR/db/sendguard.db"
		# The private Postfix: the milter's notifier lists its queue to
		# confirm holds (issue 15), apply and reconcile act on it.
		if [ -n "${SG_PFDIR:-}" ]; then sg_conf_section release "postfix_config_dir = $SG_PFDIR"; fi
		# Notices by SMTP to the gateway listener, as README deploys
		# them (the milter recognises each by its MAC); without a
		# Postfix gateway (the Sendmail tests) the sendmail command.
		sg_conf_section notify "smtp = ${SG_GW_PORT:+127.0.0.1:$SG_GW_PORT}" \
			"sendmail = /usr/sbin/sendmail -C $SG_PFDIR" \
			"from = sendguard@$SG_INTERNAL" "templates = $tpl"
		sg_conf_section keys "dir = $SG_MDIR/keys"
		sg_conf_section web "base_url = http://127.0.0.1:8025"
		sg_conf_section approvers \
			"category:classified = security-officer@$SG_INTERNAL" \
			"*@$SG_INTERNAL = kacho@$SG_INTERNAL, kakaricho@$SG_INTERNAL" \
			"default = security-officer@$SG_INTERNAL"
		# [approval] only as overridden (issue 18: required_<category>).
		sg_conf_section approval
		# [limits] only as overridden (miltertest: max_message_size).
		sg_conf_section limits
	} >"$SG_MDIR/sendguard.conf"
	chmod 644 "$SG_MDIR/sendguard.conf"
	milter_keys
	milter_store_init
}
# The store: only `sendguardctl store init` creates it (as [milter]
# user when run as root); the milter and every other command refuse a
# missing one.
milter_store_init() {
	"$SG_CTL" -c "$SG_MDIR/sendguard.conf" store init >"$SG_MDIR/store-init.log" 2>&1 ||
		die "sendguardctl store init failed: $(cat "$SG_MDIR/store-init.log")"
}
# sg_conf_section NAME DEFAULT-LINES...: the section with overrides applied.
sg_conf_section() {
	local sec=$1 o k v line seen=" "
	shift
	echo
	echo "[$sec]"
	for line in "$@"; do
		k=${line%% =*}
		for o in "${MILTER_OVERRIDES[@]}"; do
			[ "${o%%=*}" = "$sec.$k" ] && line="$k = ${o#*=}"
		done
		seen="$seen$k "
		echo "$line"
	done
	for o in "${MILTER_OVERRIDES[@]}"; do
		case ${o%%=*} in "$sec".*)
			k=${o%%=*}
			k=${k#"$sec".}
			case $seen in *" $k "*) ;; *) echo "$k = ${o#*=}" ;; esac
		esac
	done
}
milter_conf() { echo "$SG_MDIR/sendguard.conf"; }

# A signing key for notices: `sendguardctl keygen` when it exists, else
# what it would write (base64 of 32 random bytes, 0600, milter's user).
milter_keys() {
	if "$SG_CTL" --help 2>&1 | grep -qw keygen &&
		"$SG_CTL" -c "$SG_MDIR/sendguard.conf" keygen >"$SG_MDIR/keygen.log" 2>&1; then
		chown -R "$SG_MILTER_USER:" "$SG_MDIR/keys"
		return 0
	fi
	local f=$SG_MDIR/keys/20261123T000000Z
	head -c 32 /dev/urandom | base64 >"$f"
	chown "$SG_MILTER_USER:" "$f"
	chmod 600 "$f"
}

milter_built() { [ -x "$SG_MILTER" ]; }

# milter_start: start it in the foreground (-f) in the background of
# this shell, stderr to milter/stderr.log (appended across restarts).
# SG_MILTER_ENV (words VAR=VALUE) is added to its environment (the
# fault tests' SG_FAULT).
milter_start() {
	milter_built || die "no milter binary at $SG_MILTER"
	# a socket left by a killed milter would look like a listening one
	[ -n "$SG_MILTER_SOCK" ] && rm -f "$SG_MILTER_SOCK"
	MILTER_READY_N=$(grep -c " listening on " "$SG_MDIR/stderr.log" 2>/dev/null)
	# shellcheck disable=SC2086
	env ${SG_MILTER_ENV:-} \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$SG_MILTER" -c "$SG_MDIR/sendguard.conf" -f >>"$SG_MDIR/stderr.log" 2>&1 9>&- &
	SG_MILTER_PID=$!
	sg_state milter_pid "$SG_MILTER_PID"
	# (a milter that exited is not waited for: it will not come up)
	wait_for 20 eval 'milter_ready || ! kill -0 "$SG_MILTER_PID" 2>/dev/null'
	if ! milter_ready; then
		echo "e2e: the milter does not listen on $SG_MILTER_LM; its stderr:" >&2
		tail -30 "$SG_MDIR/stderr.log" >&2
		return 1
	fi
}
# Ready: its socket listens and it said so. The socket listens before
# the store is open (it is made as root, before the privileges go): a
# test that faults the store right after the socket showed up raced the
# start itself (store.sh filled the disk under the opening store, the
# milter exited, and milter_start had said it was up).
MILTER_READY_N=0
milter_ready() {
	milter_listening &&
		[ "$(grep -c " listening on " "$SG_MDIR/stderr.log" 2>/dev/null)" -gt "${MILTER_READY_N:-0}" ]
}
milter_listening() {
	kill -0 "$SG_MILTER_PID" 2>/dev/null || return 1
	if [ -n "$SG_MILTER_SOCK" ]; then
		[ -S "$SG_MILTER_SOCK" ]
	else
		[ -n "$(ss -Htln "sport = :$SG_MILTER_PORT" 2>/dev/null)" ]
	fi
}
# milter_stop: SIGTERM, wait; MILTER_RC is its exit status.
MILTER_RC=""
milter_stop() {
	[ -n "$SG_MILTER_PID" ] || return 0
	kill -TERM "$SG_MILTER_PID" 2>/dev/null
	local i=0
	while kill -0 "$SG_MILTER_PID" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -0 "$SG_MILTER_PID" 2>/dev/null && kill -KILL "$SG_MILTER_PID" 2>/dev/null
	wait "$SG_MILTER_PID" 2>/dev/null
	MILTER_RC=$?
	SG_MILTER_PID=""
	return 0
}
# Sanitizer reports in the milter's stderr.
milter_sanitizer_clean() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SG_MDIR/stderr.log" 2>/dev/null
}
# The store, read with the sqlite3 CLI (read-only).
# A busy timeout: the milter's notifier writes the store at any time.
sg_sql() { sqlite3 -readonly -batch -noheader -cmd ".timeout 10000" "$SG_MDIR/db/sendguard.db" "$1" 2>&1; }

# --- sending ---------------------------------------------------------------

# sg_swaks PORT FROM TO[,TO...] FILE OUT: one SMTP transaction; the whole
# transcript goes to OUT (read it afterwards: no pipe into grep -q).
sg_swaks() {
	swaks --server 127.0.0.1 --port "$1" --helo client.sendguard.test \
		--from "$2" --to "$3" --data "@$4" --timeout 120 --suppress-data >"$5" 2>&1
	# Not through the relaying port: its queue ids are never a hold's,
	# and the fault tests send there while the store is broken on
	# purpose (a second process opening a store whose -wal file was
	# removed rebuilds the WAL index from nothing, and the milter's
	# unwritten records are lost with it).
	[ "$1" = "${SG_RELAY_PORT:-}" ] || sg_wait_confirmed "$(swaks_qid "$5")"
	return 0
}
# sg_wait_confirmed QID: a hold is recorded "arriving" at end of message
# and confirmed (pending, notices released) by the milter's notifier
# once Postfix has committed its queue file (issue 15), within a second
# or so: wait for that (at most 15 s) so that callers find it pending.
# A queue id without an arriving hold returns at once.
sg_wait_confirmed() {
	local i
	[ -n "$1" ] && [ -f "$SG_MDIR/db/sendguard.db" ] || return 0
	for i in $(seq 1 75); do
		[ "$(sg_sql "SELECT count(*) FROM holds WHERE queue_id = '$1' AND status = 'arriving';")" = 0 ] &&
			return 0
		sleep 0.2
	done
	return 0
}
# The queue id the server gave for DATA, or empty.
# (swaks marks server lines "<-  " and errors "<** ", "<~ " with TLS.)
swaks_qid() { sed -n 's/^<[-*~]* *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$1" | tail -1; }
# The reply to the end of DATA (e.g. "550 5.7.1 ..."): the first server
# line after the 354.
swaks_data_reply() {
	awk '/^<[-*~]+ +354/ {f=1; next} f && /^<[-*~]+ / {sub(/^<[-*~]+ +/, ""); print; exit}' "$1"
}

# sg_sendmail FROM FILE TO...: submit through sendmail(1) -> pickup.
sg_sendmail() {
	local from=$1 file=$2
	shift 2
	/usr/sbin/sendmail -C "$SG_PFDIR" -f "$from" -i -- "$@" <"$file"
}

# sg_mail OUT FROM TO SUBJECT BODY [EXTRA-HEADER...]: write a plain UTF-8
# message (Subject RFC 2047-encoded when not ASCII, body base64).
sg_mail() {
	local out=$1 from=$2 to=$3 subj=$4 body=$5
	shift 5
	{
		echo "From: $from"
		echo "To: $to"
		if printf '%s' "$subj" | LC_ALL=C grep -q '[^ -~]'; then
			echo "Subject: =?UTF-8?B?$(printf '%s' "$subj" | base64 -w0)?="
		else
			echo "Subject: $subj"
		fi
		echo "Date: $(LC_ALL=C date -R)"
		echo "Message-ID: <$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')@$SG_INTERNAL>"
		local h
		for h in "$@"; do echo "$h"; done
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=UTF-8"
		echo "Content-Transfer-Encoding: base64"
		echo
		printf '%s\n' "$body" | base64 -w 76
	} >"$out"
}
