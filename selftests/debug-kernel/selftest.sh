#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug lane must catch what it exists for.  Boot the debug kernel twice
# through the normal runner with vmsig_bugs.ko (bugs/vmsig_bugs.c), whose
# parameters each plant one bug, and check that each run fails with the
# matching report:
#
#   1. leak + lockdep + sleep: none of these stops the kernel, so one boot
#      shows the kmemleak report (after the unload), lockdep's circular
#      dependency and the sleep-in-atomic BUG together;
#   2. use-after-free: KASAN reports it and panic_on_warn ends the guest.
#
# usage: selftest.sh BZIMAGE vmsig.ko vmsig_bugs.ko WORKDIR
set -u
vmlinuz=$1 module=$2 bugs=$3 work=$4
run=$(dirname "$0")/../vm/run.sh
rm -rf "$work"
mkdir -p "$work"

mk() {	# mk NAME ARGS: a guest "test" loading vmsig_bugs.ko with ARGS
	printf '#!/bin/sh\ninsmod /bin/vmsig_bugs.ko %s || exit 1\nrmmod vmsig_bugs || exit 1\n%s\n' \
		"$2" 'echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"' >"$work/$1"
	chmod +x "$work/$1"
}
mk leaks 'leak=1 lockdep=1 sleep=1'
mk uaf 'uaf=1'

pass=0 fail=0
check() {	# check NAME WHAT PATTERN: PATTERN is in the run's logs
	if cat "$work/$1.log" "$work/vm-$1/console.log" "$work/vm-$1/results.log" |
		grep -Eq -- "$3"; then
		echo "ok debug-selftest: '$1' reported $2"
		pass=$((pass + 1))
	else
		echo "not ok debug-selftest: '$1' did not report $2 ('$3')"
		fail=$((fail + 1))
	fi
}
boot() {	# boot NAME: run it; the run itself must fail
	local name=$1
	echo "debug-selftest: booting the debug kernel with vmsig_bugs ($name)"
	if "$run" --kernel debug --vmlinuz "$vmlinuz" --builtin-kvm --kmemleak \
		--module "$module" --extra "$bugs" --out "$work/vm-$name" \
		--timeout 600 "$work/$name" >"$work/$name.log" 2>&1; then
		echo "not ok debug-selftest: '$name' passed, wanted a failure"
		sed 's/^/#   /' "$work/$name.log" | tail -n 30
		fail=$((fail + 1))
		return 1
	fi
}

if boot leaks; then
	check leaks 'a kmemleak leak' 'FAIL: kmemleak: [0-9]+ unreferenced objects'
	check leaks 'the leaked object' '^unreferenced object 0x[0-9a-f]+ \(size 128\)'
	check leaks 'a lockdep splat' 'WARNING: possible circular locking dependency'
	check leaks 'a sleep in atomic context' 'BUG: sleeping function called from invalid context'
	check leaks 'that the test itself ran' '^VMSIG-TEST leaks rc=0'
fi
if boot uaf; then
	check uaf 'a KASAN use-after-free' 'BUG: KASAN: use-after-free in vmsig_bugs_init'
	check uaf 'the panic it causes' 'Kernel panic - not syncing: KASAN: panic_on_warn set'
fi
echo "debug-selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
