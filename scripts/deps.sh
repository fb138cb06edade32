#!/bin/sh
# Install every Debian package vmsig needs to build and test.  Idempotent and
# quick when everything is present: it only asks dpkg.
set -eu

pkgs="gcc make cpio xz-utils pkg-config kmod
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64
linux-source-6.1 flex bison bc libelf-dev libssl-dev
qemu-system-x86 busybox-static
libkmod-dev libnl-3-dev libnl-genl-3-dev libcmocka-dev libjson-c-dev
sparse"

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing:$missing"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$SUDO apt-get install -y -q --no-install-recommends $missing
