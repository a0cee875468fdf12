#!/bin/bash
#
# tests/bench/throughput.sh - what sendguard costs Postfix, measured.
#
#   bash tests/bench/throughput.sh [MESSAGES] [ROUNDS]
#
# One private Postfix instance on 127.0.0.1 (tests/e2e/lib.sh), one
# smtp-sink that discards, and the optimised milter (build/
# sendguard-milter, or $SG_MILTER). In the same run and alternately:
#   baseline   smtp-source -> Postfix's plain port (no milter) -> sink
#   sendguard  smtp-source -> the gateway port (smtpd_milters) -> sink
# with 10 SMTP sessions in all and a realistic mix of messages (a
# Japanese Outlook mail in ISO-2022-JP, a UTF-8 mail, a class-2 marking,
# citizens visible in To, an Excel attachment, a 1 MB attachment), each
# round MESSAGES messages (default 600), ROUNDS rounds (default 2).
# SG_BENCH_MIX="outlook_iso2022:60:5 utf8:40:5" measures another mix.
# Reported per side: accepted messages per second at SMTP (smtp-source
# wall time: the milter works in-line, before the 250), and the time
# until the queue has drained (deliveries, plus with sendguard the
# notices its holds send through sendmail/pickup), each as a ratio to
# the baseline.
#
# Then the milter's peak RSS (VmHWM) while 20 clients send a 10 MB
# attachment (13.7 MB in base64) at once.
#
# Not part of `make test`: figures depend on the machine and its load.

here=$(cd "$(dirname "$0")" && pwd)
SG_SRCDIR=${SG_SRCDIR:-$(cd "$here/../.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/sendguard-milter}
# Postfix reaches the milter on a unix socket, as on Debian (conf/postfix/
# main.cf.snippet); SG_MILTER_SOCKET=inet for a loopback port.
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
. "$here/../e2e/lib.sh"

TOTAL=${1:-600}
ROUNDS=${2:-2}
command -v smtp-source >/dev/null || die "smtp-source is missing (package postfix)"
milter_built || die "no milter at $SG_MILTER (make)"

sg_take_slot bench
sg_state driver_pid $$
sg_install_traps
pf_setup "default_process_limit = 100" "smtpd_client_connection_count_limit = 0" \
	"smtpd_client_connection_rate_limit = 0" "smtpd_client_message_rate_limit = 0"
milter_setup
sink_start discard
pf_start
milter_start || die "the milter did not start"

D=$SG_BASE/bench
mkdir -p "$D"
FX=$SG_SRCDIR/tests/fixtures
# The mix: file, share of the messages (percent), sessions (10 in all).
cp "$FX/clean_external_accept.eml" "$D/outlook_iso2022.eml"
sg_mail "$D/utf8.eml" "総務課 田中 <tanaka@$SG_INTERNAL>" "t.yamada@sakura-sys.example" \
	"議事録の送付" "$(for i in $(seq 1 30); do echo "第12回定例会議 議事録 ${i}行目: 文書管理システム更改の進捗を確認した。"; done)"
cp "$FX/kimitsu2_body_iso2022.eml" "$D/class2.eml"
cp "$FX/exposed_citizens_to.eml" "$D/citizens.eml"
cp "$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml" "$D/xlsx.eml"
{
	echo "From: tanaka@$SG_INTERNAL"
	echo "To: t.yamada@sakura-sys.example"
	echo "Subject: =?UTF-8?B?$(printf '%s' '写真データ' | base64 -w0)?="
	echo "Date: $(LC_ALL=C date -R)"
	echo "Message-ID: <bench-1m@$SG_INTERNAL>"
	echo "MIME-Version: 1.0"
	echo 'Content-Type: multipart/mixed; boundary="b1"'
	echo
	echo "--b1"
	echo "Content-Type: text/plain; charset=UTF-8"
	echo
	echo "写真をお送りします。"
	echo "--b1"
	echo 'Content-Type: image/jpeg; name="photo.jpg"'
	echo 'Content-Disposition: attachment; filename="photo.jpg"'
	echo "Content-Transfer-Encoding: base64"
	echo
	{ printf '\377\330\377\340\000\020JFIF\000'; head -c 1000000 /dev/urandom; } | base64 -w 76
	echo "--b1--"
} >"$D/photo1m.eml"
MIX=${SG_BENCH_MIX:-"outlook_iso2022:35:3 utf8:25:2 class2:10:1 citizens:10:1 xlsx:15:2 photo1m:5:1"}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
# run_mix PORT: every smtp-source at once; prints "seconds messages"
run_mix() {
	local port=$1 spec name pct sess n total=0 t0 t1 pids=""
	t0=$(now)
	for spec in $MIX; do
		IFS=: read -r name pct sess <<<"$spec"
		n=$((TOTAL * pct / 100))
		total=$((total + n))
		smtp-source -s "$sess" -m "$n" -f "tanaka@$SG_INTERNAL" -t "t.yamada@sakura-sys.example" \
			-F "$D/$name.eml" "127.0.0.1:$port" >"$D/source-$name.log" 2>&1 &
		pids="$pids $!"
	done
	wait $pids
	t1=$(now)
	echo "$(calc "$t1 - $t0") $total"
}
# Wait until only held mail is left; prints the seconds since $1.
drain() {
	wait_for 600 pf_queue_settled
	calc "$(now) - $1"
}

echo "sendguard throughput: $TOTAL messages a round, $ROUNDS rounds, 10 sessions, milter $SG_MILTER on $SG_MILTER_LM"
echo "mix: $MIX (name:percent:sessions)"
echo "machine: $(nproc) cores, $(LC_ALL=C uptime | sed 's/.*load/load/')"
declare -a B_ACC B_DRN S_ACC S_DRN
held0=$(sg_sql "SELECT count(*) FROM holds;")
for r in $(seq 1 "$ROUNDS"); do
	t=$(now); read -r secs n <<<"$(run_mix "$SG_PLAIN_PORT")"; d=$(drain "$t")
	B_ACC+=("$(calc "$n / $secs")"); B_DRN+=("$(calc "$n / $d")")
	printf '  round %d baseline : %5d msgs accepted in %6.2f s = %7.1f msg/s; drained in %6.2f s = %7.1f msg/s\n' \
		"$r" "$n" "$secs" "${B_ACC[-1]}" "$d" "${B_DRN[-1]}"
	t=$(now); read -r secs n <<<"$(run_mix "$SG_GW_PORT")"; d=$(drain "$t")
	S_ACC+=("$(calc "$n / $secs")"); S_DRN+=("$(calc "$n / $d")")
	printf '  round %d sendguard: %5d msgs accepted in %6.2f s = %7.1f msg/s; drained in %6.2f s = %7.1f msg/s\n' \
		"$r" "$n" "$secs" "${S_ACC[-1]}" "$d" "${S_DRN[-1]}"
done
mean() { local s=0 x; for x in "$@"; do s=$(calc "$s + $x"); done; calc "$s / $#"; }
ba=$(mean "${B_ACC[@]}"); bd=$(mean "${B_DRN[@]}")
sa=$(mean "${S_ACC[@]}"); sd=$(mean "${S_DRN[@]}")
held=$(( $(sg_sql "SELECT count(*) FROM holds;") - held0 ))
notices=$(grep -c 'notice=verified' "$SG_MDIR/stderr.log")
tf=$(grep -c 'answering tempfail\|4\.7\.1' "$SG_BASE/log/maillog")
echo
printf 'accepted at SMTP : baseline %7.1f msg/s, sendguard %7.1f msg/s, ratio %.2f\n' "$ba" "$sa" "$(calc "$sa / $ba")"
printf 'through to sink  : baseline %7.1f msg/s, sendguard %7.1f msg/s, ratio %.2f\n' "$bd" "$sd" "$(calc "$sd / $bd")"
echo "sendguard side: $held holds recorded, $notices notices passed back through the milter, $tf tempfail lines in the mail log"
echo "milter RSS after the throughput runs: $(sed -n 's/^VmHWM:\s*//p' /proc/$SG_MILTER_PID/status) peak, $(sed -n 's/^VmRSS:\s*//p' /proc/$SG_MILTER_PID/status) now"

# --- peak RSS: 20 concurrent 10 MB messages ---------------------------------------
# SG_BENCH_SKIP_RSS=1 stops here (a protocol change measured alone).
[ -n "${SG_BENCH_SKIP_RSS:-}" ] && exit 0
milter_stop
milter_start || die "the milter did not restart"
{
	echo "From: tanaka@$SG_INTERNAL"
	echo "To: t.yamada@sakura-sys.example"
	echo "Subject: =?UTF-8?B?$(printf '%s' '施設図面一式' | base64 -w0)?="
	echo "Date: $(LC_ALL=C date -R)"
	echo "Message-ID: <bench-10m@$SG_INTERNAL>"
	echo "MIME-Version: 1.0"
	echo 'Content-Type: multipart/mixed; boundary="b10"'
	echo
	echo "--b10"
	echo "Content-Type: text/plain; charset=UTF-8"
	echo
	echo "施設の図面一式をお送りします。"
	echo "--b10"
	echo 'Content-Type: application/pdf; name="zumen.pdf"'
	echo 'Content-Disposition: attachment; filename="zumen.pdf"'
	echo "Content-Transfer-Encoding: base64"
	echo
	{ printf '%%PDF-1.4\n'; head -c 10485760 /dev/urandom; } | base64 -w 76
	echo "--b10--"
} >"$D/big10m.eml"
rss0=$(sed -n 's/^VmRSS:\s*//p' /proc/$SG_MILTER_PID/status)
t0=$(now)
pids=""
for i in $(seq 1 20); do
	sg_swaks "$SG_GW_PORT" "tanaka@$SG_INTERNAL" "t.yamada@sakura-sys.example" "$D/big10m.eml" "$D/big-$i.txt" &
	pids="$pids $!"
done
# VmHWM counts file-backed pages too (a spooled message mapped for the
# scan); RssAnon is the heap. Sample both every 0.1 s.
peak_sampled=0 peak_anon=0 peak_file=0
while kill -0 $pids 2>/dev/null; do
	read -r v a f <<<"$(awk '/^VmRSS:/ {v=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2}
		END {print v+0, a+0, f+0}' /proc/$SG_MILTER_PID/status 2>/dev/null)"
	[ "${v:-0}" -gt "$peak_sampled" ] && peak_sampled=$v
	[ "${a:-0}" -gt "$peak_anon" ] && peak_anon=$a
	[ "${f:-0}" -gt "$peak_file" ] && peak_file=$f
	sleep 0.1
done
wait $pids
t1=$(now)
ok250=$(grep -l '^<-  250 .*queued as' "$D"/big-*.txt | grep -c .)
hwm=$(sed -n 's/^VmHWM:\s*//p' /proc/$SG_MILTER_PID/status)
echo
printf '20 concurrent 10 MB messages (13.7 MB in base64): %d of 20 answered 250 in %.1f s\n' "$ok250" "$(calc "$t1 - $t0")"
echo "milter RSS: $rss0 before, peak $hwm (VmHWM); sampled peaks: RSS $peak_sampled kB, anonymous (heap) $peak_anon kB, file-backed $peak_file kB"
echo "milter spool directory: $SG_MDIR/spool ([milter] memory_limit = 2M: larger messages are spooled to unlinked files)"
