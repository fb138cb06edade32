#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the vmsig debug kernel: Debian's linux-source-6.1,
# `make tinyconfig` + vmsig-debug.config, KASAN, lockdep, kmemleak, UBSAN and
# KVM built in.
#
# usage: build.sh              build unless cached; print the tree's path
#        build.sh --print-dir  only print where the tree is (or will be)
#
# The tree lives outside the clone, in $VMSIG_CACHE/debug-kernel/<key>/linux
# (VMSIG_CACHE defaults to /var/cache/vmsig), so `make clean` and fresh
# clones keep it.  <key> hashes everything that changes the result: the
# fragment, the linux-source package version, the compiler and RECIPE below.
# A tree is used only once its DONE stamp exists (written last), so an
# interrupted build is redone from scratch, never half reused.
#
# Out-of-tree modules (vmsig.ko, the proof module) build against the tree
# with `make -C <tree> M=...`: it keeps .config, the generated headers,
# scripts/ and Module.symvers; kernel object files are deleted to save disk.
set -eu

# Bump when the way the tree is built changes, to invalidate the caches.
RECIPE=1

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/vmsig-debug.config
src=/usr/src/linux-source-6.1.tar.xz
cache=${VMSIG_CACHE:-/var/cache/vmsig}/debug-kernel

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || {
	echo "debug-kernel: linux-source-6.1 is not installed (make deps)" >&2
	exit 2
}
key=$({ cat "$frag"; echo "linux-source-6.1 $srcver"; gcc --version | head -n 1
	echo "recipe $RECIPE"; } | sha256sum | cut -c1-16)
dir=$cache/$key
tree=$dir/linux

if [ "${1:-}" = --print-dir ]; then
	echo "$tree"
	exit 0
fi

if [ -e "$dir/DONE" ]; then
	touch "$dir"	# last used: the pruning below looks at this
	echo "debug-kernel: cached $tree (key $key)" >&2
	echo "$tree"
	exit 0
fi

# Host tools a kernel build needs beyond what `make deps` installs
# (flex/bison for kconfig, libelf for objtool).  Asked of dpkg only, so this
# is quick when they are there.
missing=
for p in flex bison bc libelf-dev libssl-dev; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "debug-kernel: installing:$missing" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends $missing >&2
fi

mkdir -p "$cache"
# One builder at a time per cache; a second `make check-debug` waits and then
# finds the stamp.
exec 8>"$cache/.lock"
if ! flock -n 8; then
	echo "debug-kernel: waiting for another build of the debug kernel" >&2
	flock 8
fi
if [ -e "$dir/DONE" ]; then
	echo "$tree"
	exit 0
fi

# Trees not used for 30 days (other branches' fragments, older sources) go.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" \
	! -newermt '-30 days' -exec rm -rf {} + 2>/dev/null || true

start=$(date +%s)
echo "debug-kernel: building $tree (key $key, linux-source-6.1 $srcver)" >&2
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$src" -C "$dir"
mv "$dir/linux-source-6.1" "$tree"
cp "$frag" "$dir/vmsig-debug.config"

# Everything goes to a log; the tail is shown if the build fails.
log=$dir/build.log
kmake() { make -C "$tree" ARCH=x86_64 "$@" >>"$log" 2>&1; }
trap 'echo "debug-kernel: build failed, last lines of $log:" >&2; tail -n 40 "$log" >&2' ERR
kmake tinyconfig
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$frag") >>"$log" 2>&1
kmake olddefconfig

# merge_config.sh only warns when Kconfig drops a requested value (a missing
# dependency, a typo); a debug lane silently without KASAN would pass
# everything, so every line of the fragment must be in the final .config.
dropped=0
while read -r line; do
	if ! grep -qxF -- "$line" "$tree/.config"; then
		echo "debug-kernel: not in the final .config: $line" >&2
		dropped=1
	fi
done < <(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$frag")
[ "$dropped" = 0 ] || { echo "debug-kernel: fix $frag" >&2; exit 1; }

# bzImage and modules: modpost writes Module.symvers, which the probe in
# kmod/compat reads and modpost needs for out-of-tree modules.  Two cores.
kmake -j"${VMSIG_JOBS:-2}" bzImage modules
[ -s "$tree/Module.symvers" ] || { echo "debug-kernel: no Module.symvers" >&2; exit 1; }

# Keep what external modules need; the objects of vmlinux are 1 GB of disk.
find "$tree" -name '*.o' ! -path "$tree/scripts/*" ! -path "$tree/tools/*" -delete
touch "$dir/DONE"
echo "debug-kernel: built in $(($(date +%s) - start))s" >&2
echo "$tree"
