#!/bin/bash
#
# NAME
#	targets.sh - issue 21's throughput targets, as ratios to Postfix alone
# SYNOPSIS
#	bash tests/bench/load.sh --targets [ROUNDS]	(default 5)
#	bash tests/bench/targets.sh [ROUNDS]
# DESCRIPTION
#	One private Postfix on 127.0.0.1 (tests/e2e/lib.sh, slot bench),
#	smtp-sink discarding, the optimised milter ($SG_MILTER). For each
#	class, ROUNDS interleaved rounds; in every round Postfix alone (its
#	plain port) and through the milter (the gateway port), so that
#	machine noise falls on both sides of each ratio (Postfix alone
#	first in odd rounds, second in even ones, after one untimed warm-up
#	of both sides per class):
#	  clean  a 2 KB clean Japanese mail to a partner, 300 a round, 10
#	         sessions: messages per second accepted at SMTP;
#	  serial the same mail, 100 a round over one session: its rate is
#	         the inverse of the latency per message, where a stall on
#	         the milter socket (a delayed ACK: 40 ms) cannot hide
#	         behind other sessions; no target, shown for both sockets;
#	  held   the 7.5 KB mail with a plain xlsx (tests/e2e/mail/
#	         demo3_xlsx.eml), 100 a round, 5 sessions: originals per
#	         second until every original is in the hold queue with a
#	         confirmed hold (Postfix alone: until its queue has them);
#	         before the next round every notice of the round has left
#	         the outbox and Postfix's queue has settled, untimed;
#	  big    a 10 MB PDF encrypted by qpdf (accepted), 10 a round, 5
#	         sessions: messages per second accepted at SMTP.
#	It prints each round's figures: msg/s on both sides, their ratio,
#	and the milter's CPU time per message on the "with" side (utime +
#	stime of the milter process over the round, /proc/PID/stat; less
#	noisy than the rates on a shared machine), and the whole machine's
#	busy CPU time per message on each side, from the start of the
#	sending until the queue has settled (/proc/stat: Postfix, the sink
#	and the milter together, other jobs too): when both sides are
#	bound by the two cores, the ratio cannot pass alone / with of
#	these. For the held class also
#	the notices the outbox sent in the round and the deliveries to the
#	sink Postfix logged meanwhile. Then the clean class again over an
#	inet milter socket (the script runs itself with
#	SG_MILTER_SOCKET=inet SG_TARGETS="clean serial"), and the peak RSS while 20
#	clients send the 10 MB PDF at once: the milter process (VmHWM, and
#	its anonymous and file-backed peaks sampled every 0.1 s), and the
#	PDF text workers ("Read what a person would read"), other
#	processes, reported separately (each one's VmHWM: largest, sum).
#	Then the clean and big classes again through a milter that does
#	nothing (null, build/null-milter from tests/bench/null_milter.c:
#	sendguard's protocol code and steps, its header, no scan, no
#	store): the most any milter asking for those steps reaches here,
#	i.e. what Postfix's milter client costs on its own; no target.
#	Every round checks that all its messages reached the sink (held:
#	the hold queue), so a refused or tempfailed round cannot pass for
#	a fast one.
#	Last, one table of every target: median ratio, lowest-highest,
#	interquartile range, rounds, and whether the median meets it; and
#	the run time.
#
#	SG_TARGETS="clean serial held big null rss inet" chooses the parts
#	(default all; null measures the classes chosen among clean and big).
#	SG_BENCH_CONF="milter.audit_queue=0 ..." passes configuration
#	overrides to the milter (milter_setup), e.g. to measure the same
#	binary with and without a setting in the same conditions.
#	Not part of `make test`: figures depend on the machine and its load.
here=$(cd "$(dirname "$0")" && pwd)
SG_SRCDIR=${SG_SRCDIR:-$(cd "$here/../.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/sendguard-milter}
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
. "$here/../e2e/lib.sh"

T0=$(date +%s.%N)
ROUNDS=${1:-5}
TARGETS=${SG_TARGETS:-"clean serial held big null rss inet"}
SG_NULL_MILTER=${SG_NULL_MILTER:-$SG_SRCDIR/build/null-milter}
CLEAN_N=${SG_CLEAN_N:-300}
case "$ROUNDS" in ''|*[!0-9]*) die "ROUNDS must be a number";; esac
[ "$ROUNDS" -ge 1 ] || die "ROUNDS must be at least 1"
command -v smtp-source >/dev/null || die "smtp-source is missing (package postfix)"
command -v qpdf >/dev/null || apt-get install -y -q qpdf >/dev/null 2>&1 ||
	die "qpdf is missing and could not be installed"
milter_built || die "no milter at $SG_MILTER (make)"
want() { case " $TARGETS " in *" $1 "*) return 0;; esac; return 1; }

sg_take_slot bench bench2
sg_state driver_pid $$
sg_install_traps
pf_setup "default_process_limit = 100" "smtpd_client_connection_count_limit = 0" \
	"smtpd_client_connection_rate_limit = 0" "smtpd_client_message_rate_limit = 0" \
	"message_size_limit = 62914560"
# shellcheck disable=SC2086 # a list of overrides, split on purpose
milter_setup ${SG_BENCH_CONF:-}
sink_start discard
pf_start
milter_start || die "the milter did not start"

D=$SG_BASE/targets
mkdir -p "$D"
sg_mail "$D/clean.eml" "総務課 田中 <tanaka@$SG_INTERNAL>" "t.yamada@sakura-sys.example" \
	"議事録の送付" "$(for i in $(seq 1 14); do echo "第12回定例会議 議事録 ${i}行目: 文書管理システム更改の進捗を確認した。"; done)"
cp "$D/clean.eml" "$D/serial.eml"
cp "$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml" "$D/held.eml"
# A real PDF (one page, a 10 MB incompressible stream) encrypted by qpdf.
# The trailer needs /Size: without it qpdf writes an encrypted file
# whose trailer still lacks it, and every reader (qpdf in the milter
# too) then rebuilds the cross-reference table by tokenising all 10 MB,
# which no well-formed PDF asks for (this bench's figures before
# 2026-12-05 measured that).
{
	printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n'
	printf '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n'
	printf '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n'
	printf '4 0 obj << /Length 10485760 >> stream\n'
	head -c 10485760 /dev/urandom
	printf '\nendstream endobj\ntrailer << /Size 5 /Root 1 0 R >>\n%%%%EOF\n'
} >"$D/plain.pdf"
qpdf --encrypt user-pw owner-pw 256 -- "$D/plain.pdf" "$D/enc.pdf" 2>/dev/null
[ -s "$D/enc.pdf" ] || die "qpdf did not encrypt the bench PDF"
{
	printf 'From: tanaka@%s\nTo: t.yamada@sakura-sys.example\nSubject: zumen\n' "$SG_INTERNAL"
	printf 'Date: %s\nMIME-Version: 1.0\n' "$(LC_ALL=C date -R)"
	printf 'Content-Type: multipart/mixed; boundary="b10"\n\n--b10\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n\n図面一式です（パスワードは別送します）。\n--b10\n'
	printf 'Content-Type: application/pdf; name="zumen.pdf"\n'
	printf 'Content-Disposition: attachment; filename="zumen.pdf"\nContent-Transfer-Encoding: base64\n\n'
	base64 -w 76 "$D/enc.pdf"
	printf -- '--b10--\n'
} >"$D/big.eml"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
# send PORT FILE N SESSIONS: smtp-source wall time in seconds
send() {
	local t0
	t0=$(now)
	smtp-source -s "$4" -m "$3" -f "tanaka@$SG_INTERNAL" -t "t.yamada@sakura-sys.example" \
		-F "$2" "127.0.0.1:$1" >>"$D/source.log" 2>&1 9>&-
	calc "$(now) - $t0"
}
arriving() { sg_sql "SELECT count(*) FROM holds WHERE status = 'arriving';"; }
none_arriving() { [ "$(arriving)" = 0 ]; }
outbox_left() { sg_sql "SELECT count(*) FROM outbox WHERE state IN ('waiting','ready');"; }
outbox_sent() { sg_sql "SELECT count(*) FROM outbox WHERE state = 'sent';"; }
# deliveries to the sink (one line a recipient) Postfix has logged
sink_sent() { grep -c "relay=127.0.0.1\[127.0.0.1\]:$SG_SINK_PORT,.* status=sent" "$SG_BASE/log/maillog"; }
settled() { pf_queue_settled && [ "$(outbox_left)" = 0 ]; }
in_hold_queue() { [ "$(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | grep -c .)" -ge "$1" ]; }
# CPU seconds the whole machine has been busy so far (every core; user,
# nice, system, irq, softirq, steal): what Postfix and the milter cost
# together, other jobs included, on both sides alike
machine_cpu() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.4f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
# CPU seconds (user + system) a process has used so far
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.4f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# median, lowest, highest, first and third quartile of the numbers on
# stdin: "median lowest highest q1 q3" (quartiles: medians of the lower
# and upper halves)
stats() {
	sort -g | awk '{ v[NR] = $1 }
		function med(a, b,   n, m) { n = b - a + 1; m = a + int((n - 1) / 2)
			return n % 2 ? v[m] : (v[m] + v[m + 1]) / 2 }
		END {
		if (NR == 0) { print "- - - - -"; exit }
		h = int(NR / 2)
		q1 = NR > 1 ? med(1, h) : v[1]; q3 = NR > 1 ? med(NR - h + 1, NR) : v[1]
		printf "%.2f %.2f %.2f %.2f %.2f\n", med(1, NR), v[1], v[NR], q1, q3 }'
}

# delivered SINCE N SIDE: the round's N messages all reached the sink
# (a message refused or tempfailed at SMTP would make a round look
# fast: smtp-source goes on after an error reply)
delivered() {
	local got=$(( $(sink_sent) - $1 ))
	[ "$got" -ge "$2" ] || die "$3: only $got of $2 messages reached the sink (see $D/source.log and $SG_BASE/log/maillog)"
}

# alone CLASS N SESSIONS: Postfix alone, timed until smtp-source ends;
# sets TB (seconds) and MA (machine CPU ms per message, until settled)
alone() {
	local m0 s0
	wait_for 600 settled || die "the queue did not settle before a $1 round"
	s0=$(sink_sent)
	m0=$(machine_cpu)
	TB=$(send "$SG_PLAIN_PORT" "$D/$1.eml" "$2" "$3")
	wait_for 600 settled || die "the baseline $1 round did not settle"
	MA=$(calc "($(machine_cpu) - $m0) * 1000 / $2")
	delivered "$s0" "$2" "Postfix alone, $1"
}

# with CLASS N SESSIONS: through the milter; sets TS, MW, the milter's
# CPU ms per message MC, and EXTRA (held: notices and deliveries)
with() {
	local class=$1 n=$2 s=$3 t0 held0 c0 m0 ob0 sk0 s0
	wait_for 600 settled || die "the queue did not settle before a $class round"
	s0=$(sink_sent)
	m0=$(machine_cpu)
	c0=$(cpu_of "$SG_MILTER_PID")
	EXTRA=""
	if [ "$class" = held ]; then
		held0=$(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | grep -c .)
		ob0=$(outbox_sent) sk0=$(sink_sent)
		t0=$(now)
		send "$SG_GW_PORT" "$D/$class.eml" "$n" "$s" >/dev/null
		wait_for 600 in_hold_queue $((held0 + n)) || die "held originals missing from the hold queue"
		wait_for 600 none_arriving || die "holds not confirmed: $(arriving)"
		TS=$(calc "$(now) - $t0")
	else
		TS=$(send "$SG_GW_PORT" "$D/$class.eml" "$n" "$s")
	fi
	MC=$(calc "($(cpu_of "$SG_MILTER_PID") - $c0) * 1000 / $n")
	# untimed: delivered (held: every notice of the round out of the
	# outbox and at the sink) before the next measurement starts
	wait_for 600 settled || die "the $class round did not settle"
	MW=$(calc "($(machine_cpu) - $m0) * 1000 / $n")
	[ "$class" = held ] || delivered "$s0" "$n" "$WITH, $class"
	[ "$class" = held ] && EXTRA=$(printf '; notices sent %d, sink deliveries %d' \
		$(( $(outbox_sent) - ob0 )) $(( $(sink_sent) - sk0 )))
	return 0
}

# round CLASS N SESSIONS R: one baseline and one sendguard measurement,
# Postfix alone first in odd rounds and second in even ones, so that a
# trend in the machine (Postfix warming up, other jobs coming and
# going) falls on both sides alike; appends the ratio to
# $D/ratios-CLASS, the milter's CPU ms per message to $D/cpu-CLASS and
# the machine's to $D/mcpu-CLASS
round() {
	local class=$1 n=$2 s=$3 r=$4 b w first
	if [ $((r % 2)) = 1 ]; then
		alone "$class" "$n" "$s"; with "$class" "$n" "$s"; first=alone
	else
		with "$class" "$n" "$s"; alone "$class" "$n" "$s"; first=with
	fi
	echo "$MA $MW" >>"$D/mcpu-$class"
	b=$(calc "$n / $TB"); w=$(calc "$n / $TS")
	calc "$w / $b" >>"$D/ratios-$class"; echo >>"$D/ratios-$class"
	echo "$MC" >>"$D/cpu-$class"
	printf '  %-5s round %d (%s first): Postfix alone %7.1f msg/s, %s %7.1f msg/s, ratio %.2f; milter CPU %.1f ms/msg; machine CPU %.1f -> %.1f ms/msg%s\n' \
		"$class" "$r" "$first" "$b" "$WITH" "$w" "$(calc "$w / $b")" "$MC" "$MA" "$MW" "$EXTRA"
}

# warm CLASS N SESSIONS: both sides once, untimed: Postfix's processes
# and caches and the milter's workers are up before the first round
warm() {
	send "$SG_PLAIN_PORT" "$D/$1.eml" "$2" "$3" >/dev/null
	send "$SG_GW_PORT" "$D/$1.eml" "$2" "$3" >/dev/null
	wait_for 600 settled || die "the $1 warm-up did not settle"
}

# rounds CLASS: the warm-up and ROUNDS rounds of a class; CLASS-null
# is the same mail through the do-nothing milter
rounds() {
	local class=$1 r
	: >"$D/ratios-$class"; : >"$D/cpu-$class"; : >"$D/mcpu-$class"
	case $class in
	clean|clean-null) warm "$class" 100 10;;
	serial) warm serial 20 1;;
	held) warm held 20 5;;
	big|big-null) warm "$class" 2 2;;
	esac
	for r in $(seq 1 "$ROUNDS"); do
		case $class in
		clean|clean-null) round "$class" "$CLEAN_N" 10 "$r";;
		serial) round serial 100 1 "$r";;
		held) round held 100 5 "$r";;
		big|big-null) round "$class" 10 5 "$r";;
		esac
	done
}

echo "sendguard targets: $ROUNDS interleaved rounds a class, milter $SG_MILTER on $SG_MILTER_LM"
echo "machine: $(nproc) cores, $(LC_ALL=C uptime | sed 's/.*load/load/')"
WITH="with sendguard"
for class in clean serial held big; do
	want "$class" || continue
	rounds "$class"
done

# The same clean (and big) mail through a milter that does nothing but
# speak the protocol with sendguard's steps and add its header
# (tests/bench/null_milter.c): what Postfix's milter client and the
# socket cost without any of sendguard's work. Its ratio is the most
# any milter asking for those steps can reach here.
if want null; then
	[ -x "$SG_NULL_MILTER" ] || die "no do-nothing milter at $SG_NULL_MILTER (make build/null-milter)"
	milter_stop
	real_milter=$SG_MILTER
	SG_MILTER=$SG_NULL_MILTER
	milter_start || die "the do-nothing milter did not start"
	WITH="with a null milter"
	for class in clean big; do
		want "$class" || continue
		cp "$D/$class.eml" "$D/$class-null.eml"
		rounds "$class-null"
	done
	milter_stop
	SG_MILTER=$real_milter
	milter_start || die "the milter did not restart"
fi
# summary rows "class socket target median lowest highest q1 q3 rounds
# cpu" into $SUMMARY (the inet run's go to its parent's file)
SUMMARY=${SG_TARGETS_SUMMARY:-$D/summary}
[ -n "${SG_TARGETS_SUMMARY:-}" ] || : >"$SUMMARY"
for class in clean serial held big clean-null big-null; do
	case $class in
	*-null) want null && want "${class%-null}" || continue;;
	*) want "$class" || continue;;
	esac
	case $class in
	clean-null|big-null) tgt=-;;
	clean) tgt=$([ "$SG_MILTER_SOCKET" = unix ] && echo 0.9 || echo 0.85);;
	serial) tgt=-;;
	held) tgt=0.25;;
	big) tgt=0.9;;
	esac
	read -r med lo hi q1 q3 <<<"$(grep . "$D/ratios-$class" | stats)"
	read -r cpu _ <<<"$(grep . "$D/cpu-$class" | stats)"
	read -r mca _ <<<"$(awk '{ print $1 }' "$D/mcpu-$class" | stats)"
	read -r mcw _ <<<"$(awk '{ print $2 }' "$D/mcpu-$class" | stats)"
	echo "$class $SG_MILTER_SOCKET $tgt $med $lo $hi $q1 $q3 $ROUNDS $cpu $mca $mcw" >>"$SUMMARY"
done

if want rss; then
	milter_stop
	milter_start || die "the milter did not restart"
	: >"$D/rss-big.txt"
	( while :; do
		awk '/^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {print a + 0, f + 0}' \
			/proc/"$SG_MILTER_PID"/status 2>/dev/null >>"$D/rss-big.txt"
		sleep 0.1
	done ) 9>&- &
	sampler=$!
	sg_state sleeper_pid "$sampler"
	pids=""
	for i in $(seq 1 20); do
		sg_swaks "$SG_GW_PORT" "tanaka@$SG_INTERNAL" "t.yamada@sakura-sys.example" "$D/big.eml" "$D/rss-$i.txt" &
		pids="$pids $!"
	done
	wait $pids
	kill "$sampler"
	ok=$(grep -l '^<-  250 ' "$D"/rss-*.txt | grep -c .)
	hwm=$(awk '/^VmHWM:/ {print $2}' /proc/"$SG_MILTER_PID"/status)
	read -r panon pfile <<<"$(awk '$1 > a { a = $1 } $2 > f { f = $2 } END { print a + 0, f + 0 }' "$D/rss-big.txt")"
	# the PDF text workers: the milter's children running the worker
	read -r nw wmax wsum <<<"$(for c in $(pgrep -P "$SG_MILTER_PID"); do
		grep -q sendguard-pdftext "/proc/$c/cmdline" 2>/dev/null &&
			awk '/^VmHWM:/ {print $2}' "/proc/$c/status"
	done | awk '{ n++; s += $1; if ($1 > m) m = $1 } END { print n + 0, m + 0, s + 0 }')"
	printf '20 concurrent 10 MB encrypted PDFs: %d answered 250; milter VmHWM %d kB (sampled peaks: anonymous %d kB, file-backed %d kB); PDF text workers: %d, VmHWM largest %d kB, sum %d kB\n' \
		"$ok" "$hwm" "$panon" "$pfile" "$nw" "$wmax" "$wsum"
	echo "rss $ok $hwm $panon $pfile $nw $wmax $wsum" >"$D/rss-summary"
fi

if want inet && [ "$SG_MILTER_SOCKET" = unix ]; then
	echo
	SG_MILTER_SOCKET=inet SG_TARGETS="clean serial$(want null && echo " null")" SG_TEST_ROOT="$SG_TEST_ROOT" SG_TARGETS_SUMMARY="$SUMMARY" \
		bash "$here/targets.sh" "$ROUNDS" 9>&- | grep -E '^  (clean|serial)|^machine'
fi
[ -n "${SG_TARGETS_SUMMARY:-}" ] && exit 0

echo
echo "issue 21 targets (ratio: msg/s with sendguard / Postfix alone, same round):"
printf '| %-30s | %-6s | %-6s | %-11s | %-11s | %-6s | %-15s | %-23s | %-4s |\n' \
	class target median lowest-high IQR rounds "milter CPU/msg" "machine CPU/msg (a->w)" met
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
	------------------------------ ------ ------ ----------- ----------- ------ --------------- ----------------------- ----
while read -r class sock tgt med lo hi q1 q3 n cpu mca mcw; do
	case $class in
	clean) name="2 KB clean, $sock socket";;
	serial) name="2 KB clean, 1 session, $sock";;
	held) name="7.5 KB held, $sock socket";;
	big) name="10 MB accepted, $sock socket";;
	clean-null) name="2 KB clean, null milter, $sock";;
	big-null) name="10 MB, null milter, $sock";;
	esac
	met=$(awk -v m="$med" -v t="$tgt" 'BEGIN { print t == "-" ? "-" : (m != "-" && m + 0 >= t + 0) ? "yes" : "no" }')
	printf '| %-30s | %-6s | %-6s | %-11s | %-11s | %-6s | %-15s | %-23s | %-4s |\n' \
		"$name" "$tgt" "$med" "$lo-$hi" "$q1-$q3" "$n" "$cpu ms" "$mca -> $mcw ms" "$met"
done <"$SUMMARY"
if [ -s "$D/rss-summary" ]; then
	read -r _ ok hwm panon pfile nw wmax wsum <"$D/rss-summary"
	met=$([ "$hwm" -lt 153600 ] && echo yes || echo no)
	printf '| %-30s | %-6s | %-6s | %-11s | %-11s | %-6s | %-15s | %-23s | %-4s |\n' \
		"20 x 10 MB at once, VmHWM" "150 MB" "$((hwm / 1024)) MB" "-" "-" 1 "-" "-" "$met"
	echo "(PDF text workers, separate processes: $nw, VmHWM largest $((wmax / 1024)) MB, sum $((wsum / 1024)) MB; $ok of 20 answered 250)"
fi
printf 'run time: %.0f s; load at the end: %s\n' "$(calc "$(now) - $T0")" "$(LC_ALL=C uptime | sed 's/.*load average: //')"
