#!/bin/sh
# README's configuration reference must be exactly what the option table
# says (sendguardctl config --reference): README is kept true by a test.
# With --update, rewrite README instead of checking it.
set -eu
src=${SG_SRCDIR:-.}
ctl=${SG_CTL:-$src/build/sendguardctl}
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.new"' EXIT
"$ctl" config --reference > "$tmp"
awk -v ref="$tmp" '
	/<!-- BEGIN CONFIG REFERENCE -->/ { print; while ((getline l < ref) > 0) print l; skip = 1; next }
	/<!-- END CONFIG REFERENCE -->/ { skip = 0 }
	!skip { print }
' "$src/README.md" > "$tmp.new"
if [ "${1:-}" = "--update" ]; then
	cp "$tmp.new" "$src/README.md"
	echo "README.md: configuration reference updated"
elif cmp -s "$tmp.new" "$src/README.md"; then
	echo "ok README configuration reference matches the option table"
	echo "1 passed, 0 failed"
else
	echo "FAIL README configuration reference differs from the option table:"
	diff "$src/README.md" "$tmp.new" || true
	echo "run: make readme"
	echo "0 passed, 1 failed"
	exit 1
fi
