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
#	class, ROUNDS interleaved rounds; in every round first Postfix
#	alone (its plain port), then through the milter (the gateway port),
#	so that machine noise falls on both sides of each ratio:
#	  clean  a 2 KB clean Japanese mail to a partner, 300 a round, 10
#	         sessions: messages per second accepted at SMTP;
#	  held   the 7.5 KB mail with a plain xlsx (tests/e2e/mail/
#	         demo3_xlsx.eml), 100 a round, 5 sessions: originals per
#	         second until every original is in the hold queue with a
#	         confirmed hold (Postfix alone: until its queue has them);
#	         before the next round every notice of the round has left
#	         the outbox and Postfix's queue has settled, untimed;
#	  big    a 10 MB PDF encrypted by qpdf (accepted), 10 a round, 5
#	         sessions: messages per second accepted at SMTP.
#	It prints each round's ratio and, per class, the median ratio with
#	its spread (lowest and highest round). Then the clean class again
#	over an inet milter socket (the script runs itself with
#	SG_MILTER_SOCKET=inet SG_TARGETS=clean), and the milter's peak RSS
#	while 20 clients send the 10 MB PDF at once (the milter process only;
#	PDF text workers are other processes and are not counted).
#
#	SG_TARGETS="clean held big rss" chooses the parts (default all).
#	SG_BENCH_CONF="milter.audit_queue=0 ..." passes configuration
#	overrides to the milter (milter_setup), e.g. to measure the same
#	binary with and without a setting in the same conditions.
#	Not part of `make test`: figures depend on the machine and its load.
here=$(cd "$(dirname "$0")" && pwd)
SG_SRCDIR=${SG_SRCDIR:-$(cd "$here/../.." && pwd)}
SG_MILTER=${SG_MILTER:-$SG_SRCDIR/build/sendguard-milter}
SG_MILTER_SOCKET=${SG_MILTER_SOCKET:-unix}
. "$here/../e2e/lib.sh"

ROUNDS=${1:-5}
TARGETS=${SG_TARGETS:-"clean held big rss inet"}
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
settled() { pf_queue_settled && [ "$(outbox_left)" = 0 ]; }
in_hold_queue() { [ "$(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | grep -c .)" -ge "$1" ]; }
# median and spread of the numbers on stdin: "median lowest highest"
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}

# round CLASS N SESSIONS: one baseline and one sendguard measurement;
# prints the ratio and appends it to $D/ratios-CLASS
round() {
	local class=$1 n=$2 s=$3 r=$4 tb ts t0 held0 b w
	wait_for 600 settled || die "the queue did not settle before a $class round"
	tb=$(send "$SG_PLAIN_PORT" "$D/$class.eml" "$n" "$s")
	wait_for 600 settled || die "the baseline $class round did not settle"
	if [ "$class" = held ]; then
		held0=$(pf_queue | jq -r 'select(.queue_name == "hold") | .queue_id' | grep -c .)
		t0=$(now)
		send "$SG_GW_PORT" "$D/$class.eml" "$n" "$s" >/dev/null
		wait_for 600 in_hold_queue $((held0 + n)) || die "held originals missing from the hold queue"
		wait_for 600 none_arriving || die "holds not confirmed: $(arriving)"
		ts=$(calc "$(now) - $t0")
	else
		ts=$(send "$SG_GW_PORT" "$D/$class.eml" "$n" "$s")
	fi
	b=$(calc "$n / $tb"); w=$(calc "$n / $ts")
	calc "$w / $b" >>"$D/ratios-$class"; echo >>"$D/ratios-$class"
	printf '  %-5s round %d: Postfix alone %7.1f msg/s, with sendguard %7.1f msg/s, ratio %.2f\n' \
		"$class" "$r" "$b" "$w" "$(calc "$w / $b")"
}

echo "sendguard targets: $ROUNDS interleaved rounds a class, milter $SG_MILTER on $SG_MILTER_LM"
echo "machine: $(nproc) cores, $(LC_ALL=C uptime | sed 's/.*load/load/')"
for class in clean held big; do
	want "$class" || continue
	: >"$D/ratios-$class"
	for r in $(seq 1 "$ROUNDS"); do
		case $class in
		clean) round clean 300 10 "$r";;
		held) round held 100 5 "$r";;
		big) round big 10 5 "$r";;
		esac
	done
done
echo
for class in clean held big; do
	want "$class" || continue
	read -r med lo hi <<<"$(grep . "$D/ratios-$class" | stats)"
	printf '%-5s (%s socket): median ratio %s over %d rounds (lowest %s, highest %s)\n' \
		"$class" "$SG_MILTER_SOCKET" "$med" "$ROUNDS" "$lo" "$hi"
done

if want rss; then
	milter_stop
	milter_start || die "the milter did not restart"
	pids=""
	for i in $(seq 1 20); do
		sg_swaks "$SG_GW_PORT" "tanaka@$SG_INTERNAL" "t.yamada@sakura-sys.example" "$D/big.eml" "$D/rss-$i.txt" &
		pids="$pids $!"
	done
	wait $pids
	ok=$(grep -l '^<-  250 ' "$D"/rss-*.txt | grep -c .)
	printf '20 concurrent 10 MB encrypted PDFs: %d answered 250; milter VmHWM %s\n' \
		"$ok" "$(sed -n 's/^VmHWM:\s*//p' /proc/"$SG_MILTER_PID"/status)"
fi

if want inet && [ "$SG_MILTER_SOCKET" = unix ]; then
	echo
	SG_MILTER_SOCKET=inet SG_TARGETS=clean SG_TEST_ROOT="$SG_TEST_ROOT" \
		bash "$here/targets.sh" "$ROUNDS" 9>&- | grep -E '^  clean|median'
fi
