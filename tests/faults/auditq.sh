#!/bin/bash
#
# NAME
#	auditq.sh - the accept records' group commit under kill -9, SIGTERM
#	and reloads (issue 21)
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh). The records of accepted
#	mail wait up to [milter] audit_flush_ms in memory and are appended
#	in batches (milter/daemon/mlt_auditq.c); held mail's records are
#	written before the answer. Clean mail goes straight to the gateway
#	with smtp-source (10 sessions); a delivered message is matched to
#	its verdict record by the gateway's queue id (its Received header
#	in the sink, queue_id in the record). Checked:
#	  - kill -9 under load, with held mail coming in through the
#	    relaying port meanwhile: only the last answered accept records
#	    are missing, the ones still queued (the number and where the
#	    first one is are printed; the count bound is 40: under load one
#	    fsync'd flush lasts several SMTP transactions of the 10
#	    sessions), never a hold
#	    record: every held message is held once with its record and a
#	    verdict record; `sendguardctl audit verify` passes;
#	  - SIGTERM under load with a 300 ms window (records are surely
#	    queued when it comes): no record is missing, exit 0;
#	  - SIGUSR1 every 0.2 s under load: no record is missing.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"
fault_start
CONF=$SG_MDIR/sendguard.conf

fmsg aq-clean clean
# load N: N clean messages through the gateway, 10 sessions, in the
# background ($LOADER); tempfails after a kill are expected.
load() {
	smtp-source -s 10 -m "$1" -f "$FROM" -t "$VENDOR" -F "$FM/aq-clean.eml" \
		"127.0.0.1:$SG_GW_PORT" >>"$SG_BASE/source.log" 2>&1 9>&- &
	LOADER=$!
}
n_delivered() { sink_count "(aq-clean)"; }
# The gateway's queue ids of the delivered clean messages (sent
# straight to the gateway: its Received header is the only Postfix one).
delivered_ids() {
	local f
	for f in $(sink_files "(aq-clean)"); do
		grep -o '(Postfix) with E\?SMTP id [0-9A-Za-z]*' "$f" | head -1 | awk '{ print $5 }'
	done | sort -u
}
recorded_ids() { sg_sql "SELECT queue_id FROM audit WHERE event = 'verdict' AND queue_id IS NOT NULL;" | sort -u; }
# Delivered clean messages without a verdict record.
missing() { comm -23 <(delivered_ids) <(recorded_ids) | grep -c .; }
# The kill loses the records still queued: the last ones answered, in
# the order the flusher writes them (the queue's). lost_is_the_last: no
# delivered message without a record was answered before the last
# (lost + 10) answers, in the milter's log order of its accept lines
# (10 sessions: answers that overlap may be logged in another order
# than their records were queued). A batch lost from the middle, or a
# flusher that stopped writing, fails it; a slow flush under load (one
# fsync'd transaction while the 10 sessions go on) only makes the
# suffix longer, hence the loose count bound above.
lost_where() {
	delivered_ids >"$SG_BASE/delivered.txt"
	comm -23 "$SG_BASE/delivered.txt" <(recorded_ids) >"$SG_BASE/missing.txt"
	grep -o 'queue_id=[0-9A-Za-z]* verdict=accept' "$SG_MDIR/stderr.log" |
		sed 's/^queue_id=//; s/ .*//' | grep -Fxf "$SG_BASE/delivered.txt" >"$SG_BASE/order.txt"
	local n first
	n=$(grep -c . "$SG_BASE/order.txt")
	first=$(grep -nFxf "$SG_BASE/missing.txt" "$SG_BASE/order.txt" | head -1 | cut -d: -f1)
	echo "the first answer without a record is number ${first:-none} of $n"
}
lost_is_the_last() {
	local m n first
	lost_where >/dev/null
	m=$(grep -c . "$SG_BASE/missing.txt")
	[ "$m" = 0 ] && return 0
	n=$(grep -c . "$SG_BASE/order.txt")
	first=$(grep -nFxf "$SG_BASE/missing.txt" "$SG_BASE/order.txt" | head -1 | cut -d: -f1)
	# every delivered message was answered, so each missing one is in the order
	[ "$(grep -cFxf "$SG_BASE/missing.txt" "$SG_BASE/order.txt")" = "$m" ] &&
		[ "$first" -gt $((n - m - 10)) ]
}
holds_without_verdict() {
	sg_sql "SELECT count(*) FROM holds h WHERE NOT EXISTS (SELECT 1 FROM audit a
		WHERE a.event = 'verdict' AND a.queue_id = h.queue_id
		AND json_extract(a.detail, '\$.verdict') = 'hold');"
}
verify() { "$SG_CTL" -c "$CONF" audit verify >"$SG_BASE/verify.txt" 2>&1; }
set_window() {
	sed -i '/^audit_flush_ms =/d' "$CONF"
	sed -i "/^\[milter\]/a audit_flush_ms = $1" "$CONF"
}

# --- 1. kill -9 under load ------------------------------------------------------
load 400
relays=""
for i in 1 2 3 4; do fmsg "aq-hold-$i" hold; relay "aq-hold-$i" & relays="$relays $!"; done
wait_for 60 eval '[ "$(n_delivered)" -ge 60 ]' || note "slow: $(n_delivered) delivered before the kill"
kill -KILL "$SG_MILTER_PID"
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=""
wait "$LOADER" $relays 2>/dev/null
settle 60
lost=$(missing)
check "kill -9 under load: $(n_delivered) clean messages delivered, $lost without a record, all among the last answered (at most the last windows: <= 40)" \
	eval '[ "$lost" -le 40 ] && lost_is_the_last'
note "kill -9 under load: $(lost_where)"
milter_start || die "the milter did not restart"
retry 120
for i in 1 2 3 4; do
	check "kill -9 under load: held message $i is held exactly once, with its record" once "aq-hold-$i" hold
done
check "kill -9 under load: every hold has its verdict record (hold records are never lost)" \
	eval '[ "$(holds_without_verdict)" = 0 ]'
check "no hold without a record, no record without a hold" invariant
check "kill -9 under load: audit verify passes ($(verify; head -1 "$SG_BASE/verify.txt"))" verify

# --- 2. SIGTERM under load, a long window ---------------------------------------
before=$(missing)
milter_stop
set_window 300
milter_start || die "the milter did not start with audit_flush_ms = 300"
load 300
wait_for 60 eval '[ "$(n_delivered)" -ge 100 ]' || note "slow: $(n_delivered) delivered before SIGTERM"
milter_stop
wait "$LOADER" 2>/dev/null
settle 60
check "SIGTERM under load: stopped with exit 0 (was $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "SIGTERM under load: every delivered clean message has its record ($(missing) missing, $before before)" \
	[ "$(missing)" = "$before" ]
check "SIGTERM: no record left unwritten in the log" \
	eval '! grep -q "could not be written" "$SG_MDIR/stderr.log"'

# --- 3. SIGUSR1 in a loop under load ----------------------------------------------
milter_start || die "the milter did not restart"
( while :; do kill -USR1 "$SG_MILTER_PID" 2>/dev/null || exit 0; sleep 0.2; done ) 9>&- &
reloader=$!
sg_state sleeper_pid "$reloader"
load 300
wait "$LOADER" 2>/dev/null
kill "$reloader" 2>/dev/null
wait "$reloader" 2>/dev/null
settle 60
check "reloads under load: every delivered clean message has its record ($(missing) missing, $before before)" \
	[ "$(missing)" = "$before" ]
check "the milter survived the reloads" kill -0 "$SG_MILTER_PID"
milter_stop
check "audit verify passes at the end ($(verify; head -1 "$SG_BASE/verify.txt"))" verify
fault_end
