#!/bin/bash
# NAME
#	lanes.sh - run test scripts a few at a time, print each one whole
# SYNOPSIS
#	bash tests/make/lanes.sh [-j LANES] [-f SCRIPT]... [-c SCRIPT]... [--] ITEM...
#	ITEM: "[VAR=VALUE ...] SCRIPT [ARG ...]" (one word for make)
# DESCRIPTION
#	For `make e2e` and `make fault-tests`. Their scripts mostly wait
#	(sleeps, Postfix queue runs, timers), not compute, and each takes a
#	private Postfix slot of its own (sg_take_slot e2e1..e2e4,
#	tests/e2e/lib.sh), so a few can run at once. At most LANES (default
#	3; keep it at or below the four e2e slots) run at the same time;
#	when one ends the next starts. The scripts named with -f start
#	first, in the order given (the long ones: a lane of their own while
#	the short ones share the rest); the others then in ITEM order.
#	The scripts named with -c are CPU-bound (hundreds of messages
#	through the sanitizer build): never two of them at once, since on a
#	2-core machine two of them together take longer than one after the
#	other; while one runs, the next script that is not -c starts
#	instead.
#
#	Each script's output (stdout and stderr) goes to a file. Output is
#	printed in ITEM order, each script whole under its "== SCRIPT" line,
#	as soon as it and every script before it have ended; so the log
#	reads as if they had run one after another, with their own
#	"N passed, M failed" lines. A table of each script's status,
#	seconds and CPU seconds (its own and its children's, as far as
#	they were waited for: not Postfix's) comes next, and last each
#	failed script's FAIL lines again (its last lines when it has
#	none), since CI keeps only the end of a log.
#
#	An ITEM's leading VAR=VALUE words are added to its environment; the
#	script runs with bash.
# EXIT STATUS
#	0 when every script exited 0; 1 when one did not; 2 on bad usage.
#	On SIGINT or SIGTERM the running scripts get SIGTERM (their EXIT
#	traps stop their Postfix, milter and sink) and lanes.sh exits 130.

# The whole script is one compound command, read before it runs: a
# checkout or rebase that rewrites this file during a run does not
# change what the running copy does next.
{
set -u
J=3
FIRST=()
HEAVY=" "
while [ $# -gt 0 ]; do
	case $1 in
	-j) J=${2:?-j needs a number}; shift 2 ;;
	-f) FIRST+=("${2:?-f needs a script}"); shift 2 ;;
	-c) HEAVY="$HEAVY${2:?-c needs a script} "; shift 2 ;;
	--) shift; break ;;
	-*) echo "lanes.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
case $J in '' | *[!0-9]* | 0) echo "lanes.sh: -j wants a positive number" >&2; exit 2 ;; esac
[ $# -gt 0 ] || { echo "lanes.sh: no script to run" >&2; exit 2; }

ITEMS=("$@")
N=${#ITEMS[@]}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/sg-lanes.XXXXXX") || exit 2

# script_of ITEM: the first word that is not VAR=VALUE.
script_of() {
	local w
	for w in $1; do
		case $w in [A-Za-z_]*=*) ;; *) echo "$w"; return ;; esac
	done
}

# The start order: the -f scripts (in -f order), then the rest.
ORDER=()
declare -A queued=()
for f in "${FIRST[@]}"; do
	for i in "${!ITEMS[@]}"; do
		[ "$(script_of "${ITEMS[$i]}")" = "$f" ] && [ -z "${queued[$i]:-}" ] &&
			{ ORDER+=("$i"); queued[$i]=1; }
	done
done
for i in "${!ITEMS[@]}"; do
	[ -n "${queued[$i]:-}" ] || ORDER+=("$i")
done

declare -A PID=()
RUNNING=0

start() {
	local i=$1 item=${ITEMS[$1]} envs=() args=() w seen=0
	for w in $item; do
		if [ $seen = 0 ]; then
			case $w in [A-Za-z_]*=*) envs+=("$w"); continue ;; esac
		fi
		seen=1
		args+=("$w")
	done
	(
		t0=$(date +%s)
		env ${envs[@]+"${envs[@]}"} bash "${args[@]}" </dev/null >"$LOGS/$i.log" 2>&1
		rc=$?
		echo "$(($(date +%s) - t0))" >"$LOGS/$i.secs"
		# children's user and system time: the second line of times
		# (in this shell, not a pipe's: a forked shell counts none)
		times >"$LOGS/$i.times"
		sed -n '2s/^\([0-9]*\)m\([0-9]*\)[.0-9]*s \([0-9]*\)m\([0-9]*\)[.0-9]*s$/\1 \2 \3 \4/p' "$LOGS/$i.times" |
			{ read -r um us sm ss && echo $((um * 60 + us + sm * 60 + ss)); } >"$LOGS/$i.cpu"
		echo "$rc" >"$LOGS/$i.rc"
	) &
	PID[$i]=$!
	RUNNING=$((RUNNING + 1))
}

stop_all() {
	trap - INT TERM
	local i
	for i in "${!PID[@]}"; do
		[ -e "$LOGS/$i.rc" ] && continue
		# the subshell's child (bash SCRIPT) runs the script's traps
		pkill -TERM -P "${PID[$i]}" 2>/dev/null
	done
	wait
	echo "lanes.sh: interrupted; output so far in $LOGS" >&2
	exit 130
}
trap stop_all INT TERM

is_heavy() { case $HEAVY in *" $(script_of "${ITEMS[$1]}") "*) return 0 ;; esac; return 1; }
# heavy_running: a -c script has started and not ended
heavy_running() {
	local i
	for i in "${!PID[@]}"; do
		[ -e "$LOGS/$i.rc" ] || ! is_heavy "$i" || return 0
	done
	return 1
}
# start_next: start the first script of ORDER not started yet that may
# start now; 1 when there is none.
declare -A STARTED=()
start_next() {
	local k i
	for k in "${!ORDER[@]}"; do
		i=${ORDER[$k]}
		[ -z "${STARTED[$i]:-}" ] || continue
		if is_heavy "$i" && heavy_running; then continue; fi
		STARTED[$i]=1
		start "$i"
		return 0
	done
	return 1
}

FAILED=0
printed=0
while [ $printed -lt "$N" ]; do
	while [ $RUNNING -lt "$J" ] && start_next; do :; done
	# one subshell ended (or a signal came: the trap runs)
	wait -n
	if [ $? = 127 ]; then
		# no child left, yet some never wrote a status (killed with
		# SIGKILL): count them as failed rather than wait forever
		for i in "${!PID[@]}"; do
			[ -e "$LOGS/$i.rc" ] || { echo 137 >"$LOGS/$i.rc"; echo "?" >"$LOGS/$i.secs"; }
		done
	fi
	RUNNING=0
	for i in "${!PID[@]}"; do
		[ -e "$LOGS/$i.rc" ] || RUNNING=$((RUNNING + 1))
	done
	while [ $printed -lt "$N" ] && [ -e "$LOGS/$printed.rc" ]; do
		echo "== $(script_of "${ITEMS[$printed]}")"
		cat "$LOGS/$printed.log"
		[ "$(cat "$LOGS/$printed.rc")" = 0 ] || FAILED=$((FAILED + 1))
		printed=$((printed + 1))
	done
done
wait

echo "== lanes ($J at once): seconds, CPU seconds and status per script"
for i in "${!ITEMS[@]}"; do
	rc=$(cat "$LOGS/$i.rc")
	printf '   %-36s %5s s %5s s CPU  %s\n' "$(script_of "${ITEMS[$i]}")" "$(cat "$LOGS/$i.secs")" \
		"$(cat "$LOGS/$i.cpu" 2>/dev/null)" "$([ "$rc" = 0 ] && echo ok || echo "FAIL (exit $rc)")"
done
# CI shows only the end of the log: repeat each failed script's failed
# checks (and its last lines, for a script that died without one) here.
for i in "${!ITEMS[@]}"; do
	[ "$(cat "$LOGS/$i.rc")" = 0 ] && continue
	echo "== failed in $(script_of "${ITEMS[$i]}"):"
	if grep -q '^\(not ok\|FAIL\)' "$LOGS/$i.log"; then
		grep '^\(not ok\|FAIL\)' "$LOGS/$i.log" | head -20
	else
		tail -n 10 "$LOGS/$i.log"
	fi
done
rm -rf "$LOGS"
[ "$FAILED" = 0 ]
exit
}
