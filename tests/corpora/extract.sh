#!/bin/sh
# NAME
#	extract.sh - write other projects' test mail out of bare git mirrors
# SYNOPSIS
#	sh tests/corpora/extract.sh MIRRORS OUT
# DESCRIPTION
#	MIRRORS holds bare clones named OWNER+NAME/repo (as the session's
#	fetch tool leaves them, or `git clone --bare` into that layout):
#	jstedfast+MimeKit, mikel+mail, rspamd+rspamd, apache+spamassassin.
#	Writes one message per file to OUT/CORPUS/..., mbox files split at
#	their "From " lines. Mail nobody here wrote: the cheapest source
#	of shapes our fixtures lack (TESTING.md, "Real corpora"). The
#	corpora are not committed; run.sh sweeps what this writes.
#	A missing mirror is skipped with a note.
set -eu
MIR=${1:?MIRRORS}
OUT=${2:?OUT}

# take REPO CORPUS PATH-REGEX: every blob of HEAD whose path matches
take() {
	gd=$MIR/$1/repo
	if [ ! -d "$gd" ]; then echo "skip $1: no mirror at $gd" >&2; return 0; fi
	git --git-dir="$gd" ls-tree -r --name-only HEAD | grep -E "$3" |
	while IFS= read -r p; do
		dst=$OUT/$2/$(printf '%s' "$p" | tr '/ []' '____')
		mkdir -p "$OUT/$2"
		# the mirror may list its largest files without their data
		git --git-dir="$gd" cat-file blob "HEAD:$p" >"$dst" 2>/dev/null ||
			{ echo "skip $1:$p: not in the mirror" >&2; rm -f "$dst"; }
	done
}

# split_mbox FILE: FILE.NNNN.eml per message, FILE removed. A "From "
# line starts a message only when a header line follows it, and a
# Content-Length header is honoured (MimeKit's content-length.mbox has
# unescaped "From " lines in bodies): a fragment is no mail.
split_mbox() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
src = sys.argv[1]
data = open(src, "rb").read()
lines = data.splitlines(keepends=True)
msgs, cur, i = [], None, 0
hdr = re.compile(rb"^[!-9;-~]+:")
while i < len(lines):
    l = lines[i]
    if l.startswith(b"From ") and i + 1 < len(lines) and hdr.match(lines[i + 1]):
        cur = []
        msgs.append(cur)
        i += 1
        # headers, then the body: Content-Length bytes when given
        clen = None
        while i < len(lines) and lines[i].strip():
            m = re.match(rb"(?i)^content-length:\s*(\d+)", lines[i])
            if m:
                clen = int(m.group(1))
            cur.append(lines[i]); i += 1
        if i < len(lines):
            cur.append(lines[i]); i += 1
        if clen is not None:
            got = 0
            while i < len(lines) and got < clen:
                cur.append(lines[i]); got += len(lines[i]); i += 1
        continue
    if cur is not None:
        cur.append(l)
    i += 1
for n, m in enumerate(msgs, 1):
    with open("%s.%04d.eml" % (src, n), "wb") as f:
        f.writelines(m)
PY
	rm -f "$1"
}

# keep only files that start like mail: a header line or an mbox "From "
# (the fixture trees hold .gitattributes, CSV feeds and BSMTP too)
keep_mail() {
	find "$OUT" -type f | while IFS= read -r f; do
		head -n 1 "$f" | grep -qE '^(From |[!-9;-~]+:)' || rm -f "$f"
	done
}

take jstedfast+MimeKit mimekit \
	'^UnitTests/TestData/(messages|partial|smime)/.*\.(eml|txt|msg)$|^UnitTests/TestData/dkim/.*\.msg$|^UnitTests/TestData/mbox/.*\.mbox\.txt$|^Benchmarks/TestData/messages/.*\.eml$'
# messages/body.N.txt are bodies without headers: not mail
rm -f "$OUT"/mimekit/UnitTests_TestData_messages_body.*
take mikel+mail mail '^spec/fixtures/emails/'
take rspamd+rspamd rspamd '^test/functional/messages/'
take apache+spamassassin spamassassin '^t/data/(nice|spam|dkim)/|^t/data/nice\.mbox$'

for f in "$OUT"/mimekit/*mbox.txt "$OUT"/spamassassin/*nice.mbox; do
	[ -f "$f" ] && split_mbox "$f"
done
keep_mail
find "$OUT" -type f | wc -l
