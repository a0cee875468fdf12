#!/bin/bash
#
# NAME
#	tests/valgrind/run.sh - memcheck over the engine and the milter
# SYNOPSIS
#	make valgrind
# DESCRIPTION
#	The sanitizer build of `make test` catches memory errors as they
#	happen; this is the other half of "valgrind-clean": the programs
#	as shipped (-O1, no sanitizer; PCRE2's JIT left out, since memcheck
#	cannot follow generated code), under valgrind's memcheck:
#	  1. sendguardctl check over every committed fixture message
#	     (tests/fixtures/**.eml: Office, PDF, archives, OpenPGP/CMS,
#	     charsets, malformed mail);
#	  2. the milter under the miltertest protocol tests and the
#	     end-to-end tests on the private Postfix (tests/miltertest,
#	     tests/e2e/run.sh), through a wrapper that runs it in valgrind.
#	Fails when valgrind reports an error or a definite leak in any
#	run (tests/valgrind/ld.supp: a glibc loader report, explained
#	there). Not part of `make test`: about 15 minutes on 2 cores.
#	Reports go to $SG_TEST_ROOT/valgrind/.
here=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$here/../.." && pwd)
VG=${SG_VG_BUILD:-$SRC/build/vg}
OUT=${SG_TEST_ROOT:-/var/tmp/sendguard-tests}/valgrind
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null 2>&1 ||
	{ echo "valgrind: not installed and apt-get failed" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/logs"
chmod 1777 "$OUT/logs"
VGOPTS="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
--show-leak-kinds=definite --suppressions=$here/ld.supp"

fail=0 n=0
# 1. the engine over every fixture
CONF=$SRC/conf/sendguard.conf	# the tree's rules (dir = ../rules)
while IFS= read -r f; do
	n=$((n + 1))
	valgrind $VGOPTS --log-file="$OUT/logs/check.$n" "$VG/sendguardctl" -c "$CONF" \
		check --json "$f" >/dev/null 2>&1
	if [ $? = 99 ] || [ -s "$OUT/logs/check.$n" ]; then
		echo "FAIL valgrind: check $f (log $OUT/logs/check.$n)"
		fail=$((fail + 1))
	fi
done < <(find "$SRC/tests/fixtures" -name '*.eml' | sort)
echo "valgrind: sendguardctl check over $n fixture messages: $fail with reports"

# 2. the milter, through a wrapper
W=$OUT/milter.sh
cat >"$W" <<EOW
#!/bin/sh
exec valgrind $VGOPTS --log-file=$OUT/logs/milter.%p "$VG/sendguard-milter" "\$@"
EOW
chmod 755 "$W"
export SG_SRCDIR=$SRC SG_MILTER=$W SG_CTL=${SG_CTL:-$SRC/build/sendguardctl}
for t in tests/miltertest/run.sh tests/e2e/run.sh; do
	echo "== $t (milter under valgrind)"
	bash "$SRC/$t" >"$OUT/$(basename "$(dirname "$t")").out" 2>&1 ||
		{ echo "FAIL $t: $(tail -1 "$OUT/$(basename "$(dirname "$t")").out")"; fail=$((fail + 1)); }
	tail -1 "$OUT/$(basename "$(dirname "$t")").out"
done
bad=$(grep -l '==[0-9]*== [A-Z]' "$OUT"/logs/milter.* 2>/dev/null | grep -c .)
echo "valgrind: milter runs with reports: $bad"
[ "$bad" = 0 ] || { grep -l '==[0-9]*== [A-Z]' "$OUT"/logs/milter.*; fail=$((fail + 1)); }
[ "$fail" = 0 ] && echo "valgrind: clean" || { echo "valgrind: $fail failures"; exit 1; }
