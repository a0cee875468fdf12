# shellcheck shell=bash
#
# NAME
#	tests/faults/lib.sh - what the fault-injection tests share
# DESCRIPTION
#	Sourced after tests/e2e/lib.sh by tests/faults/*.sh. Messages are
#	told apart by a unique id: header X-Fault-Id and Subject
#	"fault <id>" (the store keeps the subject), so that every test can
#	say, message by message, that nothing was lost and nothing was
#	delivered or held twice. Messages that must survive a tempfail go
#	in through the relaying port ($SG_RELAY_PORT), which queues them
#	and hands them to the gateway: a tempfail leaves them deferred in
#	our own queue, as a relaying MTA in front would keep them.
#
#	fmsg ID KIND [MB]: write $FM/ID.eml; KIND clean (delivered) or
#	hold (a 機密性2 marking: held), or big (MB MiB of random PDF, an
#	unencrypted attachment: held).
#	relay ID: send $FM/ID.eml through the relaying port.
#	n_sink ID / n_hold ID: deliveries of ID / confirmed hold records
#	for ID (not arriving, not never-arrived).
#	once ID KIND: delivered exactly once and never held (clean), or
#	held exactly once with its record and never delivered.
#	invariant: every hold-queue file has a hold record and every
#	pending record's file is in the hold queue.

# Sourced only, after sg_take_slot (it writes under the slot).
[ -n "${SG_BASE:-}" ] || { echo "tests/faults/lib.sh: source it after sg_take_slot" >&2; exit 64; }

FROM=tanaka@$SG_INTERNAL
VENDOR=t.yamada@sakura-sys.example
FM=$SG_BASE/mail
mkdir -p "$FM"

fmsg() {
	local id=$1 kind=$2 mb=${3:-12}
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: fault %s\r\n' "$FROM" "$VENDOR" "$id"
		printf 'Date: %s\r\nMessage-ID: <fault-%s@%s>\r\nX-Fault-Id: %s\r\nMIME-Version: 1.0\r\n' \
			"$(LC_ALL=C date -R)" "$id" "$SG_INTERNAL" "$id"
		case $kind in
		clean)
			printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\n'
			printf '定例会議は水曜日10時からです。(%s)\r\n' "$id" ;;
		hold)
			printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\n'
			printf '【機密性2】委託契約書(案)を送付します。(%s)\r\n' "$id" ;;
		big)
			printf 'Content-Type: multipart/mixed; boundary="fb"\r\n\r\n--fb\r\n'
			printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\n図面です。\r\n--fb\r\n'
			printf 'Content-Type: application/pdf; name="zumen.pdf"\r\n'
			printf 'Content-Transfer-Encoding: base64\r\n\r\n'
			{ printf '%%PDF-1.4\n'; head -c $((mb * 1048576)) /dev/urandom; } | base64 -w 76 | sed 's/$/\r/'
			printf -- '--fb--\r\n' ;;
		esac
	} >"$FM/$id.eml"
}
relay() { sg_swaks "$SG_RELAY_PORT" "$FROM" "$VENDOR" "$FM/$1.eml" "$SG_BASE/swaks-$1.txt"; }
relay_qid() { swaks_qid "$SG_BASE/swaks-$1.txt"; }
n_sink() { grep -rlx "X-Fault-Id: $1" "$SG_SINK" 2>/dev/null | grep -c .; }
# Confirmed records only (issue 15): a record still arriving, or closed
# as never-arrived (a phantom of a kill or a stop before the commit), is
# not a hold of the message.
n_hold() { sg_sql "SELECT count(*) FROM holds WHERE subject = 'fault $1' AND status NOT IN ('arriving', 'never-arrived');"; }
once() {
	if [ "$2" = clean ]; then
		[ "$(n_sink "$1")" = 1 ] && [ "$(n_hold "$1")" = 0 ]
	else
		[ "$(n_sink "$1")" = 0 ] && [ "$(n_hold "$1")" = 1 ] &&
			[ "$(pf_queue_name "$(sg_sql "SELECT queue_id FROM holds WHERE subject = 'fault $1' AND status NOT IN ('arriving', 'never-arrived');")")" = hold ]
	fi
}
# Seen once, whichever way: delivered once, or held once (not both).
settled_once() { once "$1" clean || once "$1" hold; }
invariant_now() {
	local q h
	q=$(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | sort)
	h=$(sg_sql "SELECT queue_id FROM holds WHERE status = 'pending' AND applied = 0;" | sort)
	[ "$q" = "$h" ]
}
# fault_state ID...: what became of each message, for a failed check:
# deliveries, where its relayed copy is, its hold records (all states),
# and the milter's last store errors. CI keeps only this output.
fault_state() {
	local id
	for id in "$@"; do
		note "state $id: delivered $(n_sink "$id"), relayed copy in" \
			"'$(pf_queue_name "$(relay_qid "$id")")', holds:" \
			"$(sg_sql "SELECT id || '/' || status || '/' || queue_id || '/' || applied FROM holds WHERE subject = 'fault $id';" | tr '\n' ' ')"
	done
	note "hold queue: $(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | tr '\n' ' ')"
	grep -iE 'store|disk|full|busy|locked|hold=' "$SG_MDIR/stderr.log" 2>/dev/null | tail -8 |
		while IFS= read -r l; do note "milter: ${l:0:240}"; done
}
# A file just committed is confirmed within a second or so: allow 15 s.
invariant() { wait_for 15 invariant_now; }
# deferred_in_relay ID: the message waits in our queue (not lost).
in_relay_queue() {
	local q
	q=$(pf_queue_name "$(relay_qid "$1")")
	[ "$q" = deferred ] || [ "$q" = active ] || [ "$q" = incoming ]
}
settle() { wait_for "${1:-60}" pf_queue_settled; sleep 1; }
# retry [SECONDS]: retry deferred mail now, and again every second until
# only held mail is left (at most SECONDS). One flush is not enough: a
# file that the queue manager picks up while the delivery that just
# deferred it still has it locked ("skipped, still being delivered" in
# the log) is put back in the incoming queue with its time stamp 60 s
# ahead (Postfix qmgr_active_feed), and only a flush (postqueue -f scans
# ignoring time stamps) or qmgr's 300 s wakeup takes it again; one
# flush then a plain wait sat out settle's whole timeout.
retry() { RETRY_POLLS=0; wait_for "${1:-90}" settled_or_flush; sleep 1; }
settled_or_flush() {
	pf_queue_settled && return 0
	RETRY_POLLS=$((RETRY_POLLS + 1))
	[ $((RETRY_POLLS % 5)) = 1 ] && pf_flush
	return 1
}
# The milter's open spool files (unlinked, O_TMPFILE): a message is
# being received past memory_limit.
milter_spooling() {
	ls -l "/proc/$SG_MILTER_PID/fd" 2>/dev/null | grep -q "$SG_MDIR/spool"
}
fault_start() {
	pf_setup
	milter_setup "$@"
	sink_start
	pf_start
	milter_start || die "the milter did not start"
}
fault_end() {
	check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}
