#!/bin/sh
# NAME
#	run.sh - the build tracks its headers, honours the builder's flags,
#	is hardened, and stops on a missing package
# SYNOPSIS
#	SG_SRCDIR=REPO sh tests/make/run.sh     (after `make` and the test build)
# DESCRIPTION
#	Asks make what it would do (make -n, -W FILE pretends FILE changed),
#	so nothing is rebuilt, and reads the built binaries with readelf/nm:
#	- a header change rebuilds the objects that include it, not all;
#	- CPPFLAGS, CFLAGS and LDFLAGS reach the compile and link lines;
#	- the shipped binaries are linked with full RELRO and BIND_NOW, call
#	  the fortified (_chk) functions and the stack protector;
#	- the ASan+UBSan build has no _FORTIFY_SOURCE (the _chk variants
#	  would bypass ASan's interceptors);
#	- a package pkg-config cannot find stops make with its name;
#	- the engine builds with -Wconversion (and -Werror);
#	- the engine is a pure library (ARCHITECTURE.md): no engine object
#	  calls a function that makes or talks to a process, a socket or a
#	  signal (the PDF reader runs in milter/pdfpool, given to the engine
#	  by its caller).
#	Prints "ok - ..." or "FAIL - ..." per check; exits 1 on a failure.

set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC" || exit 2
PASS=0 FAIL=0
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sg-build.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

BINS="build/sendguard-milter build/sendguardctl build/sendguard-web"
TBINS="build/test/sendguard-milter build/test/sendguardctl"
make -s $BINS $TBINS >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; echo "FAIL - make"; exit 1; }

# --- header dependencies -----------------------------------------------------
nobj=$(make -n -W milter/util/sg_buf.c $BINS | grep -c -- ' -c -o build/obj/')
[ "$nobj" = 1 ] && ok "a changed source rebuilds its object only" ||
	nok "a changed source rebuilds $nobj objects"
all=$(find build/obj -name '*.o' | wc -l)
for h in milter/engine/eng_pdf.h milter/daemon/mlt.h milter/web/web_int.h; do
	users=$(grep -l "include \"$(echo "$h" | sed 's|milter/||')\"" milter/*/*.c milter/*/*.h | wc -l)
	n=$(make -n -W "$h" $BINS | grep -c -- ' -c -o build/obj/')
	if [ "$n" -gt 0 ] && [ "$n" -lt "$all" ]; then
		ok "touching $h rebuilds $n of $all objects"
	else
		nok "touching $h rebuilds $n of $all objects (files naming it: $users)"
	fi
done
n=$(make -n -W milter/engine/eng_pdf.h $TBINS | grep -c -- ' -c -o build/test/obj/')
[ "$n" -gt 0 ] && ok "the test build tracks headers too ($n objects for eng_pdf.h)" ||
	nok "the test build does not rebuild after a header change"
n=$(make -n -W milter/util/sg_buf.h $BINS | grep -c -- ' -c -o build/obj/')
[ "$n" -gt 0 ] && ok "a header of every layer (sg_buf.h) rebuilds its $n users" ||
	nok "sg_buf.h is not tracked"

# --- the builder's flags -----------------------------------------------------
make -n -B build/sendguardctl CPPFLAGS=-DSG_PROBE_CPP CFLAGS="-O2 -DSG_PROBE_CFLAGS" \
	LDFLAGS=-Wl,--sg-probe-ld >"$TMP/n" 2>&1
grep -- ' -c -o build/obj/' "$TMP/n" | grep -v -- -DSG_PROBE_CPP | head -1 >"$TMP/x"
[ ! -s "$TMP/x" ] && grep -q -- -DSG_PROBE_CPP "$TMP/n" && ok "CPPFLAGS reach every compile" ||
	nok "CPPFLAGS missing: $(cat "$TMP/x")"
grep -- ' -c -o build/obj/' "$TMP/n" | grep -v -- -DSG_PROBE_CFLAGS | head -1 >"$TMP/x"
[ ! -s "$TMP/x" ] && ok "CFLAGS reach every compile" || nok "CFLAGS missing: $(cat "$TMP/x")"
grep -- '-o build/sendguardctl ' "$TMP/n" | grep -q -- -Wl,--sg-probe-ld &&
	ok "LDFLAGS reach the link" || nok "LDFLAGS do not reach the link of sendguardctl"
make -n -B build/test/sendguardctl CPPFLAGS=-DSG_PROBE_CPP >"$TMP/n" 2>&1
grep -- ' -c -o build/test/obj/' "$TMP/n" | grep -v -- '-DSG_PROBE_CPP.*-U_FORTIFY_SOURCE' | head -1 >"$TMP/x"
[ ! -s "$TMP/x" ] && ok "the sanitizer build takes CPPFLAGS, then -U_FORTIFY_SOURCE" ||
	nok "sanitizer compile line: $(cat "$TMP/x")"

# --- -Wconversion in the engine -------------------------------------------
make -n -B build/sendguardctl >"$TMP/n" 2>&1
grep -- ' -c -o build/obj/milter/engine/' "$TMP/n" | grep -v -- -Wconversion | head -1 >"$TMP/x"
[ ! -s "$TMP/x" ] && grep -q -- ' -c -o build/obj/milter/engine/.*' "$TMP/n" &&
	ok "every engine object builds with -Wconversion" ||
	nok "engine compile line without -Wconversion: $(cat "$TMP/x")"

# --- hardening of what ships -------------------------------------------------
for b in $BINS; do
	readelf -lW "$b" | grep -q GNU_RELRO && readelf -dW "$b" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' &&
		ok "$b: full RELRO (relro, now)" || nok "$b: not linked with -z relro -z now"
	nm -D "$b" | grep -Eq ' U __[a-z0-9_]+_chk(@|$)' && nm -D "$b" | grep -q ' U __stack_chk_fail' &&
		ok "$b: fortified calls and the stack protector" ||
		nok "$b: no _chk calls or no __stack_chk_fail"
done
for b in $TBINS; do
	if nm -D "$b" | grep -E ' U __[a-z0-9_]+_chk(@|$)' | grep -v __stack_chk_fail | grep -q .; then
		nok "$b: the sanitizer build calls fortified functions"
	else
		ok "$b: the sanitizer build is not fortified"
	fi
done

# --- the engine is a pure library ------------------------------------------
# What would put processes, sockets or signals inside the engine: the
# functions that make or reach them. (Files are allowed: the rule files
# at load time, and an unlinked scratch file for large decoded parts.)
IPC='socket|socketpair|connect|accept|accept4|bind|listen|send|sendto|sendmsg|recv|recvfrom|recvmsg|poll|ppoll|select|pselect|epoll_wait|fork|vfork|posix_spawn|posix_spawnp|execv|execve|execvp|execl|execlp|system|popen|waitpid|wait|wait4|kill|pipe|pipe2|signal|sigaction|pthread_sigmask|sigprocmask|setrlimit|dlopen'
bad=$(for o in build/obj/milter/engine/*.o; do
	nm -u "$o" | awk '{print $2}' | sed 's/@.*//' | grep -xE "$IPC" | sed "s|^|$(basename "$o"): |"
done)
[ -n "$(ls build/obj/milter/engine/*.o 2>/dev/null)" ] && [ -z "$bad" ] &&
	ok "no engine object makes or reaches a process, socket or signal" ||
	nok "the engine does process/socket/signal work: $(echo $bad)"

# --- a missing package -------------------------------------------------------
make -n build/sendguardctl PKGS="gmime-3.0 sg-no-such-package" >"$TMP/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'sg-no-such-package' "$TMP/out" && ! grep -q ' -c -o ' "$TMP/out" &&
	ok "a missing pkg-config package stops make, named: $(grep -o 'pkg-config cannot.*' "$TMP/out" | head -1)" ||
	nok "make with a missing package: rc=$rc, $(head -3 "$TMP/out")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
