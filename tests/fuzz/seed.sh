#!/bin/bash
#
# NAME
#	seed.sh - build the fuzz seed corpora from tests/fixtures
# SYNOPSIS
#	bash tests/fuzz/seed.sh [OUTDIR]
# DESCRIPTION
#	Writes one directory per target (default tests/fuzz/corpus/): the
#	fixture messages for scan; each attachment file, prefixed with the
#	byte that picks its file name, for attach; the Office and PDF files
#	for ole and pdf; the Content-Type / Content-Disposition / address
#	header values of the fixtures for hdr and addr; the text bodies of
#	the charset fixtures, with their charset byte, for charset; the
#	shipped rules (NUL-separated) for rules; the shipped configuration
#	for conf. Existing files are kept: the saved corpus grows by what
#	`make fuzz` found (tests/fuzz/run.sh merge).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=${1:-$here/corpus}
fx=$src/tests/fixtures
mkdir -p "$out"/{scan,hdr,addr,charset,attach,ole,pdf,rules,conf,crypt}

# scan: every fixture message (small ones; the bench and check tests
# build the big ones)
for f in "$fx"/*.eml "$fx"/attach/*.eml "$fx"/pd/*.eml "$fx"/archive/*.eml "$fx"/robust/*.eml; do
	[ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$out/scan/$(basename "$f")"
done
# the S/MIME and OpenPGP mails, named apart from the others
for f in "$fx"/crypt/*.eml; do
	[ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$out/scan/crypt-$(basename "$f")"
done

# attach: index of the name in fuzz_attach.c's table, then the file
name_byte() {
	case $1 in
	*.zip) echo 1 ;; *.docx | *.docm) echo 2 ;; *.xlsx) echo 3 ;; *.7z) echo 4 ;;
	*.pdf) echo 5 ;; *.doc) echo 6 ;; *.xls) echo 7 ;; *.odt) echo 8 ;;
	*.tar.gz) echo 9 ;; *.csv) echo 10 ;; *.txt) echo 11 ;; *.lnk) echo 15 ;; *) echo 0 ;;
	esac
}
for f in "$fx"/attach/files/* "$fx"/archive/files/*; do
	b=$(name_byte "$f")
	{ printf "\\$(printf %03o "$b")"; cat "$f"; } >"$out/attach/$(basename "$f")"
	case $f in
	*.doc | *.xls | *.xlsx | *.docx | *.docm | *.odt) cp "$f" "$out/ole/" ;;
	*.pdf) cp "$f" "$out/pdf/" ;;
	esac
done

# crypt: the raw CMS and OpenPGP objects, for fuzz_crypt and, as
# attachments, for attach
for f in "$fx"/crypt/files/*; do
	cp "$f" "$out/crypt/$(basename "$f")"
	{ printf '\000'; cat "$f"; } >"$out/attach/crypt-$(basename "$f")"
done

# hdr and addr: header values (unfolded) from the fixtures
i=0
for f in "$fx"/*.eml "$fx"/attach/*.eml "$fx"/pd/*.eml "$fx"/robust/*.eml; do
	awk '/^\r?$/ {exit}
	     /^[ \t]/ {v = v $0; next}
	     { if (n != "") print n "\t" v; n = ""; v = "" }
	     { l = tolower($0) }
	     match(l, /^(content-type|content-disposition|to|cc|from|subject):/) {
		n = substr(l, 1, RLENGTH - 1); v = substr($0, RLENGTH + 1) }
	     END { if (n != "") print n "\t" v }' "$f"
done | sort -u | while IFS=$'\t' read -r name value; do
	i=$((i + 1))
	case $name in
	to | cc | from) printf '%s' "$value" >"$out/addr/h$i" ;;
	*) printf '%s' "$value" >"$out/hdr/h$i" ;;
	esac
done

# charset: byte 2 = iso-2022-jp, 3 = shift_jis, 5 = euc-jp, 6 = utf-16,
# 1 = utf-8 (the indexes of fuzz_charset.c's table)
printf '\001%s' '<p>個人番号&nbsp;1234 5678 9018</p><br>機密性２' >"$out/charset/utf8-html"
for cs in 2:ISO-2022-JP 3:CP932 5:EUC-JP 6:UTF-16; do
	b=${cs%%:*} name=${cs#*:}
	{ printf "\\$(printf %03o "$b")"; printf '会議資料 生年月日 昭和50年1月2日 銀行 普通 1234567\n' |
		iconv -f UTF-8 -t "$name"; } >"$out/charset/$name" 2>/dev/null || true
done
cp "$fx/broken_iso2022jp.eml" "$out/charset/broken-iso2022"

# rules: the three shipped files, NUL-separated
{ cat "$src/rules/classification"; printf '\0'; cat "$src/rules/personal-data"; printf '\0'
  cat "$src/rules/dangerous-extensions"; } >"$out/rules/shipped"

# conf: the shipped configuration
cp "$src/conf/sendguard.conf" "$out/conf/shipped.conf"
echo "seed: $(find "$out" -type f | wc -l) files in $out"
