#!/bin/bash
#
# tests/e2e/test_crypt.sh - declared encryption and signed content
# (issue 13, classes 1 and 2) on a real Postfix: the fixtures of
# tests/fixtures/crypt/ (made by gpg and openssl) sent through the
# gateway port with swaks.
#   - a fake multipart/encrypted whose second part is plain text with
#     機密性3A: 550 5.7.1 at the end of DATA, nothing at the sink;
#   - opaque-signed S/MIME (DER and -stream BER) with 機密性3A inside:
#     550 5.7.1, nothing at the sink;
#   - a fake multipart/encrypted carrying an .exe and a truncated
#     EnvelopedData: held (hold queue), nothing at the sink;
#   - real encryption (gpg --encrypt as PGP/MIME, openssl cms -encrypt
#     -stream): delivered once, body unchanged.
# Output: one line per assertion, "N passed, M failed" last.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

for t in postfix smtp-sink swaks sqlite3 jq postqueue; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done

sg_take_slot e2e1 e2e2 e2e3 e2e4
sg_state driver_pid $$
sg_install_traps

FX=$SG_SRCDIR/tests/fixtures/crypt
SENDER=tanaka@$SG_INTERNAL
VENDOR=t.yamada@sakura-sys.example
M=$SG_BASE/mail
mkdir -p "$M"

pf_setup
milter_setup
sink_start
pf_start
milter_start || die "milter did not start"

# send NAME: the fixture NAME.eml with X-E2E-Id: cr-NAME through the
# gateway; sets QID and REPLY.
send() {
	{ echo "X-E2E-Id: cr-$1"; cat "$FX/$1.eml"; } >"$M/$1.eml"
	sg_swaks "$SG_GW_PORT" "$SENDER" "$VENDOR" "$M/$1.eml" "$SG_BASE/swaks-$1.txt"
	QID=$(swaks_qid "$SG_BASE/swaks-$1.txt")
	REPLY=$(swaks_data_reply "$SG_BASE/swaks-$1.txt")
}
sink_n() { grep -rlx "X-E2E-Id: cr-$1" "$SG_SINK" 2>/dev/null | grep -c .; }
sink_file() { grep -rlx "X-E2E-Id: cr-$1" "$SG_SINK" 2>/dev/null | head -1; }
settle() { pf_flush; wait_for 30 pf_queue_settled; sleep 1; }

REJECTED="pgpmime_fake_plain_3a smime_opaque_signed_der_3a smime_opaque_signed_ber_3a"
HELD="pgpmime_fake_exe smime_enveloped_truncated"
PASSED="pgpmime_encrypted smime_enveloped_ber"

for f in $REJECTED; do
	send "$f"
	check "$f: refused at the end of DATA with 550 5.7.1 ($REPLY)" \
		eval '[[ "$REPLY" == "550 5.7.1"* ]] && [ -z "$QID" ]'
done
declare -A HQID
for f in $HELD; do
	send "$f"
	HQID[$f]=$QID
	check "$f: accepted into the queue ($REPLY)" [ -n "$QID" ]
done
for f in $PASSED; do
	send "$f"
	check "$f: accepted ($REPLY)" eval '[[ "$REPLY" == "250 "* ]] && [ -n "$QID" ]'
done
settle
for f in $HELD; do
	check "$f: on hold (queue id ${HQID[$f]})" \
		eval '[ -n "${HQID[$f]}" ] && [ "$(pf_queue_name "${HQID[$f]}")" = hold ]'
	check "$f: a pending hold in the store" \
		eval '[ "$(sg_sql "SELECT status FROM holds WHERE queue_id = '"'"'${HQID[$f]}'"'"';")" = pending ]'
done
for f in $PASSED; do
	wait_for 20 eval '[ "$(sink_n "$f")" -ge 1 ]'
	check "$f: delivered exactly once" [ "$(sink_n "$f")" = 1 ]
	sf=$(sink_file "$f")
	check "$f: its encrypted body arrives unchanged" \
		eval '[ -n "$sf" ] && [ "$(as_delivered "$sf" | body_of /dev/stdin)" = "$(body_of "$M/$f.eml")" ]'
done
for f in $REJECTED $HELD; do
	check "$f: nothing at the sink" [ "$(sink_n "$f")" = 0 ]
done

milter_stop
check "the milter stops cleanly (status $MILTER_RC)" [ "$MILTER_RC" = 0 ]
check "no sanitizer report in the milter's stderr" milter_sanitizer_clean
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
