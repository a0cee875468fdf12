#!/bin/sh
# NAME
#	accuracy.sh - per-detector and per-category precision and recall
#	over a labelled corpus
# SYNOPSIS
#	SG_SRCDIR=REPO SG_CTL=build/sendguardctl sh tests/corpus/accuracy.sh
#	    [-v] [-d DIR] [-f FLOOR [-w]]
# DESCRIPTION
#	Runs `sendguardctl check --json` with the shipped configuration
#	(conf/sendguard.conf) over every message of DIR/labels.tsv (DIR:
#	tests/corpus, the tuning set, unless -d; tests/corpus-eval is the
#	held-out evaluation set) and compares the rule ids of its
#	personal-data and classified findings (anywhere in the message:
#	body, subject, attachments) with the labels. Every message counts
#	for every detector: a detector reported and labelled is a TP,
#	reported and not labelled an FP, labelled and not reported an FN.
#	Each category (personal-data, classified) is measured the same way
#	per message: labelled with any of its rules against reported with
#	any finding of that category.
#
#	The detectors are the sections of rules/personal-data and
#	rules/classification, and every rule id a label names (a rule the
#	policy defines but the rules do not have yet is then measured, with
#	recall 0). A labelled id belongs to the category of the rule file
#	that has it; classification-mention (POLICY.md, "classified") is
#	classified even before a rule has it.
#
#	Every precision and recall is printed with its 95% confidence
#	interval (Wilson score interval, z = 1.96): with 30 positives, a
#	measured 1.000 only says the true value is above 0.886.
#
#	Gate. Without -f (the tuning set): a detector or category fails
#	when its precision or recall is below 0.95 (SG_ACCURACY_MIN), and a
#	detector of the rule files fails when it has no positive in the
#	corpus. With -f FLOOR (the evaluation set): the gate is the ratchet
#	floor file FLOOR (lines "name<TAB>precision<TAB>recall", a detector
#	or a category): a figure below its floor fails; the target
#	SG_ACCURACY_TARGET (0.95, issue 17) is printed beside each figure,
#	and figures below it are marked, not failed. A name without a line
#	in FLOOR is printed and not gated. A precision without any
#	reported finding counts as 0 against its floor. -w rewrites FLOOR
#	with every figure rounded down to a multiple of 0.05, never lower
#	than the floor already there (the ratchet: raise it when the
#	engine improves, never lower it to let a regression pass).
#
#	Prints each disagreement ("FP file rule" / "FN file rule"; with -v
#	also every message's findings), the tables, and the closing line
#	"N passed, M failed" counting detectors and categories. Exits 1
#	when one fails, 2 when sendguardctl did not give a JSON result for
#	a message.
#	Needs: jq, awk.

set -u

SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=${SG_CTL:-$SRC/build/sendguardctl}
CONF=$SRC/conf/sendguard.conf
DIR=$SRC/tests/corpus
MIN=${SG_ACCURACY_MIN:-0.95}
TARGET=${SG_ACCURACY_TARGET:-0.95}
VERBOSE=0
FLOOR=
WRITE=0
while getopts vd:f:w opt; do
	case $opt in
	v) VERBOSE=1 ;;
	d) DIR=$OPTARG ;;
	f) FLOOR=$OPTARG ;;
	w) WRITE=1 ;;
	*) echo "usage: accuracy.sh [-v] [-d DIR] [-f FLOOR [-w]]" >&2; exit 64 ;;
	esac
done
if [ "$WRITE" = 1 ] && [ -z "$FLOOR" ]; then
	echo "accuracy.sh: -w needs -f FLOOR" >&2
	exit 64
fi

export LC_ALL=C.UTF-8

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-accuracy.XXXXXX") || exit 70
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

# The detectors: section names of the two rule files, with their category.
sed -n 's/^\[\([^]]*\)\].*/\1	personal-data/p' "$SRC/rules/personal-data" >"$TMP/detectors"
sed -n 's/^\[\([^]]*\)\].*/\1	classified/p' "$SRC/rules/classification" >>"$TMP/detectors"
[ -n "$FLOOR" ] && [ -e "$FLOOR" ] && cp "$FLOOR" "$TMP/floor" || : >"$TMP/floor"

# One line per message: file TAB expected TAB found rules TAB found categories.
bad=0
# (An empty label becomes "-": read would merge two tabs into one.)
awk -F '\t' '!/^#/ && NF { print $1 "\t" ($2 == "" ? "-" : $2) }' "$DIR/labels.tsv" |
while IFS='	' read -r file expected; do
	[ "$expected" = "-" ] && expected=
	# check exits with the verdict's status; only a missing JSON
	# result is an error.
	"$CTL" -c "$CONF" check --json "$DIR/$file" >"$TMP/out" 2>"$TMP/err"
	if ! jq -e .verdict "$TMP/out" >/dev/null 2>&1; then
		echo "ERROR $file: no JSON result" >&2
		head -c 2000 "$TMP/err" >&2
		echo "ERROR" >"$TMP/error"
		continue
	fi
	found=$(jq -r '[.findings[] | select(.category == "personal-data" or
		.category == "classified") | .rule] | unique | join(",")' "$TMP/out")
	cats=$(jq -r '[.findings[] | select(.category == "personal-data" or
		.category == "classified") | .category] | unique | join(",")' "$TMP/out")
	printf '%s\t%s\t%s\t%s\n' "$file" "${expected:--}" "${found:--}" "${cats:--}"
	if [ "$VERBOSE" = 1 ]; then
		jq -r '.findings[] | "    \(.category) \(.rule) [\(.where)] \(.evidence)"' "$TMP/out" >&2
	fi
done >"$TMP/results"

[ -e "$TMP/error" ] && bad=1

awk -F '\t' -v min="$MIN" -v target="$TARGET" -v gated="${FLOOR:+floor}" \
    -v detfile="$TMP/detectors" -v floorfile="$TMP/floor" -v newfloor="$TMP/newfloor" -v set="${DIR#"$SRC"/}" '
function wilson(x, n,    p, z, d, c, h) {
	# 95% Wilson score interval of x successes in n trials
	if (n == 0) return "      -      "
	z = 1.96; p = x / n
	d = 1 + z * z / n
	c = (p + z * z / (2 * n)) / d
	h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
	return sprintf("[%.2f-%.2f]", c - h < 0 ? 0 : c - h, c + h > 1 ? 1 : c + h)
}
function header(first) {
	printf "%-22s %4s %4s %4s %4s %4s %6s %-11s %6s %-11s  %s\n", first, "pos", "neg", "TP", "FP", "FN",
	       "prec", "95% CI", "recall", "95% CI", gated == "floor" ? "floor, target " target : "gate " min
}
function fig(x, n) { return n ? sprintf("%.3f", x / n) : "-" }
function down(v) { return int(v * 20 + 1e-9) / 20 }
function row(name, kind, t, p, n, pos, neg,    prec, rec, ok, fp_, fr_, s, mark) {
	prec = (t + p) ? t / (t + p) : 0
	rec = (t + n) ? t / (t + n) : 0
	if (gated == "floor") {
		if (name in fprec) {
			ok = prec + 1e-9 >= fprec[name] && rec + 1e-9 >= frec[name]
			s = ok ? "ok" : "FAIL (floor " sprintf("%.2f/%.2f", fprec[name], frec[name]) ")"
		} else {
			ok = 1; s = "(no floor)"
		}
		mark = ((t + p) && prec < target) || ((t + n) && rec < target) ? "  below target " target : ""
		# the ratchet: never below the floor already there
		fp_ = down(prec); fr_ = down(rec)
		if ((name in fprec) && fprec[name] > fp_) fp_ = fprec[name]
		if ((name in frec) && frec[name] > fr_) fr_ = frec[name]
		printf "%s\t%.2f\t%.2f\n", name, fp_, fr_ >> newfloor
	} else {
		ok = prec >= min && rec >= min && (kind == "category" || (t + n) > 0)
		s = ok ? "ok" : "FAIL"
		mark = ""
	}
	printf "%-22s %4d %4d %4d %4d %4d %6s %s %6s %s  %s%s\n", name, pos, neg, t, p, n,
	       fig(t, t + p), wilson(t, t + p), fig(t, t + n), wilson(t, t + n), s, mark
	if (ok) passed++; else failed++
}
BEGIN {
	while ((getline l < detfile) > 0) {
		split(l, a, "\t")
		if (!(a[1] in known)) { det[++nd] = a[1]; known[a[1]] = 1; cat[a[1]] = a[2]; inrules[a[1]] = 1 }
	}
	while ((getline l < floorfile) > 0) {
		if (l ~ /^#/ || l == "") continue
		split(l, a, "\t"); fprec[a[1]] = a[2] + 0; frec[a[1]] = a[3] + 0
	}
	ncat = split("personal-data classified", cats, " ")
}
{
	file[++nm] = $1; exp_[nm] = $2; fnd[nm] = $3; fcat[nm] = $4
	n = split($2, a, ",")
	for (i = 1; i <= n; i++) if (a[i] != "-" && !(a[i] in known)) {
		# a rule the policy defines that the rule files do not have (yet)
		det[++nd] = a[i]; known[a[i]] = 1
		cat[a[i]] = a[i] == "classification-mention" ? "classified" : "unknown"
		if (cat[a[i]] == "unknown") { print "LABEL " $1 ": unknown rule " a[i]; unknown = 1 }
	}
}
END {
	for (m = 1; m <= nm; m++) {
		delete e; delete f; delete ec; delete fc
		n = split(exp_[m], a, ","); for (i = 1; i <= n; i++) if (a[i] != "-") { e[a[i]] = 1; ec[cat[a[i]]] = 1 }
		n = split(fnd[m], a, ","); for (i = 1; i <= n; i++) if (a[i] != "-") f[a[i]] = 1
		n = split(fcat[m], a, ","); for (i = 1; i <= n; i++) if (a[i] != "-") fc[a[i]] = 1
		for (k = 1; k <= nd; k++) {
			r = det[k]
			if ((r in e) && (r in f)) tp[r]++
			else if (r in f) { fp[r]++; print "FP " file[m] " " r }
			else if (r in e) { fn[r]++; print "FN " file[m] " " r }
			if (r in e) pos[r]++; else neg[r]++
		}
		for (k = 1; k <= ncat; k++) {
			c = cats[k]
			if ((c in ec) && (c in fc)) ctp[c]++
			else if (c in fc) cfp[c]++
			else if (c in ec) cfn[c]++
			if (c in ec) cpos[c]++; else cneg[c]++
		}
		for (r in f) if (!(r in known)) print "FOUND " file[m] ": rule " r " is in no rule file"
	}
	printf "\n%s: %d messages\n", set, nm
	header("category")
	for (k = 1; k <= ncat; k++) { c = cats[k]; row(c, "category", ctp[c] + 0, cfp[c] + 0, cfn[c] + 0, cpos[c] + 0, cneg[c] + 0) }
	header("detector")
	for (k = 1; k <= nd; k++) { r = det[k]; row(r, "detector", tp[r] + 0, fp[r] + 0, fn[r] + 0, pos[r] + 0, neg[r] + 0) }
	printf "%d passed, %d failed\n", passed, failed
	exit (failed > 0 || unknown) ? 1 : 0
}' "$TMP/results"
rc=$?
if [ "$WRITE" = 1 ] && [ -s "$TMP/newfloor" ]; then
	{
		echo "# name	precision floor	recall floor (tests/corpus/accuracy.sh -w: measured, rounded"
		echo "# down to 0.05, never lowered; raise it when the engine improves)"
		cat "$TMP/newfloor"
	} >"$FLOOR"
	echo "wrote $FLOOR"
fi
[ "$bad" = 1 ] && exit 2
exit $rc
