#!/bin/bash
#
# tests/web/preview.sh - the approver sees the content (issue 18 item 1),
# in a real browser on the real Postfix of the end-to-end tests.
#
# Starts a private Postfix on loopback relaying to smtp-sink, the
# sendguard milter and sendguard-web on a port this script picks, and
# sends tests/web/mail/preview_zip_xlsx.eml (a body sentence, a zip
# holding a plain xlsx, an HTML file with a <script>) from an
# authenticated internal sender to a vendor and to hidden@gmail.com
# (an envelope recipient in neither To nor Cc: Bcc). Then:
#   - the store keeps a sealed preview for the hold, and neither the
#     database nor its WAL holds the body sentence or a cell in clear;
#   - `sendguardctl show --json` has the preview: the Subject as
#     written (（案）①, not NFKC), the Bcc, the body sentence, the sheet
#     name and first row; `show` prints them;
#   - tests/web/preview.test.js (Debian's chromium, playwright-core as
#     in web.test.js) opens the approver's link: the page shows the body
#     sentence, the sheet name and the first row, the Japanese headings
#     本文 / 件名 / 宛先 / 添付ファイル in the DOM, the HTML attachment's
#     <script> as text; screenshots at 390 px and 1280 px go to
#     tests/out/preview-390.png and preview-1280.png and the page does
#     not scroll sideways at 390 px; the sender's link shows the content
#     too, a forged link does not; after the approver approves, the
#     preview is gone from the store and the page says so.
#   - downloads ([web] allow_download, `sendguardctl serve-downloads` as
#     root on a local socket): the approver downloads the zip (the bytes
#     as sent) and the HTML attachment, which never renders: the
#     response is an attachment with an RFC 6266 filename*,
#     application/octet-stream, nosniff and CSP sandbox; each download
#     is in the audit log; the sender gets no download button, and a
#     forged download form from the sender is refused.
#   - the root side's own refusals, asked directly on its socket (not
#     through the page, which refuses most of these first): a hold
#     whose queue id names another hold's queue file (X-Sendguard-Hold
#     does not match), an .exe whose dangerous-attachment finding was
#     removed from the store (dangerous by content all the same), a
#     file over [web] max_download (a second instance with 1K), a peer
#     that is neither root nor the store's owner, an unknown hold, a
#     path not in the hold, a malformed request; root gets the bytes.
# CJK fonts must be installed (fonts-noto-cjk), or the screenshots show
# boxes: checked with fc-list.
# Everything is stopped by the EXIT trap. Output: one line per
# assertion, "N passed, M failed" last; exit 1 on any failure.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

SG_WEB=${SG_WEB:-$SG_SRCDIR/build/test/sendguard-web}
OUTDIR=$SG_SRCDIR/tests/out

for t in postfix smtp-sink swaks sqlite3 jq node npm fc-list; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing (make deps installs chromium)"
[ -x "$SG_WEB" ] || die "no sendguard-web at $SG_WEB"

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

SG_WEB_PID=""
SG_DL_PID=""
DL_RC=""
dl_stop() {
	[ -n "$SG_DL_PID" ] || return 0
	kill -TERM "$SG_DL_PID" 2>/dev/null
	wait "$SG_DL_PID" 2>/dev/null
	DL_RC=$?
	SG_DL_PID=""
}
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
	dl_stop
	(exit "$rc")
	sg_cleanup
}
trap web_cleanup EXIT

check "CJK fonts are installed (fc-list :lang=ja)" eval '[ -n "$(fc-list :lang=ja)" ]'

sg_pick_port WEB_PORT
BASE_URL=http://127.0.0.1:$WEB_PORT
SENDER=sato-h@$SG_INTERNAL
VENDOR=uketsuke@kenshin-center.example
HIDDEN=hidden@gmail.com
M=$SG_BASE/mail
MAIL=$here/mail/preview_zip_xlsx.eml
mkdir -p "$M" "$OUTDIR"

pf_setup
pf_sasl sato-h
DLSOCK=$SG_BASE/run/download.sock
mkdir -p "$SG_BASE/run" && chmod 755 "$SG_BASE/run"
milter_setup "web.base_url=$BASE_URL" "web.listen=127.0.0.1:$WEB_PORT" \
	"web.download_socket=$DLSOCK"
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

# The root side of downloads, as root (it reads the hold queue).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	"$SG_CTL" -c "$CONF" serve-downloads >>"$SG_MDIR/dl.log" 2>&1 9>&- &
SG_DL_PID=$!
sg_state dl_pid "$SG_DL_PID"
wait_for 20 eval '[ -S "$DLSOCK" ]' || { cat "$SG_MDIR/dl.log" >&2; die "serve-downloads does not listen on $DLSOCK"; }

# --- the hold and its stored preview --------------------------------------------

{ echo "X-E2E-Id: web-preview"; cat "$MAIL"; } >"$M/preview.eml"
sg_swaks_auth "$SG_GW_PORT" sato-h "$SENDER" "$VENDOR,$HIDDEN" "$M/preview.eml" "$SG_BASE/swaks-preview.txt"
QID=$(swaks_qid "$SG_BASE/swaks-preview.txt")
HID=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$QID';")
if [ -n "$QID" ] && [ -n "$HID" ]; then
	ok "the preview mail is held (queue id $QID, hold $HID)"
else
	tail -20 "$SG_BASE/swaks-preview.txt"
	die "the preview mail was not held (qid '$QID', hold '$HID')"
fi
echo "preview $QID $HID" >"$M/holds"

# Two more holds: a dangerous .exe (never downloadable) and a second
# copy of the preview mail.
held_more() {
	local qid hid
	{ echo "X-E2E-Id: web-$1"; cat "$2"; } >"$M/$1.eml"
	sg_swaks_auth "$SG_GW_PORT" sato-h "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	qid=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	hid=$(sg_sql "SELECT id FROM holds WHERE queue_id = '$qid';")
	if [ -n "$qid" ] && [ -n "$hid" ]; then
		ok "$1: held (queue id $qid, hold $hid)"
		echo "$1 $qid $hid" >>"$M/holds.more"
	else
		nok "$1: not held (qid '$qid', hold '$hid')"
	fi
}
: >"$M/holds.more"
held_more exe "$SG_SRCDIR/tests/e2e/mail/demo5_exe.eml"
held_more copy "$MAIL"

check "the store keeps one sealed preview for the hold" \
	[ "$(sg_sql "SELECT count(*) || ':' || substr(sealed, 1, 3) FROM previews WHERE hold_id = '$HID';")" = "1:p1." ]
# Nothing of the content in clear anywhere in the store's files.
clear_hits=0
for f in "$SG_MDIR/db/sendguard.db" "$SG_MDIR/db/sendguard.db-wal"; do
	[ -f "$f" ] || continue
	# cell words in no header: display names (山田 is one, in the .exe
	# mail's To) are kept in clear with the hold, as addresses are
	for w in 説明会の資料を添付 参加者名簿 鈴木 税務課; do
		grep -qaF "$w" "$f" && { clear_hits=$((clear_hits + 1)); note "$w in clear in $f"; }
	done
done
check "neither the database nor its WAL holds the body or a cell in clear" [ "$clear_hits" = 0 ]

# --- sendguardctl show --json and show ------------------------------------------

rc "$SG_CTL" -c "$CONF" show "$HID" --json
echo "$OUT" >"$SG_BASE/show.json"
check "show --json exits 0 ($RC)" [ "$RC" = 0 ]
jqc() { jq -e "$1" "$SG_BASE/show.json" >/dev/null 2>&1; }
check "show --json: preview_status shown" jqc '.preview_status == "shown"'
check "show --json: the Subject as written (（案）①, not NFKC)" \
	jqc '.preview.subject == "（案）① 説明会資料の送付"'
check "show --json: From and To as written" \
	jqc '(.preview.from | contains("佐藤 花子")) and (.preview.to | contains("健診センター"))'
check "show --json: the Bcc is the envelope recipient in neither To nor Cc" \
	jqc ".preview.bcc == [\"$HIDDEN\"]"
check "show --json: the body sentence" \
	jqc '.preview.bodies[0].text | contains("本日の説明会の資料を添付いたします。")'
check "show --json: the sheet name and first row of the xlsx inside the zip" \
	jqc '.preview.files[] | select(.kind == "sheet") | .sheets[0].name == "参加者名簿" and .sheets[0].first[0] == ["氏名","所属","内線"]'
check "show --json keeps the keys of list --json" jqc '.id and .status == "pending" and (.attachments | length) == 2'
rc "$SG_CTL" -c "$CONF" show "$HID"
check "show prints the body sentence, the sheet and its first row, 本文 and 件名" \
	eval 'echo "$OUT" | grep -q "本日の説明会の資料を添付いたします。" &&
		echo "$OUT" | grep -q "シート / Sheet: 参加者名簿" && echo "$OUT" | grep -q "| 氏名 | 所属 | 内線 |" &&
		echo "$OUT" | grep -q "本文" && echo "$OUT" | grep -q "件名"'

wait_for 30 pf_queue_settled
check "the approval requests arrived at the sink" \
	wait_for 30 eval '[ "$(grep -rl "^X-Sendguard-Notice:" "$SG_SINK" | grep -c .)" -ge 6 ]'

# --- the root side's own refusals ------------------------------------------------

# dl_ask SOCK REQUEST OUT [SETPRIV...]: one request line on the download
# socket; prints the answer line, writes the bytes after it to OUT.
dl_ask() {
	local sock=$1 req=$2 out=$3
	shift 3
	"$@" /usr/bin/python3 - "$sock" "$req" "$out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect: %s" % e.strerror)
    sys.exit(0)
try:
    s.sendall(sys.argv[2].encode() + b"\n")
except OSError:
    pass	# refused before the request was read: the answer is waiting
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
line, _, rest = data.partition(b"\n")
open(sys.argv[3], "wb").write(rest)
print(line.decode("utf-8", "replace"))
PY
}
# as_owner CMD...: as the store's owner (a root-made WAL would lock it out)
as_owner() { setpriv --reuid "$SG_MILTER_USER" --regid "$(id -g "$SG_MILTER_USER")" --clear-groups "$@"; }
EXE_HID=$(awk '$1 == "exe" { print $3 }' "$M/holds.more")
EXE_QID=$(awk '$1 == "exe" { print $2 }' "$M/holds.more")
COPY_HID=$(awk '$1 == "copy" { print $3 }' "$M/holds.more")
COPY_QID=$(awk '$1 == "copy" { print $2 }' "$M/holds.more")
/usr/bin/python3 - "$MAIL" "$M" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
for i, part in enumerate(m.iter_attachments()):
    open('%s/att-%d' % (sys.argv[2], i + 2), 'wb').write(part.get_payload(decode=True))
PY
ans=$(dl_ask "$DLSOCK" "$HID	3" "$M/root-3.bin")
check "root side: root asks for the HTML attachment: OK and the bytes as sent ($ans)" \
	eval '[ "${ans%%	*}" = "OK $(stat -c %s "$M/att-3")" ] && cmp -s "$M/root-3.bin" "$M/att-3"'
# A hold whose queue id names another hold's queue file: the file's
# X-Sendguard-Hold names that other hold, so nothing is served.
as_owner sqlite3 "$SG_MDIR/db/sendguard.db" ".timeout 10000" "UPDATE holds SET queue_id = '$QID' WHERE id = '$COPY_HID';"
ans=$(dl_ask "$DLSOCK" "$COPY_HID	2" "$M/root-x.bin")
check "root side: another hold's queue file (X-Sendguard-Hold: $HID, not $COPY_HID) is refused ($ans)" \
	eval '[ "${ans%% *}" = ERR ] && [ "$(echo "$ans" | cut -d" " -f2)" = header ] && [ ! -s "$M/root-x.bin" ]'
check "root side: and says so in its log" grep -q "hold $COPY_HID: queue file $QID does not carry X-Sendguard-Hold: $COPY_HID" "$SG_MDIR/dl.log"
as_owner sqlite3 "$SG_MDIR/db/sendguard.db" ".timeout 10000" "UPDATE holds SET queue_id = '$COPY_QID' WHERE id = '$COPY_HID';"
# The .exe with its dangerous-attachment finding removed from the store:
# the root side reads the file's type from its bytes.
findings_before=$(sg_sql "SELECT findings FROM holds WHERE id = '$EXE_HID';")
as_owner sqlite3 "$SG_MDIR/db/sendguard.db" ".timeout 10000" "UPDATE holds SET findings = (SELECT json_group_array(json(value)) FROM json_each(findings) WHERE json_extract(value, '\$.category') != 'dangerous-attachment') WHERE id = '$EXE_HID';"
check "root side: (the .exe hold's store record now has no dangerous-attachment finding)" \
	[ "$(sg_sql "SELECT count(*) FROM json_each((SELECT findings FROM holds WHERE id = '$EXE_HID')) WHERE json_extract(value, '\$.category') = 'dangerous-attachment';")" = 0 ]
ans=$(dl_ask "$DLSOCK" "$EXE_HID	2" "$M/root-x.bin")
check "root side: an .exe is dangerous by content all the same: refused ($ans)" \
	eval '[ "$(echo "$ans" | cut -d" " -f1-2)" = "ERR dangerous" ] && [ ! -s "$M/root-x.bin" ]'
as_owner sqlite3 "$SG_MDIR/db/sendguard.db" ".timeout 10000" "UPDATE holds SET findings = json('$(printf '%s' "$findings_before" | sed "s/'/''/g")') WHERE id = '$EXE_HID';"
check "root side: (the .exe hold's findings restored)" \
	[ "$(sg_sql "SELECT findings FROM holds WHERE id = '$EXE_HID';")" = "$findings_before" ]
ans=$(dl_ask "$DLSOCK" "$HID	9" "$M/root-x.bin")
check "root side: a path not in the hold: nofile ($ans)" [ "$(echo "$ans" | cut -d" " -f1-2)" = "ERR nofile" ]
ans=$(dl_ask "$DLSOCK" "haaaaaaaaaaaaaaaaaaaaaaaaaa	2" "$M/root-x.bin")
check "root side: an unknown hold: gone ($ans)" [ "$(echo "$ans" | cut -d" " -f1-2)" = "ERR gone" ]
ans=$(dl_ask "$DLSOCK" "../x	2" "$M/root-x.bin")
check "root side: not a hold id ($ans)" [ "$ans" = "ERR error not a hold id" ]
ans=$(dl_ask "$DLSOCK" "no tab in this line" "$M/root-x.bin")
check "root side: a malformed request ($ans)" [ "$ans" = "ERR error malformed request" ]
# Group access to the socket, but neither root nor the store's owner.
ans=$(dl_ask "$DLSOCK" "$HID	2" /dev/null setpriv --reuid nobody --regid "$(stat -c %g "$SG_MDIR/db/sendguard.db")" --clear-groups)
check "root side: a peer that is neither root nor the store's owner (nobody, in the store's group) is refused ($ans)" \
	[ "$ans" = "ERR error not allowed" ]
check "root side: the socket is root:the store's group, 0660" \
	[ "$(stat -c %u:%g:%a "$DLSOCK")" = "0:$(stat -c %g "$SG_MDIR/db/sendguard.db"):660" ]
# A second instance with [web] max_download = 1K on its own socket.
DLSOCK2=$SG_BASE/run/download2.sock
sed -e "s|^download_socket = .*|download_socket = $DLSOCK2|" -e 's|^\[web\]$|[web]\nmax_download = 1K|' "$CONF" >"$SG_BASE/conf-small.conf"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	"$SG_CTL" -c "$SG_BASE/conf-small.conf" serve-downloads >"$SG_MDIR/dl2.log" 2>&1 9>&- &
DL2=$!
if wait_for 20 eval '[ -S "$DLSOCK2" ]'; then
	ans=$(dl_ask "$DLSOCK2" "$HID	2" "$M/root-x.bin")
	check "root side: a zip of $(stat -c %s "$M/att-2") bytes over max_download 1K is refused ($ans)" \
		eval '[ "$(echo "$ans" | cut -d" " -f1-2)" = "ERR toobig" ] && [ ! -s "$M/root-x.bin" ]'
	ans=$(dl_ask "$DLSOCK2" "$HID	3" "$M/root-x.bin")
	check "root side: the HTML attachment of $(stat -c %s "$M/att-3") bytes, under 1K, is served ($ans)" \
		eval '[ "${ans%% *}" = OK ] && cmp -s "$M/root-x.bin" "$M/att-3"'
else
	nok "a second serve-downloads does not listen on $DLSOCK2"
	cat "$SG_MDIR/dl2.log" >&2
fi
kill -TERM "$DL2" 2>/dev/null
wait "$DL2"
drc=$?
check "root side: SIGTERM stops it with status 0 ($drc), its socket removed, no sanitizer report" \
	eval '[ "$drc" = 0 ] && [ ! -e "$DLSOCK2" ] && ! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/dl2.log"'

# --- the browser ------------------------------------------------------------------

echo "== browser (tests/web/preview.test.js)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$SG_BASE/npm.log" 2>&1) ||
	{ cat "$SG_BASE/npm.log" >&2; die "npm ci failed in tests/web"; }
# The attachments as sent ($M/att-N, above), for the downloads' bytes.
export SG_WEB_ATTS=$M
export SG_WEB_BASE=$BASE_URL SG_WEB_SINK=$SG_SINK SG_WEB_HOLDS=$M/holds \
	SG_WEB_CONF=$CONF SG_WEB_CTL=$SG_CTL SG_WEB_DB=$SG_MDIR/db/sendguard.db \
	SG_WEB_KEYS=$SG_MDIR/keys SG_WEB_PFDIR=$SG_PFDIR SG_WEB_OUT=$OUTDIR \
	SG_WEB_SENDER=$SENDER SG_WEB_APPROVER=kacho@$SG_INTERNAL
cat "$M/holds.more" >>"$M/holds"
node "$here/preview.test.js" >"$SG_BASE/browser.txt" 2>&1
brc=$?
cat "$SG_BASE/browser.txt"
PASS=$((PASS + $(grep -c '^ok   - ' "$SG_BASE/browser.txt")))
FAIL=$((FAIL + $(grep -c '^FAIL - ' "$SG_BASE/browser.txt")))
[ "$brc" = 0 ] || [ "$(grep -c '^FAIL - ' "$SG_BASE/browser.txt")" -gt 0 ] ||
	nok "the browser test script exited $brc"

ans=$(dl_ask "$DLSOCK" "$HID	3" "$M/root-x.bin")
check "root side: a decided hold serves nothing ($ans)" \
	eval '[ "$(echo "$ans" | cut -d" " -f1-2)" = "ERR gone" ] && [ ! -s "$M/root-x.bin" ]'
rc "$SG_CTL" -c "$CONF" show "$HID" --json
check "after the decision show --json has no preview (status none)" \
	eval 'echo "$OUT" | jq -e ".preview == null and .preview_status == \"none\"" >/dev/null'

web_stop
dl_stop
check "serve-downloads: no sanitizer report, served three files (root's and the page's two), stopped with 0" \
	eval '! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/dl.log" &&
		[ "$(grep -c "served" "$SG_MDIR/dl.log")" = 3 ] && [ "$DL_RC" = 0 ]'
check "sendguard-web: no sanitizer report" \
	eval '! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$SG_MDIR/web.log"'
check "sendguard-web: no preview failed to open" eval '! grep -q "preview not shown" "$SG_MDIR/web.log"'
check "milter: no sanitizer report" milter_sanitizer_clean
for f in preview-390.png preview-1280.png; do
	[ -f "$OUTDIR/$f" ] && note "screenshot: $OUTDIR/$f"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
