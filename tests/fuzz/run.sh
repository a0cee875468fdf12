#!/bin/bash
#
# NAME
#	run.sh - timed fuzzing and deterministic replay of tests/fuzz
# SYNOPSIS
#	FZ=build/fuzz bash tests/fuzz/run.sh fuzz SECONDS TARGET...
#	FZ=build/fuzz bash tests/fuzz/run.sh replay 0 TARGET...
# DESCRIPTION
#	fuzz: runs each $FZ/fuzz_TARGET for SECONDS on the saved corpus
#	(tests/fuzz/corpus/TARGET) plus a work directory ($FZ/work/TARGET,
#	where new inputs go, so the saved corpus only changes on purpose),
#	crashes to $FZ/artifacts/TARGET/, then prints one line per target:
#	executions, executions per second, coverage (edges), features,
#	corpus size and crashes. Exit 1 when any target crashed. To keep
#	what was found: `bash tests/fuzz/run.sh merge 0 TARGET...`
#	minimises work into the saved corpus (-merge=1).
#
#	replay (make test): every file of tests/fuzz/corpus/TARGET and
#	tests/fuzz/regressions/TARGET run once (-runs=0); a crash, a
#	leak, a hang (-timeout) or a sanitizer report fails the target.
#	Deterministic: no mutation, and the engine takes no random input.
set -u
mode=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
FZ=${FZ:-build/fuzz}
# Slow unwinding on malloc: glib has no frame pointers, and without it
# a leak inside libgsf shows only calloc and g_malloc0, which no
# suppression can name.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0}
# Leaks in libraries we cannot fix, each bounded (see the file).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Per input: the engine's own deadline is 10 s (tests/fuzz/fz.c); a
# scan that runs past 30 s ignored it.
COMMON="-timeout=30 -rss_limit_mb=2560 -malloc_limit_mb=2048 -max_len=262144"
fail=0
summary=""

dirs_of() {
	local t=$1 d
	for d in "$here/corpus/$t" "$here/regressions/$t"; do
		[ -d "$d" ] && echo "$d"
	done
}

for t in "$@"; do
	bin=$FZ/fuzz_$t
	log=$FZ/log/$t.$mode.log
	mkdir -p "$FZ/log" "$FZ/work/$t" "$FZ/artifacts/$t"
	case $mode in
	replay)
		"$bin" $COMMON -runs=0 -artifact_prefix="$FZ/artifacts/$t/replay-" \
			$(dirs_of "$t") >"$log" 2>&1
		rc=$?
		files=$(find $(dirs_of "$t") -type f | wc -l)
		if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then
			echo "FAIL fuzz-replay $t ($files inputs): exit $rc, see $log"
			grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/     /'
			fail=1
		else
			echo "ok   fuzz-replay $t: $files inputs"
		fi
		;;
	fuzz)
		# crashes of an earlier run (kept as regressions, or not) are
		# not this run's
		rm -rf "$FZ/artifacts/$t.prev"
		mv "$FZ/artifacts/$t" "$FZ/artifacts/$t.prev" && mkdir -p "$FZ/artifacts/$t"
		"$bin" $COMMON -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$FZ/artifacts/$t/" "$FZ/work/$t" $(dirs_of "$t") \
			>"$log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
		last=$(grep -E '^#[0-9]+' "$log" | tail -1)
		cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
		ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
		corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
		crashes=$(find "$FZ/artifacts/$t" -type f | wc -l)
		line=$(printf '%-8s %10s execs %7s/s  cov %6s  ft %7s  corpus %-12s crashes %s (exit %s)' \
			"$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$rc")
		echo "$line"
		summary="$summary$line"$'\n'
		[ $rc -ne 0 ] && fail=1
		;;
	merge)
		mkdir -p "$here/corpus/$t"
		"$bin" $COMMON -merge=1 "$here/corpus/$t" "$FZ/work/$t" >"$log" 2>&1 || fail=1
		echo "merge $t: $(find "$here/corpus/$t" -type f | wc -l) files"
		;;
	*) echo "usage: run.sh fuzz|replay|merge SECONDS TARGET..." >&2; exit 64 ;;
	esac
done
if [ "$mode" = fuzz ]; then
	echo
	echo "fuzz summary ($secs s per target; logs in $FZ/log, crashes in $FZ/artifacts):"
	printf '%s' "$summary"
fi
exit $fail
