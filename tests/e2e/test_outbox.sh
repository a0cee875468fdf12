#!/bin/bash
#
# tests/e2e/test_outbox.sh - notices through the store's outbox, on a real
# Postfix (tests/e2e/lib.sh), submitted by SMTP to the gateway listener.
# Checked:
#   - the time from the end of DATA to the 250 reply for a held message
#     does not grow with the number of approvers (1 vs 5, median of 5
#     each; the ratio is printed), and the notices reach the sink after
#     the hold was answered;
#   - every notice is whole: X-Sendguard-Notice, a Message-ID and a
#     body that decodes to text; no empty mail from sendguard;
#   - notices only to internal addresses (issue 13 class 7): an external
#     or null sender gets none, an external approver gets none, the
#     internal ones do;
#   - the milter killed with notices pending (the submission listener
#     down, kill -9) delivers each after the restart;
#   - the milter dying after a notice was accepted but before it was
#     marked sent (SG_FAULT=notice-unrecorded): after the restart that
#     notice arrives again with the same Message-ID, the others once;
#   - one audit record per notice sent; list --notices shows the rows
#     not sent and a notice undeliverable for [notify] max_age is given
#     up, logged and listed as failed.
# Output: one line per assertion, "N passed, M failed" last.

SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in postfix smtp-sink swaks sqlite3 jq; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

I=$SG_INTERNAL
FROM=tanaka@$I
VENDOR=t.yamada@sakura-sys.example
M=$SG_BASE/mail
mkdir -p "$M"
FIVE="ap1@$I, ap2@$I, ap3@$I, ap4@$I, ap5@$I"

pf_setup
# The sender's own approvers are asked only for an authenticated sender
# (issue 14): section 1 sends with SMTP AUTH as the sender's local part.
pf_sasl tanaka
ONE=suzuki@soumu.$I	# a subdomain: internal, not matched by *@$I
# An approver outside internal_domains is refused when the configuration
# is loaded (main, issue 14); the notice rule below is the second line.
milter_setup "approvers.*@$I=$FIVE" "approvers.*@soumu.$I=kacho@$I" \
	"approvers.category:dangerous-attachment=security-officer@$I"
sink_start
pf_start
milter_start || die "the milter did not start"
CONF=$(milter_conf)
cp "$CONF" "$CONF.orig"

# --- helpers -----------------------------------------------------------------

send() {	# send NAME FROM TO FILE [PORT]: QID, REPLY, LAPSE (s, end of DATA -> reply); FROM "" is MAIL FROM:<>
	local out=$SG_BASE/swaks-$1.txt
	swaks --server 127.0.0.1 --port "${5:-$SG_GW_PORT}" --helo client.sendguard.test \
		${AUTH:+--auth PLAIN --auth-user "$AUTH" --auth-password "pw-$AUTH"} \
		--from "${2:-<>}" --to "$3" --data "@$4" --timeout 120 --suppress-data -stl >"$out" 2>&1
	QID=$(swaks_qid "$out")
	REPLY=$(swaks_data_reply "$out")
	LAPSE=$(awk '/^<[-*~]+ +354/ {f=1; next}
		f && /^=== response in/ {sub(/^=== response in /, ""); sub(/s$/, ""); print; exit}' "$out")
}
hold_of() { sg_sql "SELECT id FROM holds WHERE queue_id = '$1';"; }
# notices_about HOLD: sink files of notices whose decoded text names HOLD
decode() { sink_message "$1" | awk 'b {print} /^$/ {b=1}' | base64 -d 2>/dev/null; }
all_notices() { grep -rl '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null | sort -u; }
# Each notice is decoded once into $DEC (the sink is polled often).
DEC=$SG_BASE/decoded
mkdir -p "$DEC"
notices_about() {
	local f d
	for f in $(all_notices); do
		d=$DEC/$(basename "$f")
		[ -f "$d" ] || decode "$f" >"$d"
		grep -qF "$1" "$d" && echo "$f"
	done
}
n_about() { notices_about "$1" | grep -c .; }
# rows HOLD: the notices recorded for a hold (sender + its approvers)
rows() { sg_sql "SELECT count(*) FROM outbox WHERE hold_id = '$1';"; }
rcpt_of() { sink_rcpts "$1" | head -1; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# pdf MAIL SUBJECT: a held message (an unencrypted attachment)
pdf_mail() {	# pdf_mail FILE SUBJECT FROM
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n' "$3" "$VENDOR" "$2" "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n' "$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$I"
		printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
		printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\n見積書を添付します。\r\n--b1\r\n'
		printf 'Content-Type: application/pdf; name="mitsumori.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
		{ printf '%%PDF-1.4\n'; head -c 4000 /dev/urandom; } | base64 -w 76 | sed 's/$/\r/'
		printf -- '--b1--\r\n'
	} >"$1"
}
classified_mail() { sg_mail "$1" "$FROM" "$VENDOR" "$2" "【機密性2】委託契約書(案)を送付します。"; }

# --- 1. DATA -> 250 does not grow with the approvers ------------------------------

t1="" t5="" h1="" h5=""
for i in 1 2 3 4 5; do
	pdf_mail "$M/one-$i.eml" "one approver $i" "$ONE"
	send "one-$i" "$ONE" "$VENDOR" "$M/one-$i.eml"
	[[ "$REPLY" == 250* ]] && t1="$t1 $LAPSE" && h1="$h1 $(hold_of "$QID")"
	pdf_mail "$M/five-$i.eml" "five approvers $i" "$FROM"
	AUTH=tanaka send "five-$i" "$FROM" "$VENDOR" "$M/five-$i.eml"
	[[ "$REPLY" == 250* ]] && t5="$t5 $LAPSE" && h5="$h5 $(hold_of "$QID")"
done
m1=$(echo $t1 | tr ' ' '\n' | median)
m5=$(echo $t5 | tr ' ' '\n' | median)
check "held with 1 approver: 5 x 250 and 5 hold records (median end of DATA -> 250: ${m1}s)" \
	[ "$(echo $h1 | wc -w)" = 5 ]
check "held with 5 approvers: 5 x 250 and 5 hold records (median: ${m5}s)" \
	[ "$(echo $h5 | wc -w)" = 5 ]
ratio=$(awk -v a="$m1" -v b="$m5" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "inf" }')
note "end of DATA -> 250: 1 approver ${m1}s, 5 approvers ${m5}s, ratio 5/1 = $ratio"
check "end of DATA -> 250 does not grow with the approvers (5 vs 1: ratio $ratio; at most 2x + 50 ms)" \
	awk -v a="$m1" -v b="$m5" 'BEGIN { exit !(b <= 2 * a + 0.05) }'
all_arrived() {
	local h
	for h in $h1; do [ "$(n_about "$h")" -ge 2 ] || return 1; done
	for h in $h5; do [ "$(n_about "$h")" -ge 6 ] || return 1; done
}
check "the notices reach the sink afterwards (sender + 1, sender + 5 per hold)" wait_for 60 all_arrived
h=$(echo $h5 | awk '{print $1}')
check "the hold was answered before its notices were sent (log order)" \
	awk -v h="$h" '$0 ~ "verdict=hold hold=" h {v=NR} $0 ~ "notice [0-9]+ sent: hold=" h {if (!s) s=NR}
		END {exit !(v && s && v < s)}' "$SG_MDIR/stderr.log"
check "one audit record per notice sent (5 x 2 + 5 x 6 = 40)" \
	eval '[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'"'notice'"'"';")" = 40 ]'

# --- 2. whole notices, internal recipients only -----------------------------------

whole() {
	local f n=0
	for f in $(all_notices); do
		[ -n "$(header Message-ID "$f")" ] || return 1
		[ -n "$(decode "$f" | tr -d '[:space:]')" ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 40 ]
}
check "every notice at the sink is whole (signed, Message-ID, a body that decodes)" whole
no_empty_from_us() {
	local f
	for f in $(grep -rl "^From: sendguard" "$SG_SINK" 2>/dev/null); do
		[ -n "$(body_of "$f" | tr -d '[:space:]')" ] || return 1
		grep -q '^X-Sendguard-Notice:' "$f" || return 1
	done
}
check "no empty or unsigned mail from sendguard reached the sink" no_empty_from_us

EXT=buyer@partner.example
classified_mail "$M/ext.eml" "external sender"
sed -i "s/^From: .*/From: $EXT/" "$M/ext.eml"
send ext "$EXT" "$VENDOR" "$M/ext.eml"
HEXT=$(hold_of "$QID")
check "an external sender's classified mail is held ($REPLY)" [ -n "$HEXT" ]
classified_mail "$M/null.eml" "null sender"
send null "" "$VENDOR" "$M/null.eml"
HNULL=$(hold_of "$QID")
check "a null sender's classified mail is held ($REPLY)" [ -n "$HNULL" ]
{
	printf 'From: %s\r\nTo: %s\r\nSubject: tool\r\nDate: %s\r\nMIME-Version: 1.0\r\n' "$FROM" "$VENDOR" "$(LC_ALL=C date -R)"
	printf 'Content-Type: multipart/mixed; boundary="b2"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b2\r\n'
	printf 'Content-Type: application/octet-stream; name="tool.exe"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
	{ printf 'MZ\x90\x00'; head -c 2000 /dev/zero; } | base64 -w 76 | sed 's/$/\r/'
	printf -- '--b2--\r\n'
} >"$M/exe.eml"
send exe "$FROM" "$VENDOR" "$M/exe.eml"
HEXE=$(hold_of "$QID")
check "a dangerous attachment is held for security-officer ($REPLY)" \
	eval '[ -n "$HEXE" ] && sg_sql "SELECT approvers FROM holds WHERE id = '"'"'$HEXE'"'"';" | grep -q security-officer@'
check "the internal approvers of those holds get their requests" \
	wait_for 60 eval '[ "$(n_about "$HEXT")" -ge 1 ] && [ "$(n_about "$HNULL")" -ge 1 ] && [ "$(n_about "$HEXE")" -ge 2 ]'
sleep 3
to_whom() { local f; for f in $(notices_about "$1"); do rcpt_of "$f"; done | sort -u | tr '\n' ' '; }
check "no notice to the external sender $EXT (notices of its hold went to: $(to_whom "$HEXT"))" \
	eval '! to_whom "$HEXT" | grep -q partner.example'
check "no notice to anyone for the null sender but its approver ($(to_whom "$HNULL"))" \
	eval '[ "$(to_whom "$HNULL")" = "security-officer@$I " ]'
check "no notice to the external approver, the sender and security-officer get theirs ($(to_whom "$HEXE"))" \
	eval '! to_whom "$HEXE" | grep -q partner.example && to_whom "$HEXE" | grep -q "security-officer@$I $FROM"'
check "nothing of sendguard's at the sink went to an external address" \
	eval '! for f in $(all_notices); do rcpt_of "$f"; done | grep -qvE "[@.]$I\$"'
check "the milter logged why the external sender was not told" \
	grep -q "hold=$HEXT: 1 notice(s) not made" "$SG_MDIR/stderr.log"

# A rejection (機密性3 to a contractor) from an external sender: the
# 550 5.7.1 text, which the upstream MTA bounces back to the sender,
# names categories and rule ids only (never the subject or a file
# name), and no rejection notice is made for the external sender.
sed "s/^From: .*/From: $EXT/" "$SG_SRCDIR/tests/fixtures/kimitsu3_subject_external.eml" >"$M/rej-ext.eml"
send rej-ext "$EXT" "$VENDOR" "$M/rej-ext.eml"
check "an external sender's class-3 mail is rejected ($REPLY)" eval '[[ "$REPLY" == "550 5.7.1"* ]]'
check "the 5.7.1 text carries category/rule ids only" eval \
	'echo "$REPLY" | grep -qE "^550 5\.7\.1 Message refused by sendguard \(outgoing mail policy\):( [a-z0-9-]+/[A-Za-z0-9_.:-]+)+( \.\.\.)?\. No notice was sent\.\$"'
check "no rejection notice is made for the external sender" \
	eval '[ "$(sg_sql "SELECT count(*) FROM outbox WHERE rcpt LIKE '"'"'%partner.example'"'"';")" = 0 ]'
check "the milter logged why" wait_for 10 \
	grep -q "no rejection notice: the sender $EXT is not an internal address" "$SG_MDIR/stderr.log"
send rej-null "" "$VENDOR" "$SG_SRCDIR/tests/fixtures/kimitsu3_subject_external.eml"
check "a null sender's class-3 mail is rejected, and no notice goes to <> ($REPLY)" \
	eval '[[ "$REPLY" == "550 5.7.1"* ]] && grep -q "no rejection notice: the sender <> is not an internal address" "$SG_MDIR/stderr.log"'
check "and its 5.7.1 text does not claim a notice ($REPLY)" \
	eval '[[ "$REPLY" == *". No notice was sent." ]]'
# An internal sender's rejection: the notice is in the outbox before the
# reply says so.
send rej-int "$FROM" "$VENDOR" "$SG_SRCDIR/tests/fixtures/kimitsu3_subject_external.eml"
check "an internal sender's class-3 mail is rejected and the reply says a notice is queued ($REPLY)" \
	eval '[[ "$REPLY" == "550 5.7.1"*". A notice to the sender has been queued." ]]'

# --- 3. killed with notices pending -----------------------------------------------

sed -i "s/^smtp = .*/smtp = 127.0.0.1:1/" "$CONF"
milter_stop
milter_start || die "the milter did not restart"
classified_mail "$M/pend.eml" "pending notices"
send pend "$FROM" "$VENDOR" "$M/pend.eml"
HPEND=$(hold_of "$QID")
check "held while the notice listener is down ($REPLY)" [ -n "$HPEND" ]
check "its notices are retried, with a log line each" \
	wait_for 20 grep -q "not sent (attempt 1, next in 5 s): hold=$HPEND" "$SG_MDIR/stderr.log"
rc "$SG_CTL" -c "$CONF" list --notices
check "list --notices shows them with their last error" \
	eval '[ "$(echo "$OUT" | grep -c "$HPEND")" = "$(rows "$HPEND")" ] && echo "$OUT" | grep -q "smtp 127.0.0.1"'
kill -KILL "$SG_MILTER_PID"
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=""
cp "$CONF.orig" "$CONF"
milter_start || die "the milter did not restart"
check "after kill -9 and a restart, each pending notice arrives (sender + approvers: $(rows "$HPEND"))" \
	wait_for 60 eval '[ "$(n_about "$HPEND")" -ge "$(rows "$HPEND")" ] && [ "$(to_whom "$HPEND" | wc -w)" = "$(rows "$HPEND")" ]'

# --- 4. died after a notice was accepted, before it was recorded --------------------

milter_stop
SG_FAULT=notice-unrecorded milter_start || die "the milter did not start with SG_FAULT"
classified_mail "$M/dup.eml" "unrecorded"
send dup "$FROM" "$VENDOR" "$M/dup.eml"
HDUP=$(hold_of "$QID")
check "held ($REPLY); the milter then dies right after handing over a notice" \
	eval '[ -n "$HDUP" ] && wait_for 30 eval "! kill -0 $SG_MILTER_PID 2>/dev/null"'
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=""
check "the held message is in the hold queue" eval '[ "$(pf_queue_name "$QID")" = hold ]'
milter_start || die "the milter did not restart"
check "after the restart the notices of that hold arrive" wait_for 60 eval '[ "$(n_about "$HDUP")" -ge $(( $(rows "$HDUP") + 1 )) ]'
sleep 2
ids=$(for f in $(notices_about "$HDUP"); do header Message-ID "$f"; done | sort)
check "exactly one notice arrived twice, both copies with the same Message-ID ($(echo "$ids" | uniq -c | tr -s ' \n' ' '))" \
	eval '[ "$(echo "$ids" | uniq -d | grep -c .)" = 1 ] && [ "$(echo "$ids" | uniq | grep -c .)" = "$(rows "$HDUP")" ]'
check "... and is audited once (one notice record per notice of the hold)" \
	eval '[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'"'notice'"'"' AND hold_id = '"'"'$HDUP'"'"';")" = "$(rows "$HDUP")" ]'
check "the milter logged that it took over the dead drainer's lease" \
	grep -q "which is gone (pid" "$SG_MDIR/stderr.log"

# --- 5. given up after max_age ----------------------------------------------------

sed -i "s/^smtp = .*/smtp = 127.0.0.1:1/" "$CONF"
milter_stop
milter_start || die "the milter did not restart"
classified_mail "$M/old.eml" "given up"
send old "$FROM" "$VENDOR" "$M/old.eml"
HOLD_OLD=$(hold_of "$QID")
wait_for 20 grep -q "not sent (attempt 1.*hold=$HOLD_OLD" "$SG_MDIR/stderr.log"
milter_stop
# Age its rows past max_age (1d): what a day of a dead listener does.
sqlite3 -cmd ".timeout 10000" "$SG_MDIR/db/sendguard.db" "UPDATE outbox SET created_t = created_t - 90000, next_t = 0 WHERE hold_id = '$HOLD_OLD';"
milter_start || die "the milter did not restart"
check "a notice undeliverable for max_age is given up and logged" \
	wait_for 30 grep -q "given up: hold=$HOLD_OLD" "$SG_MDIR/stderr.log"
rc "$SG_CTL" -c "$CONF" list --notices --json
check "list --notices shows it as failed" \
	eval 'echo "$OUT" | jq -e --arg h "$HOLD_OLD" "[.[] | select(.hold_id == \$h and .state == \"failed\")] | length == $(rows "$HOLD_OLD")" >/dev/null'
check "audited as notice-failed" \
	eval '[ "$(sg_sql "SELECT count(*) FROM audit WHERE event = '"'"'notice-failed'"'"' AND hold_id = '"'"'$HOLD_OLD'"'"';")" = "$(rows "$HOLD_OLD")" ]'
cp "$CONF.orig" "$CONF"
milter_stop
check "the milter stops cleanly (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
note "logs: $SG_BASE/log/maillog, $SG_MDIR/stderr.log; sink: $SG_SINK"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
