#!/bin/bash
#
# NAME
#	reconcile.sh - sendguardctl reconcile in a loop while held mail
#	arrives: it never deletes mail that nobody decided on (issue 15)
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). The milter records a hold
#	inside end of message, before Postfix commits the queue file; a
#	reconcile whose queue snapshot falls in between used to close the
#	hold as "file gone" and, on its next run, delete the file as
#	"applied but still queued" (66 of 300 with reconcile_grace = 0s).
#	  - 300 held messages from 10 concurrent sessions while reconcile
#	    runs back to back with reconcile_grace at its least value (6m):
#	    every message is on hold exactly once with a pending record,
#	    none delivered, Postfix logged no deletion, no hold without a
#	    record, and no reconcile run reported an orphan (a file whose
#	    record was written after reconcile read the store) or failed;
#	  - the same with reconcile's clock 7 minutes ahead (faketime):
#	    every young hold looks older than the grace, as it would if a
#	    commit took longer than the grace. Records may then be closed
#	    as "file gone", but no mail is deleted: every message is still
#	    on hold with its record, and neither `apply` nor another
#	    reconcile deletes it (a closed record is not a decision; the
#	    file is left for an administrator);
#	  - a decided hold is still carried out: rejected -> deleted,
#	    approved -> delivered once.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
command -v faketime >/dev/null || die "faketime is not installed (make deps)"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"
fault_start
cat >>"$(milter_conf)" <<EOF2

[release]
command_timeout = 30s
reconcile_grace = 6m
EOF2
CTL() { "$SG_CTL" -c "$(milter_conf)" "$@"; }
N=${SG_RECONCILE_N:-300}
N2=${SG_RECONCILE_N2:-100}
R=$SG_BASE/reconcile
mkdir -p "$R"

# The ASan build refuses an LD_PRELOAD ahead of its runtime unless told.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0

# send_held PREFIX COUNT [TAG]: COUNT held messages, 10 sessions at a
# time, straight into the gateway (its milter, then Postfix's commit).
# With TAG, every 50 messages wait (at most 120 s) until reconcile loop
# TAG has started a run since the last such wait: the runs overlap the
# arrivals however slow a run is on a loaded machine.
send_held() {
	local p=$1 n=$2 tag=${3:-} i pids="" seen=0 t
	for i in $(seq 1 "$n"); do
		fmsg "$p-$i" hold
		sg_swaks "$SG_GW_PORT" "$FROM" "$VENDOR" "$FM/$p-$i.eml" "$SG_BASE/swaks-$p-$i.txt" &
		pids="$pids $!"
		[ $((i % 10)) = 0 ] && { wait $pids; pids=""; }
		if [ -n "$tag" ] && [ $((i % 50)) = 0 ]; then
			for t in $(seq 1 240); do
				[ "$(runs_started "$tag")" -gt "$seen" ] && break
				sleep 0.5
			done
			seen=$(runs_started "$tag")
		fi
	done
	[ -n "$pids" ] && wait $pids
}
runs_started() { ls "$R/$1"-*.start 2>/dev/null | grep -c .; }
# reconcile_loop TAG [faketime spec]: runs until $R/stop exists; one
# output file and exit status per run.
reconcile_loop() {
	local tag=$1 fake=${2:-} k=0
	while [ ! -e "$R/stop" ]; do
		k=$((k + 1))
		: >"$R/$tag-$k.start"
		if [ -n "$fake" ]; then
			faketime -f "$fake" "$SG_CTL" -c "$(milter_conf)" reconcile >"$R/$tag-$k.out" 2>&1
		else
			CTL reconcile >"$R/$tag-$k.out" 2>&1
		fi
		echo "$?" >"$R/$tag-$k.rc"
	done
}
removed() { pf_log | grep -c 'postsuper.*: removed'; }
# all_held PREFIX COUNT: `once ID hold` for each (tests/faults/lib.sh),
# from one queue snapshot, one store query and one pass over the sink;
# BAD lists the ids that are not held exactly once.
all_held() {
	local p=$1 n=$2 i bad=""
	pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | sort >"$R/holdq"
	sg_sql "SELECT substr(subject, 7), queue_id FROM holds WHERE subject LIKE 'fault $p-%';" |
		sort >"$R/recs"
	grep -rhx "X-Fault-Id: $p-[0-9]*" "$SG_SINK" 2>/dev/null | sed 's/^X-Fault-Id: //' | sort >"$R/sunk"
	for i in $(seq 1 "$n"); do
		[ "$(grep -c "^$p-$i|" "$R/recs")" = 1 ] &&
			grep -qx "$(sed -n "s/^$p-$i|//p" "$R/recs")" "$R/holdq" &&
			! grep -qx "$p-$i" "$R/sunk" || bad="$bad $p-$i"
	done
	BAD=$bad
	[ -z "$bad" ]
}

# --- 1. reconcile in a loop, grace at its minimum ------------------------------
rm -f "$R/stop"
reconcile_loop a 9>&- &
looper=$!
sg_state sleeper_pid "$looper"
send_held rc "$N" a
sleep 3
touch "$R/stop"
wait "$looper"
runs=$(ls "$R"/a-*.rc 2>/dev/null | grep -c .)
check "reconcile ran $runs times while $N held messages arrived" [ "$runs" -ge $((N / 50)) ]
check "no reconcile run failed or reported an orphan (exit 0 every time)" \
	eval '! grep -qv "^0$" "$R"/a-*.rc'
check "no reconcile run closed or deleted anything" \
	eval '! grep -h "^reconcile: hold\|^reconcile: queue file" "$R"/a-*.out | grep -q .'
wait_for 60 eval '[ "$(sg_sql "SELECT count(*) FROM holds WHERE subject LIKE '"'"'fault rc-%'"'"';")" -ge "$N" ]'
all_held rc "$N"
check "every one of the $N messages is on hold exactly once, with its record${BAD:+ (wrong:$BAD)}" [ -z "$BAD" ]
check "every record is still pending" \
	[ "$(sg_sql "SELECT count(*) FROM holds WHERE subject LIKE 'fault rc-%' AND status = 'pending' AND applied = 0;")" = "$N" ]
check "Postfix deleted nothing (no postsuper 'removed' in its log)" [ "$(removed)" = 0 ]
check "no hold without a record, no record without a hold" invariant

# --- 2. reconcile's clock ahead of the grace: a commit slower than it ---------
rm -f "$R/stop"
reconcile_loop b '+7m' 9>&- &
looper=$!
sg_state sleeper_pid "$looper"
send_held late "$N2" b
sleep 3
touch "$R/stop"
wait "$looper"
closed=$(sg_sql "SELECT count(*) FROM holds WHERE decided_by = 'reconcile';")
note "reconcile 7 minutes ahead closed $closed records as 'file gone' (the race hit; 0 is possible)"
faketime -f '+7m' "$SG_CTL" -c "$(milter_conf)" reconcile >"$R/b-final.out" 2>&1
note "final reconcile: $(tail -1 "$R/b-final.out")"
CTL apply >"$R/b-apply.out" 2>&1
all_held late "$N2"
check "every one of the $N2 messages is still on hold exactly once, with a record${BAD:+ (wrong:$BAD)}" [ -z "$BAD" ]
all_held rc "$N"
check "and so are the $N of part 1${BAD:+ (wrong:$BAD)}" [ -z "$BAD" ]
check "Postfix deleted nothing (no postsuper 'removed' in its log)" [ "$(removed)" = 0 ]
check "no reconcile run deleted anything (no repair ending in \": deleted\")" \
	eval '! grep -h ": deleted$" "$R"/b-*.out | grep -q .'
if [ "$closed" -gt 0 ]; then
	check "a record closed without a decision whose file is on hold is reported for an administrator" \
		grep -q "without a decision" "$R/b-final.out"
fi

# --- 3. decisions are still carried out --------------------------------------------
hid() { sg_sql "SELECT id FROM holds WHERE subject = 'fault $1';"; }
qid() { sg_sql "SELECT queue_id FROM holds WHERE subject = 'fault $1';"; }
# The first approver the milter assigned (a 機密性2 marking: the
# security officer, by [approvers] category:classified).
approver() { sg_sql "SELECT json_extract(approvers, '\$[0]') FROM holds WHERE subject = 'fault $1';"; }
CTL approve "$(hid rc-1)" --checked all --by "$(approver rc-1)" >/dev/null
CTL reject "$(hid rc-2)" --by "$(approver rc-2)" --comment "not to be sent" >/dev/null
Q2=$(qid rc-2)
CTL apply >"$R/c-apply.out" 2>&1
check "the approved one is delivered" wait_for 60 eval '[ "$(n_sink rc-1)" = 1 ]'
check "the rejected one is deleted from the hold queue" eval '[ -z "$(pf_queue_name "$Q2")" ]'
check "exactly one deletion in Postfix's log: the rejected message" [ "$(removed)" = 1 ]
milter_stop
fault_end
