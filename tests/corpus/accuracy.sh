#!/bin/sh
# NAME
#	accuracy.sh - per-detector precision and recall over tests/corpus
# SYNOPSIS
#	SG_SRCDIR=REPO SG_CTL=build/sendguardctl sh tests/corpus/accuracy.sh [-v]
# DESCRIPTION
#	Runs `sendguardctl check --json` with the shipped configuration
#	(conf/sendguard.conf) over every message of tests/corpus/labels.tsv
#	and compares the rule ids of its personal-data and classified
#	findings (anywhere in the message: body, subject, attachments) with
#	the labels. Every message counts for every detector: a detector
#	reported and labelled is a TP, reported and not labelled an FP,
#	labelled and not reported an FN.
#
#	The detectors are the sections of rules/personal-data and
#	rules/classification, so a new rule shows up here (and fails until
#	the corpus has positives for it).
#
#	Prints each disagreement ("FP file rule" / "FN file rule"; with -v
#	also every message's findings), a table detector / TP / FP / FN /
#	precision / recall, and the closing line "N passed, M failed"
#	counting detectors. A detector fails when its precision or recall
#	is below 0.95 (SG_ACCURACY_MIN), or when it has no positive in the
#	corpus. Exits 1 when a detector fails, 2 when sendguardctl did not
#	give a JSON result for a message.
#	Needs: jq, awk.

set -u

SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=${SG_CTL:-$SRC/build/sendguardctl}
CONF=$SRC/conf/sendguard.conf
DIR=$SRC/tests/corpus
MIN=${SG_ACCURACY_MIN:-0.95}
VERBOSE=0
[ "${1:-}" = "-v" ] && VERBOSE=1

export LC_ALL=C.UTF-8

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-accuracy.XXXXXX") || exit 70
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

# The detectors: section names of the two rule files.
for f in personal-data classification; do
	sed -n 's/^\[\([^]]*\)\].*/\1/p' "$SRC/rules/$f"
done >"$TMP/detectors"

# One line per message: file TAB expected TAB found (sorted, comma-joined).
bad=0
nmsg=0
# (An empty label becomes "-": read would merge two tabs into one.)
awk -F '\t' '!/^#/ && NF { print $1 "\t" ($2 == "" ? "-" : $2) }' "$DIR/labels.tsv" |
while IFS='	' read -r file expected; do
	[ "$expected" = "-" ] && expected=
	if ! "$CTL" -c "$CONF" check --json "$DIR/$file" >"$TMP/out" 2>"$TMP/err" ||
	   ! jq -e .verdict "$TMP/out" >/dev/null 2>&1; then
		# check exits with the verdict's status; only a missing
		# JSON result is an error.
		if ! jq -e .verdict "$TMP/out" >/dev/null 2>&1; then
			echo "ERROR $file: no JSON result" >&2
			head -c 2000 "$TMP/err" >&2
			echo "ERROR" >"$TMP/error"
			continue
		fi
	fi
	found=$(jq -r '[.findings[] | select(.category == "personal-data" or
		.category == "classified") | .rule] | unique | join(",")' "$TMP/out")
	printf '%s\t%s\t%s\n' "$file" "$expected" "$found"
	if [ "$VERBOSE" = 1 ]; then
		jq -r '.findings[] | "    \(.category) \(.rule) [\(.where)] \(.evidence)"' "$TMP/out" >&2
	fi
done >"$TMP/results"

nmsg=$(wc -l <"$TMP/results")
[ -e "$TMP/error" ] && bad=1

awk -F '\t' -v min="$MIN" -v nmsg="$nmsg" -v detfile="$TMP/detectors" '
BEGIN {
	while ((getline d < detfile) > 0) { det[++nd] = d; known[d] = 1 }
}
{
	delete e; delete f
	n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] != "") e[a[i]] = 1
	n = split($3, a, ","); for (i = 1; i <= n; i++) if (a[i] != "") f[a[i]] = 1
	for (r in e) if (!(r in known)) { print "LABEL " $1 ": unknown rule " r; unknown = 1 }
	for (k = 1; k <= nd; k++) {
		r = det[k]
		if ((r in e) && (r in f)) tp[r]++
		else if (r in f) { fp[r]++; print "FP " $1 " " r }
		else if (r in e) { fn[r]++; print "FN " $1 " " r }
		else tn[r]++
		if (r in e) pos[r]++; else neg[r]++
	}
}
END {
	printf "\n%d messages\n", nmsg
	printf "%-20s %5s %5s %4s %4s %4s %9s %7s\n", "detector", "pos", "neg", "TP", "FP", "FN", "precision", "recall"
	for (k = 1; k <= nd; k++) {
		r = det[k]
		t = tp[r] + 0; p = fp[r] + 0; n = fn[r] + 0
		prec = (t + p) ? t / (t + p) : 0
		rec = (t + n) ? t / (t + n) : 0
		ok = (t + n) > 0 && prec >= min && rec >= min
		printf "%-20s %5d %5d %4d %4d %4d %9s %7s  %s\n", r, pos[r], neg[r], t, p, n,
		       (t + p) ? sprintf("%.3f", prec) : "-", (t + n) ? sprintf("%.3f", rec) : "-",
		       ok ? "ok" : "FAIL"
		if (ok) passed++; else failed++
	}
	printf "%d passed, %d failed\n", passed, failed
	exit (failed > 0 || unknown) ? 1 : 0
}' "$TMP/results"
rc=$?
[ "$bad" = 1 ] && exit 2
exit $rc
