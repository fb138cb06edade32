# SPDX-License-Identifier: GPL-2.0
#
# vmsig: the one Makefile for users.
#
#   make            build vmsig.ko for KDIR and libvmsig
#   make check      install deps, build for every target kernel, run the
#                   unit tests and the VM selftests on every target kernel
#   make demo       boot the test VM, load the module, show the handshake
#   make style      checkpatch --strict on kmod/ and uapi/
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
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(B)/lib/%.o,$(LIB_SRCS))
SONAME := libvmsig.so.0

lib: $(B)/lib/libvmsig.a $(B)/lib/$(SONAME) $(B)/bin/vmsigctl

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h lib/include/*.h uapi/linux/*.h)
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

.PHONY: selftests
selftests: $(ST_BINS)

# ------------------------------------------------------------ VM suites --
# vmtest KV=<release>: boot that kernel with vmsig.ko and run every selftest.
VM_RUN := $(TOP)/selftests/vm/run.sh

.PHONY: vmtest vmtest-all runner-selftest
vmtest: selftests
	$(MAKE) --no-print-directory kmod-one KV=$(KV)
	$(VM_RUN) --kernel $(KV) --module $(call kmod_tree,$(KV))/vmsig.ko \
		--out $(B)/vm/$(KV) $(if $(TESTS),--only "$(TESTS)") $(ST_BINS)

vmtest-all: selftests
	@set -e; for k in $(KVERS); do \
		$(MAKE) --no-print-directory vmtest KV=$$k; done

# The runner proves it fails closed: failing, hanging and crashing guests
# must all be reported as failures.
runner-selftest: selftests
	$(MAKE) --no-print-directory kmod-one KV=$(firstword $(KVERS))
	$(TOP)/selftests/vm/runner-selftest.sh $(firstword $(KVERS)) \
		$(call kmod_tree,$(firstword $(KVERS)))/vmsig.ko $(B)/runner-selftest

# ----------------------------------------------------------------- check --
.PHONY: deps check check-inner demo
deps:
	@$(TOP)/scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory check-inner

check-inner:
	$(MAKE) --no-print-directory kmod-all lib
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory runner-selftest
	$(MAKE) --no-print-directory vmtest-all

demo: deps
	@$(MAKE) --no-print-directory selftests lib
	@k=$$($(TOP)/scripts/kvers.sh | head -n 1); \
	$(MAKE) --no-print-directory kmod-one KV=$$k && \
	$(VM_RUN) --kernel $$k --module $(call kmod_tree,$$k)/vmsig.ko \
		--out $(B)/demo --demo --extra $(B)/bin/vmsigctl $(ST_BINS)

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

.PHONY: clean
clean:
	rm -rf $(B)

endif
