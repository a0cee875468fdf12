#!/bin/bash
#
# tests/e2e/test_recipients.sh - envelope recipients that leave after
# rewriting (issue 13, class 3) on a real Postfix, in both deployment
# shapes:
#   mydestination  the internal domain is local to this Postfix: Postfix
#                  itself rewrites user%gmail.com@ours, "user@gmail.com"@ours,
#                  gmail.com!user@ours and user@gmail.com@ours to
#                  user@gmail.com and sends them out; the milter sees
#                  that in {rcpt_addr};
#   relay_domains  Postfix relays the domain unchanged (the next internal
#                  MTA would rewrite): the rule on the given address
#                  (no '%', '!', '@' in the de-quoted local part, source
#                  route removed) decides.
# For every form, in both shapes: a class-3 mail (demo6_class3.eml) is
# refused with 5.7.1 and an xlsx mail (demo3_xlsx.eml, held when
# outbound) is held with the recipient recorded as external; nothing of
# either reaches the sink. Legitimate forms (user+tag@ours, "john
# doe"@ours, o'brien@ours, dots and hyphens) stay internal: the class-3
# mail is delivered.
# Output: one line per assertion, "N passed, M failed" last.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in postfix postconf smtp-sink swaks sqlite3 jq postqueue; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

OURS=$SG_INTERNAL
SENDER=tanaka@$OURS
M=$SG_BASE/mail
mkdir -p "$M"

LEAVE=(
	"user%gmail.com@$OURS"
	"\"user@gmail.com\"@$OURS"
	"gmail.com!user@$OURS"
	"user@gmail.com@$OURS"
	"\"user%gmail.com\"@$OURS"
	"USER%GMAIL.COM@${OURS^^}"
	"@relay.example:user%gmail.com@$OURS"
)
STAY=(
	"tanaka+tag@$OURS"
	"\"john doe\"@$OURS"
	"o'brien@$OURS"
	"taro.yamada-x@hoken.$OURS"
)

pf_setup
milter_setup
sink_start
pf_start
milter_start || die "milter did not start"

# mail ID FILE: a copy of FILE with X-E2E-Id: rc-ID (the sink is searched
# for it; notices never copy it).
mail() {
	{ echo "X-E2E-Id: rc-$1"; cat "$here/mail/$2"; } >"$M/$1.eml"
	echo "$M/$1.eml"
}
sink_n() { grep -rlx "X-E2E-Id: rc-$1" "$SG_SINK" 2>/dev/null | grep -c .; }
sink_is() { [ "$(sink_n "$1")" = "$2" ]; }
none_at_sink() { sink_is "$1" 0 && sink_is "$2" 0; }
held() { [ -n "$1" ] && [ "$(pf_queue_name "$2")" = hold ]; }
# rcpt_arg FILE ADDR: the sink saw RCPT TO:<ADDR>
rcpt_arg() { [ -n "$1" ] && grep -qF "X-Rcpt-Args: <$2> " "$1"; }
settle() { pf_flush; wait_for 30 pf_queue_settled; sleep 1; }

# shape NAME POSTCONF...: reconfigure the running Postfix.
shape() {
	local name=$1
	shift
	postconf -c "$SG_PFDIR" -e "$@" || die "postconf $*"
	postfix -c "$SG_PFDIR" reload >/dev/null 2>&1 || die "postfix reload"
	sleep 1
	echo "# shape $name: $(postconf -c "$SG_PFDIR" -h mydestination | sed 's/^/mydestination=/') $(postconf -c "$SG_PFDIR" -h relay_domains | sed 's/^/relay_domains=/')"
}

# run_shape NAME: every form against the current configuration.
run_shape() {
	local s=$1 i=0 r f out qid reply hid ext
	for r in "${LEAVE[@]}"; do
		i=$((i + 1))
		f=$(mail "$s-r$i" demo6_class3.eml)
		out=$SG_BASE/swaks-$s-r$i.txt
		sg_swaks "$SG_GW_PORT" "$SENDER" "$r" "$f" "$out"
		reply=$(swaks_data_reply "$out")
		case $reply in
		550\ 5.7.1*) ok "$s: class 3 to $r is rejected ($reply)" ;;
		*) if grep -q '^<[*~-]* *5[0-9][0-9] .*' "$out" && [ -z "$reply" ]; then
			ok "$s: $r is refused by Postfix at RCPT: $(grep -m1 '^<[*~-]* *5' "$out")"
		   else
			nok "$s: class 3 to $r: expected 550 5.7.1 at DATA, got '$reply'"
		   fi ;;
		esac

		f=$(mail "$s-h$i" demo3_xlsx.eml)
		out=$SG_BASE/swaks-$s-h$i.txt
		sg_swaks "$SG_GW_PORT" "$SENDER" "$r" "$f" "$out"
		qid=$(swaks_qid "$out")
		if [ -z "$qid" ]; then
			nok "$s: xlsx to $r: not queued: $(swaks_data_reply "$out")"
			continue
		fi
		hid=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$qid';")
		check "$s: xlsx to $r is held (hold '$hid', queue $(pf_queue_name "$qid"))" \
			held "$hid" "$qid"
		ext=$(sg_sql "SELECT recipients FROM holds WHERE id = '$hid';" |
			jq -r '[.[] | (if type == "object" then .external else empty end)] | all')
		check "$s: the hold records $r as external" [ "$ext" = true ]
	done
	i=0
	for r in "${STAY[@]}"; do
		i=$((i + 1))
		f=$(mail "$s-s$i" demo6_class3.eml)
		out=$SG_BASE/swaks-$s-s$i.txt
		sg_swaks "$SG_GW_PORT" "$SENDER" "$r" "$f" "$out"
		qid=$(swaks_qid "$out")
		check "$s: class 3 to $r (internal) is accepted (queue id '$qid')" [ -n "$qid" ]
	done
	settle
	i=0
	for r in "${LEAVE[@]}"; do
		i=$((i + 1))
		check "$s: nothing for $r reached the sink" none_at_sink "$s-r$i" "$s-h$i"
	done
	i=0
	for r in "${STAY[@]}"; do
		i=$((i + 1))
		wait_for 20 sink_is "$s-s$i" 1
		check "$s: the mail to $r (internal) was delivered once" sink_is "$s-s$i" 1
	done
}

# Shape 1: ours is local. Local delivery goes to the sink over SMTP, so
# that legitimate internal mail is seen arriving.
shape mydestination "mydestination = $OURS" "relay_domains =" \
	"local_transport = relay:[127.0.0.1]:$SG_SINK_PORT"
# The premise: this Postfix really rewrites the form (so {rcpt_addr} is
# what shows it), seen through the no-milter port and the sink.
f=$(mail premise demo1_clean.eml)
sg_swaks "$SG_PLAIN_PORT" "$SENDER" "user%gmail.com@$OURS" "$f" "$SG_BASE/swaks-premise.txt"
settle
wait_for 20 sink_is premise 1
pf=$(grep -rlx "X-E2E-Id: rc-premise" "$SG_SINK" | head -1)
check "premise: without the milter, Postfix sends user%gmail.com@$OURS out as user@gmail.com" \
	rcpt_arg "$pf" "user@gmail.com"
run_shape mydest

# Shape 2: ours is relayed unchanged to the next MTA (the sink).
shape relay_domains "mydestination =" "relay_domains = $OURS" \
	"local_transport = error:5.1.1 no local delivery in the test instance"
f=$(mail premise2 demo1_clean.eml)
sg_swaks "$SG_PLAIN_PORT" "$SENDER" "user%gmail.com@$OURS" "$f" "$SG_BASE/swaks-premise2.txt"
settle
wait_for 20 sink_is premise2 1
pf=$(grep -rlx "X-E2E-Id: rc-premise2" "$SG_SINK" | head -1)
check "premise: with relay_domains, Postfix passes user%gmail.com@$OURS on unchanged" \
	rcpt_arg "$pf" "user%gmail.com@$OURS"
run_shape relay

milter_stop
check "the milter stops cleanly (status $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
