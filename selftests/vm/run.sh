#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a Debian kernel in QEMU with vmsig.ko and run selftests inside it.
#
# usage: run.sh --kernel KVER --module vmsig.ko --out DIR [--only a,b]
#               [--timeout SECS] [--test-timeout SECS] [--demo] [--extra F]...
#               [--vmlinuz PATH --builtin-kvm] [--kmemleak]
#               [--with-qemu GUEST] [--env NAME=VALUE]... TEST_BINARY...
#
# --vmlinuz boots that image instead of /boot/vmlinuz-KVER (KVER then only
# names the run); --builtin-kvm loads no KVM modules (the debug kernel has KVM
# built in); --kmemleak has the guest clear kmemleak before the tests, scan
# after vmsig is unloaded and send the report: any leak fails the run.
#
# --with-qemu GUEST brings the host's unmodified qemu-system-x86_64 into the
# VM, at the same path, with every library ldd lists and the firmware it
# opens for "-machine pc -nodefaults -kernel <multiboot image>" with KVM,
# and GUEST (the end-to-end guest image) as /e2e/guest.elf
# (selftests/e2e_qemu runs them).
#
# --env NAME=VALUE puts NAME=VALUE in the environment of every test (e.g.
# VMSIG_FUZZ_SEED, VMSIG_FUZZ_ITERS): the word goes on the kernel command
# line, and the kernel hands words it does not know, without a dot in the
# name, to init as environment, which init passes on to the tests.  NAME is
# [A-Za-z_][A-Za-z0-9_]*, VALUE has no blanks or quotes.
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
vmlinuz= builtin_kvm=0 kmemleak=0
qemu_guest=
envs=()
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
	--vmlinuz) vmlinuz=$2; shift 2 ;;
	--builtin-kvm) builtin_kvm=1; shift ;;
	--kmemleak) kmemleak=1; shift ;;
	--with-qemu) qemu_guest=$2; shift 2 ;;
	--env)
		[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]\"\']*$ ]] || {
			echo "run.sh: --env wants NAME=VALUE without blanks or quotes: $2" >&2
			exit 2; }
		envs+=("$2"); shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) bins+=("$1"); shift ;;
	esac
done
[ -n "$kver" ] && [ -n "$module" ] && [ -n "$out" ] || {
	echo "run.sh: --kernel, --module and --out are required" >&2; exit 2; }
short=${kver%%-*}
[ -n "$vmlinuz" ] || vmlinuz=/boot/vmlinuz-$kver
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
[ "$builtin_kvm" = 1 ] || add_module kvm-amd
: >"$root/lib/modules/order"
[ ${#order[@]} -eq 0 ] || printf '%s\n' "${order[@]}" >"$root/lib/modules/order"
cp "$module" "$root/lib/modules/vmsig.ko"

for b in "${bins[@]}"; do cp "$b" "$root/tests/"; done
# Extra programs come with the shared libraries they need.  A static program
# or a module has none: ldd and grep then fail, which is no error.
for e in "${extras[@]}"; do
	cp "$e" "$root/bin/"
	libs=$(ldd "$e" 2>/dev/null | grep -oE '/[^ ]+' || true)
	for lib in $libs; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
if [ -n "$qemu_guest" ]; then
	[ -r "$qemu_guest" ] || { echo "run.sh: $qemu_guest missing" >&2; exit 2; }
	qemu_bin=/usr/bin/qemu-system-x86_64
	# What it opens on the host (strace) for that command line: SeaBIOS,
	# the multiboot option ROM and the vAPIC ROM.  KVM is built into the
	# binary; no accelerator module is loaded.
	qemu_fw="/usr/share/seabios/bios-256k.bin /usr/share/qemu/multiboot_dma.bin
		/usr/share/qemu/kvmvapic.bin"
	mkdir -p "$root/usr/bin" "$root/e2e"
	cp "$qemu_bin" "$root$qemu_bin"
	for lib in $(ldd "$qemu_bin" | grep -oE '/[^ ]+'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	for f in $qemu_fw; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
	cp "$qemu_guest" "$root/e2e/guest.elf"
fi
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"

mode=test
[ "$demo" = 1 ] && mode=demo
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1"
append+=" hung_task_panic=1 nokaslr vmsig_mode=$mode vmsig_timeout=$test_timeout"
[ -n "$only" ] && append+=" vmsig_only=$only"
[ "$kmemleak" = 1 ] && append+=" vmsig_leakcheck=1"
for e in ${envs[@]+"${envs[@]}"}; do append+=" $e"; done

console=$out/console.log
results=$out/results.log
: >"$console"
: >"$results"
echo "vmtest-$short: booting $kver (TCG, -cpu EPYC, timeout ${timeout}s)"
# A demo is narrated as it happens: the result port, live, without markers.
tailpid=
if [ "$demo" = 1 ]; then
	(exec tail -n +1 -f "$results") > >(sed -u 's/\r$//' |
		grep --line-buffered -Ev '^VMSIG-(BOOT|SUITE-DONE)') &
	tailpid=$!
fi
set +e
timeout -k 5 "$timeout" qemu-system-x86_64 \
	-accel tcg,thread=single -cpu EPYC -smp 2 -m 2G \
	-kernel "$vmlinuz" -initrd "$out/initramfs.cpio" -append "$append" \
	-display none -monitor none -no-reboot \
	-serial "file:$console" -serial "file:$results" 2>"$out/qemu.log"
qrc=$?
if [ -n "$tailpid" ]; then
	sleep 0.3	# tail -f looks every second; the last lines, please
	kill "$tailpid" 2>/dev/null
	wait "$tailpid" 2>/dev/null
fi
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
# Lockdep reports that do not say "possible" (none of them is a WARN, so
# panic_on_warn does not stop the guest).
bad+='|WARNING: (inconsistent lock state|suspicious RCU usage|bad unlock balance'
bad+='|held lock freed|lock held when returning|Nested lock was not taken)'
bad+='|INFO: trying to register non-static key'
# Boot banners of the debug kernel that match the words above.
benign='kmemleak: Kernel memory leak detector initialized'
# No grep -q after a pipe: under pipefail the writer's SIGPIPE would hide a hit.
hits=$(grep -Ev "$benign" "$console" | grep -E "$bad") || true
[ -z "$hits" ] || fail+=("kernel reported: ${hits%%$'\n'*}")
if [ "$kmemleak" = 1 ]; then
	# The guest prints /sys/kernel/debug/kmemleak between these markers
	# after its final scans; one "unreferenced object" is one leak.
	grep -q '^VMSIG-KMEMLEAK-END' "$results" ||
		fail+=("no kmemleak report from the guest")
	nleak=$(sed -n '/^VMSIG-KMEMLEAK-BEGIN/,/^VMSIG-KMEMLEAK-END/p' "$results" |
		grep -c '^unreferenced object') || true
	[ "$nleak" = 0 ] || fail+=("kmemleak: $nleak unreferenced objects (report in $results)")
fi

# kmemleak prints its backtraces after vmsig is unloaded, so vmsig's frames
# are bare addresses; name them from where the guest saw vmsig's .text and
# the symbols of vmsig.ko.
decode_leaks() {
	local text addr off best name v n
	text=$(sed -n 's/^VMSIG-KMOD-TEXT \(0x[0-9a-f]*\)$/\1/p' "$results")
	[ -n "$text" ] || return 0
	local syms
	syms=$(objdump -t "$module" | awk -F'\t' '$1 ~ / [.]text$/ && $2 !~ / [.]text$/ {
		split($1, a, " "); split($2, b, " "); print a[1], b[2] }' | sort)
	sed -n '/^VMSIG-KMEMLEAK-BEGIN/,/^VMSIG-KMEMLEAK-END/p' "$results" |
		grep -oE '\] 0x[0-9a-f]{16}$' | cut -c3- | sort -u | while read -r addr; do
		off=$((addr - text))
		[ "$off" -ge 0 ] && [ "$off" -lt $((1 << 20)) ] || continue
		best= name=
		while read -r v n; do
			[ $((16#$v)) -le "$off" ] || break
			best=$((16#$v)) name=$n
		done <<<"$syms"
		[ -n "$name" ] && printf 'vmtest-%s: kmemleak frame %s is vmsig %s+0x%x\n' \
			"$short" "$addr" "$name" $((off - best))
	done
}

pass=0 nfail=0
if [ "$demo" = 1 ]; then
	# Shown live above.
	:
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
	[ "$kmemleak" != 1 ] || decode_leaks || true
	for f in "${fail[@]}"; do echo "vmtest-$short: FAIL: $f"; done
	[ "$demo" = 1 ] || echo "vmtest-$short: $pass passed, $((nfail > 0 ? nfail : 1)) failed"
	exit 1
fi
[ "$demo" = 1 ] || echo "vmtest-$short: $pass passed, 0 failed"
exit 0
