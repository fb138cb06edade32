#!/bin/bash
# Run every cmocka unit-test program given and print one summary line.
set -u
pass=0 fail=0 failed=
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	echo "$out"
	p=$(grep -oE '\[  PASSED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' | tail -n 1)
	f=$(grep -oE '\[  FAILED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' | tail -n 1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
		[ -n "$f" ] || fail=$((fail + 1))
		failed="$failed ${t##*/}"
	fi
done
echo "unit: $pass passed, $fail failed"
[ -z "$failed" ] || { echo "unit: failing programs:$failed"; exit 1; }
