#!/bin/sh
# NAME
#	run.sh - run `sendguardctl check` over the fixture corpus
# SYNOPSIS
#	SG_SRCDIR=REPO SG_CTL=build/test/sendguardctl sh tests/check/run.sh
# DESCRIPTION
#	Runs every case of tests/check/cases.txt (format: see its header),
#	then the cases this script builds itself: fixtures reproducible,
#	stdin input, deterministic output, CRLF = LF, big generated messages
#	(too big to commit), unreadable input (66), bad usage (64), config
#	errors (78), --help, settings that change the verdict, and the
#	human-readable output.
#
#	Every run of sendguardctl is checked for: the expected exit status,
#	exactly one JSON object on stdout (with --json), the key types of
#	ARCHITECTURE.md, verdict = strongest finding action, exit status =
#	the verdict's, and no sanitizer report on stderr.
#
#	Prints "ok N name" or "FAIL N name: reason" (with the output) per
#	case, then the line "N passed, M failed". Exits 1 when M > 0.
#	Needs: jq, awk, timeout; /usr/bin/python3 for the reproducibility
#	case only.

set -u

SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=${SG_CTL:-$SRC/build/test/sendguardctl}
CONF=$SRC/conf/sendguard.conf
FIX=$SRC/tests/fixtures
CASES=$SRC/tests/check/cases.txt
LIMIT=${SG_CHECK_TIMEOUT:-120}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export LC_ALL=C.UTF-8

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-check.XXXXXX") || exit 70
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

n=0
passed=0
failed=0

ok() {
	n=$((n + 1)); passed=$((passed + 1))
	echo "ok $n $1"
}

# fail NAME REASON: prints stdout (the JSON) and the start of stderr
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "FAIL $n $1: $2"
	if [ -s "$TMP/out" ]; then
		echo "    stdout:"; head -c 6000 "$TMP/out" | sed 's/^/    /'; echo
	fi
	if [ -s "$TMP/err" ]; then
		echo "    stderr:"; head -c 3000 "$TMP/err" | sed 's/^/    /'; echo
	fi
}

# ctl ARGS... : runs sendguardctl (stdin from /dev/null unless redirected
# by the caller through ctl_in), output in $TMP/out and $TMP/err, status
# in $rc
ctl() {
	timeout "$LIMIT" "$CTL" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
}
ctl_in() {	# ctl_in FILE ARGS...: FILE on stdin
	_in=$1; shift
	timeout "$LIMIT" "$CTL" "$@" >"$TMP/out" 2>"$TMP/err" <"$_in"
	rc=$?
}

# Definitions that case expressions may use (see cases.txt).
PRELUDE='
def cats: [.findings[].category];
def found(c): any(.findings[]; .category == c);
def f(c): [.findings[] | select(.category == c)];
def none: (.findings | length) == 0;
def att(n): [.. | objects | select((.name? // null) == n)];
def hidden(s): (.findings | tostring | ascii_downcase | contains(s | ascii_downcase)) | not;
'

# The contract of ARCHITECTURE.md: prints the list of what is wrong.
CONTRACT='
def acts: ["accept", "log", "bcc", "hold", "reject"];
def rank: {"accept": 0, "log": 1, "bcc": 2, "hold": 3, "reject": 4}[.];
def cats6: ["unencrypted-attachment", "personal-data", "exposed-recipients",
            "dangerous-attachment", "classified", "scan-limit",
            "private-recipient"];
def isstr: type == "string";
def attok: (.path | isstr) and (.name | isstr) and (.type | isstr)
	and (.size | type == "number") and (.encrypted | type == "boolean")
	and (.entries | type == "array") and all(.entries[]; attok);
[
  (if type == "object" then empty else "not an object" end),
  (if type == "object" then
    (if (.verdict | isstr) and (.verdict | IN(acts[])) then empty else "verdict" end),
    (if (.mode | isstr) and (.mode | IN("enforce", "monitor")) then empty else "mode" end),
    (if (.findings | type) == "array" then empty else "findings not an array" end),
    (if (.attachments | type) == "array" then empty else "attachments not an array" end),
    (.findings[]? | select(
        ((.category | isstr) and (.category | IN(cats6[]))
         and (.rule | isstr) and (.rule | length > 0)
         and (.label_ja | isstr) and (.label_ja | test("[^\\u0000-\\u007f]"))
         and (.label_en | isstr) and (.label_en | length > 0)
         and (.where | isstr) and (.count | type == "number")
         and (.evidence | isstr)
         and (.action | isstr) and (.action | IN(acts[]))) | not)
      | "bad finding " + tojson),
    (.attachments[]? | select(attok | not) | "bad attachment " + tojson),
    (if (.findings | type) == "array" and (.verdict | isstr) and
        ((.verdict | rank) != ([.findings[].action | rank? // 0] | max // 0))
     then "verdict is not the strongest finding action" else empty end)
  else empty end)
] | join("; ")
'

# json_problem EXPECTED_RC [JQ]: prints what is wrong with the last --json
# run (nothing when all is well)
json_problem() {
	_want=$1 _expr=${2:-true}
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer|SUMMARY: [A-Za-z]*Sanitizer' "$TMP/err"; then
		echo "sanitizer report on stderr"; return
	fi
	if [ "$rc" = 124 ]; then echo "timed out after ${LIMIT}s"; return; fi
	case " $_want " in *" $rc "*) ;; *) echo "exit $rc, want $_want"; return ;; esac
	_cnt=$(jq -s 'length' <"$TMP/out" 2>/dev/null) || _cnt=invalid
	if [ "$_cnt" != 1 ]; then echo "stdout is not exactly one JSON value ($_cnt)"; return; fi
	_bad=$(jq -r "$CONTRACT" <"$TMP/out" 2>&1)
	if [ -n "$_bad" ]; then echo "contract: $_bad"; return; fi
	_v=$(jq -r '.verdict' <"$TMP/out")
	case $_v in
	accept|log) _vrc=0 ;;
	bcc|hold) _vrc=1 ;;
	reject) _vrc=2 ;;
	*) _vrc=x ;;
	esac
	if [ "$_vrc" != "$rc" ]; then echo "exit $rc does not match verdict $_v"; return; fi
	_res=$(jq "$PRELUDE $_expr" <"$TMP/out" 2>&1)
	if [ "$_res" != true ]; then echo "assertion printed '$_res': $_expr"; return; fi
}

# check_json NAME EXPECTED_RC [JQ]: the checks every --json run gets;
# EXPECTED_RC may list alternatives ("1 2") where the policy allows both
check_json() {
	_p=$(json_problem "$2" "${3:-true}")
	if [ -n "$_p" ]; then fail "$1" "$_p"; return 1; fi
	ok "$1"
}

# check_err NAME EXPECTED_RC [STDERR-EREGEX...]: a failing run; stdout
# must not pretend to be a verdict
check_err() {
	_name=$1 _want=$2; shift 2
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer' "$TMP/err"; then
		fail "$_name" "sanitizer report on stderr"; return 1
	fi
	if [ "$rc" != "$_want" ]; then fail "$_name" "exit $rc, want $_want"; return 1; fi
	if grep -q '"verdict"' "$TMP/out"; then fail "$_name" "a verdict was printed"; return 1; fi
	for _re in "$@"; do
		if ! grep -Eq -- "$_re" "$TMP/err"; then
			fail "$_name" "stderr does not match /$_re/"; return 1
		fi
	done
	ok "$_name"
}

# confset IN OUT SECTION KEY VALUE: copy of an INI file with KEY set in
# SECTION (added when missing); VALUE "-DELETE-" removes the key.
confset() {
	awk -v s="$3" -v k="$4" -v v="$5" '
	function flush() { if (insec && !done && v != "-DELETE-") { print k " = " v; done = 1 } }
	/^\[/ { if (insec) flush(); insec = ($0 == "[" s "]"); print; next }
	insec && index($0, k) == 1 && substr($0, length(k) + 1) ~ /^[ \t]*=/ {
		if (v != "-DELETE-") print k " = " v
		done = 1; next
	}
	{ print }
	END { if (insec) flush(); if (!done && v != "-DELETE-") { print "[" s "]"; print k " = " v } }
	' "$1" >"$2"
}

# lineof FILE FIXED-STRING: line number of the first line equal to it
lineof() { grep -n -x -F -- "$2" "$1" | head -n 1 | cut -d: -f1; }

if [ ! -x "$CTL" ]; then
	fail "sendguardctl" "$CTL is not an executable"
	echo "$passed passed, $failed failed"
	exit 1
fi
command -v jq >/dev/null 2>&1 || { echo "run.sh: jq is needed (apt-get install jq)" >&2; exit 1; }

# A copy of the shipped configuration that works from $TMP ([rules] dir
# is relative to the file's own directory).
confset "$CONF" "$TMP/base.conf" rules dir "$SRC/rules"

# ---------------------------------------------------------------------------
# 1. the case table
exec 3<"$CASES"
while IFS= read -r line <&3; do
	case $line in ''|'#'*) continue ;; esac
	fx=${line%% | *}; rest=${line#* | }
	args=${rest%% | *}; rest=${rest#* | }
	want=${rest%% | *}; expr=${rest#* | }
	name="$fx"
	[ "$args" = - ] && args= || name="$fx $args"
	if [ ! -f "$FIX/$fx" ]; then fail "$name" "no fixture $FIX/$fx"; continue; fi
	set -f
	# shellcheck disable=SC2086
	ctl -c "$CONF" check --json $args "$FIX/$fx"
	set +f
	check_json "$name" "$want" "$expr"
done
exec 3<&-

# ---------------------------------------------------------------------------
# 2. the corpus itself

: >"$TMP/out"; : >"$TMP/err"
if [ -x /usr/bin/python3 ]; then
	if /usr/bin/python3 "$FIX/make-fixtures.py" "$TMP/regen" >"$TMP/err" 2>&1; then
		diffs=
		for f in "$FIX"/*.eml "$TMP"/regen/*.eml; do
			b=$(basename "$f")
			cmp -s "$FIX/$b" "$TMP/regen/$b" || case " $diffs " in *" $b "*) ;; *) diffs="$diffs $b" ;; esac
		done
		if [ -z "$diffs" ]; then ok "fixtures: make-fixtures.py reproduces every .eml byte for byte"
		else fail "fixtures: make-fixtures.py reproduces every .eml byte for byte" "differ:$diffs"; fi
	else
		fail "fixtures: make-fixtures.py runs" "exit status $?"
	fi
else
	ok "fixtures: reproducibility skipped (no /usr/bin/python3)"
fi

unused=
for f in "$FIX"/*.eml; do
	b=$(basename "$f")
	grep -q "^$b |" "$CASES" || unused="$unused $b"
done
: >"$TMP/out"; : >"$TMP/err"
if [ -z "$unused" ]; then ok "fixtures: every .eml has a case"
else fail "fixtures: every .eml has a case" "no case for:$unused"; fi

# ---------------------------------------------------------------------------
# 3. input forms and determinism

ctl -c "$CONF" check --json "$FIX/kimitsu3_subject_external.eml"
jq -S . <"$TMP/out" >"$TMP/from-file.json" 2>/dev/null
ctl_in "$FIX/kimitsu3_subject_external.eml" -c "$CONF" check --json -
if check_json "stdin: check --json - gives the verdict of the file" 2 \
	'.verdict=="reject" and (f("classified")[0].where=="header:Subject")'; then
	jq -S . <"$TMP/out" >"$TMP/from-stdin.json"
	if cmp -s "$TMP/from-file.json" "$TMP/from-stdin.json"; then ok "stdin: same JSON as from the file"
	else fail "stdin: same JSON as from the file" "differs"; fi
fi

ctl_in "$FIX/exposed_985_applicants.eml" -c "$CONF" check --json --rcpt a.b1999@gmail.com -
check_json "stdin: 985 applicants with --rcpt" 1 'f("exposed-recipients")[0].count==985'

ctl -c "$CONF" check --json "$FIX/attach_rfc2231.eml"; cp "$TMP/out" "$TMP/run1"
ctl -c "$CONF" check --json "$FIX/attach_rfc2231.eml"
if cmp -s "$TMP/run1" "$TMP/out"; then ok "determinism: two runs print identical bytes"
else fail "determinism: two runs print identical bytes" "outputs differ"; fi

# CRLF (as on the wire) gives the same result as LF
SUMMARY='{verdict, f: [.findings[] | {category, where, count, action}] | sort, a: [.attachments[] | {name, path, size}] | sort}'
for fx in exposed_citizens_to.eml kimitsu2_body_iso2022.eml kimitsu3c_body_qp.eml \
	kimitsu2_html_only.eml exposed_group_syntax.eml attach_rfc2231.eml \
	attach_cp932_raw_names.eml kimitsu3_split_encoded_words.eml toriatsukai_sjis.eml; do
	ctl -c "$CONF" check --json "$FIX/$fx"
	jq -S "$SUMMARY" <"$TMP/out" >"$TMP/lf.json" 2>/dev/null
	want=$rc
	sed 's/$/\r/' "$FIX/$fx" >"$TMP/crlf.eml"
	ctl -c "$CONF" check --json "$TMP/crlf.eml"
	_p=$(json_problem "$want" true)
	if [ -n "$_p" ]; then fail "crlf: $fx with CRLF line ends" "$_p"; continue; fi
	jq -S "$SUMMARY" <"$TMP/out" >"$TMP/crlf.json"
	if cmp -s "$TMP/lf.json" "$TMP/crlf.json"; then ok "crlf: $fx with CRLF line ends gives the LF result"
	else fail "crlf: $fx with CRLF line ends gives the LF result" "LF: $(tr -d '\n' <"$TMP/lf.json")"; fi
done

# ---------------------------------------------------------------------------
# 4. big messages, generated here instead of committed

HDRS='From: =?UTF-8?B?57eP5YuZ6KqyIOeUsOS4rSDkuIDpg44=?= <tanaka@example.lg.jp>
Date: Mon, 17 Nov 2025 10:15:00 +0900
Message-ID: <sg-generated@example.lg.jp>
MIME-Version: 1.0'

# 1500 parts (max_parts 1000)
{
	printf '%s\nTo: t.yamada@sakura-sys.example\nSubject: =?UTF-8?B?5paH5pu45LiA5byP?=\n' "$HDRS"
	printf 'Content-Type: multipart/mixed; boundary="p"\n\n'
	awk 'BEGIN { for (i = 1; i <= 1500; i++)
		printf "--p\nContent-Type: text/plain; charset=UTF-8\n\n%d\n", i
		print "--p--" }'
} >"$TMP/parts1500.eml"
ctl -c "$CONF" check --json "$TMP/parts1500.eml"
check_json "big: 1500 parts is a scan limit" 1 '.verdict=="hold" and any(f("scan-limit")[]; .action=="hold")'

# 20000 nested multiparts: the depth limit must hold before any recursion does
{
	printf '%s\nTo: t.yamada@sakura-sys.example\nSubject: nested\n' "$HDRS"
	printf 'Content-Type: multipart/mixed; boundary="n1"\n\n'
	awk 'BEGIN { d = 20000
		for (i = 1; i < d; i++) printf "--n%d\nContent-Type: multipart/mixed; boundary=\"n%d\"\n\n", i, i + 1
		printf "--n%d\nContent-Type: text/plain\n\ndeep\n", d
		for (i = d; i >= 1; i--) printf "--n%d--\n", i }'
} >"$TMP/nested20000.eml"
ctl -c "$CONF" check --json "$TMP/nested20000.eml"
check_json "big: 20000 nested multiparts is a scan limit, not a crash" 1 '.verdict=="hold" and found("scan-limit")'

# a 200 KB header line before the Subject (under max_header_size 1M): still read
{
	printf '%s\nTo: t.yamada@sakura-sys.example\n' "$HDRS"
	awk 'BEGIN { printf "X-Filler: "; for (i = 0; i < 3200; i++) printf "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; printf "\n" }'
	printf 'Subject: =?UTF-8?B?44CQ5qmf5a+G5oCnM+OAkeaJk+WQiOOBm+izh+aWmQ==?=\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/longheader.eml"
ctl -c "$CONF" check --json "$TMP/longheader.eml"
check_json "big: 200 KB header line, 機密性3 subject after it" 2 \
	'.verdict=="reject" and (f("classified")[0].where=="header:Subject")'

# ... and with max_header_size 100K it is a scan limit
confset "$TMP/base.conf" "$TMP/hdr.conf" limits max_header_size 100K
ctl -c "$TMP/hdr.conf" check --json "$TMP/longheader.eml"
# the subject after the long line may or may not be read: reject beats
# hold, and what must hold is "never accept"
check_json "big: 200 KB header over max_header_size 100K, 機密性3 subject after it" "1 2" \
	'.verdict=="reject" or (.verdict=="hold" and found("scan-limit"))'
{
	printf '%s\nTo: t.yamada@sakura-sys.example\n' "$HDRS"
	awk 'BEGIN { printf "X-Filler: "; for (i = 0; i < 3200; i++) printf "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; printf "\n" }'
	printf 'Subject: plain\nContent-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/longheader2.eml"
ctl -c "$TMP/hdr.conf" check --json "$TMP/longheader2.eml"
check_json "big: 200 KB header line over max_header_size 100K is a scan limit" 1 \
	'.verdict=="hold" and found("scan-limit")'

# one 220 KB To line of 10001 citizens (max_addresses 10000)
{
	printf '%s\nSubject: =?UTF-8?B?6Kqs5piO5Lya44Gu44GU5qGI5YaF?=\n' "$HDRS"
	awk 'BEGIN { printf "To: "; for (i = 1; i <= 10001; i++) printf "%sapplicant%05d@gmail.com", (i > 1 ? ", " : ""), i; printf "\n" }'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/to10001.eml"
ctl -c "$CONF" check --json "$TMP/to10001.eml"
check_json "big: 10001 addresses on one 220 KB To line" 1 \
	'.verdict=="hold" and (found("exposed-recipients") or found("scan-limit")) and hidden("applicant00001@gmail.com") and hidden("applicant10001@gmail.com")'

# a 3 MB body line without a newline, marking at its end (max_text_size 16M)
{
	printf '%s\nTo: t.yamada@sakura-sys.example\nSubject: log\n' "$HDRS"
	printf 'Content-Type: text/plain; charset=UTF-8\n\n'
	awk 'BEGIN { for (i = 0; i < 49152; i++) printf "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }'
	printf '機密性2\n'
} >"$TMP/longline.eml"
ctl -c "$CONF" check --json "$TMP/longline.eml"
check_json "big: 3 MB line, 機密性2 at its end" 1 '.verdict=="hold" and (f("classified")[0].where=="body")'

# a 65 MB message (max_message_size 64M)
{
	printf '%s\nTo: t.yamada@sakura-sys.example\nSubject: big\n' "$HDRS"
	printf 'Content-Type: text/plain; charset=UTF-8\n\n'
	yes 'sakura-ku sakura-ku sakura-ku sakura-ku sakura-ku sakura-ku sakura-ku sakura' | head -c 68157440
} >"$TMP/huge.eml"
ctl -c "$CONF" check --json "$TMP/huge.eml"
check_json "big: 65 MB message over max_message_size 64M" 1 '.verdict=="hold" and found("scan-limit")'
rm -f "$TMP/huge.eml"

# the same, with max_message_size 1M and a 2 MB message
confset "$TMP/base.conf" "$TMP/size.conf" limits max_message_size 1M
head -c 2097152 "$TMP/longline.eml" >"$TMP/two-mb.eml"
ctl -c "$TMP/size.conf" check --json "$TMP/two-mb.eml"
check_json "big: 2 MB message over max_message_size 1M" 1 '.verdict=="hold" and found("scan-limit")'

# ---------------------------------------------------------------------------
# 5. settings that change the verdict

ctl -c "$TMP/base.conf" check --json "$FIX/kimitsu3_subject_external.eml"
check_json "conf: the copy in a temp dir works" 2 '.verdict=="reject"'

# [limits] max_undecodable: both the share and the byte count must be
# passed; raise either and the same 400 bytes are a note
confset "$TMP/base.conf" "$TMP/und.conf" limits max_undecodable "2%, 400"
ctl -c "$TMP/und.conf" check --json "$FIX/robust/iso2022jp_undecodable.eml"
check_json "conf: max_undecodable 2%, 400: 400 undecodable bytes are a note" 0 '.verdict=="accept" and none and (.notes[0].note | test("^400 of"))'
confset "$TMP/base.conf" "$TMP/und.conf" limits max_undecodable "95%, 0"
ctl -c "$TMP/und.conf" check --json "$FIX/robust/iso2022jp_undecodable.eml"
check_json "conf: max_undecodable 95%, 0: the share decides" 0 '.verdict=="accept" and none'
confset "$TMP/base.conf" "$TMP/und.conf" limits max_undecodable "0%, 0"
ctl -c "$TMP/und.conf" check --json "$FIX/robust/iso2022jp_one_stray_byte.eml"
check_json "conf: max_undecodable 0%, 0: even one stray byte is held" 1 'any(f("scan-limit")[]; .rule=="undecodable" and (.evidence|startswith("1 of")))'

# [limits] max_expanded_size counts every read of attachment content,
# the ODF manifest of the encryption check too (issue 13): 3 MB of
# manifest under a 2M budget is a scan limit; with the default budget
# the same file is only unencrypted.
confset "$TMP/base.conf" "$TMP/exp.conf" limits max_expanded_size 2M
ctl -c "$TMP/exp.conf" check --json "$FIX/robust/odt_big_manifest.eml"
check_json "conf: max_expanded_size 2M: a 3 MB ODF manifest is over the budget" 1 'any(f("scan-limit")[]; .rule=="archive-size")'

confset "$TMP/base.conf" "$TMP/monitor.conf" policy mode monitor
ctl -c "$TMP/monitor.conf" check --json "$FIX/kimitsu3_subject_external.eml"
check_json "conf: mode = monitor still reports the policy's verdict" 2 '.mode=="monitor" and .verdict=="reject"'

confset "$TMP/base.conf" "$TMP/bcc.conf" actions exposed-recipients bcc
ctl -c "$TMP/bcc.conf" check --json "$FIX/exposed_citizens_to.eml"
check_json "conf: exposed-recipients = bcc" 1 '.verdict=="bcc" and (f("exposed-recipients")[0].action=="bcc")'
ctl -c "$TMP/bcc.conf" check --json "$FIX/kimitsu3_and_exposed.eml"
check_json "conf: exposed-recipients = bcc, class 3 still rejects" 2 '.verdict=="reject" and (f("exposed-recipients")[0].action=="bcc")'

confset "$TMP/base.conf" "$TMP/c3.conf" actions classified-3 hold
ctl -c "$TMP/c3.conf" check --json "$FIX/kimitsu3_subject_external.eml"
check_json "conf: classified-3 = hold" 1 '.verdict=="hold" and (f("classified")[0].action=="hold")'

confset "$TMP/base.conf" "$TMP/p3.conf" exposed_recipients min_parties 3
ctl -c "$TMP/p3.conf" check --json "$FIX/exposed_two_companies.eml"
check_json "conf: min_parties = 3, two companies accepted" 0 '.verdict=="accept" and none'
ctl -c "$TMP/p3.conf" check --json "$FIX/exposed_carriers.eml"
check_json "conf: min_parties = 3, three carrier addresses held" 1 '.verdict=="hold" and found("exposed-recipients")'

confset "$TMP/base.conf" "$TMP/v13.conf" exposed_recipients max_visible_external 13
ctl -c "$TMP/v13.conf" check --json "$FIX/exposed_partner_12.eml"
check_json "conf: max_visible_external = 13, 12 of one company accepted" 0 '.verdict=="accept" and none'

confset "$TMP/base.conf" "$TMP/int2.conf" policy internal_domains "example.lg.jp,  sakura-sys.example"
ctl -c "$TMP/int2.conf" check --json "$FIX/exposed_two_companies.eml"
check_json "conf: two internal_domains, the second company is the only external party" 0 '.verdict=="accept" and none'
ctl -c "$TMP/int2.conf" check --json "$FIX/kimitsu3_subject_external.eml"
check_json "conf: two internal_domains, class 3 to the second is internal" 0 '.verdict=="accept" and none'

confset "$TMP/base.conf" "$TMP/trust.conf" policy trusted_domains kenko-kyokai.example
ctl -c "$TMP/trust.conf" check --json "$FIX/kimitsu2_body_iso2022.eml"
check_json "conf: 機密性2 to a trusted domain only is allowed" 0 '.verdict=="accept" and (found("classified")|not)'
ctl -c "$TMP/trust.conf" check --json "$FIX/kimitsu3c_body_qp.eml"
check_json "conf: 機密性3 to a trusted domain is still rejected" 2 '.verdict=="reject"'
ctl -c "$TMP/trust.conf" check --json --rcpt info@kenko-kyokai.example --rcpt t.yamada@sakura-sys.example "$FIX/kimitsu2_body_iso2022.eml"
check_json "conf: 機密性2 to trusted plus an untrusted recipient is held" 1 '.verdict=="hold" and found("classified")'

# inside archives to a trusted_domains recipient: the zip need not be
# encrypted there, but what is in it is still read
ARC=$FIX/archive
ctl -c "$TMP/trust.conf" check --json --rcpt info@kenko-kyokai.example "$ARC/zip_roster_cp932_csv.eml"
check_json "conf: a roster CSV in a plain zip to a trusted domain is held for personal data" 1 \
	'.verdict=="hold" and cats==["personal-data","personal-data","personal-data"] and all(f("personal-data")[]; .where=="資料.zip/申込者一覧.csv")'
ctl -c "$TMP/trust.conf" check --json --rcpt info@kenko-kyokai.example "$ARC/zip_docx_kimitsu3a.eml"
check_json "conf: a 機密性3A docx in a zip to a trusted domain is rejected" 2 \
	'.verdict=="reject" and cats==["classified"] and (f("classified")[0].where=="資料.zip/台帳.docx")'
ctl -c "$TMP/trust.conf" check --json --rcpt info@kenko-kyokai.example "$ARC/7z_xlsx_mynumber.eml"
check_json "conf: My Numbers in a 7z to a trusted domain are held" 1 \
	'.verdict=="hold" and any(f("personal-data")[]; .rule=="mynumber" and .where=="名簿.7z/給付対象者一覧.xlsx")'
ctl -c "$TMP/trust.conf" check --json --rcpt info@kenko-kyokai.example "$ARC/targz_odt_kimitsu2.eml"
check_json "conf: 機密性2 in an odt in a tar.gz to a trusted domain is allowed, as the odt alone is" 0 '.verdict=="accept" and none'

# One budget per message: the members of a document package are one
# more level of archives, and count against the same depth, entries and
# expanded bytes as the archives around it.
confset "$TMP/base.conf" "$TMP/d10.conf" limits max_archive_depth 10
ctl -c "$TMP/d10.conf" check --json "$ARC/zip10_docx_kimitsu3a.eml"
check_json "archive budget: ten levels with max_archive_depth 10: the docx at the bottom is read" 2 \
	'.verdict=="reject" and any(f("classified")[]; .where=="level1.zip/level2.zip/level3.zip/level4.zip/level5.zip/level6.zip/level7.zip/level8.zip/level9.zip/台帳.docx") and (found("scan-limit")|not)'
confset "$TMP/base.conf" "$TMP/d9.conf" limits max_archive_depth 9
ctl -c "$TMP/d9.conf" check --json "$ARC/zip10_docx_kimitsu3a.eml"
check_json "archive budget: ten levels with max_archive_depth 9: the docx's own ZIP is the tenth level" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="archive-depth" and .where=="level1.zip/level2.zip/level3.zip/level4.zip/level5.zip/level6.zip/level7.zip/level8.zip/level9.zip/台帳.docx") and (found("classified")|not)'
# the docx (36,965 bytes) comes out of the zip; its document.xml (2,736)
# no longer fits in 38,000 bytes: the zip and the docx share the budget
confset "$TMP/base.conf" "$TMP/x38k.conf" limits max_expanded_size 38000
ctl -c "$TMP/x38k.conf" check --json "$ARC/docx_kimitsu3a.eml"
check_json "archive budget: max_expanded_size 38000: the docx alone is read" 2 '.verdict=="reject" and (found("scan-limit")|not)'
ctl -c "$TMP/x38k.conf" check --json "$ARC/zip_docx_kimitsu3a.eml"
check_json "archive budget: max_expanded_size 38000: the docx in a zip exceeds the one budget" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="archive-size" and .where=="資料.zip/台帳.docx")'
# the docx has 17 members; in the zip it is the 18th entry of the message
confset "$TMP/base.conf" "$TMP/e17.conf" limits max_archive_entries 17
ctl -c "$TMP/e17.conf" check --json "$ARC/docx_kimitsu3a.eml"
check_json "archive budget: max_archive_entries 17: the docx alone (17 members) is read" 2 '.verdict=="reject" and (found("scan-limit")|not)'
ctl -c "$TMP/e17.conf" check --json "$ARC/zip_docx_kimitsu3a.eml"
# (word/document.xml is its 5th member: the marking read before the
# limit still rejects)
check_json "archive budget: max_archive_entries 17: zip entry plus 17 members exceed it" 2 \
	'.verdict=="reject" and any(f("scan-limit")[]; .rule=="archive-entries" and .where=="資料.zip/台帳.docx")'

# PDF text (issue 17 item 1): the bounds of the sendguard-pdftext worker.
PDF=$FIX/pdf
# Was: a class-3 PDF passed to a trusted_domains recipient (only the
# unencrypted rule, which does not apply there, saw it).
ctl -c "$TMP/trust.conf" check --json --rcpt t.yamada@kenko-kyokai.example "$PDF/lo_kimitsu3_fullwidth.eml"
check_json "pdf: 機密性３ in a PDF to a trusted domain is rejected" 2 '.verdict=="reject" and (found("unencrypted-attachment")|not)'
ctl -c "$TMP/trust.conf" check --json --rcpt t.yamada@kenko-kyokai.example "$PDF/lo_mynumber.eml"
check_json "pdf: a My Number in a PDF to a trusted domain is held" 1 '.verdict=="hold" and cats==["personal-data"]'
confset "$TMP/base.conf" "$TMP/p10.conf" limits max_pdf_pages 10
ctl -c "$TMP/p10.conf" check --json "$PDF/lo_pages12.eml"
check_json "pdf: max_pdf_pages 10: a 12-page PDF is held as a scan limit (its page-12 marking unread)" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="pdf-pages" and .where=="事業計画.pdf" and .evidence=="10 of 12 pages read") and (found("classified")|not)'
confset "$TMP/base.conf" "$TMP/t1k.conf" limits max_text_size 1024
ctl -c "$TMP/t1k.conf" check --json "$PDF/lo_pages12.eml"
check_json "pdf: max_text_size 1024: the text of a 12-page PDF is cut, a scan limit" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="pdf-text-size" and .where=="事業計画.pdf")'
# The worker's test hook (SG_FAULT=pdf-marker): a PDF that hangs the
# extractor is cut at pdf_timeout, the worker killed; one that crashes
# it is a scan limit too. Neither takes sendguardctl down.
confset "$TMP/base.conf" "$TMP/pt2.conf" limits pdf_timeout 2s
export SG_FAULT=pdf-marker
_t0=$(date +%s)
ctl -c "$TMP/pt2.conf" check --json "$PDF/fault_hang.eml"
_t1=$(date +%s)
check_json "pdf: a PDF that hangs the worker is held (pdf-timeout, pdf_timeout 2s)" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="pdf-timeout" and .where=="資料.pdf")'
if [ $((_t1 - _t0)) -le 20 ]; then ok "pdf: the hung worker was cut within 20 s ($((_t1 - _t0)) s)"
else fail "pdf: the hung worker was cut within 20 s" "took $((_t1 - _t0)) s"; fi
ctl -c "$TMP/base.conf" check --json "$PDF/fault_crash.eml"
check_json "pdf: a PDF that crashes the worker is held (pdf-crash, signal 11)" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="pdf-crash" and .where=="資料.pdf" and .evidence=="worker died of signal 11")'
unset SG_FAULT
# No worker next to sendguardctl: PDFs are held, never passed unread.
mkdir -p "$TMP/nopdf" && cp "$CTL" "$TMP/nopdf/sendguardctl"
timeout "$LIMIT" "$TMP/nopdf/sendguardctl" -c "$TMP/base.conf" check --json "$PDF/lo_clean.eml" \
	>"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
check_json "pdf: without the worker a PDF is held as a scan limit (pdf-extractor)" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="pdf-extractor" and .where=="会議案内.pdf")' &&
	{ grep -q "sendguard-pdftext" "$TMP/err" && ok "pdf: ... and sendguardctl names the missing worker on stderr" ||
	  fail "pdf: sendguardctl names the missing worker on stderr" "no mention"; }
rm -rf "$TMP/nopdf"

# Large parts (1 MiB and more encoded) are decoded into an unlinked
# file in $TMPDIR and mapped (issue 21: memory): what they say is read
# all the same, to the last line; and with $TMPDIR unusable they are
# read in memory.
big_csv() {	# FILE LASTLINE: a mail with a ~1.5 MB CSV attachment
	{
		printf 'From: tanaka@example.lg.jp\nTo: t.yamada@sakura-sys.example\n'
		printf 'Subject: data\nDate: Sat, 05 Dec 2026 10:00:00 +0900\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="bb"\n\n--bb\n'
		printf 'Content-Type: text/plain; charset=UTF-8\n\nsee attached\n--bb\n'
		printf 'Content-Type: text/csv; charset=UTF-8; name="big.csv"\n'
		printf 'Content-Disposition: attachment; filename="big.csv"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		{ for i in $(seq 1 30000); do echo "item$i,quantity,$((i % 97))"; done; echo "$2"; } | base64 -w 76
		printf -- '--bb--\n'
	} >"$1"
}
big_csv "$TMP/big_mark.eml" "【機密性3】内部資料"
big_csv "$TMP/big_plain.eml" "end of list"
ctl -c "$TMP/base.conf" check --json "$TMP/big_mark.eml"
check_json "large part: a marking on the last line of a 1.5 MB attachment is read (mapped)" 2 \
	'.verdict=="reject" and any(f("classified")[]; .where=="big.csv")'
ctl -c "$TMP/base.conf" check --json "$TMP/big_plain.eml"
check_json "large part: the same attachment without it has no classified finding" 1 \
	'(f("classified") | length) == 0 and .verdict=="hold"'
TMPDIR=/nonexistent ctl -c "$TMP/base.conf" check --json "$TMP/big_mark.eml"
check_json "large part: with TMPDIR unusable it is read in memory, same verdict" 2 \
	'.verdict=="reject" and any(f("classified")[]; .where=="big.csv")'

# ---------------------------------------------------------------------------
# 6. errors: unreadable input 66, usage 64, configuration 78

ctl -c "$CONF" check --json "$TMP/no-such-file.eml"
check_err "input: missing file exits 66" 66 "no-such-file\\.eml"
mkdir "$TMP/a-directory.eml"
ctl -c "$CONF" check --json "$TMP/a-directory.eml"
check_err "input: a directory exits 66" 66 "a-directory\\.eml"

ctl -c "$CONF" check --json --bogus "$FIX/clean_external_accept.eml"
check_err "usage: unknown option exits 64" 64 "bogus|usage"
ctl -c "$CONF" check --json
check_err "usage: missing file argument exits 64" 64 "[Uu]sage|FILE|[Ff]ile|message"
ctl -c "$CONF" check --json --rcpt
check_err "usage: --rcpt without a value exits 64" 64
ctl -c "$CONF" frobnicate
check_err "usage: unknown command exits 64" 64 "frobnicate|usage"

ctl --help
if [ "$rc" = 0 ] && grep -q check "$TMP/out" && ! grep -Eq 'Sanitizer|runtime error:' "$TMP/err"; then
	ok "usage: --help exits 0 and describes check"
else
	fail "usage: --help exits 0 and describes check" "exit $rc"
fi

# conf_err NAME CONF LINE KEY: exit 78, stderr names the file, line, key
conf_err() {
	ctl -c "$2" check --json "$FIX/clean_external_accept.eml"
	_res="$2"
	set -- "$1" "$2" "${3:-}" "${4:-}"
	_pat_file=$(printf '%s' "$_res" | sed 's/[].[*^$\\/]/\\&/g')
	if [ -n "$3" ] && [ -n "$4" ]; then
		check_err "$1" 78 "$_pat_file" "(:|line )$3([^0-9]|\$)" "$4"
	elif [ -n "$4" ]; then
		check_err "$1" 78 "$_pat_file" "$4"
	else
		check_err "$1" 78 "$_pat_file"
	fi
}

confset "$TMP/base.conf" "$TMP/e-unknown.conf" policy colour blue
conf_err "conf error: unknown key" "$TMP/e-unknown.conf" "$(lineof "$TMP/e-unknown.conf" 'colour = blue')" colour
confset "$TMP/base.conf" "$TMP/e-mode.conf" policy mode sometimes
conf_err "conf error: bad mode value" "$TMP/e-mode.conf" "$(lineof "$TMP/e-mode.conf" 'mode = sometimes')" mode
confset "$TMP/base.conf" "$TMP/e-num.conf" exposed_recipients min_parties two
conf_err "conf error: bad number" "$TMP/e-num.conf" "$(lineof "$TMP/e-num.conf" 'min_parties = two')" min_parties
confset "$TMP/base.conf" "$TMP/e-size.conf" limits max_message_size lots
conf_err "conf error: bad size" "$TMP/e-size.conf" "$(lineof "$TMP/e-size.conf" 'max_message_size = lots')" max_message_size
confset "$TMP/base.conf" "$TMP/e-action.conf" actions classified sometimes
conf_err "conf error: bad action" "$TMP/e-action.conf" "$(lineof "$TMP/e-action.conf" 'classified = sometimes')" classified
confset "$TMP/base.conf" "$TMP/e-noint.conf" policy internal_domains -DELETE-
conf_err "conf error: missing internal_domains" "$TMP/e-noint.conf" "" internal_domains
long=$(awk 'BEGIN { for (i = 0; i < 250; i++) printf "%sd%03d.lgwan.example", (i ? "," : ""), i }')
confset "$TMP/base.conf" "$TMP/e-long.conf" policy trusted_domains "$long"
conf_err "conf error: 5000-byte line" "$TMP/e-long.conf" "$(lineof "$TMP/e-long.conf" "trusted_domains = $long")" trusted_domains
{ cat "$TMP/base.conf"; printf '[polcy]\ninternal_domains = example.lg.jp\n'; } >"$TMP/e-section.conf"
conf_err "conf error: unknown section" "$TMP/e-section.conf" "$(lineof "$TMP/e-section.conf" '[polcy]')" polcy
{ cat "$TMP/base.conf"; printf 'this line has no equals sign\n'; } >"$TMP/e-syntax.conf"
conf_err "conf error: line without =" "$TMP/e-syntax.conf" "$(lineof "$TMP/e-syntax.conf" 'this line has no equals sign')"
conf_err "conf error: missing configuration file" "$TMP/no-such.conf"
# issue 14: approval requests must not leave the organisation, links must be web links
confset "$TMP/base.conf" "$TMP/e-appr1.conf" approvers default 課長
conf_err "conf error: approver that is not an address" "$TMP/e-appr1.conf" "$(lineof "$TMP/e-appr1.conf" 'default = 課長')" default
confset "$TMP/base.conf" "$TMP/e-appr2.conf" approvers '*@example.lg.jp' 'kacho@example.lg.jp, kakaricho@example'
conf_err "conf error: approver outside the internal domains" "$TMP/e-appr2.conf" "$(lineof "$TMP/e-appr2.conf" '*@example.lg.jp = kacho@example.lg.jp, kakaricho@example')" 'kakaricho@example'
confset "$TMP/base.conf" "$TMP/e-appr3.conf" approvers category:classified 'so%gmail.com@example.lg.jp'
conf_err "conf error: approver that relays elsewhere" "$TMP/e-appr3.conf" "$(lineof "$TMP/e-appr3.conf" 'category:classified = so%gmail.com@example.lg.jp')" 'category:classified'
confset "$TMP/base.conf" "$TMP/e-url.conf" web base_url 'ftp://mail.example.lg.jp/sendguard'
conf_err "conf error: base_url not http(s)" "$TMP/e-url.conf" "$(lineof "$TMP/e-url.conf" 'base_url = ftp://mail.example.lg.jp/sendguard')" base_url
confset "$TMP/base.conf" "$TMP/e-order.conf" approval category_order 'classified, secret'
conf_err "conf error: unknown category in category_order" "$TMP/e-order.conf" "$(lineof "$TMP/e-order.conf" 'category_order = classified, secret')" category_order

# ---------------------------------------------------------------------------
# 7. human-readable output

ctl -c "$CONF" check --json "$FIX/kimitsu3_subject_external.eml"
label=$(jq -r '.findings[0].label_ja // empty' <"$TMP/out" 2>/dev/null)
ctl -c "$CONF" check "$FIX/kimitsu3_subject_external.eml"
if [ "$rc" != 2 ]; then fail "text: class 3 subject" "exit $rc, want 2"
elif grep -Eq 'Sanitizer|runtime error:' "$TMP/err"; then fail "text: class 3 subject" "sanitizer report"
elif [ -z "$label" ]; then fail "text: class 3 subject" "no label_ja in the JSON run"
elif ! grep -qF -- "$label" "$TMP/out"; then fail "text: class 3 subject" "no Japanese label \"$label\""
elif ! grep -qF 'header:Subject' "$TMP/out"; then fail "text: class 3 subject" "no where (header:Subject)"
elif jq -e 'type=="object"' <"$TMP/out" >/dev/null 2>&1; then fail "text: class 3 subject" "printed JSON without --json"
else ok "text: class 3 subject shows the Japanese label and where"; fi

ctl -c "$CONF" check "$FIX/kimitsu2_attachment_name.eml"
if [ "$rc" = 1 ] && grep -qF '機密性2_委託業務報告書.docx' "$TMP/out" && ! grep -Eq 'Sanitizer|runtime error:' "$TMP/err"; then
	ok "text: the attachment name is shown as where"
else fail "text: the attachment name is shown as where" "exit $rc"; fi

ctl -c "$CONF" check "$FIX/exposed_citizens_to.eml"
if [ "$rc" != 1 ]; then fail "text: exposed recipients are masked" "exit $rc, want 1"
elif grep -Eq 'sakura\.yamamoto1988@gmail\.com|kenta_nakamura@yahoo\.co\.jp|yumi\.kimura@icloud\.com' "$TMP/out"; then
	fail "text: exposed recipients are masked" "a full address is printed"
else ok "text: exposed recipients are masked"; fi

# ---------------------------------------------------------------------------
# 8. robustness (issue 13)

# the robust/ fixtures are reproducible and each has a case
: >"$TMP/out"; : >"$TMP/err"
if [ -x /usr/bin/python3 ]; then
	if /usr/bin/python3 "$FIX/make-robust-fixtures.py" "$TMP/regen-robust" >"$TMP/err" 2>&1; then
		diffs=
		for f in "$FIX"/robust/*.eml "$TMP"/regen-robust/*.eml; do
			b=$(basename "$f")
			cmp -s "$FIX/robust/$b" "$TMP/regen-robust/$b" || case " $diffs " in *" $b "*) ;; *) diffs="$diffs $b" ;; esac
		done
		if [ -z "$diffs" ]; then ok "fixtures: make-robust-fixtures.py reproduces every robust/*.eml"
		else fail "fixtures: make-robust-fixtures.py reproduces every robust/*.eml" "differ:$diffs"; fi
	else
		fail "fixtures: make-robust-fixtures.py runs" "exit status $?"
	fi
fi
unused=
for f in "$FIX"/robust/*.eml; do
	b=robust/$(basename "$f")
	grep -q "^$b |" "$CASES" || unused="$unused $b"
done
if [ -z "$unused" ]; then ok "fixtures: every robust/*.eml has a case"
else fail "fixtures: every robust/*.eml has a case" "no case for:$unused"; fi

# Stack buffers filled with "off += snprintf(...)" overflowed the day an
# input grew (a long rule id in the 5.7.1 reply): the pattern stays out.
: >"$TMP/err"
grep -rnE '\+=\s*(\([a-z_ ]+\)\s*)?v?snprintf' "$SRC/milter" >"$TMP/out"
if [ -s "$TMP/out" ]; then fail "lint: no 'off += snprintf' in milter/" "found"
else ok "lint: no 'off += snprintf' in milter/"; fi

# Rule ids go into SMTP replies and notices: ASCII, at most 64 bytes,
# checked at load with file, line and rule.
rule_err() {	# rule_err NAME FILE SECTION
	rm -rf "$TMP/rules-bad"; cp -r "$SRC/rules" "$TMP/rules-bad"
	printf '\n[%s]\n' "$3" >>"$TMP/rules-bad/$2"
	if [ "$2" = classification ]; then
		printf 'label_ja = テスト\nlabel_en = test\npattern = zzqqzz\n' >>"$TMP/rules-bad/$2"
	else
		printf 'label_ja = テスト\nlabel_en = test\nkind = keyword\npattern = zzqqzz\nkeywords = zzqq\n' >>"$TMP/rules-bad/$2"
	fi
	confset "$TMP/base.conf" "$TMP/rid.conf" rules dir "$TMP/rules-bad"
	_line=$(grep -n -x -F -- "[$3]" "$TMP/rules-bad/$2" | cut -d: -f1)
	ctl -c "$TMP/rid.conf" check --json "$FIX/clean_external_accept.eml"
	check_err "$1" 78 "rules-bad/$2:$_line:" "rule id"
}
rule_err "rules: a 65-byte marking rule id is a configuration error" classification \
	"$(awk 'BEGIN { for (i = 0; i < 65; i++) printf "a" }')"
rule_err "rules: a non-ASCII personal-data rule id is a configuration error" personal-data "名簿"
rule_err "rules: a rule id with a space is a configuration error" classification "two words"
rm -rf "$TMP/rules-bad"; cp -r "$SRC/rules" "$TMP/rules-bad"
id64=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "b" }')
printf '\n[%s]\nlabel_ja = テスト\nlabel_en = test\npattern = 秘密64\naction = classified-3\n' "$id64" \
	>>"$TMP/rules-bad/classification"
confset "$TMP/base.conf" "$TMP/rid.conf" rules dir "$TMP/rules-bad"
printf 'From: tanaka@example.lg.jp\nTo: t.yamada@sakura-sys.example\nSubject: x\n\n秘密64\n' >"$TMP/rid.eml"
ctl -c "$TMP/rid.conf" check --json "$TMP/rid.eml"
check_json "rules: a 64-byte rule id loads and reports" 2 "any(.findings[]; .rule == \"$id64\")"

# Header fields checked on the raw bytes before GMime parses them:
# GMime's address parser is quadratic in the items of a list and
# recurses once per group (a 100 KB "x:x:..." was SIGSEGV).
{
	printf '%s\nSubject: x\n' "$HDRS"
	awk 'BEGIN { printf "To: "; for (i = 0; i < 50000; i++) printf "x,"; printf "t.yamada@sakura-sys.example\n" }'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/to-commas.eml"
t0=$(date +%s)
ctl -c "$CONF" check --json "$TMP/to-commas.eml"
t1=$(date +%s)
check_json "raw headers: a 100 KB To of 50001 items is a scan limit" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="addresses" and .where=="header:To")'
if [ $((t1 - t0)) -le 8 ]; then ok "raw headers: ... found in $((t1 - t0)) s (GMime took 8 s)"
else fail "raw headers: a 100 KB To of 50001 items takes at most 8 s" "$((t1 - t0)) s"; fi
{
	printf '%s\nSubject: x\n' "$HDRS"
	awk 'BEGIN { printf "To: "; for (i = 0; i < 50000; i++) printf "x:"; printf " <t.yamada@sakura-sys.example>\n" }'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/to-groups.eml"
ctl -c "$CONF" check --json "$TMP/to-groups.eml"
check_json "raw headers: a To of 50000 nested groups is a scan limit, not a crash" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="addresses" and .where=="header:To")'
{
	printf '%s\nTo: t.yamada@sakura-sys.example\nSubject: fwd\n' "$HDRS"
	printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain; charset=UTF-8\n\nsee the attached mail\n'
	printf -- '--b\nContent-Type: message/rfc822\n\nFrom: a@sakura-sys.example\nSubject: inner\n'
	awk 'BEGIN { printf "Cc: "; for (i = 0; i < 50000; i++) printf "x:"; printf " <a@gmail.com>\n" }'
	printf '\ninner body\n--b--\n'
} >"$TMP/fwd-groups.eml"
ctl -c "$CONF" check --json "$TMP/fwd-groups.eml"
check_json "raw headers: nested groups in a forwarded message's Cc are a scan limit, not a crash" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="addresses" and .where=="header:Cc" and .evidence=="forwarded message")'
{
	printf '%s\nSubject: x\n' "$HDRS"
	awk 'BEGIN { printf "To: "; for (i = 0; i < 80000; i++) printf "=?UTF-8?B?44GC?= "; printf "<t.yamada@sakura-sys.example>\n" }'
	printf 'Content-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/to-ew13.eml"
ctl -c "$CONF" check --json "$TMP/to-ew13.eml"
check_json "raw headers: a 1.3 MB To of encoded words is a scan limit (header-size)" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="header-size" and .where=="header:To")'
# its recipients cannot be read: without an envelope it counts as outbound ...
{
	printf '%s\nSubject: x\n' "$HDRS"
	awk 'BEGIN { printf "To: "; for (i = 0; i < 80000; i++) printf "=?UTF-8?B?44GC?= "; printf "<sato@example.lg.jp>\n" }'
	printf 'Cc: suzuki@example.lg.jp\nContent-Type: text/plain; charset=UTF-8\n\nbody\n'
} >"$TMP/to-ew13-int.eml"
ctl -c "$CONF" check --json "$TMP/to-ew13-int.eml"
check_json "raw headers: an unreadable To (internal Cc) without envelope is outbound and held" 1 \
	'.verdict=="hold" and any(f("scan-limit")[]; .rule=="header-size")'
# ... and the envelope still decides when there is one
ctl -c "$CONF" check --json --rcpt sato@example.lg.jp "$TMP/to-ew13-int.eml"
check_json "raw headers: ... with an internal envelope it is internal mail" 0 '.verdict=="accept" and none'
rm -f "$TMP/to-commas.eml" "$TMP/to-groups.eml" "$TMP/fwd-groups.eml" "$TMP/to-ew13.eml" "$TMP/to-ew13-int.eml"

# check --preview (issue 18): what a hold keeps for its approvers, bounded
# by [hold] preview_bytes; the Subject as written, the workbook's first row.
# pv_check NAME JQ [RC]: exit RC (default 1, hold), one JSON object, no
# sanitizer report.
pv_check() {
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TMP/err"; then
		fail "$1" "sanitizer report on stderr"
	elif [ "$rc" != "${3:-1}" ]; then
		fail "$1" "exit $rc, want ${3:-1}"
	elif [ "$(jq -s 'length' <"$TMP/out" 2>/dev/null)" != 1 ]; then
		fail "$1" "stdout is not exactly one JSON value"
	elif [ "$(jq "$2" <"$TMP/out" 2>&1)" != true ]; then
		fail "$1" "assertion failed: $2"
	else
		ok "$1"
	fi
}
PVMAIL=$SRC/tests/web/mail/preview_zip_xlsx.eml
ctl -c "$CONF" check --preview --rcpt uketsuke@kenshin-center.example --rcpt hidden@gmail.com "$PVMAIL"
pv_check "preview: the Subject as written (not NFKC), the body sentence" \
	'.subject == "（案）① 説明会資料の送付" and (.bodies[0].text | contains("本日の説明会の資料を添付いたします。"))'
pv_check "preview: the sheet name and first row of the xlsx inside the zip" \
	'any(.files[]; .path == "2:説明会資料/参加者一覧.xlsx" and .sheets[0].name == "参加者名簿" and .sheets[0].rows == 4 and .sheets[0].cols == 3 and .sheets[0].first[0] == ["氏名","所属","内線"])'
pv_check "preview: an envelope recipient in neither To nor Cc is Bcc" '.bcc == ["hidden@gmail.com"]'
confset "$TMP/base.conf" "$TMP/pv.conf" hold preview_bytes 20
ctl -c "$TMP/pv.conf" check --preview "$PVMAIL"
pv_check "preview: the body is cut at [hold] preview_bytes, on a character" \
	'(.bodies[0].text | utf8bytelength) <= 20 and .bodies[0].cut and .cut'
ctl -c "$CONF" check --preview "$FIX/archive/zip_roster_cp932_csv.eml"
pv_check "preview: CSV rows in CP932 inside a zip, decoded" \
	'any(.files[]; .kind == "csv" and .first[0][0] == "氏名" and .rows == 13)'
{
	printf 'From: a@example.lg.jp\nTo: b@gmail.com\nSubject: x\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/html; charset=UTF-8\n\n<p>line\033[31m one</p><script>x()</script>\n'
} >"$TMP/pv-html.eml"
ctl -c "$CONF" check --preview "$TMP/pv-html.eml"
pv_check "preview: an HTML body is kept as text, escape characters blanked" \
	'(.bodies[0].html) and (.bodies[0].text | contains("<") | not) and (.bodies[0].text | contains("\u001b") | not)' 0
rm -f "$TMP/pv-html.eml" "$TMP/pv.conf"

# 9. sender groups and private-recipient (issue 19): check picks the
# group from --from and --auth as the milter does at MAIL FROM.

ROSTER=$FIX/pd/csv_cp932_applicants.eml
cp "$TMP/base.conf" "$TMP/groups.conf"
cat >>"$TMP/groups.conf" <<'GROUPS'
[group.contractors]
senders = itaku-*@example.lg.jp, *@sakura-sys.example
personal-data = reject
[group.second-match]
senders = *@sakura-sys.example
personal-data = log
[group.helpdesk]
senders = soudan-*@example.lg.jp
private-recipient = log
GROUPS
ctl -c "$TMP/groups.conf" check --json --from itaku-01@example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "groups: a contractor's roster is rejected (group override)" 2 \
	'.group=="contractors" and .verdict=="reject" and all(f("personal-data")[]; .action=="reject")'
ctl -c "$TMP/groups.conf" check --json --from yamada@sakura-sys.example --rcpt info@partner.example "$ROSTER"
check_json "groups: two groups match, the first in file order decides" 2 '.group=="contractors"'
ctl -c "$TMP/groups.conf" check --json --from tanaka@example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "groups: a sender in no group gets the defaults" 1 \
	'.group==null and .verdict=="hold" and all(f("personal-data")[]; .action=="hold")'
ctl -c "$TMP/groups.conf" check --json --from itaku-01@example.lg.jp --auth tanaka --rcpt info@partner.example "$ROSTER"
check_json "groups: a forged envelope sender with another login gets the defaults" 1 '.group==null'
ctl -c "$TMP/groups.conf" check --json --from itaku-01@example.lg.jp --auth itaku-01 --rcpt info@partner.example "$ROSTER"
check_json "groups: the contractor's own login keeps the group" 2 '.group=="contractors"'
ctl -c "$TMP/groups.conf" check --json --from tanaka@example.lg.jp --rcpt yamada@gmail.com "$ROSTER"
check_json "private-recipient: a roster to a gmail.com address" 1 \
	'.verdict=="hold" and any(f("private-recipient")[]; .where=="recipient:gmail.com" and .action=="hold") and hidden("yamada@gmail.com")'
ctl -c "$TMP/groups.conf" check --json --from tanaka@example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "private-recipient: the same roster to a partner company is not, still held for personal data" 1 \
	'(found("private-recipient")|not) and found("personal-data")'
ctl -c "$TMP/groups.conf" check --json --from soudan-1@example.lg.jp --rcpt yamada@docomo.ne.jp "$ROSTER"
check_json "private-recipient: the help desk group only logs it" 1 \
	'.group=="helpdesk" and any(f("private-recipient")[]; .action=="log")'
ctl -c "$TMP/groups.conf" explain --from itaku-01@example.lg.jp --rcpt info@partner.example "$ROSTER"
if [ "$rc" = 2 ] && grep -q '^グループ group: contractors' "$TMP/out" &&
   grep -Eq "^  \[actions\] personal-data = reject +# \[group.contractors\] .*groups.conf:[0-9]+$" "$TMP/out" &&
   grep -Eq '^  \[actions\] unencrypted-attachment = hold +# (default|\[actions\] .*:[0-9]+)$' "$TMP/out" &&
   grep -q '^判定 verdict: 拒否 reject' "$TMP/out"; then
	ok "explain: group, each setting with its origin, verdict"
else
	fail "explain: group, each setting with its origin, verdict" "rc $rc"
fi
cp "$TMP/base.conf" "$TMP/e-group.conf"
printf '[group.x]\nsenders = *\nsocket = x\n' >>"$TMP/e-group.conf"
ctl -c "$TMP/e-group.conf" check --json "$ROSTER"
check_err "groups: an error names file, line, group and key" 78 "e-group.conf:[0-9]+: \[group.x\] socket: not a key"

# 10. the profiles of README (conf/examples): each loads, with its groups
for p in "$SRC"/conf/examples/*.conf; do
	ctl -c "$p" config
	if [ "$rc" = 0 ] && grep -q '^\[group\.' "$TMP/out"; then
		ok "profile $(basename "$p"): loads, with its groups"
	else
		fail "profile $(basename "$p"): loads, with its groups" "rc $rc"
	fi
done
EX=$SRC/conf/examples
ctl -c "$EX/ward-contractors.conf" check --json --from itaku-003@ward.example.lg.jp --auth itaku-003 --rcpt info@partner.example "$ROSTER"
check_json "profile ward: a contractor's roster is refused" 2 '.group=="contractors" and .verdict=="reject"'
ctl -c "$EX/ward-contractors.conf" check --json --from tanaka@ward.example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "profile ward: staff's roster is held" 1 '.group==null and .verdict=="hold"'
ctl -c "$EX/village-no-personal-data.conf" check --json --from tanaka@vill.example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "profile village: personal data by mail is refused" 2 '.verdict=="reject" and all(f("personal-data")[]; .action=="reject")'
ctl -c "$EX/village-no-personal-data.conf" check --json --from jumin-1@vill.example.lg.jp --rcpt info@partner.example "$ROSTER"
check_json "profile village: the residents' clerk is held for approval instead" 1 '.group=="juminkakari" and .verdict=="hold"'
ctl -c "$EX/welfare-two-approvers.conf" check --json --from fukushi-2@city.example.lg.jp --rcpt yamada@gmail.com "$ROSTER"
check_json "profile welfare: a roster to gmail.com is refused for the section" 2 \
	'.group=="welfare" and any(f("private-recipient")[]; .action=="reject")'
ctl -c "$EX/welfare-two-approvers.conf" check --json --from koen-1@city.example.lg.jp --rcpt yamada@gmail.com "$ROSTER"
check_json "profile welfare: the parks section is held, not refused" 1 '.group==null and .verdict=="hold"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
