#!/bin/sh
# Print the target kernels vmsig is built and tested for: the newest
# installed Debian 6.1 and 6.12 amd64 kernels that have both an image and a
# build tree.  One release per line, 6.1 first.
set -eu
for series in 6.1 6.12; do
	best=
	for d in /lib/modules/"$series".*-amd64; do
		k=${d##*/}
		[ -f "/boot/vmlinuz-$k" ] && [ -e "$d/build/Makefile" ] || continue
		best="$best $k"
	done
	[ -n "$best" ] || { echo "kvers: no Debian $series kernel installed (make deps)" >&2; exit 1; }
	# shellcheck disable=SC2086
	printf '%s\n' $best | sort -V | tail -n 1
done
