#!/bin/sh
#
# tests/sendmail/submit.sh - [notify] sendmail for the Sendmail tests.
#
#   submit.sh HOST:PORT -f FROM -i -- RCPT...   < message
#
# The milter submits its notices with `[notify] sendmail` plus -f FROM
# -i -- RCPT... (milter/notify/ntf_submit.c), as the service user. On a
# Sendmail host that is /usr/sbin/sendmail, the submission program,
# which hands the mail to the MTA over SMTP on localhost. The test's
# unpacked Sendmail cannot be that for a non-root user (no set-group-id
# install, no smmsp user, no queue it may write), so this does the same
# hand-over with swaks: one SMTP transaction to the test gateway, which
# runs the milter on the notice as on any mail. Exit status non-zero
# when the gateway does not accept it.

server=$1
shift
from="" rcpts=""
while [ $# -gt 0 ]; do
	case $1 in
	-f) from=$2; shift 2 ;;
	-i) shift ;;
	--) shift; break ;;
	*) echo "submit.sh: unexpected argument: $1" >&2; exit 64 ;;
	esac
done
for r in "$@"; do rcpts="${rcpts:+$rcpts,}$r"; done
[ -n "$rcpts" ] || { echo "submit.sh: no recipients" >&2; exit 64; }
exec swaks --server "${server%:*}" --port "${server##*:}" --helo notices.sendguard.test \
	--from "$from" --to "$rcpts" --data - --suppress-data --silent 2 --timeout 60 >/dev/null
