#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner must fail closed.  Boot it with tiny guest "tests" that pass,
# fail, hang (caught in the guest and, separately, only by the host timeout)
# and crash the kernel, and check that only the passing one is reported as a
# success.
#
# usage: runner-selftest.sh KVER vmsig.ko WORKDIR
set -u
kver=$1 module=$2 work=$3
run=$(dirname "$0")/run.sh
rm -rf "$work"
mkdir -p "$work"

mk() {	# mk NAME BODY: a guest test program as a shell script
	printf '#!/bin/sh\n%s\n' "$2" >"$work/$1"
	chmod +x "$work/$1"
}
mk passes 'echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"; exit 0'
mk fails 'echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"; exit 1'
mk hangs 'sleep 100000'
mk panics 'echo c >/proc/sysrq-trigger; sleep 100'

pass=0 fail=0
expect() {	# expect pass|fail WHY NAME -- run.sh args...
	local want=$1 why=$2 name=$3 log
	shift 4
	log=$work/$name.log
	if "$run" --kernel "$kver" --module "$module" --out "$work/vm-$name" "$@" \
		"$work/$name" >"$log" 2>&1; then got=pass; else got=fail; fi
	if [ "$got" = "$want" ] && grep -q -- "$why" "$log"; then
		echo "ok runner: '$name' is reported as $want ($why)"
		pass=$((pass + 1))
	else
		echo "not ok runner: '$name' was reported as $got, wanted $want with '$why'"
		sed 's/^/#   /' "$log" | tail -n 30
		fail=$((fail + 1))
	fi
}

expect pass '1 passed, 0 failed' passes --
expect fail 'fails: exit status 1' fails --
expect fail 'hangs: exit status 137' hangs -- --test-timeout 3
expect fail 'timed out after 20s' hangs -- --test-timeout 1000 --timeout 20
expect fail 'Kernel panic' panics --
echo "runner-selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
