#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run vmsig_bench in one boot of the test VM and cut its results out of the
# guest's result port.
#
# usage: bench/run.sh KVER MODULE BENCH_BINARY QEMU_GUEST OUTDIR
#
# The bench is the VM's only "test" (selftests/vm/run.sh runs every program
# it is given), so the runner's fail-closed checks apply unchanged: a bench
# that crashes, hangs or makes the kernel complain fails the run.  It needs
# more than the default per-test timeout.  OUTDIR gets bench.txt (the table)
# and bench.json; the VM's logs stay in OUTDIR/vm.
set -euo pipefail

[ $# -eq 5 ] || { echo "usage: $0 KVER MODULE BENCH_BINARY QEMU_GUEST OUTDIR" >&2; exit 2; }
kver=$1 module=$2 bin=$3 guest=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$out"
start=$(date +%s)
rc=0
"$here/../selftests/vm/run.sh" --kernel "$kver" --module "$module" \
	--out "$out/vm" --timeout 900 --test-timeout 840 \
	--with-qemu "$guest" "$bin" || rc=$?
results=$out/vm/results.log
sed -n '/^BENCH-TABLE-BEGIN$/,/^BENCH-TABLE-END$/p' "$results" |
	sed '1d;$d' >"$out/bench.txt"
sed -n '/^BENCH-JSON-BEGIN$/,/^BENCH-JSON-END$/p' "$results" |
	sed '1d;$d' >"$out/bench.json"
if [ "$rc" -ne 0 ] || [ ! -s "$out/bench.txt" ]; then
	echo "bench: the VM run failed (rc $rc); logs in $out/vm" >&2
	exit 1
fi
if command -v python3 >/dev/null &&
	! python3 -m json.tool "$out/bench.json" >/dev/null; then
	echo "bench: $out/bench.json is not valid JSON" >&2
	exit 1
fi
echo "vmsig bench, $kver, $(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - start)) s including boot"
cat "$out/bench.txt"
echo "bench: table in $out/bench.txt, JSON in $out/bench.json"
