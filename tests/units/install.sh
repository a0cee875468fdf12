#!/bin/bash
# NAME
#	install.sh - `make install DESTDIR=...` stages a complete install
# SYNOPSIS
#	SG_SRCDIR=REPO bash tests/units/install.sh     (after `make`)
# DESCRIPTION
#	Stages an install into a temporary DESTDIR with PREFIX=/usr and
#	checks: the three programs, rules, templates, the configuration
#	(pointing at the installed rules and templates), every unit with no
#	placeholder left and its programs and paths under the install
#	paths, the README; no user, key or directory outside DESTDIR; and
#	the exact `systemctl enable --now` line for the six units that
#	make install prints where it cannot run systemctl. (The units are
#	verified and run by tests/units/run.sh.)

set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PASS=0 FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
D=$(mktemp -d "${TMPDIR:-/tmp}/sg-install.XXXXXX") || exit 2
trap 'rm -rf "$D"' EXIT
UNITS="sendguard-milter.service sendguard-web.service sendguard-applyd.service sendguard-apply.timer sendguard-expire.timer sendguard-downloads.service"

cd "$SRC" || exit 2
user_before=$(getent passwd sendguard-inst-probe)
make -s install DESTDIR="$D/root" PREFIX=/usr SG_USER=sendguard-inst-probe >"$D/out" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=/usr succeeds" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/     # /' "$D/out"
R=$D/root
for f in usr/sbin/sendguard-milter usr/sbin/sendguardctl usr/sbin/sendguard-web; do
	check "$f installed, executable" [ -x "$R/$f" ]
done
check "rules installed" [ -s "$R/usr/share/sendguard/rules/consumer-domains" ]
check "templates installed (ja, en)" [ -s "$R/usr/share/sendguard/templates/ja/hold_sender.txt" ] 
check "README installed" [ -s "$R/usr/share/doc/sendguard/README.md" ]
check "configuration installed, mode 0640" [ "$(stat -c %a "$R/etc/sendguard/sendguard.conf" 2>/dev/null)" = 640 ]
check "configuration points at the installed rules" grep -qx 'dir = /usr/share/sendguard/rules' "$R/etc/sendguard/sendguard.conf"
check "configuration points at the installed templates" grep -qx 'templates = /usr/share/sendguard/templates' "$R/etc/sendguard/sendguard.conf"
"$R/usr/sbin/sendguardctl" -c "$R/etc/sendguard/sendguard.conf" config >/dev/null 2>"$D/cfg.err"
check "the installed configuration loads" [ $? = 0 ]
for u in $UNITS sendguard-apply.path sendguard-apply.service sendguard-expire.service; do
	check "unit $u installed" [ -s "$R/lib/systemd/system/$u" ]
done
check "no placeholder left in the units" eval '! grep -q "@[A-Z_]*@" "$R"/lib/systemd/system/sendguard-*'
# every Exec line but the reload's kill runs an installed program on the
# installed configuration
stray_exec() {
	grep -h "^Exec" "$R"/lib/systemd/system/*.service | grep -v "^ExecReload=/bin/kill" |
		grep -vx "ExecStartPre=+/bin/mkdir -p -m 0755 /var/spool/postfix/sendguard" |
		grep -vx "ExecStartPre=+/bin/mkdir -p -m 0755 /run/sendguard" |
		grep -v "=/usr/sbin/sendguard[a-z-]* -c /etc/sendguard/sendguard.conf "
}
check "ExecStart lines run the installed programs with the installed configuration" \
	eval '[ -z "$(stray_exec)" ] && [ "$(grep -c "^ExecStart=/usr/sbin/" "$R"/lib/systemd/system/*.service | awk -F: "{ s += \$2 } END { print s }")" -ge 5 ]'
check "the path unit watches the installed store" grep -qx 'PathModified=/var/lib/sendguard/sendguard.db-wal' "$R/lib/systemd/system/sendguard-apply.path"
check "the milter may write the store, its spool and its socket's directory in Postfix's spool, no more" grep -qx \
	'ReadWritePaths=/var/lib/sendguard /var/spool/sendguard -/var/spool/postfix/sendguard' "$R/lib/systemd/system/sendguard-milter.service"
check "no user created by a staged install" [ "$(getent passwd sendguard-inst-probe)" = "$user_before" ]
check "no key made by a staged install" [ ! -e "$R/etc/sendguard/keys" ]
check "the downloads unit makes and may write the socket's directory of the installed configuration" eval \
	'grep -qx "download_socket = /run/sendguard/download.sock" "$R/etc/sendguard/sendguard.conf" &&
	 grep -qx "ReadWritePaths=/var/lib/sendguard -/run/sendguard" "$R/lib/systemd/system/sendguard-downloads.service"'
check "it prints the systemctl enable line for the six units (not the path unit)" grep -qx "systemctl enable --now $UNITS" "$D/out"
check "and tells what to verify with" grep -q 'sendguardctl doctor' "$D/out"
make -s install DESTDIR="$D/root" PREFIX=/usr >"$D/out2" 2>&1
check "a second install keeps the configuration" grep -q 'keeping .*/etc/sendguard/sendguard.conf' "$D/out2"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
