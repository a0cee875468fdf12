#!/bin/bash
# NAME
#	run.sh - the systemd units, run as they run
# SYNOPSIS
#	SG_SRCDIR=REPO SG_MILTER=build/test/sendguard-milter \
#	SG_CTL=build/test/sendguardctl SG_WEB=build/test/sendguard-web \
#	bash tests/units/run.sh
# DESCRIPTION
#	Renders conf/systemd/* (make render-units) with the built programs
#	and a test root as the install paths, runs `systemd-analyze verify`
#	on them (it needs no systemd as PID 1), then starts each service the
#	way its unit would, without systemd:
#	- the unit's [Service] lines are read from the rendered file;
#	- User=/Group=/SupplementaryGroups= become setpriv --reuid/--regid/
#	  --groups, NoNewPrivileges= --no-new-privs, CapabilityBoundingSet=
#	  --bounding-set (and no inheritable capabilities);
#	- ProtectSystem=strict, ReadWritePaths=, PrivateTmp=, ProtectHome=,
#	  PrivateDevices= and ProtectKernelTunables= are rebuilt in a mount
#	  namespace (unshare -m): every mount read-only but the writable
#	  paths, fresh /tmp and /var/tmp, empty /home /root /run/user, a /dev
#	  with the basic devices only, /proc/sys and /sys read-only;
#	- every other directive is listed as "checked statically only" (by
#	  systemd-analyze verify): seccomp and namespace restrictions, restart
#	  policy, ordering, and the path and timer units, whose job (running
#	  apply after a decision) the test does itself.
#	The milter runs ExecStartPre (each line; "+" outside the sandbox)
#	and ExecStart like that, the
#	web page too; a held message is sent through the private Postfix of
#	tests/e2e/lib.sh, and its notices (to the sender and each approver)
#	must reach the sink within seconds, while the DATA reply must not
#	wait for them. An approver then approves on the web page through the
#	link of their notice, and apply runs as sendguard-apply.service
#	would; the released mail reaches the sink. apply --daemon runs as
#	sendguard-applyd.service: a second hold approved after it started is
#	released with nobody running apply, and its KillSignal stops it with
#	status 0. Expire runs as its unit. serve-downloads runs as
#	sendguard-downloads.service (root, its own sandbox): it makes its
#	socket's directory on a fresh host, and an approver downloads an
#	attachment of a held message from the page (itself under its unit)
#	through that socket: the bytes as sent, the download audited; its
#	KillSignal stops it with status 0 and no sanitizer report.
#	Each process's uid, NoNewPrivs and bounding set are read back from
#	/proc. Runs as root.
#
#	PrivateTmp hides /tmp and /var/tmp, so nothing the services use may
#	live there: a SG_TEST_ROOT under them is moved to
#	/var/lib/sendguard-units/NAME.

set -u
SG_SRCDIR=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/test/sendguard-milter}
SG_CTL=${SG_CTL:-$SG_SRCDIR/build/test/sendguardctl}
SG_WEB=${SG_WEB:-$SG_SRCDIR/build/test/sendguard-web}
SG_TEST_ROOT=${SG_TEST_ROOT:-/var/tmp/sendguard-test}
case $SG_TEST_ROOT in
/tmp/* | /var/tmp/*) SG_TEST_ROOT=/var/lib/sendguard-units/$(basename "$SG_TEST_ROOT") ;;
esac
export SG_TEST_ROOT
# shellcheck source=tests/e2e/lib.sh
. "$SG_SRCDIR/tests/e2e/lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
BIN=$(dirname "$SG_MILTER")
for p in sendguard-milter sendguardctl sendguard-web; do
	[ -x "$BIN/$p" ] || die "$BIN/$p is not built (the units run all three from one directory)"
done
for t in systemd-analyze setpriv unshare curl; do
	command -v $t >/dev/null || die "$t is missing"
done
mkdir -p "$SG_TEST_ROOT"
chmod 755 "$(dirname "$SG_TEST_ROOT")" "$SG_TEST_ROOT"
# PrivateTmp hides /tmp and /var/tmp from the units: a tree cloned or
# built there (a CI checkout in /tmp) is staged outside them, the three
# programs and the source tree without build/ and .git, as an install
# would place them.
case $BIN/:$SG_SRCDIR/ in
/tmp/* | /var/tmp/* | *:/tmp/* | *:/var/tmp/*)
	STAGE=$SG_TEST_ROOT/stage
	rm -rf "$STAGE"
	mkdir -p "$STAGE/bin" "$STAGE/src"
	for p in sendguard-milter sendguardctl sendguard-web sendguard-pdftext; do
		[ -x "$BIN/$p" ] && cp -p "$BIN/$p" "$STAGE/bin/"
	done
	tar -C "$SG_SRCDIR" --exclude=./build --exclude=./.git -cf - . | tar -C "$STAGE/src" -xf -
	chmod -R a+rX "$STAGE"
	echo "# staged the programs and the tree in $STAGE (PrivateTmp would hide $SG_SRCDIR)"
	BIN=$STAGE/bin SG_SRCDIR=$STAGE/src
	SG_MILTER=$BIN/sendguard-milter SG_CTL=$BIN/sendguardctl SG_WEB=$BIN/sendguard-web
	;;
esac

sg_take_slot e2e1 e2e2 e2e3 e2e4
WEB_PID=""
DL_PID=""
units_cleanup() {
	local rc=$?
	[ -n "$WEB_PID" ] && kill -TERM "$WEB_PID" 2>/dev/null
	[ -n "$DL_PID" ] && kill -TERM $(ps -o pid= --ppid "$DL_PID") 2>/dev/null
	# sg_cleanup exits with the status it finds in $?: the script's.
	(exit "$rc")
	sg_cleanup
}
trap units_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Debian's layout: the socket in Postfix's queue directory.
SG_MILTER_SOCK=$SG_SPOOL/sendguard/milter.sock
SG_MILTER_PF=unix:sendguard/milter.sock
SG_MILTER_LM=unix:$SG_MILTER_SOCK
sg_pick_port WEB_PORT
pf_setup
sink_start
# The download socket's directory, as @RUNDIR@ (/run/sendguard installed).
DLDIR=$SG_BASE/dlrun
DLSOCK=$DLDIR/download.sock
milter_setup "web.listen=127.0.0.1:$WEB_PORT" "web.base_url=http://127.0.0.1:$WEB_PORT" \
	"web.download_socket=$DLSOCK"
pf_start

U=$SG_BASE/units
make -s -C "$SG_SRCDIR" render-units UNITS_OUT="$U" SBINDIR="$BIN" SYSCONF="$SG_MDIR" \
	STATEDIR="$SG_MDIR/db" SPOOLDIR="$SG_MDIR/spool" POSTFIX_SPOOL="$SG_SPOOL" RUNDIR="$DLDIR" ||
	die "make render-units failed"

# --- static: systemd-analyze verify -----------------------------------------
(cd "$U" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./*.service ./*.path ./*.timer) \
	>"$SG_BASE/verify.out" 2>&1
vrc=$?
check "systemd-analyze verify accepts every rendered unit" [ $vrc = 0 ]
check "and says nothing about them" [ ! -s "$SG_BASE/verify.out" ]
[ -s "$SG_BASE/verify.out" ] && sed 's/^/     # /' "$SG_BASE/verify.out"
check "no placeholder is left in the rendered units" eval '! grep -q "@[A-Z_]*@" "$U"/*'

# --- reading a unit ---------------------------------------------------------
# unit_get FILE KEY: the values of KEY in [Service], one per line
unit_get() {
	awk -v k="$2" '/^\[/ { s = ($0 == "[Service]") } s && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$1"
}
# Directives this script rebuilds; everything else is static only.
EMULATED=" Type ExecStart ExecStartPre User Group SupplementaryGroups NoNewPrivileges CapabilityBoundingSet ProtectSystem ReadWritePaths PrivateTmp ProtectHome PrivateDevices ProtectKernelTunables KillSignal ExecReload SuccessExitStatus "
static_only() {
	local f=$1 k
	for k in $(grep -Eo '^[A-Za-z]+=' "$f" | tr -d = | sort -u); do
		case $EMULATED in *" $k "*) ;; *) printf '%s ' "$k" ;; esac
	done
}
for f in "$U"/*; do
	note "$(basename "$f"): checked statically only: $(static_only "$f")"
done

# unit_cmd FILE: the command that runs a unit's exec line (words after
# it) as the unit would, in UNIT_CMD (an array).
unit_cmd() {
	local f=$1 v c bs="" user group supp ps rw ptmp phome pdev ptun ms
	v=$(unit_get "$f" NoNewPrivileges)
	UNIT_SP=()
	[ "$v" = yes ] && UNIT_SP+=(--no-new-privs)
	v=$(unit_get "$f" CapabilityBoundingSet)
	if [ -n "$v" ]; then
		bs=-all
		for c in $v; do c=${c#CAP_}; bs="$bs,+${c,,}"; done
		UNIT_SP+=(--bounding-set "$bs" --inh-caps -all)
	fi
	user=$(unit_get "$f" User)
	group=$(unit_get "$f" Group)
	supp=$(unit_get "$f" SupplementaryGroups)
	if [ -n "$user" ]; then
		UNIT_SP+=(--reuid "$user" --regid "${group:-$(id -gn "$user")}")
		UNIT_SP+=(--groups "$(echo $(id -Gn "$user") $supp | tr ' ' '\n' | sort -u | paste -sd,)")
	fi
	ps=$(unit_get "$f" ProtectSystem)
	rw=$(unit_get "$f" ReadWritePaths)
	ptmp=$(unit_get "$f" PrivateTmp)
	phome=$(unit_get "$f" ProtectHome)
	pdev=$(unit_get "$f" PrivateDevices)
	ptun=$(unit_get "$f" ProtectKernelTunables)
	ms="set -e"
	if [ "$pdev" = yes ]; then
		ms="$ms; d=\$(mktemp -d /run/sg-units-dev.XXXXXX); mount -t tmpfs -o mode=755 tmpfs \$d"
		ms="$ms; for n in null zero full random urandom tty; do touch \$d/\$n; mount --bind /dev/\$n \$d/\$n; done"
		ms="$ms; mkdir \$d/shm \$d/pts; mount --move \$d /dev"
	fi
	if [ "$ptmp" = yes ]; then
		ms="$ms; mount -t tmpfs -o mode=1777 tmpfs /tmp; mount -t tmpfs -o mode=1777 tmpfs /var/tmp"
	fi
	if [ "$phome" = yes ]; then
		ms="$ms; for h in /home /root /run/user; do [ -d \$h ] && mount -t tmpfs -o mode=000 tmpfs \$h || true; done"
	fi
	if [ "$ptun" = yes ]; then
		ms="$ms; mount --bind /proc/sys /proc/sys; mount -o remount,bind,ro /proc/sys; mount -o remount,bind,ro /sys"
	fi
	if [ "$ps" = strict ]; then
		# every mount read-only, but /dev, /proc, /sys and ReadWritePaths
		# ("-PATH": skipped when missing; a missing PATH fails, as
		# systemd fails the namespace with 226/NAMESPACE)
		for p in $rw; do
			case $p in
			-*) ms="$ms; [ ! -e ${p#-} ] || mount --bind ${p#-} ${p#-}" ;;
			*) ms="$ms; mount --bind $p $p" ;;
			esac
		done
		ms="$ms; findmnt -rn -o TARGET | while read -r t; do t=\$(printf '%b' \"\$t\")"
		ms="$ms; case \$t in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue;; esac"
		for p in $rw; do ms="$ms; [ \"\$t\" = ${p#-} ] && continue"; done
		ms="$ms; mount -o remount,bind,ro \"\$t\" 2>/dev/null || true; done"
	elif [ -n "$ps" ] && [ "$ps" != no ]; then
		nok "$(basename "$f"): ProtectSystem=$ps is not emulated by this test"
	fi
	UNIT_CMD=(unshare -m -- bash -c "$ms; exec setpriv ${UNIT_SP[*]} -- \"\$@\"" unit)
}
# unit_run FILE LINE: run that exec line of the unit in the foreground
unit_run() {
	local f=$1
	shift
	unit_cmd "$f"
	# shellcheck disable=SC2086
	"${UNIT_CMD[@]}" $*
}
# unit_pre FILE: every ExecStartPre line in order, as systemd runs them:
# "+" runs with full privileges (the milter's unit makes its socket
# directory under Postfix's spool that way), but systemd 252 still sets
# up the mount namespace for it, so a ReadWritePaths entry that is
# missing and not "-" fails it with 226/NAMESPACE, as on a fresh host;
# "-" ignores a failure; the first other failure ends the list with its
# status.
unit_pre() {
	local f=$1 line rc p
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		case $line in
		+*) rc=0
			for p in $(unit_get "$f" ReadWritePaths); do
				case $p in -*) continue ;; esac
				[ -e "$p" ] || { echo "unit: Failed to set up mount namespacing: $p: No such file or directory (status 226/NAMESPACE)"; rc=226; }
			done
			# shellcheck disable=SC2086
			[ "$rc" = 0 ] && { ${line#+}; rc=$?; } ;;
		-*) unit_run "$f" "${line#-}" || true; rc=0 ;;
		*) unit_run "$f" "$line"; rc=$? ;;
		esac
		[ "$rc" = 0 ] || return "$rc"
	done < <(unit_get "$f" ExecStartPre)
}
# proc_field PID FIELD: a line of /proc/PID/status
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
# cap_mask CAP...: the hex bounding set those capabilities make
cap_mask() {
	local m=0 c n
	for c in "$@"; do
		n=$(awk -v c="${c,,}" 'BEGIN { split("chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap", a, " "); for (i in a) if (a[i] == c) print i - 1 }')
		[ -n "$n" ] || return 1
		m=$((m | (1 << n)))
	done
	printf '%016x\n' "$m"
}
# check_sandbox NAME PID UNIT: what the kernel says about the process
check_sandbox() {
	local name=$1 pid=$2 f=$3 user=${4:-$SG_MILTER_USER} want caps
	check "$name: runs as $user" [ "$(proc_field "$pid" Uid)" = "$(id -u "$user")" ]
	if [ "$(unit_get "$f" NoNewPrivileges)" = yes ]; then
		check "$name: NoNewPrivs is set" [ "$(proc_field "$pid" NoNewPrivs)" = 1 ]
	fi
	caps=$(unit_get "$f" CapabilityBoundingSet)
	if [ -n "$caps" ]; then
		# shellcheck disable=SC2086
		want=$(cap_mask ${caps//CAP_/})
		check "$name: capability bounding set is the unit's ($want)" [ "$(proc_field "$pid" CapBnd)" = "$want" ]
	fi
	check "$name: /usr is read-only for it" eval "! nsenter -t $pid -m -- sh -c 'touch /usr/.sg-units-probe' 2>/dev/null"
	check "$name: its private /tmp is not the host's" eval \
		"[ \"\$(stat -L -c %d:%i /proc/$pid/root/tmp)\" != \"\$(stat -c %d:%i /tmp)\" ] || [ \"\$(nsenter -t $pid -m stat -c %d:%i /tmp)\" != \"\$(stat -c %d:%i /tmp)\" ]"
}

# --- the milter, as sendguard-milter.service ------------------------------
MU=$U/sendguard-milter.service
# A fresh host: the socket's directory under Postfix's spool does not
# exist yet; the unit's first step makes it.
rm -rf "$SG_SPOOL/sendguard"
unit_pre "$MU" >"$SG_BASE/check.out" 2>&1
if [ $? = 0 ]; then
	ok "milter: ExecStartPre (mkdir, --check) passes in the unit's sandbox on a fresh host"
else
	nok "milter: ExecStartPre fails on a fresh host:"
	sed 's/^/     # /' "$SG_BASE/check.out" | head -5
fi
check "milter: its socket directory under Postfix's spool was made" [ -d "$SG_SPOOL/sendguard" ]
unit_cmd "$MU"
# shellcheck disable=SC2046
"${UNIT_CMD[@]}" $(unit_get "$MU" ExecStart) >>"$SG_MDIR/stderr.log" 2>&1 9>&- &
SG_MILTER_PID=$!
sg_state milter_pid "$SG_MILTER_PID"
if ! wait_for 20 milter_listening; then
	nok "milter: does not listen under its unit's sandbox"
	tail -20 "$SG_MDIR/stderr.log" | sed 's/^/     # /'
	exit 1
fi
ok "milter: listens on $SG_MILTER_LM under its unit's sandbox"
check_sandbox milter "$SG_MILTER_PID" "$MU"

# --- the web page, as sendguard-web.service --------------------------------
WU=$U/sendguard-web.service
unit_pre "$WU" >"$SG_BASE/web-check.out" 2>&1
check "web: ExecStartPre (--check) passes in the unit's sandbox" [ $? = 0 ]
unit_cmd "$WU"
# shellcheck disable=SC2046
"${UNIT_CMD[@]}" $(unit_get "$WU" ExecStart) >"$SG_BASE/web.log" 2>&1 9>&- &
WEB_PID=$!
sg_state web_pid "$WEB_PID"
web_up() { curl -s -o /dev/null "http://127.0.0.1:$WEB_PORT/"; }
if wait_for 20 web_up; then
	ok "web: answers on 127.0.0.1:$WEB_PORT under its unit's sandbox"
	check_sandbox web "$WEB_PID" "$WU"
else
	nok "web: does not answer under its unit's sandbox"
	tail -20 "$SG_BASE/web.log" | sed 's/^/     # /'
fi

# --- a hold, its notices ----------------------------------------------------
FROM=yamada@$SG_INTERNAL
TO=tanaka@vendor.example.com
M=$SG_BASE/mail
mkdir -p "$M"
sg_mail "$M/hold.eml" "$FROM" "$TO" "【取扱注意】職員名簿" "田中様

職員名簿を送付します。" "X-E2E-Id: units-hold"
t0=$(date +%s.%N)
swaks --server 127.0.0.1 --port "$SG_GW_PORT" --helo client.sendguard.test --from "$FROM" \
	--to "$TO" --data "@$M/hold.eml" --timeout 30 --suppress-data >"$SG_BASE/swaks-hold.txt" 2>&1
t1=$(date +%s.%N)
QID=$(swaks_qid "$SG_BASE/swaks-hold.txt")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "hold: accepted, queued as ${QID:-nothing} after ${secs}s" [ -n "$QID" ]
# Notices are sent after the reply (the outbox), however many approvers;
# 10 s is far above a scan under ASan and far below one notice's timeout.
check "hold: the reply did not wait for the notices (${secs}s < 10s)" awk -v s="$secs" 'BEGIN { exit !(s < 10) }'
HOLD=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
check "hold: recorded ($HOLD)" [ -n "$HOLD" ]
# The notices: one to the sender, one per approver.
notices_to() { grep -lr '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null | while read -r f; do sink_rcpts "$f"; done | sort -u; }
# the approvers the hold record names, and the sender
want_rcpts=$( { echo "$FROM"; sg_sql "SELECT approvers FROM holds WHERE id = '$HOLD';" | jq -r '.[]'; } | sort -u)
all_notices() { [ "$(notices_to)" = "$want_rcpts" ]; }
t0=$(date +%s)
if wait_for 20 all_notices; then
	ok "notices: the sender's and each approver's reached the sink within $(( $(date +%s) - t0 ))s"
else
	nok "notices: after 20 s the sink has notices for: $(notices_to | paste -sd' ') (want: $(echo $want_rcpts))"
	grep -iE 'notice|sendmail|postdrop' "$SG_MDIR/stderr.log" | tail -5 | sed 's/^/     # /'
fi

# --- an approver decides on the web page ----------------------------------
LINK=""
APPROVER=$(echo "$want_rcpts" | grep -vx "$FROM" | head -1)
for f in $(grep -lr '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null); do
	[ "$(sink_rcpts "$f")" = "$APPROVER" ] || continue
	LINK=$(body_of "$f" | base64 -d 2>/dev/null | grep -o "http://127.0.0.1:$WEB_PORT/hold/[A-Za-z0-9_-]*?t=[A-Za-z0-9_.-]*" | head -1)
done
if [ -z "$LINK" ]; then
	nok "web: no approval link reached ${APPROVER:-an approver}: decided with sendguardctl instead"
	[ -n "$HOLD" ] && "$SG_CTL" -c "$(milter_conf)" approve "$HOLD" --checked all --by "$APPROVER" >/dev/null 2>&1
else
	curl -s -c "$SG_BASE/cookies" -o "$SG_BASE/page.html" -w '%{http_code}' "$LINK" >"$SG_BASE/code"
	check "web: the approver's link opens the hold ($(cat "$SG_BASE/code"))" [ "$(cat "$SG_BASE/code")" = 200 ]
	action=$(grep -o '<form method="post" action="[^"]*"' "$SG_BASE/page.html" | head -1 | sed 's/.*action="//; s/"$//; s/&amp;/\&/g')
	tok=$(grep -o 'name="t" value="[^"]*"' "$SG_BASE/page.html" | head -1 | sed 's/.*value="//; s/"$//')
	csrf=$(grep -o 'name="csrf" value="[^"]*"' "$SG_BASE/page.html" | head -1 | sed 's/.*value="//; s/"$//')
	curl -s -b "$SG_BASE/cookies" -o "$SG_BASE/post.html" -w '%{http_code}' \
		-H "Origin: http://127.0.0.1:$WEB_PORT" \
		--data-urlencode "t=$tok" --data-urlencode "csrf=$csrf" --data-urlencode "action=approve" \
		--data-urlencode "check1=1" --data-urlencode "check2=1" --data-urlencode "check3=1" \
		--data-urlencode "comment=units test" "http://127.0.0.1:$WEB_PORT$action" >"$SG_BASE/code"
	check "web: the approver approves ($(cat "$SG_BASE/code"))" eval '[ "$(cat "$SG_BASE/code")" -lt 400 ]'
fi
check "store: the hold is approved, not yet applied" [ "$(status_of "$HOLD")" = approved/0 ]

# --- apply, as the path unit starts sendguard-apply.service --------------
AU=$U/sendguard-apply.service
unit_run "$AU" "$(unit_get "$AU" ExecStart)" >"$SG_BASE/apply.out" 2>&1
arc=$?
check "apply: exits as its unit accepts ($arc: 0 or SuccessExitStatus $(unit_get "$AU" SuccessExitStatus))" \
	eval "[ $arc = 0 ] || [ $arc = $(unit_get "$AU" SuccessExitStatus) ]"
pf_flush
released() { sink_has 'X-E2E-Id: units-hold'; }
check "apply: the approved mail reached the sink" wait_for 30 released
check "store: approved/1" [ "$(status_of "$HOLD")" = approved/1 ]
outcome() { grep -lr '^X-Sendguard-Notice:' "$SG_SINK" | while read -r f; do sink_rcpts "$f"; done | grep -c "^$FROM\$"; }
check "apply: the sender's outcome notice arrived too" wait_for 20 eval '[ "$(outcome)" -ge 2 ]'

# --- downloads, as sendguard-downloads.service -----------------------------
# The root side of the page's downloads (issue 18): a fresh host has no
# socket directory (/run is a tmpfs); the unit's first step makes it.
# Then an approver downloads an attachment of a held message from the
# page, which runs under its own unit, through the socket.
XU=$U/sendguard-downloads.service
rm -rf "$DLDIR"
unit_pre "$XU" >"$SG_BASE/dl-pre.out" 2>&1
prc=$?
check "downloads: ExecStartPre makes the socket's directory on a fresh host ($prc)" eval \
	'[ $prc = 0 ] && [ -d "$DLDIR" ] && [ "$(stat -c %U:%a "$DLDIR")" = root:755 ]'
unit_run "$XU" "$(unit_get "$XU" ExecStart)" >"$SG_BASE/dl.out" 2>&1 &
DL_PID=$!
if wait_for 20 eval '[ -S "$DLSOCK" ]'; then
	ok "downloads: listens on $DLSOCK under its unit's sandbox"
	check "downloads: the socket is root:the store's group, 0660" \
		[ "$(stat -c %u:%g:%a "$DLSOCK")" = "0:$(stat -c %g "$SG_MDIR/db/sendguard.db"):660" ]
	check_sandbox downloads "$(ps -o pid= --ppid "$DL_PID" | tr -d ' ')" "$XU" root
else
	nok "downloads: does not listen under its unit's sandbox"
	tail -20 "$SG_BASE/dl.out" | sed 's/^/     # /'
fi
MAIL3=$SG_SRCDIR/tests/web/mail/preview_zip_xlsx.eml
{ echo "X-E2E-Id: units-hold3"; cat "$MAIL3"; } >"$M/hold3.eml"
swaks --server 127.0.0.1 --port "$SG_GW_PORT" --helo client.sendguard.test --from "$FROM" \
	--to "$TO" --data "@$M/hold3.eml" --timeout 30 --suppress-data >"$SG_BASE/swaks-hold3.txt" 2>&1
QID3=$(swaks_qid "$SG_BASE/swaks-hold3.txt")
HOLD3=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID3';")
check "downloads: a mail with a zip attachment is held (${HOLD3:-not held})" [ -n "$HOLD3" ]
APPROVER3=$(sg_sql "SELECT approvers FROM holds WHERE id = '$HOLD3';" | jq -r '.[0]' 2>/dev/null)
link3() {
	local f
	for f in $(grep -lr '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null); do
		[ "$(sink_rcpts "$f")" = "$APPROVER3" ] || continue
		body_of "$f" | base64 -d 2>/dev/null |
			grep -o "http://127.0.0.1:$WEB_PORT/hold/$HOLD3?t=[A-Za-z0-9_.-]*" | head -1
	done | head -1
}
if [ -n "$HOLD3" ] && wait_for 20 eval '[ -n "$(link3)" ]'; then
	LINK3=$(link3)
	curl -s -c "$SG_BASE/cookies3" -o "$SG_BASE/page3.html" "$LINK3"
	action=$(grep -o '<form method="post" action="[^"]*"' "$SG_BASE/page3.html" | head -1 | sed 's/.*action="//; s/"$//; s/&amp;/\&/g')
	tok=$(grep -o 'name="t" value="[^"]*"' "$SG_BASE/page3.html" | head -1 | sed 's/.*value="//; s/"$//')
	csrf=$(grep -o 'name="csrf" value="[^"]*"' "$SG_BASE/page3.html" | head -1 | sed 's/.*value="//; s/"$//')
	check "downloads: the page offers a download button (it sees the socket)" \
		grep -q 'class="dl"' "$SG_BASE/page3.html"
	curl -s -b "$SG_BASE/cookies3" -D "$SG_BASE/dl.hdr" -o "$SG_BASE/dl.bin" -w '%{http_code}' \
		-H "Origin: http://127.0.0.1:$WEB_PORT" \
		--data-urlencode "t=$tok" --data-urlencode "csrf=$csrf" --data-urlencode "action=download" \
		--data-urlencode "path=2" "http://127.0.0.1:$WEB_PORT$action" >"$SG_BASE/code"
	/usr/bin/python3 - "$MAIL3" "$SG_BASE/att-2" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
open(sys.argv[2], 'wb').write(next(m.iter_attachments()).get_payload(decode=True))
PY
	check "downloads: the page serves the zip from the root side ($(cat "$SG_BASE/code"), $(stat -c %s "$SG_BASE/dl.bin") bytes), as sent" \
		eval '[ "$(cat "$SG_BASE/code")" = 200 ] && cmp -s "$SG_BASE/dl.bin" "$SG_BASE/att-2"'
	check "downloads: as an attachment, application/octet-stream" eval \
		'grep -qi "^Content-Disposition: attachment" "$SG_BASE/dl.hdr" && grep -qi "^Content-Type: application/octet-stream" "$SG_BASE/dl.hdr"'
	check "downloads: audited with the approver" \
		[ "$(sg_sql "SELECT actor FROM audit WHERE event = 'download' AND hold_id = '$HOLD3';")" = "$APPROVER3" ]
	check "downloads: the root side logged it" grep -q "hold $HOLD3: served 2 " "$SG_BASE/dl.out"
else
	nok "downloads: no approval link reached ${APPROVER3:-the approver} of the zip hold"
fi
if [ -n "$DL_PID" ]; then
	kill -"$(unit_get "$XU" KillSignal | sed 's/^SIG//')" $(ps -o pid= --ppid "$DL_PID")
	wait "$DL_PID"
	xrc=$?
	DL_PID=""
	check "downloads: KillSignal stops it with status 0 (got $xrc)" [ "$xrc" = 0 ]
	check "downloads: it removed its socket" [ ! -e "$DLSOCK" ]
fi

# --- apply --daemon, as sendguard-applyd.service ---------------------------
# The long-running root step (issue 19): started as its unit, it carries
# out a decision recorded afterwards with nobody running apply, and stops
# on its KillSignal with status 0.
DU=$U/sendguard-applyd.service
unit_run "$DU" "$(unit_get "$DU" ExecStart)" >"$SG_BASE/applyd.out" 2>&1 &
APPLYD=$!
sg_state applier_pid "$APPLYD"
sg_mail "$M/hold2.eml" "$FROM" "$TO" "【取扱注意】職員名簿 2" "田中様

職員名簿を送付します。" "X-E2E-Id: units-hold2"
swaks --server 127.0.0.1 --port "$SG_GW_PORT" --helo client.sendguard.test --from "$FROM" \
	--to "$TO" --data "@$M/hold2.eml" --timeout 30 --suppress-data >"$SG_BASE/swaks-hold2.txt" 2>&1
QID2=$(swaks_qid "$SG_BASE/swaks-hold2.txt")
HOLD2=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID2';")
pending2() { [ "$(status_of "$HOLD2")" = pending/0 ]; }
wait_for 20 pending2
"$SG_CTL" -c "$(milter_conf)" approve "$HOLD2" --checked all --by "$APPROVER" >"$SG_BASE/approve2.out" 2>&1
released2() { sink_has 'X-E2E-Id: units-hold2'; }
check "applyd: as its unit, it releases a decision recorded after it started" wait_for 20 released2
check "applyd: store approved/1" [ "$(status_of "$HOLD2")" = approved/1 ]
# ExecReload as systemd runs it ($MAINPID: the daemon, the subshell's
# one child): SIGHUP reads the configuration again, it keeps running.
DPID=$(ps -o pid= --ppid "$APPLYD" | tr -d ' ')
sh -c "$(unit_get "$DU" ExecReload | sed "s/\$MAINPID/$DPID/")"
check "applyd: ExecReload (SIGHUP) reloads the configuration" \
	wait_for 10 grep -q "apply --daemon: configuration reloaded" "$SG_BASE/applyd.out"
check "applyd: and it keeps running" kill -0 "$DPID"
# $! is the subshell running unit_run; the daemon is its one child
# (unshare and setpriv exec it), which the signal goes to, as systemd's
# would; the subshell exits with the daemon's status.
kill -"$(unit_get "$DU" KillSignal | sed 's/^SIG//')" $(ps -o pid= --ppid "$APPLYD")
wait "$APPLYD"
drc=$?
check "applyd: KillSignal stops it with status 0 (got $drc)" [ "$drc" = 0 ]

# --- expire, as sendguard-expire.service -----------------------------------
EU=$U/sendguard-expire.service
erc=0
while read -r line; do
	unit_run "$EU" "$line" >>"$SG_BASE/expire.out" 2>&1 </dev/null || erc=$?
	[ "$erc" = "$(unit_get "$EU" SuccessExitStatus)" ] && erc=0
done < <(unit_get "$EU" ExecStart)
check "expire: both of its ExecStart lines succeed" [ "$erc" = 0 ]

# --- stop as systemd would (KillSignal) ----------------------------------
kill -USR1 "$SG_MILTER_PID"
sleep 1
check "milter: ExecReload (SIGUSR1) reloads, it keeps running" kill -0 "$SG_MILTER_PID"
milter_stop
check "milter: KillSignal=SIGTERM stops it with status 0 (got $MILTER_RC)" [ "$MILTER_RC" = 0 ]
kill -TERM "$WEB_PID"
wait "$WEB_PID"
wrc=$?
WEB_PID=""
check "web: KillSignal=SIGTERM stops it with status 0 (got $wrc)" [ "$wrc" = 0 ]
check "milter: no sanitizer report" milter_sanitizer_clean
check "web, apply, expire, downloads: no sanitizer report" eval \
	'! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_BASE/web.log" "$SG_BASE/apply.out" "$SG_BASE/applyd.out" "$SG_BASE/expire.out" "$SG_BASE/dl.out"'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
