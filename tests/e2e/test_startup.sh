#!/bin/bash
#
# tests/e2e/test_startup.sh - the milter's start-up as root (issue 14
# item 8), run as the unit runs it (root, then [milter] user):
#   - [milter] socket_group missing: exit 71, a message naming the key,
#     no socket (never a world-writable one);
#   - a unix socket is 0660, the service user's, group socket_group;
#     its directory the service user's;
#   - a spool or socket directory reached through a symbolic link that
#     the service user could have placed (a link in a directory it
#     owns, or the directory itself a link) stops start-up (exit 71)
#     and root changes nothing at the link's target;
#   - a link placed by root in a root-only directory is followed;
#   - with stderr the journal (JOURNAL_STREAM, as the unit runs it) no
#     line goes to stderr a second time; a line on stderr is whole.
# Output: one line per assertion, "N passed, M failed" last.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

SG_MILTER_SOCKET=unix
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
getent group postfix >/dev/null || die "group postfix is missing (make deps installs Postfix)"

milter_setup
CONF=$(milter_conf)
U=$SG_MILTER_USER
# start CONF: run the milter in the foreground until its socket is up
# (RC empty) or it exits (RC its status); OUT its stderr.
start() {
	: >"$SG_MDIR/start.log"
	"$SG_MILTER" -c "$1" -f >"$SG_MDIR/start.log" 2>&1 9>&- &
	SG_MILTER_PID=$!
	sg_state milter_pid "$SG_MILTER_PID"
	RC=""
	local i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$SG_MILTER_PID" 2>/dev/null; then
			wait "$SG_MILTER_PID"
			RC=$?
			SG_MILTER_PID=""
			break
		fi
		[ -S "$2" ] && break
		sleep 0.2
		i=$((i + 1))
	done
	OUT=$(cat "$SG_MDIR/start.log")
}
variant() {	# variant NAME KEY=VALUE...: a copy of the configuration
	local f=$SG_MDIR/$1.conf k v
	shift
	cp "$CONF" "$f"
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if grep -q "^$k = " "$f"; then
			sed -i "s|^$k = .*|$k = $v|" "$f"
		else
			sed -i "s|^\[milter\]$|[milter]\n$k = $v|" "$f"
		fi
	done
	echo "$f"
}

# --- 1. a missing socket group stops start-up ------------------------------------
rm -rf "$(dirname "$SG_MILTER_SOCK")"
start "$(variant nogroup socket_group=sg-no-such-group)" "$SG_MILTER_SOCK"
check "socket_group missing: exit 71 ($RC)" [ "$RC" = 71 ]
check "socket_group missing: the message names the key and says why" \
	eval 'echo "$OUT" | grep -q "socket_group sg-no-such-group does not exist.*world-writable"'
check "socket_group missing: no socket made" [ ! -e "$SG_MILTER_SOCK" ]

# --- 1b. stderr that is the journal gets no second copy of a line -----------------
# Under the unit (-f), systemd connects stderr to the journal and says
# so in JOURNAL_STREAM (DEVICE:INODE); the journal has each line from
# syslog already, so the milter writes none to stderr. A JOURNAL_STREAM
# naming another file (a terminal of a systemd session) changes nothing.
: >"$SG_MDIR/start.log"
export JOURNAL_STREAM
JOURNAL_STREAM=$(stat -c '%d:%i' "$SG_MDIR/start.log")
start "$SG_MDIR/nogroup.conf" "$SG_MILTER_SOCK"
check "stderr is the journal: exit 71 still ($RC)" [ "$RC" = 71 ]
check "stderr is the journal: no copy of the line on stderr ($OUT)" [ -z "$OUT" ]
JOURNAL_STREAM=$(stat -c '%d:%i' "$CONF")
start "$SG_MDIR/nogroup.conf" "$SG_MILTER_SOCK"
check "JOURNAL_STREAM of another file: the line is on stderr, whole" \
	eval 'echo "$OUT" | grep -q "^sendguard-milter: .*socket_group sg-no-such-group does not exist.*world-writable"'
unset JOURNAL_STREAM

# --- 2. the socket: 0660, the service user's, group postfix -------------------------
start "$CONF" "$SG_MILTER_SOCK"
check "the milter starts with a unix socket: $OUT" eval '[ -z "$RC" ] && [ -S "$SG_MILTER_SOCK" ]'
check "the socket is 0660 $U:postfix ($(stat -c '%a %U:%G' "$SG_MILTER_SOCK" 2>&1))" \
	[ "$(stat -c '%a %U:%G' "$SG_MILTER_SOCK" 2>&1)" = "660 $U:postfix" ]
check "its directory belongs to $U" [ "$(stat -c %U "$(dirname "$SG_MILTER_SOCK")")" = "$U" ]
check "the spool directory is 0700 $U" [ "$(stat -c '%a %U' "$SG_MDIR/spool")" = "700 $U" ]
milter_stop
check "SIGTERM stops it cleanly ($MILTER_RC)" [ "$MILTER_RC" = 0 ]

# --- 3. links the service user could have placed --------------------------------------
VICTIM=$SG_BASE/victim
mkdir -p "$VICTIM" && chown root:root "$VICTIM" && chmod 755 "$VICTIM"
# The spool directory itself a link (its parent is the service user's).
OWN=$SG_MDIR/own
mkdir -p "$OWN" && chown "$U:" "$OWN"
ln -sfn "$VICTIM" "$OWN/spool"
start "$(variant spoollink spool_dir="$OWN/spool")" "$SG_MILTER_SOCK"
check "spool_dir a symbolic link: exit 71 ($RC)" [ "$RC" = 71 ]
check "spool_dir a symbolic link: the message says so" eval 'echo "$OUT" | grep -q "symbolic link"'
check "the link's target is untouched (root:root 755)" [ "$(stat -c '%a %U:%G' "$VICTIM")" = "755 root:root" ]
# A link in the middle of the path, in a directory the service user owns.
ln -sfn "$VICTIM" "$OWN/mid"
start "$(variant midlink spool_dir="$OWN/mid/spool")" "$SG_MILTER_SOCK"
check "a link inside the path, in the service user's directory: exit 71 ($RC)" [ "$RC" = 71 ]
check "nothing created or changed at its target" \
	eval '[ ! -e "$VICTIM/spool" ] && [ "$(stat -c "%a %U:%G" "$VICTIM")" = "755 root:root" ]'
# The socket's directory a link.
rm -rf "$(dirname "$SG_MILTER_SOCK")"
ln -sfn "$VICTIM" "$(dirname "$SG_MILTER_SOCK")"
start "$CONF" "$SG_MILTER_SOCK"
check "the socket's directory a symbolic link: exit 71 ($RC)" [ "$RC" = 71 ]
check "the link's target is untouched" [ "$(stat -c '%a %U:%G' "$VICTIM")" = "755 root:root" ]
rm -f "$(dirname "$SG_MILTER_SOCK")"
# A link root placed in a root-only directory (like /var/run -> /run)
# is followed.
ROOTONLY=$SG_BASE/rootonly
mkdir -p "$ROOTONLY" "$SG_BASE/real" && chmod 755 "$ROOTONLY"
ln -sfn "$SG_BASE/real" "$ROOTONLY/link"
start "$(variant rootlink spool_dir="$ROOTONLY/link/spool")" "$SG_MILTER_SOCK"
check "a root-placed link in a root-only directory is followed: $OUT" \
	eval '[ -z "$RC" ] && [ "$(stat -c "%a %U" "$SG_BASE/real/spool")" = "700 $U" ]'
milter_stop

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
