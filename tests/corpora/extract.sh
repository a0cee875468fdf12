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

# split_mbox FILE: FILE.NNNN per message, FILE removed
split_mbox() {
	awk -v base="$1" '
		/^From / { n++; f = sprintf("%s.%04d.eml", base, n); next }
		n > 0 { print > f }
		n > 0 && NR % 200 == 0 { close(f) }
	' "$1"
	rm -f "$1"
}

take jstedfast+MimeKit mimekit \
	'^UnitTests/TestData/(messages|partial|smime)/.*\.(eml|txt|msg)$|^UnitTests/TestData/dkim/.*\.msg$|^UnitTests/TestData/mbox/.*\.mbox\.txt$|^Benchmarks/TestData/messages/.*\.eml$'
# messages/body.N.txt are bodies without headers: not mail
rm -f "$OUT"/mimekit/UnitTests_TestData_messages_body.*
take mikel+mail mail '^spec/fixtures/emails/'
take rspamd+rspamd rspamd '^test/functional/messages/'
take apache+spamassassin spamassassin '^t/data/(nice|spam|phishing|dkim)/|^t/data/nice\.mbox$'

for f in "$OUT"/mimekit/*mbox.txt "$OUT"/spamassassin/*nice.mbox; do
	[ -f "$f" ] && split_mbox "$f"
done
find "$OUT" -type f | wc -l
