# shellcheck shell=bash
#
# tests/sendmail/lib.sh - a private Sendmail, an smtp-sink and the
# sendguard milter on loopback, for the Sendmail end-to-end tests.
# Sourced by bash scripts; needs root.
#
# Sendmail is Debian's own (sendmail-bin, sendmail-cf), unpacked by
# tests/sendmail/fetch.sh into a cache directory and never installed:
# sendmail-bin conflicts with postfix, which the Postfix tests on the
# same machine need. Everything else (results, ports, smtp-sink, the
# milter, swaks, message builders) comes from tests/e2e/lib.sh, so
# both harnesses report alike.
#
# A slot ($SG_TEST_ROOT/sm1 or sm2, flock as in tests/e2e/lib.sh)
# holds:
#   sendmail/mta.mc, mta.cf      the gateway: a daemon on 127.0.0.1
#                                $SM_GW_PORT, the milter as
#                                conf/sendmail/sendguard.mc says (only
#                                the socket changed), relaying
#                                everything to smtp-sink
#   sendmail/mqueue/             its queue (0700): quarantined items are
#                                hf files here
#   sendmail/client.mc, .cf      a client Sendmail without a daemon,
#                                its own queue (clientq/), relaying to
#                                the gateway port: what a relaying MTA
#                                in front does, so that a tempfail from
#                                the gateway leaves mail queued
#   bin/sendmail                 runs Sendmail in its own UTS namespace
#                                with a qualified host name (see below)
#   sink/ milter/ log/ state     as in tests/e2e/lib.sh
# Nothing leaves the machine: every mailer of both configurations
# connects to 127.0.0.1 on a port the test chose, and name lookups use
# /etc/hosts only (service.switch, FEATURE(nocanonify)).
#
# Sendmail, before it reads its .cf, looks up the host name; when that
# name has no dot and does not resolve it logs "My unqualified host
# name (...) unknown; sleeping for retry" and sleeps 60 s, in every
# process (a CI container named "vm" does exactly that). bin/sendmail
# gives each Sendmail process its own host name, gw.sendguard.test,
# with unshare --uts, and falls back to the binary itself where
# unshare is not allowed.

SG_SRCDIR=${SG_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../e2e/lib.sh
. "$SG_SRCDIR/tests/e2e/lib.sh"

SM_ROOT="" SM_BIN="" SM_CFDIR="" SM_DIR="" SM_QUEUE="" SM_CLIENTQ=""
SM_GW_PORT="" SM_STARTED=0 SM_WRAP=""
SM_HOSTNAME=gw.sendguard.test

# sm_fetch: the unpacked Sendmail (tests/sendmail/fetch.sh).
sm_fetch() {
	SM_ROOT=$(sh "$SG_SRCDIR/tests/sendmail/fetch.sh") || die "tests/sendmail/fetch.sh failed"
	SM_BIN=$SM_ROOT/usr/libexec/sendmail/sendmail
	SM_CFDIR=$SM_ROOT/usr/share/sendmail/cf
	[ -x "$SM_BIN" ] || die "no Sendmail binary at $SM_BIN"
}

# --- slots: stop a Sendmail a killed run left behind ------------------------

# tests/e2e/lib.sh's sg_take_slot calls sg_stop_slot on the slot it
# takes; this one also stops the Sendmail daemon named in the state.
eval "sg_stop_slot_e2e() $(declare -f sg_stop_slot | tail -n +2)"
sg_stop_slot() {
	local k v pid
	if [ -f "$1/state" ]; then
		while IFS='=' read -r k v; do
			[ "$k" = sm_pidfile ] || continue
			pid=$(head -1 "$v" 2>/dev/null)
			[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
		done <"$1/state"
	fi
	sg_stop_slot_e2e "$@"
}

sm_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	milter_stop >/dev/null 2>&1
	sm_stop >/dev/null 2>&1
	sink_stop >/dev/null 2>&1
	[ -n "$SG_BASE" ] && [ -f "$SG_BASE/state" ] && : >"$SG_BASE/state"
	exit "$rc"
}
sm_install_traps() {
	trap sm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# --- configuration ------------------------------------------------------------

# The wrapper every Sendmail command of the tests (and sendguardctl,
# through [release] sendmail) goes through.
sm_wrapper() {
	mkdir -p "$SG_BASE/bin"
	SM_WRAP=$SG_BASE/bin/sendmail
	if unshare --uts -- /bin/sh -c "hostname $SM_HOSTNAME" 2>/dev/null; then
		cat >"$SM_WRAP" <<EOF
#!/bin/sh
# Sendmail with the host name $SM_HOSTNAME (tests/sendmail/lib.sh).
exec unshare --uts -- /bin/sh -c 'hostname $SM_HOSTNAME && exec "\$0" "\$@"' "$SM_BIN" "\$@"
EOF
	else
		note "unshare --uts not allowed: Sendmail may sleep 60 s at start if $(hostname) does not resolve"
		printf '#!/bin/sh\nexec "%s" "$@"\n' "$SM_BIN" >"$SM_WRAP"
	fi
	chmod 755 "$SM_WRAP"
}

# sm_mc_common QUEUE-DIR NAME HOSTNAME: the lines both configurations
# share. The client needs a name of its own: a Sendmail that is greeted
# with its own name refuses the mail ("mail loops back to me").
sm_mc_common() {
	cat <<EOF
divert(-1)
# sendguard test Sendmail ($SG_SLOT, $2), written by tests/sendmail/lib.sh.
divert(0)dnl
VERSIONID(\`sendguard test $2')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$3')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$1')dnl
define(\`confPID_FILE', \`$SM_DIR/$2.pid')dnl
define(\`STATUS_FILE', \`$SM_DIR/$2.st')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`ALIAS_FILE', \`$SM_DIR/aliases')dnl
dnl The slot is under /var/tmp (1777): trust its sticky bit, nothing more.
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confTO_QUEUEWARN', \`1d')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confMAX_MESSAGE_SIZE', \`60000000')dnl
define(\`SMART_HOST', \`[127.0.0.1]')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`no_default_msa')dnl
EOF
}

# sm_mailer_args PORT: every SMTP mailer connects to 127.0.0.1:PORT.
sm_mailer_args() {
	local m
	for m in RELAY SMTP ESMTP SMTP8 DSMTP; do
		printf "define(\`%s_MAILER_ARGS', \`TCP \$h %s')dnl\n" "$m" "$1"
	done
}

# sm_build NAME: NAME.mc -> NAME.cf with sendmail-cf's m4 files.
sm_build() {
	m4 -D_CF_DIR_="$SM_CFDIR/" "$SM_CFDIR/m4/cf.m4" "$SM_DIR/$1.mc" \
		>"$SM_DIR/$1.cf" 2>"$SM_DIR/$1.m4.log" ||
		{ cat "$SM_DIR/$1.m4.log" >&2; die "m4 $1.mc failed"; }
	chmod 644 "$SM_DIR/$1.cf"
}

# sm_setup: both configurations, their queues, the wrapper.
sm_setup() {
	sm_fetch
	sg_pick_port SM_GW_PORT
	[ -n "$SG_SINK_PORT" ] || sg_pick_port SG_SINK_PORT
	sg_milter_addr
	SM_DIR=$SG_BASE/sendmail
	SM_QUEUE=$SM_DIR/mqueue
	SM_CLIENTQ=$SM_DIR/clientq
	mkdir -p "$SM_QUEUE" "$SM_CLIENTQ" "$SG_BASE/log"
	chmod 755 "$SM_DIR"
	chmod 700 "$SM_QUEUE" "$SM_CLIENTQ"
	# The milter's notifier lists the gateway's queue directory to
	# confirm its holds (issue 15, README "Arriving holds"): readable
	# by the milter's group, as README asks of an installation.
	sg_ensure_user
	chgrp "$(id -gn "$SG_MILTER_USER")" "$SM_QUEUE"
	chmod 750 "$SM_QUEUE"
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	sm_wrapper
	{
		sm_mc_common "$SM_QUEUE" mta "$SM_HOSTNAME"
		sm_mailer_args "$SG_SINK_PORT"
		echo "FEATURE(\`promiscuous_relay')dnl"
		echo "DAEMON_OPTIONS(\`Port=$SM_GW_PORT, Addr=127.0.0.1, Name=MTA')dnl"
		echo "dnl What an administrator adds: conf/sendmail/sendguard.mc, on our socket."
		sed "s|inet:10029@127.0.0.1|$SG_MILTER_LM|" "$SG_SRCDIR/conf/sendmail/sendguard.mc"
		echo "MAILER(\`smtp')dnl"
	} >"$SM_DIR/mta.mc"
	{
		sm_mc_common "$SM_CLIENTQ" client relay.sendguard.test
		sm_mailer_args "$SM_GW_PORT"
		echo "MAILER(\`smtp')dnl"
	} >"$SM_DIR/client.mc"
	sm_build mta
	sm_build client
	# Bounces go to postmaster, a local name: an alias sends them to
	# the sink like everything else.
	printf 'postmaster: postmaster@%s\nMAILER-DAEMON: postmaster\nroot: postmaster\n' \
		"$SG_INTERNAL" >"$SM_DIR/aliases"
	"$SM_WRAP" -C "$SM_DIR/mta.cf" -bi >"$SM_DIR/newaliases.log" 2>&1 ||
		{ cat "$SM_DIR/newaliases.log" >&2; die "sendmail -bi failed"; }
	sg_state sm_pidfile "$SM_DIR/mta.pid"
	sg_state ports "gw=$SM_GW_PORT sink=$SG_SINK_PORT milter=$SG_MILTER_LM"
}

# --- the daemon --------------------------------------------------------------

# sm_start: the gateway daemon. Its own queue runs are rare (-q1h):
# an approved message must be delivered by sendguardctl apply's
# sendmail -qI, and a test must not race a queue run.
sm_start() {
	"$SM_WRAP" -C "$SM_DIR/mta.cf" -bd -q1h >"$SG_BASE/log/sendmail.log" 2>&1 9>&- ||
		{ cat "$SG_BASE/log/sendmail.log" >&2; die "sendmail -bd failed"; }
	SM_STARTED=1
	wait_for 20 sm_listening || { cat "$SG_BASE/log/sendmail.log" >&2; die "Sendmail does not listen on $SM_GW_PORT"; }
}
sm_listening() { [ -n "$(ss -Htln "sport = :$SM_GW_PORT" 2>/dev/null)" ]; }
sm_stop() {
	[ "$SM_STARTED" = 1 ] || return 0
	SM_STARTED=0
	local pid
	pid=$(head -1 "$SM_DIR/mta.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# The gateway's commands (as root, -C mta.cf).
sm_mta() { "$SM_WRAP" -C "$SM_DIR/mta.cf" "$@"; }
# Queue ids by control file kind: sm_ids hf (quarantined), qf (queued).
sm_ids() { find "$SM_QUEUE" -maxdepth 1 -name "$1*" -printf '%f\n' 2>/dev/null | cut -c3- | sort; }
# sm_state QID: hold (hf), queued (qf), or nothing.
sm_state() {
	if [ -e "$SM_QUEUE/hf$1" ]; then echo hold
	elif [ -e "$SM_QUEUE/qf$1" ]; then echo queued
	fi
}
sm_gone() { [ -z "$(sm_state "$1")" ] && [ ! -e "$SM_QUEUE/df$1" ]; }
# Nothing queued but quarantined items: nothing in flight.
sm_settled() { [ -z "$(sm_ids qf)" ] && [ -z "$(sm_ids Qf)" ]; }
# The value of a header in a queue item's control file (H lines).
sm_qf_header() {
	sed -n "s/^H[^:]*$1: *//p" "$SM_QUEUE/hf$2" "$SM_QUEUE/qf$2" 2>/dev/null | head -1
}

# --- the client --------------------------------------------------------------

# sm_client_send FROM FILE TO...: queue in the client Sendmail (-odq),
# delivery is sm_client_run's business.
sm_client_send() {
	local from=$1 file=$2
	shift 2
	"$SM_WRAP" -C "$SM_DIR/client.cf" -odq -f "$from" -i -- "$@" <"$file"
}
sm_client_run() { "$SM_WRAP" -C "$SM_DIR/client.cf" -q >/dev/null 2>&1; }
sm_client_queued() { find "$SM_CLIENTQ" -maxdepth 1 -name 'qf*' | grep -c .; }

# The queue id in Sendmail's reply to DATA ("250 2.0.0 QID Message
# accepted for delivery"), or empty.
swaks_sm_qid() {
	sed -n 's/^<[-*~]* *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$1" | tail -1
}
