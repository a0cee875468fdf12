#!/bin/bash
#
# NAME
#	tests/bench/store_bench.sh - holds and accept records per second,
#	PostgreSQL against SQLite, in one run (issue 20 item 5)
# SYNOPSIS
#	make store-bench        (or: bash tests/bench/store_bench.sh)
# DESCRIPTION
#	A private PostgreSQL 15 (tests/pg/lib.sh) with fsync on, the
#	server's defaults otherwise, on loopback TCP with a password from a
#	passfile, as a gateway would reach it; and a SQLite store file
#	(WAL, synchronous=FULL) under $SG_TEST_ROOT on the same disk.
#	build/store_bench writes through st.h what the milter writes:
#	  hold       a hold with its audit record and notices, one
#	             transaction each (held mail);
#	  verdict/1  one accept record per transaction (audit_queue = 0);
#	  verdict/32 accept records 32 per transaction (the group commit).
#	Rounds alternate the backends (SQLite first in odd rounds); each
#	figure is the median of the rounds with the lowest-highest spread,
#	and the ratio PostgreSQL/SQLite is taken per round, then the
#	median. Then K writer processes at once (K = 1 2 4 8: K gateways'
#	milters) writing holds into one store, aggregate holds per second,
#	and the audit chain is verified after them (no record lost or
#	forked).
#	Prints a Markdown table for README's "Measured" section.
# ENVIRONMENT
#	SG_SRCDIR, SG_TEST_ROOT, SG_SB_ROUNDS (5), SG_SB_HOLDS (300),
#	SG_SB_RECORDS (1000; 32 times as many batched), SG_SB_K ("1 2 4 8"),
#	SG_SB_KHOLDS (150 per writer).
set -u
src=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bench=$src/build/store_bench
rounds=${SG_SB_ROUNDS:-5}
nholds=${SG_SB_HOLDS:-300}
nrec=${SG_SB_RECORDS:-1000}
ks=${SG_SB_K:-"1 2 4 8"}
khold=${SG_SB_KHOLDS:-150}
[ -x "$bench" ] || { echo "store_bench: build it first: make build/store_bench" >&2; exit 2; }
. "$src/tests/pg/lib.sh"

work=""
cleanup() { pg_cleanup; [ -n "$work" ] && rm -rf "$work"; }
trap cleanup EXIT
PG_FSYNC=on
pg_setup || exit 1
pg_passfile "$(id -un)"
work=$(mktemp -d "${SG_TEST_ROOT:-/var/tmp/sg-test}/store-bench.XXXXXX") || exit 1
lite=$work/sendguard.db

# fresh stores for each series, so that sizes do not drift apart
fresh() {
	rm -f "$lite" "$lite-wal" "$lite-shm"
	"$bench" sqlite "$lite" init || exit 1
	pg_sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
	"$bench" postgresql "$PG_DSN" init || exit 1
}
# rate BACKEND ARGS...: the per-second figure of one run
rate() {
	local be=$1 t
	shift
	if [ "$be" = sqlite ]; then t=$lite; else t=$PG_DSN; fi
	"$bench" "$be" "$t" "$@" | awk '{print $4}'
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }

declare -A R
series="hold verdict1 verdict32"
echo "store_bench: $rounds rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
fresh
for r in $(seq 1 "$rounds"); do
	order="sqlite postgresql"
	[ $((r % 2)) = 0 ] && order="postgresql sqlite"
	for be in $order; do
		R[$be.hold.$r]=$(rate "$be" hold "$nholds")
		R[$be.verdict1.$r]=$(rate "$be" verdict "$nrec" 1)
		R[$be.verdict32.$r]=$(rate "$be" verdict $((nrec * 32)) 32)
	done
	echo "  round $r: sqlite ${R[sqlite.hold.$r]} holds/s, postgresql ${R[postgresql.hold.$r]} holds/s" >&2
done

label() {
	case $1 in
	hold) echo "holds per second (hold + audit record + notices, one transaction each)" ;;
	verdict1) echo "accept records per second, one per transaction" ;;
	verdict32) echo "accept records per second, 32 per transaction (group commit)" ;;
	esac
}
echo
echo "| one writer | SQLite median (low-high) | PostgreSQL median (low-high) | PostgreSQL / SQLite, median of rounds |"
echo "| --- | --- | --- | --- |"
for s in $series; do
	l=$(for r in $(seq 1 "$rounds"); do echo "${R[sqlite.$s.$r]}"; done)
	p=$(for r in $(seq 1 "$rounds"); do echo "${R[postgresql.$s.$r]}"; done)
	q=$(for r in $(seq 1 "$rounds"); do
		awk -v a="${R[postgresql.$s.$r]}" -v b="${R[sqlite.$s.$r]}" 'BEGIN {printf "%.2f\n", (b > 0 ? a / b : 0)}'
	done)
	echo "| $(label "$s") | $(echo "$l" | median) ($(echo "$l" | spread)) | $(echo "$p" | median) ($(echo "$p" | spread)) | $(echo "$q" | median) |"
done

# K writers at once: K gateways' milters on one store.
echo
echo "| K writer processes at once, $khold holds each | SQLite holds/s | PostgreSQL holds/s | chain after |"
echo "| --- | --- | --- | --- |"
fresh
for k in $ks; do
	line="| $k"
	for be in sqlite postgresql; do
		if [ "$be" = sqlite ]; then t=$lite; else t=$PG_DSN; fi
		t0=$(date +%s.%N)
		pids=""
		for i in $(seq 1 "$k"); do
			"$bench" "$be" "$t" hold "$khold" >/dev/null & pids="$pids $!"
		done
		fail=0
		for p in $pids; do wait "$p" || fail=1; done
		t1=$(date +%s.%N)
		[ "$fail" = 0 ] || { echo "store_bench: a writer failed ($be, K=$k)" >&2; exit 1; }
		line="$line | $(awk -v n=$((k * khold)) -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", n / (b - a)}')"
	done
	v1=$("$bench" sqlite "$lite" verify) || { echo "store_bench: SQLite chain broken: $v1" >&2; exit 1; }
	v2=$("$bench" postgresql "$PG_DSN" verify) || { echo "store_bench: PostgreSQL chain broken: $v2" >&2; exit 1; }
	echo "$line | both intact ($(echo "$v1" | awk '{print $2}') and $(echo "$v2" | awk '{print $2}') records) |"
done
