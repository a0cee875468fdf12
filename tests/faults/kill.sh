#!/bin/bash
#
# NAME
#	kill.sh - kill -9 the milter in the middle of a message; send while
#	the rules reload on SIGUSR1 in a loop
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). Checked, message by
#	message (tests/faults/lib.sh):
#	  - kill -9 while a 12 MiB message streams into the milter (it has
#	    its spool file open): Postfix tempfails, the relaying queue
#	    keeps the message; after the restart it is scanned and held
#	    exactly once, with its record; the same for a clean message
#	    killed at end of message (delivered exactly once); no hold
#	    without a record, no record without a hold;
#	  - 30 messages (clean and held) while SIGUSR1 reloads rules and
#	    configuration every 0.2 s: each delivered or held exactly once,
#	    the milter still running.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"
fault_start

# --- 1. kill -9 mid-message -----------------------------------------------------
fmsg kill-big big 12
relay kill-big
check "the big message is queued by the relay ($(relay_qid kill-big))" [ -n "$(relay_qid kill-big)" ]
if wait_for 60 milter_spooling; then
	kill -KILL "$SG_MILTER_PID"
	ok "kill -9 while the milter was receiving the message (spool file open)"
else
	nok "the milter never spooled the big message"
	kill -KILL "$SG_MILTER_PID"
fi
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=""
sleep 2
check "after the kill: the message waits in the relaying queue" wait_for 30 in_relay_queue kill-big
check "after the kill: the gateway answered 4.x (deferral reason)" \
	eval 'pf_queue | jq -r "select(.queue_id == \"$(relay_qid kill-big)\") | .recipients[].delay_reason" | grep -q "4\.[0-9]\.[0-9]"'
check "after the kill: not delivered, not held, no record" \
	eval '[ "$(n_sink kill-big)" = 0 ] && [ "$(n_hold kill-big)" = 0 ]'
check "no hold without a record, no record without a hold (during)" invariant
milter_start || die "the milter did not restart"
retry 120
check "after the restart: the big message is held exactly once, with its record" once kill-big big
check "no hold without a record, no record without a hold (after)" invariant

# A clean message, the milter killed just as the message ends (end of
# message is where the scan runs): the same guarantees.
fmsg kill-clean clean
kill -STOP "$SG_MILTER_PID"
relay kill-clean
sleep 3
kill -KILL "$SG_MILTER_PID"
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=""
check "stopped then killed milter: the clean message waits in the relaying queue" \
	wait_for 30 in_relay_queue kill-clean
milter_start || die "the milter did not restart"
retry
check "after the restart: the clean message is delivered exactly once" once kill-clean clean

# --- 2. SIGUSR1 in a loop while sending --------------------------------------------
( while :; do kill -USR1 "$SG_MILTER_PID" 2>/dev/null || exit 0; sleep 0.2; done ) 9>&- &
reloader=$!
sg_state sleeper_pid "$reloader"
ids="" pids=""
for i in $(seq 1 30); do
	k=clean
	[ $((i % 3)) = 0 ] && k=hold
	fmsg "usr1-$i-$k" $k
	relay "usr1-$i-$k" &
	pids="$pids $!"
	ids="$ids usr1-$i-$k"
	# five at a time; a bare `wait` would wait for the reloader too
	[ $((i % 5)) = 0 ] && { wait $pids; pids=""; }
done
[ -n "$pids" ] && wait $pids
sleep 2
kill "$reloader" 2>/dev/null
wait "$reloader" 2>/dev/null
reloads=$(grep -c 'reload' "$SG_MDIR/stderr.log")
retry 120
bad=""
for id in $ids; do
	case $id in *-clean) once "$id" clean || bad="$bad $id" ;; *) once "$id" hold || bad="$bad $id" ;; esac
done
check "30 messages during $reloads reload log lines: each delivered or held exactly once${bad:+ (wrong:$bad)}" [ -z "$bad" ]
check "the milter survived the reload loop" kill -0 "$SG_MILTER_PID"
check "no hold without a record, no record without a hold" invariant
milter_stop
check "the milter stops cleanly after the reloads (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
fault_end
