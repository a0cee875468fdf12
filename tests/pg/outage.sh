#!/bin/bash
#
# NAME
#	tests/pg/outage.sh - the database stopped under mail, then back
# DESCRIPTION
#	Issue 20 item 3 with the real thing: a private PostgreSQL
#	(tests/pg/lib.sh) and a private Postfix (tests/e2e/lib.sh) whose
#	milter keeps its store in it. SG_OUT_SESSIONS swaks sessions (4)
#	each submit SG_OUT_MAILS messages (12; every fourth has an
#	unencrypted xlsx, the others are clean) through the relaying
#	listener, which queues them and hands them to the gateway listener
#	with the milter, so that a tempfail leaves the mail deferred in a
#	queue that retries it (what a relaying MTA in front does). While
#	they send, the database is stopped (pg_ctl stop -m fast: every
#	session ended) for SG_OUT_DOWN seconds (6), then started again.
#	Checked:
#	  - every message ends exactly once where it belongs: clean mail
#	    at the sink, held mail in the hold queue (counted against
#	    what was sent, by a unique header);
#	  - mail did reach the milter while the database was down and was
#	    tempfailed (Postfix deferred it with the milter's 451 4.7.1);
#	  - the milter logged the outage once: one "store unreachable"
#	    line and one "store back after N s, M messages tempfailed"
#	    line with M >= 1, no line per message;
#	  - it reconnected by itself (no restart) and holds made after the
#	    outage are confirmed pending; one accept record per delivered
#	    clean message (none lost, none twice) and `audit verify` passes.
#	Output: one line per assertion, "N passed, M failed" last. About
#	a minute. The issue's full load (500 messages from 20 sessions)
#	is the same script with SG_OUT_SESSIONS=20 SG_OUT_MAILS=25.
# ENVIRONMENT
#	SG_MILTER, SG_CTL, SG_SRCDIR, SG_TEST_ROOT, SG_OUT_SESSIONS,
#	SG_OUT_MAILS, SG_OUT_DOWN.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/lib.sh"
mail=$here/../e2e/mail
S=${SG_OUT_SESSIONS:-4}
K=${SG_OUT_MAILS:-12}
DOWN=${SG_OUT_DOWN:-6}

for t in postfix smtp-sink swaks jq postqueue postcat psql; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
SENDERS=""
cleanup() {
	local rc=$? p
	for p in $SENDERS; do kill "$p" 2>/dev/null; done
	milter_stop
	pg_cleanup
	(exit "$rc")
	sg_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_setup || die "cannot start PostgreSQL"
sg_ensure_user
pg_passfile "$SG_MILTER_USER"
ok "private PostgreSQL on 127.0.0.1:$PG_PORT"

SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
M=$SG_BASE/mail
mkdir -p "$M"
pf_setup
milter_setup "store.backend=postgresql" "store.dsn=$PG_DSN"
sink_start
pf_start
milter_start || die "milter did not start: $(tail -5 "$SG_MDIR/stderr.log")"
LOG=$SG_MDIR/stderr.log

# The messages: out-S-I, every fourth with the xlsx.
for s in $(seq 1 "$S"); do
	for i in $(seq 1 "$K"); do
		if [ $((i % 4)) = 0 ]; then f=demo3_xlsx.eml; else f=demo1_clean.eml; fi
		{ echo "X-E2E-Id: out-$s-$i"; cat "$mail/$f"; } >"$M/out-$s-$i.eml"
	done
done
held_id() { [ $((${1##*-} % 4)) = 0 ]; }

# sender S: one SMTP session per message to the relaying listener (it
# queues and retries what the gateway tempfails), paced so that the
# sending spans the outage.
sender() {
	local s=$1 i
	for i in $(seq 1 "$K"); do
		swaks --server 127.0.0.1 --port "$SG_RELAY_PORT" --helo client.sendguard.test \
			--from "$SENDER" --to "$VENDOR" --data "@$M/out-$s-$i.eml" \
			--timeout 60 --suppress-data >"$SG_BASE/swaks-$s-$i.txt" 2>&1
		sleep 0.5
	done
}
t0=$(date +%s)
for s in $(seq 1 "$S"); do
	sender "$s" 9>&- &
	SENDERS="$SENDERS $!"
done
sleep 2
pg_stop_fast || die "pg_ctl stop failed"
note "PostgreSQL stopped at +$(($(date +%s) - t0)) s for $DOWN s"
sleep "$DOWN"
pg_start || die "pg_ctl start failed"
note "PostgreSQL started again at +$(($(date +%s) - t0)) s"
for p in $SENDERS; do wait "$p"; done
SENDERS=""
refused=$(grep -L "^<-  250 .*queued as" "$SG_BASE"/swaks-*.txt | wc -l)
check "the relaying listener took all $((S * K)) messages ($refused refused)" [ "$refused" = 0 ]

# held_ids: the X-E2E-Id of every message in the hold queue.
held_ids() {
	local q
	for q in $(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id'); do
		postcat -c "$SG_PFDIR" -hq "$q" 2>/dev/null | sed -n 's/^X-E2E-Id: //p' | head -1
	done
}
sink_ids() { grep -rh "^X-E2E-Id: out-" "$SG_SINK" 2>/dev/null | sed 's/^X-E2E-Id: //' | tr -d '\r'; }
# Postfix 3.7's queue manager sometimes logs "skipped, still being
# delivered" for a message the gateway tempfailed and then leaves it
# deferred far longer than maximal_backoff_time (seen here: 90 s and
# more under load): a flush every 5 s makes it retry, as its next
# queue run would.
FLUSHED=0
all_ended() {
	if [ $(( $(date +%s) - FLUSHED )) -ge 5 ]; then FLUSHED=$(date +%s); pf_flush; fi
	pf_queue_settled && [ $(( $(sink_ids | wc -l) + $(held_ids | wc -l) )) -ge $((S * K)) ]
}
check "every message ended delivered or held within 90 s" wait_for 90 all_ended
sleep 2
sink_ids | sort >"$SG_BASE/sink.ids"
held_ids | sort >"$SG_BASE/held.ids"
bad=0 nclean=0 nheld=0
for s in $(seq 1 "$S"); do
	for i in $(seq 1 "$K"); do
		id=out-$s-$i
		d=$(grep -cx "$id" "$SG_BASE/sink.ids")
		h=$(grep -cx "$id" "$SG_BASE/held.ids")
		if held_id "$id"; then
			nheld=$((nheld + 1))
			[ "$d$h" = 01 ] || { bad=$((bad + 1)); note "$id: delivered $d, held $h (want held once)"; }
		else
			nclean=$((nclean + 1))
			[ "$d$h" = 10 ] || { bad=$((bad + 1)); note "$id: delivered $d, held $h (want delivered once)"; }
		fi
	done
done
check "each of $((S * K)) messages exactly once: $nclean clean delivered, $nheld held ($bad wrong)" [ "$bad" = 0 ]
deferred=$(grep -c "status=deferred.*4\.7\.1 sendguard could not check" "$SG_BASE/log/maillog")
check "mail reached the milter during the outage and was tempfailed ($deferred deferrals)" [ "$deferred" -ge 1 ]
check "one \"store unreachable\" line" [ "$(grep -c "store unreachable" "$LOG")" = 1 ]
check "one \"store back\" line" [ "$(grep -c "store back after" "$LOG")" = 1 ]
back=$(grep -o "store back after [0-9]* s, [0-9]* messages\? tempfailed" "$LOG")
n=$(echo "$back" | sed -n 's/.*s, \([0-9]*\) message.*/\1/p')
check "\"$back\": the tempfailed messages are counted" [ "${n:-0}" -ge 1 ]
check "no log line per message for the outage" \
	eval '! grep -qE "internal failure|cannot record the (hold|verdict)" "$LOG"'
note "$(grep -E "store (unreachable|back)" "$LOG" | sed 's/^.*sendguard-milter[^:]*: //')"
check "the milter ran throughout (no restart)" kill -0 "$SG_MILTER_PID"
# The notifier confirms every hold once Postfix has its file.
pending() { [ "$(pg_sql "SELECT count(*) FROM holds WHERE status = 'pending';")" = "$nheld" ]; }
check "every held message has its hold pending in PostgreSQL ($nheld)" wait_for 30 pending
accepts=$(pg_sql "SELECT count(*) FROM audit WHERE event = 'verdict' AND detail LIKE '{\"verdict\":\"accept\"%';")
check "one accept record per delivered clean message ($accepts of $nclean)" [ "$accepts" = "$nclean" ]
rc "$SG_CTL" -c "$(milter_conf)" audit verify
check "audit verify: $OUT" eval '[ "$RC" = 0 ] && echo "$OUT" | grep -q intact'
milter_stop
check "the milter stops cleanly (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report" milter_sanitizer_clean

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
