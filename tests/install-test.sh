#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install into a throwaway DESTDIR, then check the tree as a user of it
# would: every file where it belongs with its mode, the library's soname and
# exports, pkg-config compiling and linking a tiny program (shared and
# static) that runs, every public header compiling on its own, the man pages
# rendering, the DKMS sources building as dkms.conf says, and make uninstall
# taking away everything install put there.  Nothing outside DESTDIR is
# touched.
#
# The Makefile's install-check target runs it with VERSION, REL_VERSION,
# SONAME, KV (a kernel to build the DKMS sources for, may be empty) and MAKE
# in the environment.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${VERSION:?}" "${REL_VERSION:?}" "${SONAME:=libvmsig.so.0}" "${KV:=}" "${MAKE:=make}"
work=$(mktemp -d /tmp/vmsig-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest=$work/root
P=/usr/local
udevdir=$(pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)
dkmsdir=/usr/src/vmsig-$REL_VERSION

pass=0 fail=0
# check DESCRIPTION COMMAND...: one test case; output shown on failure.
check() {
	local what=$1
	shift
	if "$@" >"$work/log" 2>&1; then
		echo "ok install: $what"
		pass=$((pass + 1))
	else
		echo "not ok install: $what"
		sed 's/^/#   /' "$work/log" | tail -n 25
		fail=$((fail + 1))
	fi
}
# file PATH MODE: a regular file in the tree, with that octal mode.
file() {
	[ -f "$dest$1" ] && [ ! -L "$dest$1" ] || { echo "$1 missing"; return 1; }
	[ "$(stat -c %a "$dest$1")" = "$2" ] || { echo "$1 has mode $(stat -c %a "$dest$1")"; return 1; }
}
same() { file "$1" 644 && cmp "$top/$2" "$dest$1"; }
has() { grep -q -- "$2" "$dest$1" || { echo "$1 lacks '$2'"; return 1; }; }
pc() {
	PKG_CONFIG_PATH=$dest$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest \
		pkg-config "$@"
}

check "make install DESTDIR=..." $MAKE -C "$top" --no-print-directory install DESTDIR="$dest"

# ---------------------------------------------------------------- files --
check "shared library $P/lib/$SONAME" file $P/lib/$SONAME 644
check "libvmsig.so -> $SONAME" test "$(readlink "$dest$P/lib/libvmsig.so")" = "$SONAME"
check "static library" file $P/lib/libvmsig.a 644
for h in "$top"/lib/include/*.h; do
	check "header vmsig/${h##*/}" same $P/include/vmsig/${h##*/} lib/include/${h##*/}
done
check "uapi header linux/vmsig.h" same $P/include/linux/vmsig.h uapi/linux/vmsig.h
check "pkg-config file" file $P/lib/pkgconfig/libvmsig.pc 644
check "vmsigctl in sbin" file $P/sbin/vmsigctl 755
for m in vmsigctl.8 libvmsig.3 vmsig.4; do
	s=${m##*.}
	check "man page $m" file $P/share/man/man$s/$m 644
	check "man page $m carries the version" \
		bash -c "! grep -q @VERSION@ '$dest$P/share/man/man$s/$m' && grep -qF -- '$VERSION' '$dest$P/share/man/man$s/$m'"
	check "man page $m renders without warnings" \
		bash -c "out=\$(groff -man -ww -z -Tutf8 '$dest$P/share/man/man$s/$m' 2>&1); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
	check "man -l $m shows its NAME" \
		bash -c "MANWIDTH=80 man -l '$dest$P/share/man/man$s/$m' 2>/dev/null | grep -q '^NAME'"
done
check "udev rule in $udevdir/rules.d" file "$udevdir/rules.d/60-vmsig.rules" 644
check "udev rule gives /dev/vmsig to group vmsig" \
	has "$udevdir/rules.d/60-vmsig.rules" 'KERNEL=="vmsig", GROUP="vmsig", MODE="0660"'
check "DKMS sources in $dkmsdir" file $dkmsdir/Kbuild 644
check "dkms.conf names this version" has $dkmsdir/dkms.conf "^PACKAGE_VERSION=\"$REL_VERSION\"$"
check "dkms.conf refuses kernels without KVM" has $dkmsdir/dkms.conf '^BUILD_EXCLUSIVE_CONFIG=.*CONFIG_KVM'
check "DKMS VERSION file holds the module version" \
	test "$(cat "$dest$dkmsdir/VERSION")" = "$VERSION"
# Everything installed is accounted for above: nothing strays elsewhere.
check "nothing installed outside $P, $dkmsdir and $udevdir" \
	bash -c "cd '$dest' && ! find . \( -type f -o -type l \) | sed 's|^\.||' |
		grep -v -e '^$P/' -e '^$dkmsdir/' -e '^$udevdir/rules.d/'"

# -------------------------------------------------------------- library --
so=$dest$P/lib/$SONAME
check "soname is $SONAME" bash -c "readelf -d '$so' | grep -q 'Library soname: \[$SONAME\]'"
check "only vmsig_* symbols are exported, all versioned" bash -c "
	syms=\$(objdump -T '$so' | awk '\$2 == \"g\" && \$4 != \"*UND*\" { print \$NF, \$(NF-1) }')
	[ -n \"\$syms\" ] || exit 1
	echo \"\$syms\" | grep -v -e '^vmsig_[a-z0-9_]* LIBVMSIG_' -e '^LIBVMSIG_[0-9.]* LIBVMSIG_' && exit 1
	echo \"\$syms\" | grep -q '^vmsig_feature_name '"

check "pkg-config --modversion is $REL_VERSION" test "$(pc --modversion libvmsig)" = "$REL_VERSION"
check "pkg-config --cflags points into the tree" \
	bash -c "PKG_CONFIG_PATH='$dest$P/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' \
		pkg-config --cflags libvmsig | grep -qF -- '-I$dest$P/include/vmsig'"

cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <vmsig.h>
#include <vmsig_names.h>

int main(void)
{
	printf("%s %s %u\n", vmsig_version(), vmsig_feature_name(0),
	       VMSIG_ABI_VERSION);
	return 0;
}
C
want="$VERSION handshake 1"
check "a program compiles and links with pkg-config" bash -c "
	cc -std=c11 -Wall -Wextra -Werror -o '$work/hello' '$work/hello.c' \
		\$(PKG_CONFIG_PATH='$dest$P/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' \
		  pkg-config --cflags --libs libvmsig)"
check "it runs against the installed library and prints '$want'" bash -c "
	out=\$(LD_LIBRARY_PATH='$dest$P/lib' '$work/hello') && echo \"\$out\" &&
	[ \"\$out\" = '$want' ] &&
	LD_LIBRARY_PATH='$dest$P/lib' ldd '$work/hello' | grep -qF '$so'"
check "it links statically with pkg-config --static" bash -c "
	cc -std=c11 -Wall -Wextra -Werror -o '$work/hello-static' '$work/hello.c' \
		\$(PKG_CONFIG_PATH='$dest$P/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' \
		  pkg-config --cflags libvmsig) '$dest$P/lib/libvmsig.a' \
		\$(PKG_CONFIG_PATH='$dest$P/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' \
		  pkg-config --static --libs-only-l libvmsig | sed 's/-lvmsig//') &&
	! ldd '$work/hello-static' | grep -q libvmsig &&
	[ \"\$('$work/hello-static')\" = '$want' ]"
for h in "$dest$P"/include/vmsig/*.h; do
	check "header ${h##*/} compiles on its own" bash -c "
		echo '#include <${h##*/}>' | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c - \
			\$(PKG_CONFIG_PATH='$dest$P/lib/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$dest' \
			  pkg-config --cflags libvmsig)"
done
check "installed vmsigctl --version says $VERSION" \
	bash -c "'$dest$P/sbin/vmsigctl' --version | grep -qF 'vmsigctl $VERSION '"
check "installed vmsigctl --help exits 0" "$dest$P/sbin/vmsigctl" --help

# ----------------------------------------------------------------- DKMS --
# Build the installed sources the way dkms.conf tells DKMS to: a copy in
# DKMS's tree layout, MAKE[0] evaluated with DKMS's variables.
dkms_build() {
	local kernel_source_dir=/lib/modules/$KV/build dkms_tree=$work/dkms
	local PACKAGE_NAME PACKAGE_VERSION BUILD_EXCLUSIVE_CONFIG MAKE
	local build=$dkms_tree/vmsig/$REL_VERSION/build
	mkdir -p "$(dirname "$build")"
	cp -r "$dest$dkmsdir" "$build"
	# shellcheck disable=SC1090
	. "$build/dkms.conf"
	[ "$PACKAGE_NAME/$PACKAGE_VERSION" = "vmsig/$REL_VERSION" ] || return 1
	for c in $BUILD_EXCLUSIVE_CONFIG; do
		grep -Eq "^$c=[ym]" "$kernel_source_dir/.config" || { echo "$KV lacks $c"; return 1; }
	done
	(cd "$build" && eval "${MAKE[0]}") || return 1
	[ "$(modinfo -F version "$build/vmsig.ko")" = "$VERSION" ] || { echo "module version"; return 1; }
	modinfo -F vermagic "$build/vmsig.ko" | grep -q "^$KV " || { echo "vermagic"; return 1; }
}
if [ -n "$KV" ] && [ -d "/lib/modules/$KV/build" ]; then
	check "the DKMS sources build for $KV as dkms.conf says" dkms_build
else
	echo "# install: no kernel headers given (KV), DKMS build not tried"
fi

# ------------------------------------------------------------ uninstall --
check "make uninstall DESTDIR=..." $MAKE -C "$top" --no-print-directory uninstall DESTDIR="$dest"
check "uninstall left no file or link behind" \
	bash -c "left=\$(find '$dest' \( -type f -o -type l \)); [ -z \"\$left\" ] || { echo \"\$left\"; exit 1; }"

# PREFIX=/usr puts the uapi header beside the system's.
dest2=$work/root-usr
check "make install PREFIX=/usr" $MAKE -C "$top" --no-print-directory install PREFIX=/usr DESTDIR="$dest2"
check "PREFIX=/usr: /usr/include/linux/vmsig.h, /usr/lib/$SONAME, prefix=/usr" bash -c "
	[ -f '$dest2/usr/include/linux/vmsig.h' ] && [ -f '$dest2/usr/lib/$SONAME' ] &&
	grep -qx 'prefix=/usr' '$dest2/usr/lib/pkgconfig/libvmsig.pc'"
check "make uninstall PREFIX=/usr leaves nothing" bash -c "
	$MAKE -C '$top' --no-print-directory uninstall PREFIX=/usr DESTDIR='$dest2' &&
	[ -z \"\$(find '$dest2' \( -type f -o -type l \))\" ]"

echo "install-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
