# SPDX-License-Identifier: GPL-2.0
#
# vmsig: the one Makefile for users.
#
#   make            build vmsig.ko for KDIR and libvmsig
#   make check      install deps, build for every target kernel, run the
#                   unit tests and the VM selftests on every target kernel
#   make check-debug build (or reuse) the debug kernel (KASAN, lockdep,
#                   kmemleak, UBSAN), prove it catches bugs, run every VM
#                   selftest on it
#   make demo       boot the test VM with QEMU and a guest, and narrate the
#                   full loop: attach, memory, leased key, MEMWRITE, power
#   make bench      boot the test VM once, run bench/vmsig_bench and print
#                   its table (Documentation/performance.rst)
#   make install    library, headers, pkg-config file, vmsigctl, man pages,
#                   udev rule and DKMS sources (DESTDIR, PREFIX=/usr/local);
#                   make uninstall undoes it
#   make dkms-install  build and install vmsig.ko with DKMS for every kernel
#   make style      checkpatch --strict on kmod/ and uapi/
#   make htmldocs   render Documentation/ with Sphinx (python3-sphinx) into
#                   build/htmldocs
#   make sparse     sparse (C=2) on the module, for every target kernel
#   make clean
#
# The module is never loaded into the build machine's kernel: every test runs
# in a QEMU VM booted from a Debian kernel (selftests/vm/).

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

SHELL := /bin/bash
.DEFAULT_GOAL := all

TOP := $(abspath .)
B := $(TOP)/build
VERSION := $(shell git -C $(TOP) describe --always --dirty --tags 2>/dev/null || cat $(TOP)/VERSION)
# Objects that carry VERSION depend on this stamp, rewritten only when the
# version changes, so a new commit rebuilds them and nothing else does.
VERSION_STAMP := $(B)/version.stamp
$(shell mkdir -p $(B) && { echo '$(VERSION)' | cmp -s - $(VERSION_STAMP) || \
	echo '$(VERSION)' >$(VERSION_STAMP); })

# Target kernels: the newest installed Debian 6.1 and 6.12 (scripts/kvers.sh).
KVERS = $(shell $(TOP)/scripts/kvers.sh)

# KDIR: the running kernel's build dir when it exists, else the newest
# installed Debian headers.
ifeq ($(KDIR),)
ifneq ($(wildcard /lib/modules/$(shell uname -r)/build/Makefile),)
KDIR := /lib/modules/$(shell uname -r)/build
KDIR_WHY := running kernel
else
KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
KDIR_WHY := newest installed headers
endif
else
KDIR_WHY := given
endif

# ---------------------------------------------------------------- module --
# One build tree per kernel: a tree of symlinks to the sources, so builds for
# several kernels never share objects.
kmod_tree = $(B)/kmod/$(1)
KMOD_SRCS := Kbuild $(shell find kmod uapi -type f -name '*.[ch]' -o -type f -name '*.sh')

define kmod_build
	@set -e; for f in $(KMOD_SRCS); do \
		mkdir -p $(call kmod_tree,$(1))/$$(dirname $$f); \
		ln -sfn $(TOP)/$$f $(call kmod_tree,$(1))/$$f; done
	$(MAKE) -C $(2) M=$(call kmod_tree,$(1)) VMSIG_VERSION=$(VERSION) W=1 \
		KCFLAGS=-Werror $(EXTRA) modules
endef

.PHONY: all module lib kmod-all
all: module lib

module:
	@echo "vmsig: building the module against $(KDIR) ($(KDIR_WHY))"
	$(call kmod_build,$(notdir $(patsubst %/build,%,$(realpath $(KDIR)))),$(KDIR))

kmod-all:
	@set -e; for k in $(KVERS); do \
		$(MAKE) --no-print-directory kmod-one KV=$$k; done

.PHONY: kmod-one
kmod-one:
	@echo "vmsig: building the module for $(KV)"
	$(call kmod_build,$(KV),/lib/modules/$(KV)/build)

# ------------------------------------------------------------- libvmsig --
CC ?= cc
LIB_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-I$(TOP)/uapi -I$(TOP)/lib/include -I$(TOP)/lib -fPIC \
	-DVMSIG_VERSION='"$(VERSION)"' $(shell pkg-config --cflags json-c 2>/dev/null)
LIB_LIBS := $(shell pkg-config --libs json-c 2>/dev/null) -lpthread
# lib/netlink.c (the vmsig generic netlink family) speaks libnl-3.
LIB_CFLAGS += $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
LIB_LIBS += $(shell pkg-config --libs libnl-genl-3.0 libnl-3.0 2>/dev/null)
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS))
SONAME := libvmsig.so.0

lib: $(B)/lib/libvmsig.a $(B)/lib/$(SONAME) $(B)/bin/vmsigctl

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h lib/include/*.h uapi/linux/*.h) $(VERSION_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(B)/lib/libvmsig.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/$(SONAME): $(LIB_OBJS) lib/libvmsig.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libvmsig.map \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LIB_LIBS)

# Tools link libvmsig statically so they run from the build tree and in the
# test VM without an installed library.
$(B)/bin/%: lib/tools/%.c $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(B)/lib/libvmsig.a $(LIB_LIBS)

# vmsigctl is several files (one per command group) and loads modules
# through libkmod, which has no static library: the tool links it shared.
KMOD_CFLAGS := $(shell pkg-config --cflags libkmod 2>/dev/null)
KMOD_LIBS := $(shell pkg-config --libs libkmod 2>/dev/null || echo -lkmod)
CTL_SRCS := $(wildcard lib/tools/*.c)
CTL_HDRS := $(wildcard lib/tools/*.h)

$(B)/bin/vmsigctl: $(CTL_SRCS) $(CTL_HDRS) $(B)/lib/libvmsig.a $(VERSION_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(KMOD_CFLAGS) -o $@ $(CTL_SRCS) $(B)/lib/libvmsig.a \
		$(LIB_LIBS) $(KMOD_LIBS)

# ---------------------------------------------------------- unit tests --
# tests/test_NAME.c is one cmocka program; tests/test_NAME.wrap (optional)
# lists the symbols it mocks with ld --wrap.
comma := ,
UNIT_SRCS := $(wildcard tests/test_*.c)
UNIT_BINS := $(patsubst tests/%.c,$(B)/tests/%,$(UNIT_SRCS))

$(B)/tests/%: tests/%.c $(wildcard tests/*.h) $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(B)/lib/libvmsig.a \
		$(addprefix -Wl$(comma)--wrap=,$(shell cat tests/$*.wrap 2>/dev/null)) \
		-lcmocka $(LIB_LIBS)

# test_names reads the uapi header to check the tables are complete.
$(B)/tests/test_names: LIB_CFLAGS += -DVMSIG_UAPI_HEADER='"$(TOP)/uapi/linux/vmsig.h"'

# test_ctl_args tests vmsigctl's parser, which lives with the tool.
$(B)/tests/test_ctl_args: tests/test_ctl_args.c lib/tools/args.c lib/tools/args.h
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -I$(TOP)/lib/tools -o $@ tests/test_ctl_args.c \
		lib/tools/args.c -lcmocka

# test_examples runs the example adapters of Documentation/adapters.rst
# (lib/examples/, never part of the library) on a bus with a faked
# endpoint, and checks the guide quotes them as they are.  "make examples"
# builds just that; "make unit" runs it with the rest.
EXAMPLE_SRCS := $(wildcard lib/examples/*.c)
$(B)/tests/test_examples: tests/test_examples.c $(EXAMPLE_SRCS) \
		$(wildcard lib/examples/*.h) $(wildcard tests/*.h) $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -I$(TOP)/lib/examples -DVMSIG_TOP='"$(TOP)"' -o $@ \
		tests/test_examples.c $(EXAMPLE_SRCS) $(B)/lib/libvmsig.a \
		-Wl,--wrap=ioctl -lcmocka $(LIB_LIBS)

.PHONY: examples
examples: $(B)/tests/test_examples

.PHONY: unit
unit: $(UNIT_BINS)
	@$(TOP)/tests/run.sh $(UNIT_BINS)

# ------------------------------------------------------------ selftests --
# selftests/NAME.c is one static kselftest-harness program run in the VM;
# selftests/lib/*.c is linked into each.  The harness headers come from
# Debian's linux-source-6.1, extracted here at build time.
KSFT := $(B)/kselftest
KSFT_HDRS := $(KSFT)/kselftest.h $(KSFT)/kselftest_harness.h
LINUX_SOURCE := /usr/src/linux-source-6.1.tar.xz

$(KSFT_HDRS) &: $(LINUX_SOURCE)
	@mkdir -p $(KSFT)
	tar -xJf $< -C $(KSFT) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h
	@touch $(KSFT_HDRS)

ST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-I$(KSFT) -I$(TOP)/uapi -I$(TOP)/selftests/lib -D_GNU_SOURCE
ST_SRCS := $(wildcard selftests/*.c)
ST_LIB := $(wildcard selftests/lib/*.c)
ST_BINS := $(patsubst selftests/%.c,$(B)/selftests/%,$(ST_SRCS))

$(B)/selftests/%: selftests/%.c $(ST_LIB) $(wildcard selftests/lib/*.h) \
		uapi/linux/vmsig.h $(KSFT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -static -o $@ $< $(ST_LIB) -lpthread

# The vmsigctl selftest parses the tool's --json output with json-c.
$(B)/selftests/vmsigctl: selftests/vmsigctl.c $(ST_LIB) $(wildcard selftests/lib/*.h) \
		uapi/linux/vmsig.h $(KSFT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -static -o $@ $< $(ST_LIB) -ljson-c -lpthread

# The audit selftest listens with libnl-3, through libvmsig's netlink part.
$(B)/selftests/audit: selftests/audit.c $(ST_LIB) $(wildcard selftests/lib/*.h) \
		uapi/linux/vmsig.h uapi/linux/vmsig_netlink.h lib/include/vmsig_nl.h \
		$(KSFT_HDRS) $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -I$(TOP)/lib/include $(shell pkg-config --cflags libnl-genl-3.0) \
		-static -o $@ $< $(ST_LIB) $(B)/lib/libvmsig.a -lnl-genl-3 -lnl-3 -lpthread

# The end-to-end selftest drives a real QEMU over QMP (libvmsig's json-c
# client) and takes its VM fd with libvmsig's attach helpers.
$(B)/selftests/e2e_qemu: selftests/e2e_qemu.c selftests/e2e/guest/layout.h $(ST_LIB) \
		$(wildcard selftests/lib/*.h) uapi/linux/vmsig.h lib/include/vmsig_qmp.h \
		lib/include/vmsig_attach.h $(KSFT_HDRS) $(B)/lib/libvmsig.a \
		selftests/e2e/control.h $(wildcard lib/include/*.h)
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/selftests \
		-static -o $@ $< $(ST_LIB) $(B)/lib/libvmsig.a -ljson-c -lpthread

# vmsigctl attach end to end (--serve: a control connects through the
# broker); it parses vmsigctl's --json lines with json-c.
$(B)/selftests/e2e_ctl: selftests/e2e_ctl.c selftests/e2e/control.h \
		selftests/e2e/guest/layout.h $(ST_LIB) $(wildcard selftests/lib/*.h) \
		uapi/linux/vmsig.h $(wildcard lib/include/*.h) $(KSFT_HDRS) $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/selftests \
		-static -o $@ $< $(ST_LIB) $(B)/lib/libvmsig.a -ljson-c -lpthread

# The guest QEMU runs in the end-to-end selftest: a multiboot image with
# 64-bit code.  Built and linked as x86-64 with the host's plain gcc (no libc
# headers, no libgcc, so no multilib), then converted to ELF32 because
# QEMU's multiboot loader refuses ELF64.
E2E_GUEST := $(B)/e2e/guest.elf
E2E_GUEST_DIR := selftests/e2e/guest
E2E_GUEST_CFLAGS := -m64 -ffreestanding -fno-pic -fno-pie -nostdlib -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fcf-protection=none -O2 -Wall -Wextra -Werror -I$(TOP)/$(E2E_GUEST_DIR)
OBJCOPY ?= objcopy

$(E2E_GUEST): $(wildcard $(E2E_GUEST_DIR)/*.[chS])
	@mkdir -p $(@D)
	$(CC) $(E2E_GUEST_CFLAGS) -c -o $(@D)/boot.o $(E2E_GUEST_DIR)/boot.S
	$(CC) $(E2E_GUEST_CFLAGS) -c -o $(@D)/main.o $(E2E_GUEST_DIR)/main.c
	$(CC) -E -P -undef -D__ASSEMBLER__ -x c -I$(TOP)/$(E2E_GUEST_DIR) \
		-o $(@D)/guest.lds $(E2E_GUEST_DIR)/guest.lds.S
	$(LD) -m elf_x86_64 -nostdlib -static -no-pie -z max-page-size=0x1000 \
		-z noexecstack -T $(@D)/guest.lds -o $(@D)/guest64.elf \
		$(@D)/boot.o $(@D)/main.o
	$(OBJCOPY) -O elf32-i386 $(@D)/guest64.elf $@

.PHONY: e2e-guest
e2e-guest: $(E2E_GUEST)

.PHONY: selftests
selftests: $(ST_BINS)

# ------------------------------------------------------------ VM suites --
# vmtest KV=<release>: boot that kernel with vmsig.ko and run every selftest.
VM_RUN := $(TOP)/selftests/vm/run.sh
# VMTEST_ENV="NAME=VALUE ...": environment of the tests in the VM, e.g. a
# fuzzer seed to replay (VMSIG_FUZZ_SEED, VMSIG_FUZZ_ITERS; run.sh --env).
VM_ENV = $(foreach e,$(VMTEST_ENV),--env $(e))

.PHONY: vmtest vmtest-all runner-selftest
# --with-qemu brings QEMU, its libraries and firmware and the end-to-end
# guest into the VM (selftests/e2e_qemu).
vmtest: selftests $(B)/bin/vmsigctl $(E2E_GUEST)
	$(MAKE) --no-print-directory kmod-one KV=$(KV)
	$(VM_RUN) --kernel $(KV) --module $(call kmod_tree,$(KV))/vmsig.ko \
		--out $(B)/vm/$(KV) $(if $(TESTS),--only "$(TESTS)") $(VM_ENV) \
		--with-qemu $(E2E_GUEST) --extra $(B)/bin/vmsigctl $(ST_BINS)

vmtest-all: selftests $(B)/bin/vmsigctl $(E2E_GUEST)
	@set -e; for k in $(KVERS); do \
		$(MAKE) --no-print-directory vmtest KV=$$k; done

# The runner proves it fails closed: failing, hanging and crashing guests
# must all be reported as failures.
runner-selftest: selftests
	$(MAKE) --no-print-directory kmod-one KV=$(firstword $(KVERS))
	$(TOP)/selftests/vm/runner-selftest.sh $(firstword $(KVERS)) \
		$(call kmod_tree,$(firstword $(KVERS)))/vmsig.ko $(B)/runner-selftest

# ----------------------------------------------------------------- bench --
# make bench [KV=<release>]: boot the test VM once with bench/vmsig_bench as
# its only program (and QEMU, for the QMP comparison); bench/run.sh prints
# the table and keeps it in $(B)/bench/bench.txt and bench.json.
BENCH_KV = $(or $(KV),$(firstword $(KVERS)))
BENCH_BIN := $(B)/bench/vmsig_bench

$(BENCH_BIN): bench/vmsig_bench.c $(ST_LIB) $(wildcard selftests/lib/*.h) \
		uapi/linux/vmsig.h lib/include/vmsig_qmp.h $(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -I$(TOP)/lib/include -static -o $@ $< $(ST_LIB) \
		$(B)/lib/libvmsig.a -ljson-c -lpthread

.PHONY: bench
bench: $(BENCH_BIN) $(E2E_GUEST)
	$(MAKE) --no-print-directory kmod-one KV=$(BENCH_KV)
	$(TOP)/bench/run.sh $(BENCH_KV) $(call kmod_tree,$(BENCH_KV))/vmsig.ko \
		$(BENCH_BIN) $(E2E_GUEST) $(B)/bench

# ----------------------------------------------------------------- check --
.PHONY: deps check check-inner demo
deps:
	@$(TOP)/scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory check-inner

check-inner:
	$(MAKE) --no-print-directory kmod-all lib
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory install-check
	$(MAKE) --no-print-directory runner-selftest
	$(MAKE) --no-print-directory vmtest-all

# make demo: the VM boots with QEMU and the guest (--with-qemu), its /init
# runs vmsigctl status and then the narrator, /bin/vmsig_demo
# (selftests/demo/vmsig_demo.c: a control on libvmsig driving the guest
# through the bus and the stock adapters), whose output is shown live.
DEMO_BIN := $(B)/bin/vmsig_demo

$(DEMO_BIN): selftests/demo/vmsig_demo.c selftests/e2e/control.h \
		selftests/e2e/guest/layout.h uapi/linux/vmsig.h $(wildcard lib/include/*.h) \
		$(B)/lib/libvmsig.a
	@mkdir -p $(@D)
	$(CC) $(ST_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/selftests -static -o $@ $< \
		$(B)/lib/libvmsig.a -ljson-c -lpthread

demo: deps
	@$(MAKE) --no-print-directory lib $(DEMO_BIN) $(E2E_GUEST)
	@k=$$($(TOP)/scripts/kvers.sh | head -n 1); \
	$(MAKE) --no-print-directory kmod-one KV=$$k && \
	$(VM_RUN) --kernel $$k --module $(call kmod_tree,$$k)/vmsig.ko \
		--out $(B)/demo --demo --with-qemu $(E2E_GUEST) \
		--extra $(B)/bin/vmsigctl --extra $(DEMO_BIN)

# ----------------------------------------------------------- debug lane --
# A kernel from Debian's linux-source-6.1 with KASAN, lockdep, kmemleak,
# UBSAN and KVM built in (selftests/debug-kernel/).  build.sh caches it
# outside the clone, keyed by its config and source version, and prints the
# tree; --print-dir only says where it is.  Deferred (?=, not :=) so other
# targets never ask.
DEBUG_KERNEL := $(TOP)/selftests/debug-kernel/build.sh
DEBUG_KDIR ?= $(shell $(DEBUG_KERNEL) --print-dir)
DEBUG_VMLINUZ = $(DEBUG_KDIR)/arch/x86/boot/bzImage
DEBUG_BUGS := $(B)/debug-kernel/bugs
# TCG with KASAN and lockdep is several times slower than the Debian kernels.
DEBUG_TIMEOUT ?= 1200
DEBUG_TEST_TIMEOUT ?= 600
# The debug lane fuzzes longer: it is where memory bugs show.
DEBUG_VM_ENV = $(foreach e,VMSIG_FUZZ_ITERS=100000 $(VMTEST_ENV),--env $(e))

.PHONY: debug-kernel kmod-debug check-debug check-debug-inner check-debug-selftest
debug-kernel:
	@$(DEBUG_KERNEL) >/dev/null

kmod-debug: debug-kernel
	@echo "vmsig: building the module for the debug kernel $(DEBUG_KDIR)"
	$(call kmod_build,debug,$(DEBUG_KDIR))

# The deliberately buggy module, built out of tree like vmsig.
$(DEBUG_BUGS)/vmsig_bugs.ko: selftests/debug-kernel/bugs/vmsig_bugs.c \
		selftests/debug-kernel/bugs/Kbuild debug-kernel
	@mkdir -p $(@D)
	ln -sfn $(TOP)/selftests/debug-kernel/bugs/Kbuild $(@D)/Kbuild
	ln -sfn $(TOP)/selftests/debug-kernel/bugs/vmsig_bugs.c $(@D)/vmsig_bugs.c
	$(MAKE) -C $(DEBUG_KDIR) M=$(@D) W=1 KCFLAGS=-Werror modules

# The lane proves it catches a leak, a lockdep splat, a sleep in atomic
# context and a use-after-free before it is trusted to pass vmsig.
check-debug-selftest: kmod-debug $(DEBUG_BUGS)/vmsig_bugs.ko
	$(TOP)/selftests/debug-kernel/selftest.sh $(DEBUG_VMLINUZ) \
		$(call kmod_tree,debug)/vmsig.ko $(DEBUG_BUGS)/vmsig_bugs.ko \
		$(B)/debug-selftest

check-debug: deps
	@$(MAKE) --no-print-directory check-debug-inner

check-debug-inner: selftests $(B)/bin/vmsigctl $(E2E_GUEST)
	$(MAKE) --no-print-directory check-debug-selftest
	$(VM_RUN) --kernel debug --vmlinuz $(DEBUG_VMLINUZ) --builtin-kvm --kmemleak \
		--timeout $(DEBUG_TIMEOUT) --test-timeout $(DEBUG_TEST_TIMEOUT) \
		--module $(call kmod_tree,debug)/vmsig.ko --out $(B)/vm/debug \
		$(if $(TESTS),--only "$(TESTS)") $(DEBUG_VM_ENV) \
		--with-qemu $(E2E_GUEST) --extra $(B)/bin/vmsigctl $(ST_BINS)

# --------------------------------------------------------------- install --
# make install [DESTDIR=...] [PREFIX=/usr/local]: library, headers,
# pkg-config file, vmsigctl, man pages, the udev rule and the module sources
# for DKMS.  udev and DKMS look in fixed places, whatever PREFIX says.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UDEVRULESDIR ?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d
# A release-like version for pkg-config and DKMS: git describe minus its
# leading "v", or VERSION plus the commit when there is no tag to describe.
REL_VERSION := $(shell echo '$(VERSION)' | sed -n 's/^v\{0,1\}\([0-9]\{1,\}\.[0-9].*\)$$/\1/p')
REL_VERSION := $(or $(REL_VERSION),$(shell cat $(TOP)/VERSION)+g$(VERSION))
DKMS_SRCDIR ?= /usr/src/vmsig-$(REL_VERSION)

INSTALL_HDRS := $(wildcard lib/include/*.h)
MAN_PAGES := $(wildcard man/*.[0-9])

.PHONY: install uninstall install-dkms-src uninstall-dkms-src dkms-install \
	dkms-uninstall install-check
install: lib install-dkms-src
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(INCLUDEDIR)/vmsig $(DESTDIR)$(INCLUDEDIR)/linux
	install -m 0644 $(B)/lib/$(SONAME) $(B)/lib/libvmsig.a $(DESTDIR)$(LIBDIR)/
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libvmsig.so
	install -m 0644 $(INSTALL_HDRS) $(DESTDIR)$(INCLUDEDIR)/vmsig/
	install -m 0644 uapi/linux/vmsig.h $(DESTDIR)$(INCLUDEDIR)/linux/vmsig.h
	install -m 0644 uapi/linux/vmsig_netlink.h $(DESTDIR)$(INCLUDEDIR)/linux/vmsig_netlink.h
	@# Generated on every install: PREFIX and LIBDIR may differ each time.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(REL_VERSION)|' \
		lib/libvmsig.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libvmsig.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libvmsig.pc
	install -m 0755 $(B)/bin/vmsigctl $(DESTDIR)$(SBINDIR)/vmsigctl
	@set -e; for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		sed 's|@VERSION@|$(VERSION)|g' $$m >$(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	install -D -m 0644 udev/60-vmsig.rules $(DESTDIR)$(UDEVRULESDIR)/60-vmsig.rules
	@if [ -z "$(DESTDIR)" ]; then \
		ldconfig || true; \
		getent group vmsig >/dev/null || groupadd --system vmsig || true; \
		udevadm control --reload 2>/dev/null || true; \
		echo "vmsig: installed; 'make dkms-install' builds the module for every kernel"; \
	fi

# The module sources as DKMS wants them; the module's version travels in
# VERSION because DKMS builds without git.
install-dkms-src:
	@set -e; for f in $(KMOD_SRCS); do \
		install -D -m $$(case $$f in *.sh) echo 0755 ;; *) echo 0644 ;; esac) \
			$$f $(DESTDIR)$(DKMS_SRCDIR)/$$f; done
	echo '$(VERSION)' >$(DESTDIR)$(DKMS_SRCDIR)/VERSION
	sed 's|@VERSION@|$(REL_VERSION)|' dkms.conf >$(DESTDIR)$(DKMS_SRCDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMS_SRCDIR)/VERSION $(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libvmsig.so \
		$(DESTDIR)$(LIBDIR)/libvmsig.a $(DESTDIR)$(PKGCONFIGDIR)/libvmsig.pc \
		$(DESTDIR)$(INCLUDEDIR)/linux/vmsig.h $(DESTDIR)$(SBINDIR)/vmsigctl \
		$(DESTDIR)$(UDEVRULESDIR)/60-vmsig.rules
	rm -rf $(DESTDIR)$(INCLUDEDIR)/vmsig
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/vmsig_netlink.h
	@set -e; for m in $(MAN_PAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	@$(MAKE) --no-print-directory uninstall-dkms-src
	@[ -n "$(DESTDIR)" ] || ldconfig || true

# Every version's sources, not only this one's: the tree may have moved on
# since the install.  DKMS must have let go of them first.
uninstall-dkms-src:
	@set -e; for d in $(DESTDIR)$(dir $(DKMS_SRCDIR))vmsig-*; do \
		[ -f "$$d/dkms.conf" ] && grep -q '^PACKAGE_NAME="vmsig"' "$$d/dkms.conf" || continue; \
		if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null && \
			dkms status -m vmsig -v "$${d##*/vmsig-}" 2>/dev/null | grep -q .; then \
			echo "vmsig: $$d is registered with DKMS; run make dkms-uninstall" >&2; exit 1; fi; \
		echo "rm -rf $$d"; rm -rf "$$d"; done

# Build and install the module for every installed kernel with headers;
# dkms.conf makes DKMS refuse kernels without KVM (exit status 77).
dkms-install: install-dkms-src
	@command -v dkms >/dev/null || { echo "vmsig: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	dkms status -m vmsig -v $(REL_VERSION) | grep -q . || dkms add -m vmsig -v $(REL_VERSION)
	@ok=0 bad=; for b in /lib/modules/*/build; do \
		[ -d "$$b" ] || continue; k=$$(basename $$(dirname $$b)); \
		dkms install -m vmsig -v $(REL_VERSION) -k $$k; rc=$$?; \
		case $$rc in 0) ok=$$((ok + 1)) ;; \
		77) echo "vmsig: skipped $$k (no KVM, or not x86-64)" ;; \
		*) bad="$$bad $$k" ;; esac; done; \
	echo "vmsig: DKMS installed the module for $$ok kernel(s)"; \
	[ -z "$$bad" ] || { echo "vmsig: DKMS failed for:$$bad" >&2; exit 1; }

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "vmsig: dkms is not installed" >&2; exit 1; }
	@for v in $$(dkms status -m vmsig 2>/dev/null | sed -n 's|^vmsig/\([^,:]*\).*|\1|p' | sort -u); do \
		echo "dkms remove -m vmsig -v $$v --all"; dkms remove -m vmsig -v $$v --all; done
	@$(MAKE) --no-print-directory uninstall-dkms-src

# A throwaway install tree, inspected and used (tests/install-test.sh).
install-check: lib
	@VERSION='$(VERSION)' REL_VERSION='$(REL_VERSION)' SONAME='$(SONAME)' \
		KV='$(firstword $(KVERS))' MAKE='$(MAKE)' $(TOP)/tests/install-test.sh

# ----------------------------------------------------------------- style --
CHECKPATCH_DIR := $(B)/checkpatch
$(CHECKPATCH_DIR)/checkpatch.pl: $(LINUX_SOURCE)
	@mkdir -p $(@D)
	tar -xJf $< -C $(@D) --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	@touch $@

.PHONY: style sparse
style: $(CHECKPATCH_DIR)/checkpatch.pl
	$< --no-tree --strict --terse --show-types \
		-f $(shell find kmod uapi -name '*.[ch]' | sort)

sparse:
	@set -e; for k in $(KVERS); do \
		rm -rf $(call kmod_tree,$$k)/kmod/*.o; \
		$(MAKE) --no-print-directory kmod-one KV=$$k EXTRA="C=2 CF=-D__CHECK_ENDIAN__" \
			2>&1 | tee $(B)/sparse-$$k.log; \
		! grep -E 'warning:|error:' $(B)/sparse-$$k.log; done

# ------------------------------------------------------------- htmldocs --
# Documentation/*.rst reads as plain text; Sphinx renders it when present.
# Not part of deps or check: python3-sphinx is optional.
SPHINXBUILD ?= sphinx-build

.PHONY: htmldocs
htmldocs:
	@command -v $(SPHINXBUILD) >/dev/null || { \
		echo "vmsig: $(SPHINXBUILD) not found: install python3-sphinx to render" \
			"Documentation/ (the .rst files read fine as plain text)" >&2; exit 1; }
	VMSIG_VERSION='$(VERSION)' $(SPHINXBUILD) -b html -q -d $(B)/htmldocs/.doctrees \
		$(TOP)/Documentation $(B)/htmldocs
	@echo "vmsig: HTML documentation in $(B)/htmldocs/index.html"

.PHONY: clean
clean:
	rm -rf $(B)

endif
