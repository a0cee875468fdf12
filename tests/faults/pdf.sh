#!/bin/bash
#
# NAME
#	pdf.sh - a PDF that crashes or hangs the PDF text worker, while
#	other sessions go through the real Postfix and milter
# DESCRIPTION
#	On a private Postfix (tests/e2e/lib.sh), the milter started with
#	SG_FAULT=pdf-marker (the worker's test hook: a page whose text holds
#	SG-FAULT-CRASH dies of SIGSEGV, SG-FAULT-HANG spins until killed),
#	[limits] pdf_timeout = 4s, pdf_workers = 2. At once, through the
#	relaying port: a PDF that hangs the worker, one that crashes it,
#	four clean mails, three 機密性2 mails and three PDFs with a My
#	Number (made by LibreOffice, tests/fixtures/pdf/). Checked, message
#	by message (tests/faults/lib.sh):
#	  - the hanging and the crashing PDF are each held exactly once,
#	    with the scan limits pdf-timeout and pdf-crash;
#	  - every other message is delivered or held exactly once, as its
#	    content says (the My Number PDFs held for personal-data: their
#	    text was read, by the surviving or the replaced worker);
#	  - the milter is still running, again with two workers, and a PDF
#	    sent afterwards is read;
#	  - no hold without a record, no record without a hold; no
#	    sanitizer report.
#	Output: one line per assertion, "N passed, M failed" last.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps
. "$here/lib.sh"
export SG_FAULT=pdf-marker
fault_start "limits.pdf_timeout=4s" "limits.pdf_workers=2"
PDFX=$SG_SRCDIR/tests/fixtures/pdf

# pmsg ID FIXTURE: the fixture mail with the fault id as Subject and header
pmsg() {
	sed -e "s/^Subject: .*/Subject: fault $1\nX-Fault-Id: $1/" -e 's/$/\r/' \
		"$PDFX/$2.eml" >"$FM/$1.eml"
}
held_with() {	# held_with ID RULE: the hold's findings name RULE
	sg_sql "SELECT findings FROM holds WHERE subject = 'fault $1';" | grep -q "\"rule\":\"$2\""
}
workers() { pgrep -P "$SG_MILTER_PID" -f sendguard-pdftext | grep -c .; }

check "the milter started two PDF workers" wait_for 10 eval '[ "$(workers)" = 2 ]'
pmsg pdf-hang fault_hang
pmsg pdf-crash fault_crash
for i in 1 2 3; do pmsg "pdf-mn-$i" lo_mynumber; done
for i in 1 2 3 4; do fmsg "pdf-clean-$i" clean; done
for i in 1 2 3; do fmsg "pdf-hold-$i" hold; done
ids="pdf-hang pdf-crash pdf-mn-1 pdf-clean-1 pdf-hold-1 pdf-mn-2 pdf-clean-2 pdf-hold-2 pdf-clean-3 pdf-mn-3 pdf-hold-3 pdf-clean-4"
pids=""
for id in $ids; do relay "$id" & pids="$pids $!"; done
# (not a bare wait: the milter is a child of this shell too)
for p in $pids; do wait "$p"; done
retry 120
check "the PDF that hangs the worker is held once" once pdf-hang hold
check "... as a scan limit: pdf-timeout" held_with pdf-hang pdf-timeout
check "the PDF that crashes the worker is held once" once pdf-crash hold
check "... as a scan limit: pdf-crash" held_with pdf-crash pdf-crash
for i in 1 2 3; do
	check "My Number PDF $i held once, its text read (personal-data)" \
		eval "once pdf-mn-$i hold && held_with pdf-mn-$i mynumber"
	check "My Number PDF $i: no scan limit" eval "! held_with pdf-mn-$i pdf-timeout && ! held_with pdf-mn-$i pdf-crash"
done
for i in 1 2 3 4; do check "clean mail $i delivered once" once "pdf-clean-$i" clean; done
for i in 1 2 3; do check "機密性2 mail $i held once" once "pdf-hold-$i" hold; done
check "the milter is still running" kill -0 "$SG_MILTER_PID"
check "two PDF workers again (the killed and the crashed one replaced)" wait_for 10 eval '[ "$(workers)" = 2 ]'
pmsg pdf-after lo_mynumber
relay pdf-after
retry 60
check "a PDF sent afterwards is read (held for personal-data)" eval "once pdf-after hold && held_with pdf-after mynumber"
check "no hold without a record, no record without a hold" invariant
fault_end
