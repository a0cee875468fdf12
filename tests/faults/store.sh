#!/bin/bash
#
# NAME
#	store.sh - the store unwritable for the milter's user, full, locked
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh); the milter runs as the
#	`sendguard` user, so permissions are taken away from that user
#	(root could write anyway: as root, permission tests prove nothing).
#	In each fault a message that would be held and a clean one come in
#	through the relaying port; the milter must apply its failure action
#	(tempfail): both wait in the relaying queue, nothing is delivered
#	or held, no record is written. When the fault is gone each is held
#	exactly once with its record, or delivered exactly once with its
#	verdict record. One exception (issue 21, the accept records' group
#	commit): a clean message that reaches the milter before any write
#	has failed is accepted and its record queued; it must then be
#	delivered once, and its record must be in the log once the fault
#	is gone (the queue kept it and retried). The milter writes the
#	first record after its start synchronously, so a store unwritable
#	from the start is noticed before any clean mail is accepted.
#	  - unwritable: the store's directory and files owned by root,
#	    0755/0644, and the milter restarted;
#	  - full: the store on a 3 MiB tmpfs filled to the last byte
#	    (ENOSPC; PRAGMA max_page_count is per connection, so a limit set
#	    with the sqlite3 CLI would not bind the milter's connection);
#	  - locked: the sqlite3 CLI, as the milter's user, holds BEGIN
#	    EXCLUSIVE for 25 s, beyond the 10 s busy timeout.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
DB_MOUNT=""
store_cleanup() {
	local rc=$?
	if [ -n "$DB_MOUNT" ]; then
		milter_stop
		umount "$DB_MOUNT" 2>/dev/null
	fi
	( exit "$rc" )	# sg_cleanup exits with the status it finds in $?
	sg_cleanup
}
trap store_cleanup EXIT
. "$here/lib.sh"
fault_start
DB=$SG_MDIR/db/sendguard.db

# during NAME: both messages of fault NAME wait, nothing else happened
# (eval strings run inside check/wait_for, where $1 is theirs: use $F)
clean_waits_or_left() { in_relay_queue "$F-clean" || [ "$(n_sink "$F-clean")" = 1 ]; }
n_verdicts() { sg_sql "SELECT count(*) FROM audit WHERE event = 'verdict' AND json_extract(detail, '\$.subject') = 'fault $1';"; }
during() {
	F=$1
	local fail0=$FAIL
	check "$1: the held-kind message waits in the relaying queue" wait_for 60 in_relay_queue "$1-hold"
	check "$1: the clean message waits in the relaying queue (or left before the fault was seen)" \
		wait_for 60 clean_waits_or_left
	sleep 2
	if [ "$(n_sink "$F-clean")" = 1 ]; then
		note "$1: the clean message reached the milter before a write had failed: accepted, its record queued"
		check "$1: nothing else delivered, nothing held, no hold record" \
			eval '[ "$(n_sink "$F-hold")$(n_hold "$F-hold")$(n_hold "$F-clean")" = 000 ]'
	else
		check "$1: nothing delivered, nothing held, no record" \
			eval '[ "$(n_sink "$F-hold")$(n_sink "$F-clean")$(n_hold "$F-hold")$(n_hold "$F-clean")" = 0000 ]'
	fi
	check "$1: the gateway tempfailed it (status=deferred, said 4xx 4.x.x)" \
		wait_for 30 eval 'pf_log | grep -q "$(relay_qid "$F-hold"): .*status=deferred.*said: 4[0-9][0-9] 4\."'
	check "$1: no hold without a record, no record without a hold" invariant
	[ "$FAIL" = "$fail0" ] || fault_state "$1-hold" "$1-clean"
}
after() {
	F=$1
	local fail0=$FAIL
	retry 120
	check "$1: afterwards the held-kind message is held exactly once, with its record" once "$1-hold" hold
	check "$1: afterwards the clean message is delivered exactly once" once "$1-clean" clean
	check "$1: afterwards the clean message has its verdict record" \
		wait_for 15 eval '[ "$(n_verdicts "$F-clean")" -ge 1 ]'
	check "$1: no hold without a record, no record without a hold (after)" invariant
	[ "$FAIL" = "$fail0" ] || fault_state "$1-hold" "$1-clean"
}
send_pair() { fmsg "$1-hold" hold; fmsg "$1-clean" clean; relay "$1-hold"; relay "$1-clean"; }

# --- 1. unwritable for the milter's user -----------------------------------------
milter_stop
chown root:root "$SG_MDIR/db" "$DB"*
chmod 755 "$SG_MDIR/db"
chmod 644 "$DB"*
check "unwritable: the milter's user cannot write the store" \
	eval '! runuser -u "$SG_MILTER_USER" -- test -w "$DB"'
if milter_start 2>/dev/null; then
	note "unwritable: the milter started (store opened read-only)"
else
	note "unwritable: the milter refuses to start: $(grep -i store "$SG_MDIR/stderr.log" | tail -1)"
fi
send_pair unwritable
during unwritable
milter_stop
chown -R "$SG_MILTER_USER:" "$SG_MDIR/db"
chmod 700 "$SG_MDIR/db"
chmod 600 "$DB"*
milter_start || die "the milter did not restart"
after unwritable

# --- 2. full ------------------------------------------------------------------------
# A container without CAP_SYS_ADMIN cannot mount: then this part is
# skipped, and says so (an ok line would hide that it did not run).
full_test() {
	milter_stop
	mkdir -p "$SG_BASE/dbsave"
	cp -a "$SG_MDIR/db/." "$SG_BASE/dbsave/"
	DB_MOUNT=$SG_MDIR/db
	if ! mount -t tmpfs -o size=3m,mode=0700 tmpfs "$DB_MOUNT" 2>"$SG_BASE/mount.err"; then
		DB_MOUNT=""
		note "full: SKIPPED: cannot mount a tmpfs here: $(cat "$SG_BASE/mount.err")"
		milter_start || die "the milter did not restart"
		return 0
	fi
	cp -a "$SG_BASE/dbsave/." "$DB_MOUNT/"
	chown -R "$SG_MILTER_USER:" "$DB_MOUNT"
	milter_start || die "the milter did not start on the tmpfs"
	dd if=/dev/zero of="$DB_MOUNT/filler" bs=4k 2>/dev/null
	check "full: no space left on the store's file system ($(df -k --output=avail "$DB_MOUNT" | tail -1 | tr -d ' ') KiB free)" \
		[ "$(df -k --output=avail "$DB_MOUNT" | tail -1 | tr -d ' ')" = 0 ]
	send_pair full
	during full
	check "full: the milter says the disk is full, and how much is free ($(grep -o 'no space left: [^)]*' "$SG_MDIR/stderr.log" | tail -1))" \
		grep -q "no space left: the file system of $DB_MOUNT has 0 KiB free" "$SG_MDIR/stderr.log"
	rm -f "$DB_MOUNT/filler"
	after full
	milter_stop
	cp -a "$DB_MOUNT/." "$SG_BASE/dbsave/"
	umount "$DB_MOUNT"
	DB_MOUNT=""
	cp -a "$SG_BASE/dbsave/." "$SG_MDIR/db/"
	milter_start || die "the milter did not restart"
}
full_test

# --- 3. locked ----------------------------------------------------------------------
{ echo "BEGIN EXCLUSIVE;"; echo "INSERT INTO nonces SELECT * FROM nonces WHERE 0;"; sleep 25; echo "ROLLBACK;"; } |
	runuser -u "$SG_MILTER_USER" -- sqlite3 "$DB" >"$SG_BASE/lock.log" 2>&1 9>&- &
locker=$!
sleep 1
send_pair locked
sleep 14
during locked
wait "$locker"
after locked
milter_stop
fault_end
