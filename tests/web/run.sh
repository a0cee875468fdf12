#!/bin/bash
#
# tests/web/run.sh - the approval page (issue 8) in a real browser, on
# the real Postfix of the end-to-end tests (tests/e2e/lib.sh).
#
# Starts a private Postfix on loopback relaying to smtp-sink, the
# sendguard milter, and sendguard-web (started as root: it must switch
# to the store's owner by itself) on a loopback port this script picks;
# sends held mail through the gateway; then tests/web/web.test.js
# drives Debian's chromium (playwright-core pinned in package-lock.json,
# `npm ci`, executablePath /usr/bin/chromium, never a downloaded
# browser) through the links that arrived at the sink:
#   - approve with a comment from the approval request's link, then
#     `sendguardctl apply`: the message reaches the sink, the sender is
#     told;
#   - reject, apply: gone from the queue, never delivered;
#   - the sender withdraws with the link of their hold notice;
#   - the approver's list links each hold with its own token;
#   - a forged and an expired link get the 403 page;
#   - <script> and <img onerror> in a subject and a file name are shown
#     as text, and no dialog opens;
#   - a POST without or with a wrong CSRF value is refused;
#   - under load (issue 14): 64 idle connections from 127.0.0.2-65 do
#     not lock the approver on 127.0.0.1 out; one address is held to
#     max_connections_per_client; a slow-loris client is cut at
#     head_timeout (5s here) although it sends a line a second;
#   - the trusted proxy header (issue 14): without the proxy's secret
#     (from root, from another local account, with a wrong secret) the
#     header gets 403, with it the page; on a unix socket only the peer
#     uid proxy_uid is believed; a secret file others can read, or a
#     trusted header without any proof configured, stops the page;
# and keeps a screenshot of the hold page in tests/out/hold-page.png
# (and hold-page-phone.png).
# Everything is stopped by the EXIT trap. Output: one line per
# assertion, "N passed, M failed" last; exit 1 on any failure.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

SG_WEB=${SG_WEB:-$SG_SRCDIR/build/test/sendguard-web}
OUTDIR=$SG_SRCDIR/tests/out

for t in postfix smtp-sink swaks sqlite3 jq node npm; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing (make deps installs chromium)"
[ -x "$SG_WEB" ] || die "no sendguard-web at $SG_WEB"

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

SG_WEB_PID=""
web_stop() {
	[ -n "$SG_WEB_PID" ] || return 0
	kill -TERM "$SG_WEB_PID" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$SG_WEB_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SG_WEB_PID" 2>/dev/null
	wait "$SG_WEB_PID" 2>/dev/null
	SG_WEB_PID=""
}
web_cleanup() {
	local rc=$?
	web_stop
	(exit "$rc")
	sg_cleanup
}
trap web_cleanup EXIT

sg_pick_port WEB_PORT
BASE_URL=http://127.0.0.1:$WEB_PORT
SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
M=$SG_BASE/mail
mkdir -p "$M" "$OUTDIR"

pf_setup
# The sender authenticates (SMTP AUTH bound to the sender): without
# {auth_authen} the approvers of the sender's own routing are never
# asked (issue 14), and the page's approvers are those.
pf_sasl sato-h
# Issue 18: a classified hold needs two approvers (the security officer
# and kacho), each ticking the checklist.
milter_setup "web.base_url=$BASE_URL" "web.listen=127.0.0.1:$WEB_PORT" "web.head_timeout=5s" \
	"approvers.category:classified=security-officer@$SG_INTERNAL, kacho@$SG_INTERNAL" \
	"approval.required_classified=2"
cat >>"$(milter_conf)" <<EOF

[release]
command_timeout = 30s
EOF
CONF=$(milter_conf)
sink_start
pf_start
milter_start || die "milter did not start"

web_listening() {
	kill -0 "$SG_WEB_PID" 2>/dev/null && [ -n "$(ss -Htln "sport = :$WEB_PORT" 2>/dev/null)" ]
}
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	"$SG_WEB" -c "$CONF" -f >>"$SG_MDIR/web.log" 2>&1 9>&- &
SG_WEB_PID=$!
sg_state web_pid "$SG_WEB_PID"
if ! wait_for 20 web_listening; then
	tail -20 "$SG_MDIR/web.log" >&2
	die "sendguard-web does not listen on $WEB_PORT"
fi
check "sendguard-web started as root runs as the store's owner ($SG_MILTER_USER)" \
	[ "$(ps -o user= -p "$SG_WEB_PID" | tr -d ' ')" = "$SG_MILTER_USER" ]

# held NAME [FILE]: send a copy of FILE (default: the xlsx demo mail,
# held for an unencrypted Excel file to a vendor) marked X-E2E-Id:
# web-NAME; records "NAME QID HID" in $M/holds.
held() {
	local f=${2:-$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml} qid hid
	{ echo "X-E2E-Id: web-$1"; cat "$f"; } >"$M/$1.eml"
	sg_swaks_auth "$SG_GW_PORT" sato-h "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	qid=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	hid=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$qid';")
	if [ -n "$qid" ] && [ -n "$hid" ]; then
		ok "$1: held (queue id $qid, hold $hid)"
		echo "$1 $qid $hid" >>"$M/holds"
	else
		nok "$1: message was not held (qid '$qid', hold '$hid')"
	fi
}

# The XSS mail: markup in the subject (RFC 2047) and in the attachment's
# file name (RFC 2231), otherwise the demo mail.
xss_mail() {
	local subj='<script>alert(1)</script> 名簿 <img src=x onerror=alert(2)>'
	awk -v s="Subject: =?UTF-8?B?$(printf '%s' "$subj" | base64 -w0)?=" '
		/^Subject:/ { print s; skip = 1; next }
		skip && /^[ \t]/ { next }
		{ skip = 0 }
		/^ filename\*=/ { print " filename*=utf-8'"''"'%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.xlsx"; next }
		{ print }' "$SG_SRCDIR/tests/e2e/mail/demo3_xlsx.eml" >"$M/xss-src.eml"
}

: >"$M/holds"
xss_mail
held approve
held reject
held withdraw
held csrf
held xss "$M/xss-src.eml"
# A 取扱注意 mail (classified): two approvals needed.
cat >"$M/classified-src.eml" <<EOF
From: $SENDER
To: $VENDOR
Subject: =?UTF-8?B?$(printf '%s' '【取扱注意】 委託業務の打合せ資料' | base64 -w0)?=
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

打合せの資料の要点をお送りします。
EOF
held classified "$M/classified-src.eml"
# Notices travel through this Postfix to the sink (signed, let through).
wait_for 30 pf_queue_settled
check "approval requests arrived at the sink" \
	wait_for 30 eval '[ "$(grep -rl "^X-Sendguard-Notice:" "$SG_SINK" | grep -c .)" -ge 13 ]'

echo "== browser (tests/web/web.test.js)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$SG_BASE/npm.log" 2>&1) ||
	{ cat "$SG_BASE/npm.log" >&2; die "npm ci failed in tests/web"; }
export SG_WEB_BASE=$BASE_URL SG_WEB_SINK=$SG_SINK SG_WEB_HOLDS=$M/holds \
	SG_WEB_CONF=$CONF SG_WEB_CTL=$SG_CTL SG_WEB_DB=$SG_MDIR/db/sendguard.db \
	SG_WEB_KEYS=$SG_MDIR/keys SG_WEB_PFDIR=$SG_PFDIR SG_WEB_OUT=$OUTDIR \
	SG_WEB_SENDER=$SENDER SG_WEB_APPROVER=kacho@$SG_INTERNAL SG_WEB_HEAD_TIMEOUT=5
node "$here/web.test.js" >"$SG_BASE/browser.txt" 2>&1
brc=$?
cat "$SG_BASE/browser.txt"
PASS=$((PASS + $(grep -c '^ok   - ' "$SG_BASE/browser.txt")))
FAIL=$((FAIL + $(grep -c '^FAIL - ' "$SG_BASE/browser.txt")))
[ "$brc" = 0 ] || [ "$(grep -c '^FAIL - ' "$SG_BASE/browser.txt")" -gt 0 ] ||
	nok "the browser test script exited $brc"

web_stop

# --- the trusted proxy header: only from a proxy that proves itself ------------

APPROVER=kacho@$SG_INTERNAL
CSRF_HID=$(awk '$1 == "csrf" { print $3 }' "$M/holds")
OTHER=sg-e2e-other
id "$OTHER" >/dev/null 2>&1 ||
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$OTHER" || die "cannot create user $OTHER"
# web_conf NAME KEY=VALUE...: a copy of the configuration with [web] keys.
web_conf() {
	local f=$SG_MDIR/$1.conf kv
	shift
	cp "$CONF" "$f"
	for kv in "$@"; do
		sed -i "/^${kv%%=*} = /d; s|^\[web\]\$|[web]\n${kv%%=*} = ${kv#*=}|" "$f"
	done
	chmod 644 "$f"
	echo "$f"
}
web_start() {
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		"$SG_WEB" -c "$1" -f >>"$SG_MDIR/web.log" 2>&1 9>&- &
	SG_WEB_PID=$!
	sg_state web_pid "$SG_WEB_PID"
}
# code CURL-ARGS...: the HTTP status of a GET of the csrf hold's page.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

rc "$SG_WEB" -c "$(web_conf noproof trusted_user_header=X-Remote-User)" --check
check "trusted_user_header without proxy_secret_file or proxy_uid: --check exits 78 ($RC)" \
	eval '[ "$RC" = 78 ] && echo "$OUT" | grep -q "must prove"'
SECRET=$SG_MDIR/proxy.secret
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET"
chown "$SG_MILTER_USER:" "$SECRET"
chmod 644 "$SECRET"
PCONF=$(web_conf secret trusted_user_header=X-Remote-User "proxy_secret_file=$SECRET")
rc timeout 10 "$SG_WEB" -c "$PCONF" -f
check "a proxy secret file others can read stops the page ($RC)" \
	eval '[ "$RC" != 0 ] && echo "$OUT" | grep -q "readable by nobody else"'
chmod 600 "$SECRET"
web_start "$PCONF"
wait_for 20 web_listening || nok "sendguard-web with a proxy secret does not listen"
URL=$BASE_URL/hold/$CSRF_HID
check "the user header without the proxy's secret: 403" \
	[ "$(code -H "X-Remote-User: $APPROVER" "$URL")" = 403 ]
check "the user header from another local account ($OTHER), without the secret: 403" \
	[ "$(setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups curl -s -o /dev/null -w '%{http_code}' -H "X-Remote-User: $APPROVER" "$URL")" = 403 ]
check "the user header with a wrong secret: 403" \
	[ "$(code -H "X-Remote-User: $APPROVER" -H "X-Sendguard-Proxy-Secret: $(head -c 64 /dev/zero | tr '\0' a)" "$URL")" = 403 ]
check "the user header with the proxy's secret: the approver's page (200)" \
	[ "$(code -H "X-Remote-User: $APPROVER" -H "X-Sendguard-Proxy-Secret: $(cat "$SECRET")" "$URL")" = 200 ]
check "the ignored header is logged" eval 'grep -q "ignored X-Remote-User" "$SG_MDIR/web.log"'
web_stop

# The unix socket: only the peer uid proxy_uid is the proxy.
WS=$SG_BASE/websock
mkdir -p "$WS" && chown "$SG_MILTER_USER:" "$WS" && chmod 755 "$WS"
UCONF=$(web_conf unix trusted_user_header=X-Remote-User "listen=unix:$WS/web.sock" \
	"proxy_uid=$(id -u "$OTHER")")
web_start "$UCONF"
wait_for 20 eval '[ -S "$WS/web.sock" ]' || nok "sendguard-web does not listen on $WS/web.sock"
check "unix socket: the user header from root (not proxy_uid): 403" \
	[ "$(code --unix-socket "$WS/web.sock" -H "X-Remote-User: $APPROVER" "http://localhost/hold/$CSRF_HID")" = 403 ]
check "unix socket: the user header from proxy_uid ($OTHER): 200" \
	[ "$(setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$WS/web.sock" -H "X-Remote-User: $APPROVER" "http://localhost/hold/$CSRF_HID")" = 200 ]
web_stop
check "sendguard-web: no sanitizer report" \
	eval '! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/web.log"'
check "milter: no sanitizer report" milter_sanitizer_clean
[ -f "$OUTDIR/hold-page.png" ] && note "screenshot: $OUTDIR/hold-page.png"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
