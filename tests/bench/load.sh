#!/bin/bash
#
# NAME
#	load.sh - sendguard under load on a real Postfix, and a soak test
# SYNOPSIS
#	bash tests/bench/load.sh [MESSAGES]		(default 200)
#	bash tests/bench/load.sh --soak SECONDS		(default 600)
#	bash tests/bench/load.sh --targets [ROUNDS]	(default 5; targets.sh)
# DESCRIPTION
#	One private Postfix on 127.0.0.1 (tests/e2e/lib.sh, slot bench),
#	smtp-sink writing nothing, the optimised milter ($SG_MILTER, default
#	build/sendguard-milter), message_size_limit raised to 60 MB.
#	10 SMTP sessions in all, one smtp-source per message class, the mix
#	of the issue: 70 % clean (2 KB, 7 sessions), 10 % each of
#	attachments (a 10 MiB PDF, 13.7 MB in base64), personal data (an
#	.xlsx roster with My Numbers) and exposed recipients (citizens in
#	To), the last three 1 session each. In the same run, first
#	without the milter (Postfix's plain port) and then with it (the
#	gateway port), it prints for each: messages per second accepted at
#	SMTP (smtp-source wall time), their ratio, and the added latency:
#	p50 and p99 of Postfix's "delays=a" (receipt to queue manager,
#	which includes the milter's end-of-message work) over the clean
#	class on each side (the held classes are never delivered), minus
#	the baseline's. Then the milter's peak RSS (VmHWM, and sampled
#	anonymous/file-backed peaks), and how many notices each hold cost
#	(hold notice and approval requests go out through sendmail(1) and
#	come back through the milter).
#
#	--soak: sends the same mix through the gateway in a loop for
#	SECONDS, sampling the milter's RSS and open file descriptors every
#	5 s; fails (exit 1) when the last third's mean RSS is more than
#	20 % (and 20 MB) above the first third's, or fds grew by more than
#	10.
#
#	--targets: every target of issue 21 in one run (targets.sh):
#	2 KB clean mail over the unix and the inet socket, 7.5 KB held mail
#	(its notices delivered to the sink before the next round), 10 MB
#	accepted mail, each as the median ratio to Postfix alone over
#	ROUNDS interleaved rounds with its spread, and the peak RSS of 20
#	concurrent 10 MB mails (milter, and PDF text workers apart); about
#	2 minutes a round on a loaded 2-core machine (5 rounds: 8-10 min).
#
#	Not part of `make test`: figures depend on the machine and its load.
here=$(cd "$(dirname "$0")" && pwd)
SG_SRCDIR=${SG_SRCDIR:-$(cd "$here/../.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/sendguard-milter}
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
. "$here/../e2e/lib.sh"

# --targets [ROUNDS]: issue 21's ratios (tests/bench/targets.sh).
[ "${1:-}" = --targets ] && exec bash "$here/targets.sh" "${2:-5}"
SOAK=0
if [ "${1:-}" = --soak ]; then SOAK=${2:-600}; TOTAL=100; else TOTAL=${1:-200}; fi
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

D=$SG_BASE/load
mkdir -p "$D"
FX=$SG_SRCDIR/tests/fixtures
sg_mail "$D/clean.eml" "総務課 田中 <tanaka@$SG_INTERNAL>" "t.yamada@sakura-sys.example" \
	"議事録の送付" "$(for i in $(seq 1 14); do echo "第12回定例会議 議事録 ${i}行目: 文書管理システム更改の進捗を確認した。"; done)"
cp "$FX/pd/xlsx_mynumber_roster.eml" "$D/personal.eml"
cp "$FX/exposed_citizens_to.eml" "$D/exposed.eml"
{
	printf 'From: tanaka@%s\nTo: t.yamada@sakura-sys.example\nSubject: zumen\n' "$SG_INTERNAL"
	printf 'Date: %s\nMIME-Version: 1.0\n' "$(LC_ALL=C date -R)"
	printf 'Content-Type: multipart/mixed; boundary="b10"\n\n--b10\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n\n図面一式です。\n--b10\n'
	printf 'Content-Type: application/pdf; name="zumen.pdf"\n'
	printf 'Content-Disposition: attachment; filename="zumen.pdf"\nContent-Transfer-Encoding: base64\n\n'
	{ printf '%%PDF-1.4\n'; head -c 10485760 /dev/urandom; } | base64 -w 76
	printf -- '--b10--\n'
} >"$D/attach.eml"
# class:percent:sessions (10 sessions in all)
MIX="clean:70:7 attach:10:1 personal:10:1 exposed:10:1"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
run_mix() {	# PORT -> "seconds messages"
	local port=$1 spec name pct sess n total=0 t0 pids=""
	t0=$(now)
	for spec in $MIX; do
		IFS=: read -r name pct sess <<<"$spec"
		n=$((TOTAL * pct / 100))
		total=$((total + n))
		smtp-source -s "$sess" -m "$n" -f "tanaka@$SG_INTERNAL" -t "t.yamada@sakura-sys.example" \
			-F "$D/$name.eml" "127.0.0.1:$port" >"$D/source-$name.log" 2>&1 9>&- &
		pids="$pids $!"
	done
	wait $pids
	echo "$(calc "$(now) - $t0") $total"
}
# percentiles P50 P99 of delays=a for the clean class (qmgr size under
# 10 KB: the same messages on both sides; held ones are never
# delivered) received by service SVC
delays() {
	local svc=$1
	awk -v svc="postfix-sg-$SG_SLOT/$svc/smtpd" '
		index($0, svc "[") && match($0, /: [0-9A-Za-z]+: client=/) {
			q = substr($0, RSTART + 2, RLENGTH - 11); mine[q] = 1 }
		/qmgr.*: from=.*, size=/ && match($0, /: [0-9A-Za-z]+: from=/) {
			q = substr($0, RSTART + 2, RLENGTH - 9)
			match($0, /size=[0-9]+/); size[q] = substr($0, RSTART + 5, RLENGTH - 5) + 0 }
		/ delays=/ && match($0, /: [0-9A-Za-z]+: to=/) {
			q = substr($0, RSTART + 2, RLENGTH - 7)
			if ((q in mine) && !(q in seen) && size[q] < 10240) {
				seen[q] = 1; match($0, /delays=[0-9.]+/); print substr($0, RSTART + 7, RLENGTH - 7) } }' \
		"$SG_BASE/log/maillog" | sort -n | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- - 0"; exit }
			i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
			i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR
			print v[i50], v[i99], NR }'
}
sample_rss() {	# kB: VmRSS RssAnon RssFile FDs
	local pid=$SG_MILTER_PID
	awk '/^VmRSS:/ {v=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {printf "%d %d %d ", v, a, f}' \
		/proc/"$pid"/status 2>/dev/null
	ls /proc/"$pid"/fd 2>/dev/null | wc -l
}
drain() { wait_for 900 pf_queue_settled; }

if [ "$SOAK" -gt 0 ]; then
	echo "soak: $SOAK s of the mix through the gateway, $TOTAL messages a round"
	end=$(( $(date +%s) + SOAK )) rounds=0
	: >"$D/soak.tsv"
	( while :; do echo "$(date +%s) $(sample_rss)" >>"$D/soak.tsv"; sleep 5; done ) 9>&- &
	sampler=$!
	sg_state sleeper_pid "$sampler"
	while [ "$(date +%s)" -lt "$end" ]; do
		run_mix "$SG_GW_PORT" >/dev/null
		drain
		# the hold queue grows by design; keep it from filling the disk
		postsuper -c "$SG_PFDIR" -d ALL hold >/dev/null 2>&1
		rounds=$((rounds + 1))
	done
	kill "$sampler"
	n=$(grep -c . "$D/soak.tsv")
	read -r r1 f1 <<<"$(awk -v n="$n" 'NR <= n/3 { r += $2; f += $5; k++ } END { printf "%d %d", r/k, f/k }' "$D/soak.tsv")"
	read -r r3 f3 <<<"$(awk -v n="$n" 'NR > 2*n/3 { r += $2; f += $5; k++ } END { printf "%d %d", r/k, f/k }' "$D/soak.tsv")"
	maxr=$(awk '$2 > m { m = $2 } END { print m }' "$D/soak.tsv")
	echo "soak: $rounds rounds, $n samples; RSS first third $r1 kB, last third $r3 kB, max $maxr kB;" \
		"open fds first third $f1, last third $f3 (samples: $D/soak.tsv)"
	if [ "$r3" -gt $((r1 * 12 / 10)) ] && [ "$r3" -gt $((r1 + 20480)) ] || [ "$f3" -gt $((f1 + 10)) ]; then
		echo "soak: FAIL: RSS or fds grew"; exit 1
	fi
	echo "soak: ok: RSS and fds flat"
	exit 0
fi

echo "sendguard load: $TOTAL messages a side, 10 sessions, mix $MIX (class:percent:sessions)"
echo "machine: $(nproc) cores, $(LC_ALL=C uptime | sed 's/.*load/load/')"
read -r bsecs bn <<<"$(run_mix "$SG_PLAIN_PORT")"; drain
holds0=$(sg_sql "SELECT count(*) FROM holds;")
notices0=$(grep -c 'notice=verified' "$SG_MDIR/stderr.log")
peak_anon=0 peak_file=0
( while :; do echo "$(sample_rss)" >>"$D/rss.txt"; sleep 0.2; done ) 9>&- &
sampler=$!
sg_state sleeper_pid "$sampler"
read -r ssecs sn <<<"$(run_mix "$SG_GW_PORT")"; drain
kill "$sampler"
read -r peak_anon peak_file <<<"$(awk '$2 > a { a = $2 } $3 > f { f = $3 } END { print a + 0, f + 0 }' "$D/rss.txt")"
holds=$(( $(sg_sql "SELECT count(*) FROM holds;") - holds0 ))
notices=$(( $(grep -c 'notice=verified' "$SG_MDIR/stderr.log") - notices0 ))
hwm=$(sed -n 's/^VmHWM:\s*//p' /proc/"$SG_MILTER_PID"/status)
read -r b50 b99 bcount <<<"$(delays plain)"
read -r s50 s99 scount <<<"$(delays gw)"
bm=$(calc "$bn / $bsecs"); sm=$(calc "$sn / $ssecs")
echo
printf 'without the milter: %4d msgs in %6.1f s = %6.2f msg/s; delays=a p50 %s s, p99 %s s (%s clean delivered)\n' \
	"$bn" "$bsecs" "$bm" "$b50" "$b99" "$bcount"
printf 'with sendguard    : %4d msgs in %6.1f s = %6.2f msg/s; delays=a p50 %s s, p99 %s s (%s clean delivered)\n' \
	"$sn" "$ssecs" "$sm" "$s50" "$s99" "$scount"
printf 'ratio (with / without): %.2f\n' "$(calc "$sm / $bm")"
printf 'added latency (clean mail, delays=a): p50 %.2f s, p99 %.2f s\n' "$(calc "$s50 - $b50")" "$(calc "$s99 - $b99")"
echo "milter peak RSS: VmHWM $hwm; sampled peaks: anonymous $peak_anon kB, file-backed $peak_file kB"
printf 'holds: %d; notices back through the milter: %d (%.1f per hold)\n' "$holds" "$notices" \
	"$(calc "$notices / ($holds > 0 ? $holds : 1)")"

# --- peak RSS: SG_LOAD_BIG (default 20) concurrent 10 MiB messages ------------------
BIG=${SG_LOAD_BIG:-20}
[ "$BIG" -gt 0 ] || exit 0
milter_stop
milter_start || die "the milter did not restart"
: >"$D/rss-big.txt"
( while :; do echo "$(sample_rss)" >>"$D/rss-big.txt"; sleep 0.1; done ) 9>&- &
sampler=$!
sg_state sleeper_pid "$sampler"
t0=$(now) pids=""
for i in $(seq 1 "$BIG"); do
	sg_swaks "$SG_GW_PORT" "tanaka@$SG_INTERNAL" "t.yamada@sakura-sys.example" "$D/attach.eml" "$D/big-$i.txt" &
	pids="$pids $!"
done
wait $pids
kill "$sampler"
ok250=$(grep -l '^<-  250 .*queued as' "$D"/big-*.txt | grep -c .)
read -r peak_anon peak_file <<<"$(awk '$2 > a { a = $2 } $3 > f { f = $3 } END { print a + 0, f + 0 }' "$D/rss-big.txt")"
printf '%d concurrent 10 MiB messages: %d answered 250 in %.1f s; milter VmHWM %s; sampled peaks: anonymous %d kB, file-backed %d kB\n' \
	"$BIG" "$ok250" "$(calc "$(now) - $t0")" "$(sed -n 's/^VmHWM:\s*//p' /proc/"$SG_MILTER_PID"/status)" "$peak_anon" "$peak_file"
