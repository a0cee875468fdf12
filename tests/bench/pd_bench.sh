#!/bin/sh
# NAME
#	pd_bench.sh - personal-data detector throughput against grep -P
# SYNOPSIS
#	make bench
#	SG_SRCDIR=REPO [SG_BENCH_MB=8] [SG_BENCH_SECONDS=3] sh tests/bench/pd_bench.sh
# DESCRIPTION
#	Not part of `make test`. Needs build/pd_bench and build/sendguardctl
#	(the -O2 build: `make bench` builds both), grep, /usr/bin/python3.
#
#	1. Writes SG_BENCH_MB MB of Japanese business-mail text of a
#	   realistic mix (prose, signatures, dates, amounts, order and
#	   phone numbers, a few tables, and now and then personal data:
#	   My Numbers, accounts, birth dates, 要配慮 words), with a
#	   fixed seed.
#	2. Detector throughput: build/pd_bench runs every detector of
#	   rules/personal-data over it (eng_pd_scan: patterns, validators,
#	   keywords, windows, tables), best of several passes; in the same
#	   run, `grep -P -i -o` runs the same patterns (the `pattern =` lines
#	   joined into one alternation, back-references renumbered) under
#	   LC_ALL=C.UTF-8 over the same text, best of three. The ratio
#	   sendguard / grep is printed (>= 0.5 is the README's target).
#	3. End-of-message time: `sendguardctl check` (a whole process:
#	   configuration, rules, parse, decode, every rule) on a 200 KB and
#	   a 10 MB message made of that text (UTF-8 base64 body and the
#	   same text as a CP932 CSV attachment, half each), best of three;
#	   plus eng_scan alone on the 10 MB message (pd_bench scan).
#
#	Figures depend on the machine; compare the ratios, measured in one
#	run.

set -u

SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BENCH=${SG_PD_BENCH:-$SRC/build/pd_bench}
CTL=${SG_CTL:-$SRC/build/sendguardctl}
CONF=$SRC/conf/sendguard.conf
MB=${SG_BENCH_MB:-8}
SECS=${SG_BENCH_SECONDS:-3}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for f in "$BENCH" "$CTL"; do
	[ -x "$f" ] || { echo "pd_bench.sh: $f missing: run make bench" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-pdbench.XXXXXX") || exit 70
[ -n "${SG_BENCH_KEEP:-}" ] || trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

# ---- the text and the messages -------------------------------------------
"$PY" - "$TMP" "$MB" <<'EOF'
import base64, random, sys
out, mb = sys.argv[1], float(sys.argv[2])
R = random.Random(5)

def mynumber(d11):
    s = sum(int(d11[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = s % 11
    return d11 + str(0 if r <= 1 else 11 - r)

prose = [
    "いつもお世話になっております。さくら区保健福祉課の田中です。",
    "先日の打合せの件、議事録を作成しましたのでご確認ください。",
    "委託業務の進捗について、来週の定例会で報告をお願いいたします。",
    "システム改修の仕様書（案）を添付しますので、修正点があればご指摘ください。",
    "納品物の検収は今月末までに完了する予定です。",
    "ご不明な点がございましたら、担当までお問い合わせください。",
    "会場は本庁舎3階の第2会議室です。駐車場はございませんので公共交通機関をご利用ください。",
    "請求書は紙ではなく電子で提出していただけますようお願いします。",
    "区民向けの説明会資料について、文字の大きさと配色を見直しました。",
    "Please find attached the revised schedule for the data migration project.",
]
numbers = [
    lambda: "次回定例会は令和%d年%d月%d日（水）14時からです。" % (R.randint(6, 8), R.randint(1, 12), R.randint(1, 28)),
    lambda: "見積金額は %s円（税込）です。" % format(R.randint(10000, 9999999), ","),
    lambda: "注文番号 %012d の納期は %d/%02d/%02d です。" % (R.randint(0, 10**12 - 1), 2025, R.randint(1, 12), R.randint(1, 28)),
    lambda: "お問い合わせ: 03-%04d-%04d（内線 %d）" % (R.randint(1000, 9999), R.randint(1000, 9999), R.randint(100, 9999)),
    lambda: "〒%03d-%04d 東京都さくら区中央%d-%d-%d" % (R.randint(100, 999), R.randint(0, 9999), R.randint(1, 9), R.randint(1, 20), R.randint(1, 15)),
    lambda: "資料番号 R%d-%04d、ISBN978-4-%02d-%06d-%d" % (R.randint(5, 7), R.randint(1, 9999), R.randint(0, 99), R.randint(0, 999999), R.randint(0, 9)),
]
pd = [
    lambda: "個人番号 %s を確認しました。" % mynumber("%011d" % R.randint(0, 10**11 - 1)),
    lambda: "振込先 さくら銀行 桜町支店 普通 %07d" % R.randint(0, 9999999),
    lambda: "生年月日 昭和%d年%d月%d日" % (R.randint(20, 63), R.randint(1, 12), R.randint(1, 28)),
    lambda: "山田様は生活保護を受給中で、障害者手帳を所持しています。",
    lambda: "連絡先 %s@example.jp / 090-%04d-%04d" % ("user%d" % R.randint(1, 999), R.randint(1000, 9999), R.randint(1000, 9999)),
]
table = "氏名,住所,電話番号\n山田 太郎,東京都さくら区桜町1-2-3,03-3111-0001\n佐藤 花子,東京都さくら区若葉2-4-6,090-2111-0002\n"
sig = "━━━━━━━━━━━━━━━━\nさくら区 保健福祉課 田中 花子\nTEL: 03-5500-1234 FAX: 03-5500-1235\n━━━━━━━━━━━━━━━━\n"
parts, size, target = [], 0, int(mb * 1e6)
while size < target:
    x = R.random()
    if x < 0.62:
        s = R.choice(prose)
    elif x < 0.90:
        s = R.choice(numbers)()
    elif x < 0.97:
        s = R.choice(pd)()
    elif x < 0.985:
        s = table
    else:
        s = sig
    s += "\n"
    parts.append(s)
    size += len(s.encode())
text = "".join(parts)
open(out + "/text.txt", "w").write(text)

def message(path, target):
    """A message of about `target` bytes: half the text as a UTF-8 base64
    body, the next half as a CP932 CSV attachment (base64)."""
    def b64(d):
        e = base64.b64encode(d).decode()
        return "\r\n".join(e[i:i + 76] for i in range(0, len(e), 76))
    src = text
    while len(src.encode()) < target:
        src += text
    n = int(target * 0.68)
    for _ in range(4):
        b = src.encode()[:n]
        body = b[: n // 2].decode(errors="ignore")
        csv = b[n // 2:].decode(errors="ignore")
        m = ("From: tanaka@example.lg.jp\r\nTo: t.yamada@sakura-sys.example\r\nSubject: bench\r\n"
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
             "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
             + b64(body.encode()) + "\r\n--b\r\nContent-Type: text/csv\r\n"
             "Content-Disposition: attachment; filename=\"data.csv\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\n"
             + b64(csv.replace("\n", "\r\n").encode("cp932", errors="replace")) + "\r\n--b--\r\n")
        n = int(n * target / len(m))
    open(path, "w").write(m)

message(out + "/m200k.eml", 200 * 1000)
message(out + "/m10m.eml", 10 * 1000 * 1000)
EOF
[ -s "$TMP/text.txt" ] || { echo "pd_bench.sh: could not write the text" >&2; exit 70; }

# ---- the grep baseline: the same patterns, one alternation -----------------
"$PY" - "$SRC/rules/personal-data" >"$TMP/pattern" <<'EOF'
import re, sys
pats = [l.split("=", 1)[1].strip() for l in open(sys.argv[1], encoding="utf-8")
        if re.match(r"pattern\s*=", l)]
out, groups = [], 0
for p in pats:
    # Renumber \1.. by the groups of the patterns before this one.
    q = re.sub(r"\\([1-9])", lambda m: "\\%d" % (int(m.group(1)) + groups), p)
    # Capturing groups: "(" not followed by "?", not escaped, not in a class.
    n, i, cls = 0, 0, False
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if cls:
            cls = c != "]"
        elif c == "[":
            cls = True
            if p[i + 1:i + 2] == "]":
                i += 1
        elif c == "(" and p[i + 1:i + 2] != "?":
            n += 1
        i += 1
    groups += n
    out.append("(?:" + q + ")")
print("|".join(out))
EOF

SIZE=$(wc -c <"$TMP/text.txt")
best_grep=
for i in 1 2 3; do
	t0=$(date +%s.%N)
	LC_ALL=C.UTF-8 grep -P -i -o -e "$(cat "$TMP/pattern")" "$TMP/text.txt" >"$TMP/grep.out"
	rc=$?
	t1=$(date +%s.%N)
	[ "$rc" -le 1 ] || { echo "pd_bench.sh: grep -P failed ($rc)" >&2; exit 70; }
	best_grep=$(echo "$t0 $t1 ${best_grep:-1e9}" | awk '{ d = $2 - $1; print (d < $3) ? d : $3 }')
done
grep_matches=$(wc -l <"$TMP/grep.out")

sg=$("$BENCH" "$CONF" text "$TMP/text.txt" "$SECS") || exit 70
sg_best=$(echo "$sg" | sed -n 's/.*best_s=\([0-9.]*\).*/\1/p')
sg_bytes=$(echo "$sg" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')
sg_find=$(echo "$sg" | sed -n 's/.*findings=\([0-9]*\).*/\1/p')

echo "personal-data detectors on $(awk -v b="$SIZE" 'BEGIN { printf "%.1f", b / 1e6 }') MB of Japanese text ($(grep -c '^pattern *=' "$SRC/rules/personal-data") patterns):"
awk -v gs="$best_grep" -v gb="$SIZE" -v ss="$sg_best" -v sb="$sg_bytes" -v gm="$grep_matches" -v sf="$sg_find" 'BEGIN {
	g = gb / 1e6 / gs; s = sb / 1e6 / ss
	printf "  %-44s %8.1f MB/s  (%.3f s, %d matches)\n", "grep -P -i -o, one alternation (C.UTF-8)", g, gs, gm
	printf "  %-44s %8.1f MB/s  (%.3f s, %d findings)\n", "sendguard eng_pd_scan (all detectors)", s, ss, sf
	printf "  ratio sendguard / grep -P: %.2f\n", s / g
}'

# ---- end-of-message scan time ---------------------------------------------
for m in m200k m10m; do
	best=
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		"$CTL" -c "$CONF" check --json "$TMP/$m.eml" >"$TMP/check.out" 2>"$TMP/check.err"
		rc=$?
		t1=$(date +%s.%N)
		[ "$rc" -le 2 ] || { echo "pd_bench.sh: check failed ($rc)" >&2; cat "$TMP/check.err" >&2; exit 70; }
		best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{ d = $2 - $1; print (d < $3) ? d : $3 }')
	done
	printf '  sendguardctl check, %-8s message (%s bytes): %.3f s  (verdict %s, %s findings)\n' \
		"$(echo $m | sed 's/m//; s/k/ KB/; s/m$/ MB/; s/^10m/10 MB/')" "$(wc -c <"$TMP/$m.eml")" "$best" \
		"$(jq -r .verdict "$TMP/check.out" 2>/dev/null || echo ?)" \
		"$(jq '.findings | length' "$TMP/check.out" 2>/dev/null || echo ?)"
done
sc=$("$BENCH" "$CONF" scan "$TMP/m10m.eml" 1) || exit 70
echo "$sc" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "  eng_scan alone, 10 MB message: %.3f s (%.1f MB/s of message)\n", v["best_s"], v["mb_per_s"] }'
