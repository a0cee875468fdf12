#!/bin/bash
#
# NAME
#	run.sh - the hostile input catalogue, through sendguardctl check
#	and through the real Postfix
# SYNOPSIS
#	SG_SRCDIR=REPO SG_CTL=build/test/sendguardctl \
#	SG_MILTER=build/test/sendguard-milter bash tests/hostile/run.sh
# DESCRIPTION
#	gen.py writes the catalogue (big inputs are made here, never
#	committed). Each message goes first through `sendguardctl check`
#	(the ASan+UBSan build, under timeout) and must end, within the
#	scan deadline, in the verdict POLICY.md prescribes: exit 1 (hold)
#	and the findings named below (usually a scan-limit), no sanitizer
#	report. Then the same messages go through a private Postfix
#	(tests/e2e/lib.sh) with the ASan+UBSan milter, which sees what
#	miltertest cannot carry (1 MB header lines, 3.6 MB of parts): each
#	must be held (hold queue + hold record) or refused, never reach
#	the sink, and the milter must still be running and clean at the
#	end. Prints a table, then "N passed, M failed" last; exit 1 on any
#	failure.
# FILES
#	tests/hostile/gen.py	the generator
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
SG_CTL=${SG_CTL:-$SG_SRCDIR/build/test/sendguardctl}
LIMIT=${SG_HOSTILE_TIMEOUT:-120}
# The engine's deadline ([limits] scan_timeout, default 60 s): a scan
# that ends later ignored it.
DEADLINE=60

for t in postfix smtp-sink swaks sqlite3 jq timeout /usr/bin/python3; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

# name ~ jq test on `check --json` ~ what it shows
CASES='nested_1000~found("scan-limit") and any(.findings[]; .rule=="mime-depth")~MIME depth limit (max_mime_depth 32) before any recursion
parts_100000~any(.findings[]; .rule=="mime-parts")~part limit (max_parts 1000)
header_1mb~any(.findings[]; .rule=="header-size") and found("classified")~1.1 MB Subject over max_header_size 1M: scan-limit, and the marking before the cut still found
nul_bytes~found("classified")~NUL bytes in header and body: text around them still read
broken_base64~any(.findings[]; .rule=="bad-encoding")~foreign bytes and a cut quantum: bad-encoding scan-limit
broken_qp~found("classified")~invalid =XX escapes: decoded leniently, marking across soft breaks found
unclosed_boundary~found("classified") and (.attachments|length==1)~multipart never closed: read to the end, both parts seen
lying_charsets~found("classified") and found("personal-data")~CP932 declared us-ascii, UTF-8 declared UTF-16, a 10 KB and a path-like charset name
rfc2231_out_of_order~found("dangerous-attachment")~filename*2, *0*, *1 (and a duplicate, and *99999999999): reassembled in order, .exe found
zip_42~any(.findings[]; .category=="scan-limit" and (.rule|startswith("archive-")))~42.zip (16^5 files, 1 PiB): expansion limits stop it
zip_quine~any(.findings[]; .category=="scan-limit" and (.rule|startswith("archive-")))~a ZIP whose entry is the ZIP itself: stops at a limit or as unreadable
sevenzip_1tb~any(.findings[]; .category=="scan-limit" and (.rule|startswith("archive-")))~7z declaring 1 TB unpacked: no allocation of it, unreadable past the data
ole_cyclic_fat~any(.findings[]; .rule=="office-unreadable")~cyclic FAT chain: libgsf cuts the cycle with a warning, so the stream was not read in full: office-unreadable
pdf_xref_loop~.verdict=="hold"~two xref sections whose /Prev point at each other: qpdf detects the loop
pdf_xref_bomb~any(.findings[]; .rule=="archive-size" and .where=="xref.pdf")~500 KB PDF, xref stream inflating to 512 MiB: counted against max_expanded_size before qpdf opens it
pdf_xref_hex_chain~any(.findings[]; .rule=="pdf-unreadable" and .where=="hex.pdf")~the same xref stream behind ASCIIHex+Flate: not counted, so not opened
pdf_objstm_bomb~any(.findings[]; .rule=="archive-size" and .where=="objstm.pdf")~object stream (/O#62jStm) inflating to 512 MiB: counted likewise
pdf_many_streams~any(.findings[]; .category=="scan-limit" and (.rule|startswith("pdf-")))~16 content streams of 96 MiB each: the text worker is stopped by pdf_timeout
ole_huge_stream~any(.findings[]; .rule=="office-unreadable" and .where=="huge.doc")~OLE streams claiming 4 GiB: libgsf drops entries larger than the file (a CRITICAL it logs), which is office-unreadable; reads stay bounded heads'

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
G=$SG_BASE/hostile
mkdir -p "$G"
/usr/bin/python3 "$here/gen.py" "$G" "$SG_SRCDIR" || die "gen.py failed"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
CONF=$G/check.conf
printf '[policy]\ninternal_domains = %s\n[rules]\ndir = %s/rules\n' "$SG_INTERNAL" "$SG_SRCDIR" >"$CONF"
PRELUDE='def found(c): any(.findings[]; .category == c);'
declare -A CHECK_RES

# --- 1. sendguardctl check ---------------------------------------------------
echo "# sendguardctl check ($SG_CTL)"
while IFS='~' read -r name expr what; do
	f=$G/$name.eml
	t0=$(date +%s.%N)
	timeout "$LIMIT" "$SG_CTL" -c "$CONF" check --json "$f" >"$G/$name.json" 2>"$G/$name.err"
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	rules=$(jq -r '[.findings[] | .rule] | unique | join(",")' "$G/$name.json" 2>/dev/null)
	CHECK_RES[$name]="$rc|$secs|$rules"
	check "$name: check ends in hold (exit 1) in ${secs}s: $what [$rules]" \
		eval '[ "$rc" = 1 ] && awk -v s="$secs" -v d="$DEADLINE" "BEGIN { exit !(s < d) }"'
	check "$name: the findings POLICY.md prescribes" \
		eval 'jq -e "$PRELUDE $expr" "$G/$name.json" >/dev/null 2>&1'
	check "$name: no sanitizer report" \
		eval '! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$G/$name.err"'
done <<<"$CASES"

# --- 2. the real Postfix ------------------------------------------------------
echo "# through Postfix ($SG_MILTER)"
pf_setup
milter_setup
sink_start
pf_start
milter_start || die "the milter did not start"
declare -A PF_RES
while IFS='~' read -r name _ _; do
	sg_swaks "$SG_GW_PORT" "tanaka@$SG_INTERNAL" "t.yamada@sakura-sys.example" \
		"$G/$name.eml" "$G/$name.swaks"
	qid=$(swaks_qid "$G/$name.swaks")
	reply=$(swaks_data_reply "$G/$name.swaks")
	if [ -n "$qid" ] && wait_for 20 eval '[ "$(pf_queue_name "$qid")" = hold ]' &&
		[ -n "$(sg_sql "SELECT id FROM holds WHERE queue_id = '$qid';")" ]; then
		PF_RES[$name]="held"
	elif [ "${reply:0:1}" = 5 ]; then
		PF_RES[$name]="refused (${reply:0:9})"
	else
		PF_RES[$name]="NOT HELD: ${reply:0:40} qid=$qid"
	fi
	check "$name: Postfix: held or refused, never accepted (${PF_RES[$name]})" \
		eval '[ "${PF_RES[$name]:0:4}" = held ] || [ "${PF_RES[$name]:0:7}" = refused ]'
done <<<"$CASES"
wait_for 30 pf_queue_settled
check "nothing of the catalogue reached the sink" \
	eval '! grep -rlq "hostile-[0-9]*@example.lg.jp" "$SG_SINK" 2>/dev/null'
check "the milter is still running" kill -0 "$SG_MILTER_PID"
milter_stop
check "the milter stops cleanly (exit $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean

echo
echo "| input | check: exit, time | findings (rules) | Postfix |"
echo "| --- | --- | --- | --- |"
while IFS='~' read -r name _ _; do
	IFS='|' read -r rc secs rules <<<"${CHECK_RES[$name]}"
	echo "| $name | $rc, ${secs} s | $rules | ${PF_RES[$name]:-} |"
done <<<"$CASES"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
