#!/bin/sh
# NAME
#	pdf_bench.sh - the PDF text worker against pdftotext on one big PDF
# SYNOPSIS
#	SG_SRCDIR=REPO sh tests/bench/pdf_bench.sh   (not part of make test)
# DESCRIPTION
#	Makes a PDF of 300 pages of Japanese text with python-docx and
#	LibreOffice headless (soffice --convert-to pdf), its streams
#	uncompressed with qpdf (about 10 MB: LibreOffice's own output of
#	the same pages is about 1 MB), then in the same run, each three
#	times (the best of three):
#	- build/sendguard-pdftext reading it through its own protocol
#	  (pdftext/pdt_proto.h, every page's text, as the milter asks),
#	- pdftotext (poppler-utils) on the same file,
#	with wall time and peak RSS from /usr/bin/time, and prints both and
#	their ratios (worker / pdftotext). Also `sendguardctl check` on a
#	mail carrying the PDF (the whole scan, base64 and detectors
#	included).
#	With SG_PDFW_BASE=PATH (another build of sendguard-pdftext, say of
#	the commit before a change), that worker is measured too, in the
#	same run and the same way, and the ratio this build / that one is
#	printed.
#	Needs: the optimised build (make), LibreOffice (FIXTURE_PKGS), qpdf,
#	poppler-utils, /usr/bin/python3, /usr/bin/time.
set -eu

SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
W=$(mktemp -d "${TMPDIR:-/tmp}/sg-pdfbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export HOME=$W LC_ALL=C.UTF-8
WORKER=$SRC/build/sendguard-pdftext
CTL=$SRC/build/sendguardctl
[ -x "$WORKER" ] && [ -x "$CTL" ] || { echo "pdf_bench: make first" >&2; exit 1; }

cd "$W"
/usr/bin/python3 - <<'PY'
# 300 pages of A4 text, small print (6 pt, 1 cm margins: a dense table
# of figures, as municipal reports have), one page per section.
import docx
from docx.shared import Pt, Cm
d = docx.Document()
for s in d.sections:
    s.top_margin = s.bottom_margin = s.left_margin = s.right_margin = Cm(1)
st = d.styles["Normal"]; st.font.size = Pt(6)
st.paragraph_format.space_after = Pt(0)
line = "令和7年度 第%d章 事業計画 説明資料 %06d 行目：本市の介護保険事業は計画に基づき適切に運営されています。"
for pg in range(300):
    d.add_paragraph("\n".join(line % (pg + 1, pg * 90 + i) for i in range(88)))
    if pg < 299:
        d.add_page_break()
d.save("big.docx")
PY
soffice --headless --norestore -env:UserInstallation=file://$W/lo --convert-to pdf big.docx >/dev/null 2>&1
pages=$(pdfinfo big.pdf | awk '/^Pages:/ {print $2}')
qpdf --stream-data=uncompress --object-streams=disable big.pdf big10.pdf
size=$(stat -c %s big10.pdf)
echo "pdf_bench: LibreOffice PDF: $pages pages, $(stat -c %s big.pdf) bytes; uncompressed (qpdf): $size bytes"

cat >drive.py <<'PY'
import struct, subprocess, sys
d = open(sys.argv[2], "rb").read()
p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", "-o", sys.argv[3], sys.argv[1]],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(struct.pack("=IIQQQII", 0x44504753, 1, len(d), 64 << 20, 1 << 30, 1000, 120) + d)
p.stdin.flush()
pages = text = 0
while True:
    t, pg, fl, _, n = struct.unpack("=IIIIQ", p.stdout.read(24))
    b = p.stdout.read(n)
    if t == 2:
        break
    pages += 1; text += n
p.stdin.close(); p.wait()
print(pages, text)
PY
best() {	# best FILE...: the smallest "seconds kib" line (by seconds)
	sort -n "$@" | head -n 1
}
BASE=${SG_PDFW_BASE:-}
for i in 1 2 3; do
	/usr/bin/python3 drive.py "$WORKER" big10.pdf w$i.time >w$i.out
	/usr/bin/time -f "%e %M" -o p$i.time pdftotext big10.pdf p$i.txt
	[ -z "$BASE" ] || /usr/bin/python3 drive.py "$BASE" big10.pdf b$i.time >b$i.out
done
read -r wp wt <w1.out
read -r ws wk <<EOT
$(best w1.time w2.time w3.time)
EOT
read -r ps pk <<EOT
$(best p1.time p2.time p3.time)
EOT
echo "pdf_bench: sendguard-pdftext: $ws s, peak RSS $wk KiB ($wp pages, $wt bytes of text)"
echo "pdf_bench: pdftotext:         $ps s, peak RSS $pk KiB ($(wc -c <p1.txt) bytes of text)"
awk -v a="$ws" -v b="$ps" -v c="$wk" -v d="$pk" 'BEGIN {
	printf "pdf_bench: ratio worker/pdftotext: time %.2f, peak RSS %.2f\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
if [ -n "$BASE" ]; then
	read -r bp bt <b1.out
	read -r bs bk <<EOT
$(best b1.time b2.time b3.time)
EOT
	echo "pdf_bench: base worker ($BASE): $bs s, peak RSS $bk KiB ($bp pages, $bt bytes of text)"
	awk -v a="$ws" -v b="$bs" -v c="$wk" -v d="$bk" -v e="$ps" 'BEGIN {
		printf "pdf_bench: ratio worker/base: time %.2f, peak RSS %.2f; base/pdftotext: time %.2f\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0), (e > 0 ? b / e : 0) }'
fi
/usr/bin/python3 - <<'PY'
import base64
d = base64.b64encode(open("big10.pdf", "rb").read()).decode()
with open("big.eml", "w") as f:
    f.write("From: tanaka@example.lg.jp\nTo: t.yamada@sakura-sys.example\nSubject: bench\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
            "Content-Type: text/plain; charset=UTF-8\n\nbench\n--b\nContent-Type: application/pdf; name=big.pdf\n"
            "Content-Transfer-Encoding: base64\n\n" + "\n".join(d[i:i + 76] for i in range(0, len(d), 76)) + "\n--b--\n")
PY
sed -e "s|^dir = .*|dir = $SRC/rules|" "$SRC/conf/sendguard.conf" >bench.conf
/usr/bin/time -f "%e %M" -o c.time "$CTL" -c bench.conf check --json big.eml >c.json || true
read -r cs ck <<EOT
$(tail -n 1 c.time)
EOT
echo "pdf_bench: sendguardctl check (mail of $(stat -c %s big.eml) bytes): $cs s, peak RSS $ck KiB (without the worker's), verdict $(jq -r .verdict c.json), scan limits: $(jq -r '[.findings[]|select(.category=="scan-limit")|.rule]|join(",")' c.json)"
