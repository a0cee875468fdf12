#!/bin/sh
# NAME
#	run.sh - sweep other projects' test mail through `sendguardctl check`
# SYNOPSIS
#	sh tests/corpora/extract.sh MIRRORS /var/tmp/corpora
#	[SG_CTL=build/test/sendguardctl] sh tests/corpora/run.sh \
#		/var/tmp/corpora [RESULTS]
# DESCRIPTION
#	Runs the sanitizer build over every file under the corpora, as mail
#	from an internal sender to one external recipient (so the content
#	rules run), each under `timeout 60`. Writes RESULTS/results.tsv
#	(file, exit status, verdict, seconds, sanitizer report y/n, the
#	findings as category:rule@where) and the stderr of every run that
#	crashed, hung or reported, then prints the figures: messages,
#	verdicts, crashes (exit status >= 128 or a sanitizer report), hangs
#	(124), and the holds by category:rule.
#
#	Not part of `make test`: the corpora are not committed (see
#	extract.sh). Every hold it shows must have a real reason (the
#	policy's), or be a false alarm whose class is fixed and pinned by a
#	case in tests/check/cases.txt.
#
#	Exits 1 when any message crashed, hung or made a sanitizer report.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${SG_CTL:-$SRC/build/test/sendguardctl}
CONF=${SG_CONF:-$SRC/conf/sendguard.conf}
CORP=${1:?CORPORA}
RES=${2:-$CORP.results}
FROM=${SG_FROM:-tanaka@example.lg.jp}
RCPT=${SG_RCPT:-t.yamada@sakura-sys.example}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export LC_ALL=C.UTF-8

mkdir -p "$RES/stderr"
: >"$RES/results.tsv"
find "$CORP" -type f | LC_ALL=C sort | while IFS= read -r f; do
	rel=${f#"$CORP"/}
	t0=$(date +%s.%N)
	timeout 60 "$CTL" -c "$CONF" check --json --from "$FROM" --rcpt "$RCPT" \
		"$f" >"$RES/out" 2>"$RES/err" </dev/null
	rc=$?
	t1=$(date +%s.%N)
	san=n
	grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
		"$RES/err" && san=y
	if [ "$rc" -ge 3 ] || [ "$san" = y ]; then
		cp "$RES/err" "$RES/stderr/$(printf '%s' "$rel" | tr / _).err"
	fi
	verdict=$(jq -r '.verdict // "none"' "$RES/out" 2>/dev/null || echo none)
	finds=$(jq -r '[.findings[] | "\(.category):\(.rule)@\(.where)"] | join(" ; ")' \
		"$RES/out" 2>/dev/null || echo)
	printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$rel" "$rc" "${verdict:-none}" \
		"$(echo "$t1 - $t0" | bc)" "$san" "$finds" >>"$RES/results.tsv"
done
rm -f "$RES/out" "$RES/err"

T=$RES/results.tsv
echo "messages: $(wc -l <"$T")"
echo "verdicts:"; cut -f3 "$T" | sort | uniq -c | sort -rn
echo "per corpus (messages, holds+rejects):"
awk -F'\t' '{ split($1, p, "/"); n[p[1]]++; if ($3 == "hold" || $3 == "reject") h[p[1]]++ }
	END { for (c in n) printf "  %s %d %d\n", c, n[c], h[c] }' "$T" | sort
crash=$(awk -F'\t' '($2 >= 3 && $2 != 124) || $5 == "y"' "$T" | wc -l)
hang=$(awk -F'\t' '$2 == 124' "$T" | wc -l)
echo "crashes or sanitizer reports: $crash"
awk -F'\t' '($2 >= 3 && $2 != 124) || $5 == "y" { print "  " $1 " rc=" $2 }' "$T"
echo "hangs (60 s): $hang"
awk -F'\t' '$2 == 124 { print "  " $1 }' "$T"
echo "slowest:"; sort -t"$(printf '\t')" -k4 -rn "$T" | head -5 | cut -f1,4 | sed 's/^/  /'
echo "findings of held or rejected mail, by category:rule:"
awk -F'\t' '$3 == "hold" || $3 == "reject" { n = split($6, a, " ; ");
	delete seen; for (i = 1; i <= n; i++) { sub(/@.*/, "", a[i]);
	if (!(a[i] in seen)) { seen[a[i]] = 1; c[a[i]]++ } } }
	END { for (k in c) printf "  %4d %s\n", c[k], k }' "$T" | sort -rn
[ "$crash" -eq 0 ] && [ "$hang" -eq 0 ]
