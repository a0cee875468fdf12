#!/bin/sh
#
# tests/sendmail/fetch.sh - a Sendmail for the tests, unpacked, not installed.
#
# Debian's sendmail-bin conflicts with postfix as an installed package,
# and the Postfix end-to-end tests need postfix installed. So the
# Sendmail tests run Debian's own Sendmail binaries and m4 files from
# the .deb files, unpacked with dpkg-deb -x into a cache directory;
# nothing is installed system-wide but the libraries sendmail-bin links
# with that a Postfix host lacks (libwrap0, liblockfile1) and m4, which
# conflict with nothing.
#
#   sh tests/sendmail/fetch.sh          prints the cache directory
#
# The cache is $SG_SENDMAIL_ROOT (default /var/tmp/sendguard-sendmail/
# VERSION, VERSION being the candidate version apt offers), kept across
# `make clean` and shared by checkouts: the download happens once per
# machine and Sendmail version. It holds usr/libexec/sendmail/sendmail
# and usr/share/sendmail/cf/. A ".complete" file marks a finished
# unpack, so an interrupted run is redone, never half used; concurrent
# runs wait for each other (flock).
#
# Needs root on a machine without the cache (apt-get). Exit status 0
# with the directory on stdout, non-zero with a message on stderr.

set -eu

PKGS="sendmail-bin sendmail-base sendmail-cf"
# What sendmail-bin links with or runs, beyond what a Postfix host has.
RUNTIME="m4 libwrap0 liblockfile1 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3"

die() { echo "tests/sendmail/fetch.sh: $*" >&2; exit 1; }

version() {
	apt-cache policy sendmail-bin 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -1
}

ver=$(version)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	[ "$(id -u)" = 0 ] || die "apt knows no sendmail-bin; run as root (apt-get update)"
	apt-get update -qq >/dev/null || die "apt-get update failed"
	ver=$(version)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no sendmail-bin package in apt's sources"
fi
root=${SG_SENDMAIL_ROOT:-/var/tmp/sendguard-sendmail/$(echo "$ver" | tr ':~+' '___')}

missing_runtime() {
	for p in $RUNTIME; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

install_runtime() {
	m=$(missing_runtime)
	[ -z "$m" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages: $m (run as root)"
	echo "tests/sendmail/fetch.sh: installing $m" >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $m >/dev/null ||
		{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq $m >/dev/null; } || die "apt-get install $m failed"
}

unpack() {
	tmp=$root.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp/debs"
	# apt-get download writes into the current directory as user _apt
	# when it can; a root-only directory only earns a warning.
	chmod 755 "$tmp" "$tmp/debs"
	# shellcheck disable=SC2086
	(cd "$tmp/debs" && apt-get download -qq $PKGS 2>/dev/null) ||
		{ apt-get update -qq >/dev/null &&
		  (cd "$tmp/debs" && apt-get download -qq $PKGS 2>/dev/null); } ||
		die "apt-get download $PKGS failed"
	for d in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$d" "$tmp/root" || die "dpkg-deb -x $d failed"
	done
	[ -x "$tmp/root/usr/libexec/sendmail/sendmail" ] ||
		die "no usr/libexec/sendmail/sendmail in $PKGS $ver"
	[ -f "$tmp/root/usr/share/sendmail/cf/m4/cf.m4" ] ||
		die "no usr/share/sendmail/cf/m4/cf.m4 in sendmail-cf $ver"
	rm -rf "$root"
	mv "$tmp/root" "$root"
	rm -rf "$tmp"
	echo "$ver" >"$root/.complete"
}

install_runtime
mkdir -p "$(dirname "$root")"
(
	flock -w 600 8 || die "another fetch holds $root.lock"
	[ -f "$root/.complete" ] || unpack
) 8>"$root.lock"
# Not a trial run: Sendmail may sleep 60 s at start on a host whose
# name does not resolve (tests/sendmail/lib.sh).
if ldd "$root/usr/libexec/sendmail/sendmail" | grep -q 'not found'; then
	die "$root/usr/libexec/sendmail/sendmail: $(ldd "$root/usr/libexec/sendmail/sendmail" | grep 'not found' | tr '\n' ' ')"
fi
echo "$root"
