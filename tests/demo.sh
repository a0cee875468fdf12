#!/bin/bash
#
# tests/demo.sh - what `make demo` runs: sendguard on a real Postfix, on
# this machine only.
#
# Starts a private Postfix instance on 127.0.0.1 (it does not touch the
# system's Postfix), the sendguard milter, and smtp-sink as the "next
# hop" (it writes every message it receives to a file, so nothing
# leaves the machine). Sends a handful of realistic mails of a ward
# office, prints what happened to each and where to look, then stays in
# the foreground until Ctrl-C and stops everything it started.
#
#   bash tests/demo.sh          (make demo)
#   bash tests/demo.sh --stop   (make demo-stop, from another shell)
#
# Runs as root (Postfix). Files stay in /var/tmp/sendguard-test/demo
# until the next demo.

here=$(cd "$(dirname "$0")" && pwd)
SG_SRCDIR=${SG_SRCDIR:-$(cd "$here/.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/sendguard-milter}
SG_CTL=${SG_CTL:-$SG_SRCDIR/build/sendguardctl}
# Postfix reaches the milter on a unix socket, as on Debian (conf/postfix/
# main.cf.snippet); SG_MILTER_SOCKET=inet for a loopback port.
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
. "$here/e2e/lib.sh"

B=$(tput bold 2>/dev/null || true)
N=$(tput sgr0 2>/dev/null || true)
[ -t 1 ] || { B=""; N=""; }

if [ "${1:-}" = --stop ]; then
	st=$SG_TEST_ROOT/demo/state
	if [ ! -s "$st" ]; then
		echo "sendguard demo: nothing to stop (no demo is running)."
		exit 0
	fi
	pid=$(sed -n 's/^driver_pid=//p' "$st")
	sg_stop_slot "$SG_TEST_ROOT/demo"
	for _ in $(seq 1 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	: >"$st"
	echo "sendguard demo: stopped (Postfix test instance, sendguard-milter, smtp-sink)."
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "sendguard demo: please run as root (it starts a private Postfix instance): sudo make demo" >&2
	exit 1
fi
for t in postfix smtp-sink swaks sqlite3 jq; do
	command -v "$t" >/dev/null || { echo "sendguard demo: $t is missing: run 'make deps' first" >&2; exit 1; }
done
for f in "$SG_MILTER" "$SG_CTL"; do
	[ -x "$f" ] || { echo "sendguard demo: $f is not built: run 'make' first" >&2; exit 1; }
done

if ! SG_SLOT_NOWAIT=1 sg_take_slot demo; then
	pid=$(sed -n 's/^driver_pid=//p' "$SG_TEST_ROOT/demo/state" 2>/dev/null)
	echo "sendguard demo: a demo is already running${pid:+ (pid $pid)}. Stop it with 'make demo-stop'." >&2
	exit 1
fi
sg_state driver_pid $$
demo_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	echo
	echo "Stopping the demo..."
	[ -n "${sleeper:-}" ] && kill -TERM "$sleeper" 2>/dev/null
	[ -n "${SG_WEB_PID:-}" ] && kill -TERM "$SG_WEB_PID" 2>/dev/null
	[ -n "${SG_APPLIER_PID:-}" ] && kill -TERM "$SG_APPLIER_PID" 2>/dev/null
	milter_stop >/dev/null 2>&1
	pf_stop >/dev/null 2>&1
	sink_stop >/dev/null 2>&1
	: >"$SG_BASE/state"
	echo "Stopped Postfix (test instance), sendguard-milter and smtp-sink."
	echo "Their files stay in $SG_BASE until the next 'make demo'."
	exit "$rc"
}
trap demo_cleanup EXIT
trap 'exit 0' INT TERM

echo "${B}sendguard demo${N}: outgoing mail of a ward office (さくら区, domain example.lg.jp)"
echo "through a real Postfix with the sendguard milter. Everything runs on this machine,"
echo "on 127.0.0.1; no mail leaves it: Postfix hands every message to a test sink that"
echo "writes it to a file. The system's own Postfix configuration is not used."
echo

pf_setup
# Staff send with SMTP AUTH, as from Outlook on a submission port: the
# login tells sendguard who sent the mail (an envelope sender alone can
# be forged, so without a login the sender's own approvers are left out
# and the hold goes to the default approver).
pf_sasl tanaka suzuki-h sato-h
milter_setup
sink_start
pf_start
if ! milter_start; then
	echo "sendguard demo: the milter did not start; its messages are above and in $SG_MDIR/stderr.log" >&2
	exit 1
fi
SG_WEB_PID=""
if [ -x "$SG_SRCDIR/build/sendguard-web" ]; then
	"$SG_SRCDIR/build/sendguard-web" -c "$SG_MDIR/sendguard.conf" -f >"$SG_BASE/log/web.log" 2>&1 9>&- &
	SG_WEB_PID=$!
	sg_state web_pid "$SG_WEB_PID"
fi
CONF=$SG_MDIR/sendguard.conf
DB=$SG_MDIR/db/sendguard.db

# What sendguard-apply.path and .timer do in a deployment: a decision
# (web page or sendguardctl) is written to the store's WAL, and apply
# (root) carries it out on the queue at once; every minute regardless.
# So the page's promise "1分以内に送信" holds in the demo too.
demo_applier() {
	local last="" now n=0
	while :; do
		now=$(stat -c '%Y %s' "$DB-wal" 2>/dev/null)
		if [ "$now" != "$last" ] || [ $n -ge 60 ]; then
			"$SG_CTL" -c "$CONF" apply >>"$SG_BASE/log/apply.log" 2>&1
			# apply's own writes are not a new decision
			last=$(stat -c '%Y %s' "$DB-wal" 2>/dev/null)
			n=0
		fi
		n=$((n + 1))
		sleep 1
	done
}
demo_applier 9>&- &
SG_APPLIER_PID=$!
sg_state applier_pid "$SG_APPLIER_PID"

echo "Started:"
echo "  Postfix        127.0.0.1:$SG_GW_PORT (SMTP, with sendguard), config $SG_PFDIR"
echo "  sendguard      sendguard-milter on $SG_MILTER_LM, runs as user '$SG_MILTER_USER'"
echo "                 config $CONF"
echo "  next hop       smtp-sink on 127.0.0.1:$SG_SINK_PORT, one file per message in $SG_SINK/"
[ -n "$SG_WEB_PID" ] && echo "  approval page  $(sed -n 's/^base_url = //p' "$CONF")"
echo
echo "Policy (the defaults): mail that leaves the organisation is held for a second"
echo "person's approval when it carries personal data, an unencrypted or dangerous"
echo "attachment, several outside addresses visible to each other, or a 機密性2 marking;"
echo "機密性3 is refused outright; mail inside example.lg.jp is not checked. Approvers:"
echo "kacho@ and kakaricho@example.lg.jp for staff, security-officer@ for markings."
echo

DELIVERED=0 HELD=0 REJECTED=0 OTHER=0

# The fate of a queue id: hold, sent, or empty while in flight.
fate() {
	[ "$(pf_queue_name "$1")" = hold ] && { echo hold; return; }
	[ -n "$(sink_files "id $1")" ] && { echo sent; return; }
	echo ""
}

# demo_mail N FILE FROM TO SUBJECT WHAT: send one mail, say what happened.
demo_mail() {
	local n=$1 file=$SG_SRCDIR/tests/e2e/mail/$2 from=$3 to=$4 subj=$5 what=$6 out qid reply f i
	out=$SG_BASE/swaks-demo$n.txt
	sg_swaks_auth "$SG_GW_PORT" "${from%%@*}" "$from" "$to" "$file" "$out"
	qid=$(swaks_qid "$out")
	reply=$(swaks_data_reply "$out")
	echo "${B}[$n] $subj${N}"
	echo "    $what"
	echo "    from $from to $(echo "$to" | sed 's/,/, /g')"
	if [ -z "$qid" ]; then
		case $reply in
		5*)
			REJECTED=$((REJECTED + 1))
			echo "    ${B}=> REJECTED (拒否)${N}: Postfix refused it while the sender's mail program was"
			echo "       still connected, so the sender sees the error at once:"
			echo "         $reply"
			echo "       The sender was also sent a notice that explains why (see the sink)." ;;
		*)
			OTHER=$((OTHER + 1))
			echo "    => NOT ACCEPTED: $reply (see $out)" ;;
		esac
		echo
		return
	fi
	for i in $(seq 1 100); do
		f=$(fate "$qid")
		[ -n "$f" ] && break
		sleep 0.2
	done
	case $f in
	sent)
		DELIVERED=$((DELIVERED + 1))
		echo "    ${B}=> DELIVERED (送信)${N}: nothing to object to; Postfix passed it on (queue id $qid)."
		echo "       The next hop received it as $(sink_files "id $qid" | head -1)" ;;
	hold)
		HELD=$((HELD + 1))
		local hid row
		hid=$(postcat -c "$SG_PFDIR" -hq "$qid" 2>/dev/null | sed -n 's/^X-Sendguard-Hold: //p' | head -1)
		echo "    ${B}=> HELD (保留)${N}: it waits in Postfix's hold queue until an approver decides."
		echo "       Postfix queue id $qid, sendguard hold id $hid. What sendguard found:"
		sg_sql "SELECT findings FROM holds WHERE queue_id = '$qid';" |
			jq -r '.[] | "         - \(.label_en)\n           (\(.category); where: \(.where); evidence, masked: \(.evidence))"' 2>/dev/null
		row=$(sg_sql "SELECT approvers FROM holds WHERE queue_id = '$qid';" | jq -r 'join(", ")' 2>/dev/null)
		echo "       Approval requested from: ${row:-nobody (an administrator must decide)}."
		echo "       The sender was told why and what to do; the approvers got the evidence." ;;
	*)
		OTHER=$((OTHER + 1))
		echo "    => still in flight after 20 s (queue id $qid): see postqueue -c $SG_PFDIR -p" ;;
	esac
	echo
}

echo "Sending 7 mails with swaks, as staff would from Outlook (SMTP AUTH as their login):"
echo
demo_mail 1 demo1_clean.eml tanaka@example.lg.jp t.yamada@sakura-sys.example \
	"定例会議の開催について" \
	"An ordinary meeting notice to a contractor."
demo_mail 2 demo2_mynumber.eml suzuki-h@example.lg.jp center@cert-support.example \
	"住民票の写しの交付申請に関するお問い合わせ" \
	"A citizen's My Number (個人番号) and birth date written in the body."
demo_mail 3 demo3_xlsx.eml sato-h@example.lg.jp uketsuke@kenshin-center.example \
	"令和7年度 特定健診 対象者名簿の送付" \
	"An Excel list of residents for health checks, attached without a password."
demo_mail 4 demo4_citizens.eml sato-h@example.lg.jp \
	sakura.yamamoto1988@gmail.com,kenta_nakamura@yahoo.co.jp,misaki-ogawa.0612@docomo.ne.jp \
	"健康づくりサポーター養成講座 説明会のご案内" \
	"A notice to three citizens, all in To: (each sees the others' addresses)."
demo_mail 5 demo5_exe.eml tanaka@example.lg.jp t.yamada@sakura-sys.example \
	"データ変換ツールの件" \
	"A program (.exe) attached."
demo_mail 6 demo6_class3.eml tanaka@example.lg.jp t.yamada@sakura-sys.example \
	"【機密性3】住民情報システム改修に係る打合せ資料" \
	"Subject marked 【機密性3】 (class 3: never e-mailed)."
demo_mail 7 demo7_internal.eml tanaka@example.lg.jp kacho@example.lg.jp \
	"【機密性2】予算要求資料（課内確認用）" \
	"Marked 【機密性2】, but only to a colleague inside example.lg.jp."

# Notices travel through Postfix too (sendmail -> pickup -> sendguard,
# which recognises its own signed notices).
wait_for 20 pf_queue_settled
sleep 1
NOTICES=$(grep -rl '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null | grep -c .)

echo "${B}Summary${N}: $DELIVERED delivered, $HELD held, $REJECTED rejected$([ $OTHER -gt 0 ] && echo ", $OTHER other");" \
	"$NOTICES notices (to senders and approvers) delivered."
echo
echo "${B}Where to look next${N} (copy and paste):"
echo "  Held mail, in Postfix's hold queue (marked '!'):"
echo "    postqueue -c $SG_PFDIR -p"
echo "    postqueue -c $SG_PFDIR -j | jq -c 'select(.queue_name == \"hold\")'"
echo "  One held message, with its X-Sendguard-Hold header:"
echo "    postcat -c $SG_PFDIR -hq QUEUE-ID"
echo "  sendguard's records (holds and the audit log; evidence is masked):"
echo "    sqlite3 $DB \"SELECT id, queue_id, status, sender, categories FROM holds\""
echo "    sqlite3 $DB \"SELECT seq, ts, event, queue_id FROM audit\""
if "$SG_CTL" --help 2>&1 | grep -qw list; then
	echo "    $SG_CTL -c $CONF list"
fi
echo "  What the next hop received (delivered mail and the notices), one file each:"
echo "    ls -l $SG_SINK/"
echo "  Logs: Postfix $SG_BASE/log/maillog"
echo "        sendguard $SG_MDIR/stderr.log (one line per verdict)"
echo "  Send your own (any address outside example.lg.jp is 'external'):"
echo "    swaks --server 127.0.0.1 --port $SG_GW_PORT --from you@example.lg.jp --to someone@example.com \\"
echo "          --header 'Subject: 取扱注意 test' --body '...'"
echo "    /usr/sbin/sendmail -C $SG_PFDIR -f you@example.lg.jp someone@example.com < message.eml"
echo
# --- approval page link (issue 8, sendguard-web) -------------------------
# A link that opens the approval page for one held mail: taken from the
# approval request that reached the sink (body base64), as an approver
# would click it.
if [ -n "${SG_WEB_PID:-}" ] && kill -0 "$SG_WEB_PID" 2>/dev/null; then
	web_link="" web_to=""
	# Approval requests leave once the milter has seen the held queue
	# file (a hold is confirmed by its queue file): wait for one, 60 s
	# at most.
	for _ in $(seq 1 120); do
		for f in $(grep -rl '^X-Sendguard-Notice:' "$SG_SINK" 2>/dev/null | sort); do
			sink_rcpts "$f" | grep -q '^kacho@' || continue
			web_link=$(tr -d '\r' <"$f" | sed '1,/^$/d' | base64 -di 2>/dev/null |
				grep -o 'http://[^ ]*/hold/[A-Za-z0-9_-]*?t=[A-Za-z0-9_.-]*' | head -1)
			[ -n "$web_link" ] && { web_to=$(sink_rcpts "$f" | head -1); break; }
		done
		[ -n "$web_link" ] && break
		sleep 0.5
	done
	if [ -n "$web_link" ]; then
		echo "${B}Approval page${N} (sendguard-web): the link of the approval request sent to $web_to"
		echo "  (open it in a browser on this machine; from another one: ssh -L 8025:127.0.0.1:8025 THIS-HOST):"
		echo "    $web_link"
		echo "  Approve or reject there: the demo runs '$(basename "$SG_CTL") apply' by itself as soon as the"
		echo "  decision is stored (as apply --daemon does in a deployment; log"
		echo "  $SG_BASE/log/apply.log), so an approved mail reaches the sink within seconds."
		echo "  By hand (nothing left to do once it ran):"
		echo "    $SG_CTL -c $CONF apply"
		echo
	fi
fi
# --- end of the approval page block ----------------------------------------

echo "The demo keeps running. Press ${B}Ctrl-C${N} to stop it (or run 'make demo-stop' in another shell)."
sleep infinity 9>&- &
sleeper=$!
sg_state sleeper_pid "$sleeper"
wait "$sleeper"
