#!/bin/bash
# NAME
#	doctor.sh - `sendguardctl doctor` against a real private Postfix
# SYNOPSIS
#	SG_SRCDIR=REPO SG_MILTER=build/test/sendguard-milter \
#	SG_CTL=build/test/sendguardctl bash tests/units/doctor.sh
# DESCRIPTION
#	Sets up what README's Postfix deployment describes on the private
#	Postfix of tests/e2e/lib.sh: the milter socket under the queue
#	directory, named relative to it (unix:sendguard/milter.sock) for a
#	chrooted smtpd, the main.cf snippet's parameters, sender login maps
#	with reject_sender_login_mismatch. doctor must be green there and
#	its test notice must reach the sink, recognised by the milter. Then
#	it breaks one thing at a time (each Postfix parameter doctor reads,
#	a master.cf override, the socket's mode, the store's owner, a key's
#	mode, a template, the notice submission) and expects exit 1 with one
#	FAIL line that names it; the set-up is restored after each.

set -u
SG_SRCDIR=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_CTL=${SG_CTL:-$SG_SRCDIR/build/test/sendguardctl}
# shellcheck source=tests/e2e/lib.sh
. "$SG_SRCDIR/tests/e2e/lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_install_traps
# Debian's layout: the socket in the queue directory, relative in main.cf
SG_MILTER_SOCK=$SG_SPOOL/sendguard/milter.sock
SG_MILTER_PF=unix:sendguard/milter.sock
SG_MILTER_LM=unix:$SG_MILTER_SOCK
pf_setup "recipient_delimiter = +" \
	"smtpd_sender_login_maps = inline:{ {kacho@$SG_INTERNAL = kacho} }" \
	"smtpd_sender_restrictions = reject_sender_login_mismatch"
# A listener without the milter would let mail out: not in a deployment.
postconf -c "$SG_PFDIR" -MX "127.0.0.1:$SG_PLAIN_PORT/inet"
# An smtpd chrooted, as Debian's master.cf has it: doctor must check the
# socket as a chrooted smtpd sees it. (The relaying listener, not the
# gateway, whose chroot would need copies of /etc files that a private
# instance does not have; notices go through the gateway.)
postconf -c "$SG_PFDIR" -F "127.0.0.1:$SG_RELAY_PORT/inet/chroot = y"
sink_start
milter_setup
CONF=$(milter_conf)
pf_start
milter_start || die "milter does not start"
cp "$SG_PFDIR/main.cf" "$SG_BASE/main.cf.good"
cp "$SG_PFDIR/master.cf" "$SG_BASE/master.cf.good"
cp "$CONF" "$SG_BASE/sendguard.conf.good"

# doctor [ARGS]: DR_RC, output in $SG_BASE/doctor.out
doctor() {
	"$SG_CTL" -c "$CONF" doctor "$@" >"$SG_BASE/doctor.out" 2>"$SG_BASE/doctor.err"
	DR_RC=$?
	DR_FAILS=$(grep -c '^FAIL' "$SG_BASE/doctor.out")
}
restore() {
	cp "$SG_BASE/main.cf.good" "$SG_PFDIR/main.cf"
	cp "$SG_BASE/master.cf.good" "$SG_PFDIR/master.cf"
	cp "$SG_BASE/sendguard.conf.good" "$CONF"
}
# broken WHAT PATTERN: doctor exits 1 with exactly one FAIL line matching
broken() {
	local what=$1 pat=$2
	doctor --no-mail
	if [ "$DR_RC" = 1 ] && [ "$DR_FAILS" = 1 ] && grep '^FAIL' "$SG_BASE/doctor.out" | grep -q -- "$pat"; then
		ok "$what: $(grep '^FAIL' "$SG_BASE/doctor.out" | cut -c1-160)"
	else
		nok "$what: rc=$DR_RC, $DR_FAILS FAIL lines, expected one matching '$pat':"
		grep -E '^(FAIL|skip)' "$SG_BASE/doctor.out" | sed 's/^/     # /'
		sed 's/^/     # stderr: /' "$SG_BASE/doctor.err" | head -5
	fi
	restore
}
pfset() { postconf -c "$SG_PFDIR" -e "$@"; }

# --- a good deployment -------------------------------------------------------
doctor
if [ "$DR_RC" = 0 ] && [ "$DR_FAILS" = 0 ]; then
	ok "doctor is green on the README set-up ($(grep -c '^ok' "$SG_BASE/doctor.out") checks)"
else
	nok "doctor on the good set-up: rc=$DR_RC"
	sed 's/^/     # /' "$SG_BASE/doctor.out" "$SG_BASE/doctor.err"
fi
check "it checked the chrooted smtpd's view of the socket" \
	grep -q 'smtpd_milters = unix:sendguard/milter.sock names the milter.*chrooted' "$SG_BASE/doctor.out"
check "it connected to the socket as Postfix's mail_owner" \
	grep -q 'postfix (Postfix.s mail_owner) can connect' "$SG_BASE/doctor.out"
check "it found [notify] smtp's listener, through the milter" \
	grep -q "^ok   notice listener 127.0.0.1:$SG_GW_PORT (master.cf 127.0.0.1:$SG_GW_PORT/inet) has main.cf.s smtpd_milters: notices pass the milter" "$SG_BASE/doctor.out"
check "it said why units were not checked (no systemd here)" \
	grep -q '^skip units: systemd is not running' "$SG_BASE/doctor.out"
pf_flush
check "its test notice reached the sink" wait_for 30 sink_has 'notice submission test'
check "the milter recognised it as a notice (not scanned)" \
	wait_for 10 grep -q 'notice=verified' "$SG_MDIR/stderr.log"

# --- one thing broken at a time ----------------------------------------------
pfset "smtpd_milters ="
broken "smtpd_milters empty" "smtpd_milters is empty"
pfset "smtpd_milters = unix:$SG_MILTER_SOCK"
broken "smtpd_milters with the absolute path while smtpd is chrooted" "chrooted in"
pfset "non_smtpd_milters = inet:127.0.0.1:1"
broken "non_smtpd_milters without the milter" "non_smtpd_milters = inet:127.0.0.1:1 does not name"
pfset "internal_mail_filter_classes = bounce"
broken "Postfix's bounces through the milter" "internal_mail_filter_classes = bounce"
pfset "milter_default_action = accept"
broken "milter_default_action = accept" "milter_default_action = accept, not tempfail"
pfset "milter_protocol = 2"
broken "milter_protocol = 2" "milter_protocol = 2, not 6"
pfset "enable_long_queue_ids = no"
broken "enable_long_queue_ids = no" "enable_long_queue_ids = no"
pfset "header_size_limit = 4194304"
broken "header_size_limit above [limits] max_header_size" "header_size_limit = 4194304 is more than"
pfset "message_size_limit = 0"
broken "message_size_limit = 0 (no limit)" "message_size_limit = 0 (no limit)"
pfset "smtpd_sender_restrictions = permit_mynetworks"
broken "no reject_sender_login_mismatch" "no restriction list has reject_sender_login_mismatch"
pfset "smtpd_sender_login_maps ="
broken "no smtpd_sender_login_maps" "smtpd_sender_login_maps is empty"
pfset "recipient_delimiter = -"
broken "recipient_delimiter differs from sendguard's" 'recipient_delimiter = "-"'
postconf -c "$SG_PFDIR" -M "127.0.0.1:$SG_PLAIN_PORT/inet = 127.0.0.1:$SG_PLAIN_PORT inet n - n - - smtpd -o smtpd_milters="
broken "a master.cf listener with -o smtpd_milters=" "master.cf service 127.0.0.1:$SG_PLAIN_PORT/inet sets smtpd_milters"

# [notify] smtp elsewhere: a TCP listener without the milter (any local
# process could send through it), a port nothing listens on, then a
# unix-socket listener without the milter that only Postfix's own
# directory reaches (as nobody: refused), first for any sender, then
# with its sender limited to the notices' From.
postconf -c "$SG_PFDIR" -M "127.0.0.1:$SG_PLAIN_PORT/inet = 127.0.0.1:$SG_PLAIN_PORT inet n - n - - smtpd -o smtpd_milters="
sed -i "s|^smtp = .*|smtp = 127.0.0.1:$SG_PLAIN_PORT|" "$CONF"
broken "notices to a TCP listener without the milter" "notice listener 127.0.0.1:$SG_PLAIN_PORT .* drops the milter and takes TCP connections"
sed -i "s|^smtp = .*|smtp = 127.0.0.1:1|" "$CONF"
broken "notices to a port no smtpd listens on" "notice listener: no smtpd service .* listens on \[notify\] smtp = 127.0.0.1:1"
NFROM=$(sed -n 's/^from = //p' "$CONF" | head -1)
NFROM=${NFROM:-sendguard@$SG_INTERNAL}
postconf -c "$SG_PFDIR" -M "sgnotify/unix = sgnotify unix - - n - - smtpd -o smtpd_milters="
postfix -c "$SG_PFDIR" reload >/dev/null 2>&1
wait_for 20 test -S "$SG_SPOOL/private/sgnotify"
sed -i "s|^smtp = .*|smtp = $SG_SPOOL/private/sgnotify|" "$CONF"
broken "a unix listener without the milter for any sender" "notice listener .*/private/sgnotify .* accepts any sender"
postconf -c "$SG_PFDIR" -M "sgnotify/unix = sgnotify unix - - n - - smtpd -o smtpd_milters= -o smtpd_sender_restrictions=check_sender_access,inline:{$NFROM=OK},reject"
sed -i "s|^smtp = .*|smtp = $SG_SPOOL/private/sgnotify|" "$CONF"
doctor --no-mail
if grep -q "^ok   notice listener .*/private/sgnotify .* only the notifier reaches it, and only for $NFROM" "$SG_BASE/doctor.out"; then
	ok "a unix listener without the milter, for the notices' sender only, is accepted"
else
	nok "a unix listener without the milter, for the notices' sender only, is accepted:"
	grep -E '^(FAIL|ok   notice)' "$SG_BASE/doctor.out" | sed 's/^/     # /'
fi
check "and is not reported as a service that drops the milter" \
	eval '! grep -q "service sgnotify/unix sets smtpd_milters" "$SG_BASE/doctor.out"'
restore
postfix -c "$SG_PFDIR" reload >/dev/null 2>&1

chmod 666 "$SG_MILTER_SOCK"
broken "the socket writable by everybody" "writable by every local user"
chmod 660 "$SG_MILTER_SOCK"
chown "$SG_MILTER_USER:$SG_MILTER_USER" "$SG_MILTER_SOCK"
broken "the socket not reachable by Postfix" "cannot connect"
chown "$SG_MILTER_USER:postfix" "$SG_MILTER_SOCK"

DB=$SG_MDIR/db/sendguard.db
chown root "$DB"
broken "the store owned by root" "store .* belongs to root"
chown "$SG_MILTER_USER" "$DB"
# A copy the milter saved of a store deleted under it (st_rescue.c).
cp -p "$DB" "$DB.rescued-20261207T011500Z-4242"
broken "a saved copy of a lost store beside it" "sendguard.db.rescued-20261207T011500Z-4242 is a copy saved when the store was deleted"
rm -f "$DB.rescued-20261207T011500Z-4242"
KEY=$(ls "$SG_MDIR/keys" | head -1)
chmod 644 "$SG_MDIR/keys/$KEY"
broken "a key others can read" "^FAIL keys:"
chmod 600 "$SG_MDIR/keys/$KEY"
mkdir -p "$SG_BASE/tpl"
cp -R "$SG_SRCDIR/conf/templates/ja" "$SG_SRCDIR/conf/templates/en" "$SG_BASE/tpl/"
rm "$SG_BASE/tpl/en/hold_sender.txt"
sed -i "s|^templates = .*|templates = $SG_BASE/tpl|" "$CONF"
broken "a missing template" "templates and approvers: .*hold_sender.txt"
# the way notices go: [notify] smtp when set (the outbox), else sendmail
if grep -q '^smtp = .' "$CONF"; then
	sed -i "s|^smtp = .*|smtp = 127.0.0.1:1|" "$CONF"
else
	sed -i "s|^sendmail = .*|sendmail = /nonexistent/sendmail|" "$CONF"
fi
doctor
grep '^FAIL' "$SG_BASE/doctor.out" | grep -q 'notice submission' && [ "$DR_RC" = 1 ] &&
	ok "a notice command that fails: $(grep '^FAIL' "$SG_BASE/doctor.out" | cut -c1-140)" ||
	nok "a notice command that fails: rc=$DR_RC $(grep '^FAIL' "$SG_BASE/doctor.out")"
restore

doctor --no-mail
check "restored: green again" [ "$DR_RC" = 0 ]
check "doctor: no sanitizer report" eval '! grep -qE "AddressSanitizer|runtime error" "$SG_BASE/doctor.err"'
check "milter: no sanitizer report" milter_sanitizer_clean

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
