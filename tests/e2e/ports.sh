# shellcheck shell=bash
#
# NAME
#	tests/e2e/ports.sh - free loopback ports, reserved machine-wide
# SYNOPSIS
#	. tests/e2e/ports.sh; sg_pick_port VAR; sg_free_ports
# DESCRIPTION
#	Sourced by tests/e2e/lib.sh and tests/pg (lib.sh, run.sh): every
#	script that listens on a loopback port picks it here, so that two
#	scripts running side by side cannot pick the same one.

SG_PORTS_TAKEN=${SG_PORTS_TAKEN:-}

# sg_pick_port VAR: a free TCP port on 127.0.0.1, not yet handed out,
# below the kernel's ephemeral range (client connections, thousands of
# them in the bench, would otherwise take it between check and bind),
# and used by no socket in any state. Scripts run side by side (make
# e2e's lanes, other checkouts' tests): a port picked here and not yet
# bound is invisible to ss, so each pick is also reserved machine-wide
# in SG_PORT_DIR (mkdir is atomic), owned by this slot; taking the slot
# again frees its old reservations (sg_free_ports).
SG_PORT_DIR=${SG_PORT_DIR:-/var/tmp/sendguard-ports}
sg_port_owner() { echo "${SG_TEST_ROOT:-}/${SG_SLOT:-pid$$}"; }
sg_pick_port() {
	local p lo=10000 hi
	read -r hi _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || hi=32768
	[ "$hi" -gt $((lo + 1000)) ] || { lo=40000; hi=60000; }
	mkdir -p "$SG_PORT_DIR"
	while :; do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
		case " $SG_PORTS_TAKEN " in *" $p "*) continue ;; esac
		[ -n "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && continue
		mkdir "$SG_PORT_DIR/$p" 2>/dev/null || continue
		sg_port_owner >"$SG_PORT_DIR/$p/owner"
		SG_PORTS_TAKEN="$SG_PORTS_TAKEN $p"
		printf -v "$1" '%s' "$p"
		return 0
	done
}

# sg_free_ports: drop the reservations this slot (or a dead process
# without a slot) left in SG_PORT_DIR.
sg_free_ports() {
	local d o me
	me=$(sg_port_owner)
	for d in "$SG_PORT_DIR"/*/; do
		[ -f "$d/owner" ] || continue
		o=$(cat "$d/owner" 2>/dev/null)
		case $o in
		"$me") rm -rf "$d" ;;
		*/pid[0-9]*) kill -0 "${o##*/pid}" 2>/dev/null || rm -rf "$d" ;;
		esac
	done
}
