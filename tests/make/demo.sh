#!/bin/bash
# NAME
#	demo.sh - `make demo` works as it prints
# SYNOPSIS
#	SG_SRCDIR=REPO bash tests/make/demo.sh     (after `make all`)
# DESCRIPTION
#	Runs tests/demo.sh (what `make demo` runs) in the background under
#	its own SG_TEST_ROOT, waits for "The demo keeps running", and then
#	does what a reader of its output would do:
#	- the seven mails end as the summary says (2 delivered, 4 held,
#	  1 rejected), and the holds are routed to the sender's own
#	  approvers (the demo sends with SMTP AUTH);
#	- every copy-and-paste command it printed runs and exits 0;
#	- the approval-page link it printed opens; approving there is
#	  recorded, and the demo's applier (what sendguard-apply.path does)
#	  delivers the mail to the sink within 30 s;
#	- the printed `sendguardctl apply` command then runs and exits 0;
#	- `make demo-stop` stops everything, and nothing it started is left.
#	Prints "ok - ..." or "FAIL - ..." per check; exits 1 on a failure.

set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC" || exit 2
export SG_TEST_ROOT=${SG_DEMO_TEST_ROOT:-/var/tmp/sg-demotest}
PASS=0 FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
OUT=$(mktemp "${TMPDIR:-/tmp}/sg-demo-out.XXXXXX") || exit 2

for b in build/sendguard-milter build/sendguardctl build/sendguard-web; do
	[ -x "$b" ] || { echo "FAIL - $b is not built (make all)"; exit 1; }
done
bash tests/demo.sh --stop >/dev/null 2>&1
bash tests/demo.sh >"$OUT" 2>&1 &
DEMO=$!
cleanup() {
	bash tests/demo.sh --stop >/dev/null 2>&1
	kill "$DEMO" 2>/dev/null
	rm -f "$OUT"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
	grep -q 'The demo keeps running' "$OUT" && break
	kill -0 "$DEMO" 2>/dev/null || break
	sleep 1
done
if ! grep -q 'The demo keeps running' "$OUT"; then
	sed 's/^/     # /' "$OUT"
	echo "FAIL - the demo did not come up within 300 s"
	exit 1
fi
ok "the demo comes up and sends its seven mails"

plain=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT")
check "summary: 2 delivered, 4 held, 1 rejected" \
	grep -q 'Summary: 2 delivered, 4 held, 1 rejected' <<<"$plain"
check "holds go to the sender's own approvers (SMTP AUTH login)" \
	eval '[ "$(grep -c "Approval requested from: kacho@example.lg.jp, kakaricho@example.lg.jp" <<<"$plain")" = 4 ]'

# The copy-and-paste block: every indented command line.
n=0
while IFS= read -r cmd; do
	case $cmd in
	*QUEUE-ID*|swaks*|*"< message.eml"*) continue ;;	# templates for the reader
	esac
	n=$((n + 1))
	check "printed command runs: ${cmd:0:90}" eval "$cmd >/dev/null 2>&1"
done < <(sed -n '/^Where to look next/,/^Approval page/p' <<<"$plain" |
	sed -n 's/^    \(postqueue\|sqlite3\|ls\|\/[^ ]*sendguardctl\)/\1/p')
check "the commands block has commands ($n)" [ "$n" -ge 5 ]

link=$(grep -o 'http://127\.0\.0\.1:[0-9]*/hold/[A-Za-z0-9_-]*?t=[A-Za-z0-9_.-]*' <<<"$plain" | head -1)
check "an approval-page link is printed" [ -n "$link" ]
page=$(curl -s --max-time 10 "$link")
check "the link opens the approval page" grep -q 'name="action" value="approve"' <<<"$page"
hid=${link%%\?*}; hid=${hid##*/}
csrf=$(grep -o 'name="csrf" value="[^"]*' <<<"$page" | sed 's/.*value="//' | head -1)
# The approver ticks every box of the checklist the page shows (issue
# 18): without them the page refuses (409), as a person would see.
ticks=()
for box in $(grep -o 'type="checkbox" name="check[0-9]*"' <<<"$page" | sed 's/.*name="//; s/"$//' | sort -u); do
	ticks+=(--data "$box=1")
done
check "the page shows the checklist ($(( ${#ticks[@]} / 2 )) boxes)" [ "${#ticks[@]}" -gt 0 ]
code=$(curl -s --max-time 10 -o "$SG_TEST_ROOT/demo-post.html" -w '%{http_code}' -X POST "${link%%\?*}" \
	--data-urlencode "t=${link#*t=}" --data-urlencode "csrf=$csrf" --data action=approve)
check "approving without the checklist is refused (HTTP $code)" [ "$code" = 409 ]
code=$(curl -s --max-time 10 -o "$SG_TEST_ROOT/demo-post.html" -w '%{http_code}' -X POST "${link%%\?*}" \
	--data-urlencode "t=${link#*t=}" --data-urlencode "csrf=$csrf" "${ticks[@]}" \
	--data action=approve)
check "approving on the page is recorded (HTTP $code)" [ "$code" = 303 ]
conf=$(sed -n 's/^ *config \(.*sendguard\.conf\)$/\1/p' <<<"$plain" | head -1)
ctl=$(sed -n 's/^    \(\/[^ ]*sendguardctl\) .* apply$/\1/p' <<<"$plain" | head -1)
sink=$(sed -n 's/^    ls -l \(.*\)\/$/\1/p' <<<"$plain" | head -1)
delivered=""
for _ in $(seq 1 30); do
	if "$ctl" -c "$conf" list 2>/dev/null | grep -q "^$hid approved  yes"; then
		delivered=1
		break
	fi
	sleep 1
done
check "the demo's applier carries the approval out within 30 s" [ -n "$delivered" ]
qid=$(sqlite3 "$(sed -n 's/^ *sqlite3 \([^ ]*\) .*FROM holds.*/\1/p' <<<"$plain" | head -1)" \
	"SELECT queue_id FROM holds WHERE id = '$hid';" 2>/dev/null)
check "the approved mail reached the sink ($qid)" \
	eval 'grep -rlq "id $qid" "$sink" 2>/dev/null || grep -rlq "$qid" "$sink"'
applycmd=$(sed -n 's/^    \(\/[^ ]*sendguardctl -c .* apply\)$/\1/p' <<<"$plain" | head -1)
check "the printed apply command runs: $applycmd" eval "$applycmd >/dev/null 2>&1"

bash tests/demo.sh --stop >/dev/null 2>&1
for _ in $(seq 1 50); do kill -0 "$DEMO" 2>/dev/null || break; sleep 0.2; done
check "make demo-stop ends the demo" eval '! kill -0 "$DEMO" 2>/dev/null'
check "nothing of the demo keeps running" \
	eval '! pgrep -f "$SG_TEST_ROOT/demo" >/dev/null'
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
