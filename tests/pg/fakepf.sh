#!/bin/sh
# NAME
#	fakepf.sh - a Postfix queue of a few files, for tests/pg/gateway.sh
# SYNOPSIS
#	fakepf.sh postqueue|postsuper|postcat|postconf|postkick -c DIR ARGS...
# DESCRIPTION
#	DIR/queue holds one line per queue file: "QID QUEUE HOLDID". The
#	commands answer as Postfix's do for what sendguardctl apply and
#	reconcile ask (postqueue -j, postsuper -H/-d/-h ID hold, postcat
#	-hq ID, postconf -h NAME) and log each change to DIR/actions, so
#	that a test sees which queue files a gateway touched.
cmd=$1; shift
[ "$1" = -c ] || { echo "fakepf: no -c" >&2; exit 2; }
dir=$2; shift 2
q=$dir/queue
touch "$q"
set_queue() {	# set_queue QID NEWQUEUE|gone
	awk -v id="$1" -v to="$2" '$1 == id { if (to == "gone") next; $2 = to } { print }' \
		"$q" > "$q.new" && mv "$q.new" "$q"
}
case $cmd in
postqueue)
	[ "$1" = -j ] || exit 0
	awk '{ printf "{\"queue_name\":\"%s\",\"queue_id\":\"%s\",\"sender\":\"taro@example.lg.jp\"}\n", $2, $1 }' "$q"
	;;
postsuper)
	op=$1 id=$2
	if ! grep -q "^$id " "$q"; then
		echo "postsuper: $id: No such file" >&2
		case $op in -H) echo "postsuper: Released from hold: 0 messages" >&2 ;;
		-d) echo "postsuper: Deleted: 0 messages" >&2 ;;
		-h) echo "postsuper: Placed on hold: 0 messages" >&2 ;; esac
		exit 0
	fi
	echo "$op $id" >> "$dir/actions"
	case $op in
	-H) set_queue "$id" active; echo "postsuper: Released from hold: 1 message" >&2 ;;
	-d) set_queue "$id" gone; echo "postsuper: Deleted: 1 message" >&2 ;;
	-h) set_queue "$id" hold; echo "postsuper: Placed on hold: 1 message" >&2 ;;
	esac
	;;
postcat)
	id=$3
	line=$(grep "^$id " "$q") || { echo "postcat: fatal: open queue file $id: No such file or directory" >&2; exit 1; }
	printf 'From: taro@example.lg.jp\nX-Sendguard-Hold: %s\n' "$(echo "$line" | cut -d' ' -f3)"
	;;
postconf)
	echo 5d
	;;
*)
	exit 0
	;;
esac
