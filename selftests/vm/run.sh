#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel in QEMU with vmsig.ko and run selftests inside it.
#
# usage: run.sh --kernel KVER --module vmsig.ko --out DIR [--only a,b]
#               [--timeout SECS] [--test-timeout SECS] [--demo] [--extra F]...
#               TEST_BINARY...
#
# Fail-closed: the run passes only when the guest's result port (ttyS1) ends
# with the success marker, every test exited 0, the module unloaded, and the
# kernel log shows no panic, oops, WARN, BUG, lockdep, KASAN or UBSAN report.
# A timeout or a missing marker is a failure.  The kernel log is kept in
# DIR/console.log and printed on failure.
#
# TCG runs single-threaded: multi-threaded TCG was seen to crash Debian 6.12
# about once in twenty boots (racing with kernel text patching), and a test
# suite that fails by chance is worse than one that is a little slower.
# Nothing here retries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kver= module= out= only= demo=0 timeout=900 test_timeout=300
extras=()
bins=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kver=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--demo) demo=1; shift ;;
	--extra) extras+=("$2"); shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) bins+=("$1"); shift ;;
	esac
done
[ -n "$kver" ] && [ -n "$module" ] && [ -n "$out" ] || {
	echo "run.sh: --kernel, --module and --out are required" >&2; exit 2; }
short=${kver%%-*}
vmlinuz=/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || { echo "run.sh: $vmlinuz missing (make deps)" >&2; exit 2; }
[ -r "$module" ] || { echo "run.sh: $module missing" >&2; exit 2; }

# Two cores: never two VM suites at once, whoever starts them.
exec 9>/tmp/vmsig-vm.lock
if ! flock -n 9; then
	echo "vmtest-$short: waiting for another VM suite to finish"
	flock 9
fi

rm -rf "$out"
root=$out/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests,lib/modules}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"

# The kernel's own KVM modules, dependencies first, decompressed for insmod.
declare -A seen=()
order=()
add_module() {
	local name=$1 path dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	path=$(modinfo -k "$kver" -n "$name")
	for dep in $(modinfo -k "$kver" -F depends "$name" | tr , ' '); do
		add_module "$dep"
	done
	case $path in
	*.xz) xz -dc "$path" >"$root/lib/modules/$name.ko" ;;
	*.zst) zstd -dcq "$path" >"$root/lib/modules/$name.ko" ;;
	*) cp "$path" "$root/lib/modules/$name.ko" ;;
	esac
	order+=("$name.ko")
}
add_module kvm-amd
printf '%s\n' "${order[@]}" >"$root/lib/modules/order"
cp "$module" "$root/lib/modules/vmsig.ko"

for b in "${bins[@]}"; do cp "$b" "$root/tests/"; done
# Extra programs come with the shared libraries they need.
for e in "${extras[@]}"; do
	cp "$e" "$root/bin/"
	ldd "$e" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"

mode=test
[ "$demo" = 1 ] && mode=demo
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1"
append+=" hung_task_panic=1 nokaslr vmsig_mode=$mode vmsig_timeout=$test_timeout"
[ -n "$only" ] && append+=" vmsig_only=$only"

console=$out/console.log
results=$out/results.log
: >"$console"
: >"$results"
echo "vmtest-$short: booting $kver (TCG, -cpu EPYC, timeout ${timeout}s)"
set +e
timeout -k 5 "$timeout" qemu-system-x86_64 \
	-accel tcg,thread=single -cpu EPYC -smp 2 -m 2G \
	-kernel "$vmlinuz" -initrd "$out/initramfs.cpio" -append "$append" \
	-display none -monitor none -no-reboot \
	-serial "file:$console" -serial "file:$results" 2>"$out/qemu.log"
qrc=$?
set -e
# The guest's tty writes CRLF; the markers are parsed line by line.
sed -i 's/\r$//' "$results" "$console"

fail=()
[ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ] && fail+=("timed out after ${timeout}s")
[ "$qrc" -ne 0 ] && [ "$qrc" -ne 124 ] && [ "$qrc" -ne 137 ] && fail+=("qemu exited $qrc")
grep -q '^VMSIG-SUITE-DONE' "$results" || fail+=("no success marker from the guest")
grep -q '^VMSIG-FATAL' "$results" && fail+=("$(grep '^VMSIG-FATAL' "$results")")
bad='Kernel panic|WARNING: CPU:|WARNING: possible|BUG:|Oops|general protection fault'
bad+='|KASAN|UBSAN|kmemleak|Call Trace:|INFO: task .* blocked|rcu.*stall'
if grep -Eq "$bad" "$console"; then
	fail+=("kernel reported: $(grep -Em1 "$bad" "$console")")
fi

pass=0 nfail=0
if [ "$demo" = 1 ]; then
	sed -n '/^VMSIG-LOADED/,/^VMSIG-SUITE-DONE/p' "$results" | grep -v '^VMSIG-SUITE-DONE'
else
	grep -q '^VMSIG-UNLOAD ok' "$results" || fail+=("vmsig.ko did not unload")
	# Count test cases from each program's TAP totals; a program that
	# failed without reporting a failed case (crash, timeout) counts once.
	while read -r name rc p f; do
		pass=$((pass + p))
		nfail=$((nfail + f))
		if [ "$rc" != 0 ]; then
			[ "$f" -gt 0 ] || nfail=$((nfail + 1))
			fail+=("$name: exit status $rc")
		fi
	done < <(awk '
		/^VMSIG-START / { p = 0; f = 0 }
		/^# Totals:/ { split($3, a, ":"); split($4, b, ":"); p = a[2]; f = b[2] }
		/^VMSIG-TEST / { sub("rc=", "", $3); print $2, $3, p + 0, f + 0 }
	' "$results")
	grep -E '^(ok|not ok|# (Totals|FAILED|PASSED))' "$results" | sed "s/^/vmtest-$short: /" || true
	[ $((pass + nfail)) -gt 0 ] || fail+=("no test ran")
fi

if [ ${#fail[@]} -gt 0 ]; then
	echo "vmtest-$short: ---- guest results ($results) ----"
	cat "$results"
	echo "vmtest-$short: ---- qemu ($out/qemu.log) ----"
	grep -v "TCG doesn't support requested feature" "$out/qemu.log" || true
	echo "vmtest-$short: ---- kernel log ($console), last 80 lines ----"
	tail -n 80 "$console"
	for f in "${fail[@]}"; do echo "vmtest-$short: FAIL: $f"; done
	[ "$demo" = 1 ] || echo "vmtest-$short: $pass passed, $((nfail > 0 ? nfail : 1)) failed"
	exit 1
fi
[ "$demo" = 1 ] || echo "vmtest-$short: $pass passed, 0 failed"
exit 0
