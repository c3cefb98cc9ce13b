# Corral's own C: the product binaries (static, musl) and the unit tests.
#
#   make            build every program whose main.c exists into out/bin/
#   make check      unit tests, host compiler with ASan/UBSan (no KVM needed)
#   make fuzz       libFuzzer targets (clang) into out/fuzz/
#   make fuzz-run   run each fuzz target for FUZZ_SECONDS seconds
#
# Layout rule: every program lives in one directory; its main() is in main.c
# of that directory, so everything else in it can be linked into unit tests
# and fuzz targets.  Code shared by several programs lives in lib.

VERSION := $(shell cat VERSION)
OUT     ?= out

# --- product build: static musl --------------------------------------------
MUSL_CC ?= musl-gcc
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE -DCORRAL_VERSION='"$(VERSION)"'
INCS    := -Ilib
# musl ships no Linux UAPI headers; point at the host's (linux/kvm.h etc).
MUSL_INC := $(OUT)/musl-include
PROD_CFLAGS  = $(WARN) $(DEFS) $(INCS) -isystem $(MUSL_INC) -isystem $(ZLIB_PREFIX)/include -Os -g0 \
                -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
PROD_LDFLAGS := -static -Wl,--gc-sections -s -pthread

# ncurses (static, musl) is built by build.sh; corral-setup needs it, and
# crypt() (musl's own, which Debian's musl leaves out) to check the root
# password for the console lock.
NCURSES_PREFIX ?= $(OUT)/third-party/ncurses
MUSL_CRYPT_PREFIX ?= $(OUT)/third-party/musl-crypt
# zlib (static, musl, built by build.sh): deflate for corral-vmm's RFB
# server and corral's PNG screenshots.  Its headers are on every product
# compile line; only those two programs link it (lib is linked as an
# archive, so a program takes only the lib objects it uses).
ZLIB_PREFIX ?= $(OUT)/third-party/zlib
# civetweb (HTTP, WebSocket) and mbedTLS, static musl, built by build.sh:
# corral-web, and mbedTLS for the CLI's https imports too.
CIVETWEB_PREFIX ?= $(OUT)/third-party/civetweb
MBEDTLS_PREFIX ?= $(OUT)/third-party/mbedtls
# libsodium's Ed25519 (static, musl, built by build.sh): corral-install
# checks release ISOs' signatures with it.
LIBSODIUM_PREFIX ?= $(OUT)/third-party/libsodium
# liburing (static, musl, built by build.sh): corral-vmm's disks.  Unit
# tests and fuzz targets link the host's (liburing-dev, test-deps.txt), its
# static archive: Debian's liburing.so.2.3 does not export the restriction
# calls (io_uring_register_restrictions, io_uring_enable_rings).
LIBURING_PREFIX ?= $(OUT)/third-party/liburing

# program name -> source directory
DIR_corral-vmm     := hypervisor/vmm
DIR_corrald        := hypervisor/corrald
DIR_corral         := hypervisor/cli
DIR_corral-setup   := console-ui
DIR_corral-install := initramfs/installer
DIR_corral-nettest := hypervisor/nettest
DIR_corral-sysconf := initramfs/sysconf
DIR_corral-web     := hypervisor/web
DIR_corral-netguard := initramfs/netguard
LIBS_corral-vmm    := -L$(ZLIB_PREFIX)/lib -lz -L$(LIBURING_PREFIX)/lib -luring
CFLAGS_corral-vmm  := -I$(LIBURING_PREFIX)/include
LIBS_corral        := -L$(ZLIB_PREFIX)/lib -lz -L$(MBEDTLS_PREFIX)/lib -lmbedtls -lmbedx509 \
                      -lmbedcrypto
CFLAGS_corral      := -I$(MBEDTLS_PREFIX)/include
LIBS_corral-install := -L$(LIBSODIUM_PREFIX)/lib -lsodium
CFLAGS_corral-install := -I$(LIBSODIUM_PREFIX)/include
LIBS_corral-setup  := -L$(NCURSES_PREFIX)/lib -lncursesw -L$(MUSL_CRYPT_PREFIX)/lib -lcrypt
LIBS_corral-web    := -L$(CIVETWEB_PREFIX)/lib -lcivetweb -L$(MBEDTLS_PREFIX)/lib -lmbedtls \
                      -lmbedx509 -lmbedcrypto -L$(MUSL_CRYPT_PREFIX)/lib -lcrypt
CFLAGS_corral-web  := -I$(CIVETWEB_PREFIX)/include -I$(MBEDTLS_PREFIX)/include \
                      -I$(MUSL_CRYPT_PREFIX)/include
CFLAGS_corral-setup := -I$(NCURSES_PREFIX)/include -I$(NCURSES_PREFIX)/include/ncursesw \
                       -I$(MUSL_CRYPT_PREFIX)/include

ALL_PROGRAMS := corral-vmm corrald corral corral-setup corral-install corral-nettest \
                corral-sysconf corral-web corral-netguard
# Only programs that exist yet; corral-install only when libsodium is
# built, corral-web only when civetweb, mbedTLS and crypt are, corral-setup
# only when ncurses and crypt
# are built.
PROGRAMS := $(foreach p,$(ALL_PROGRAMS),$(if $(wildcard $(DIR_$(p))/main.c),$(p)))
ifneq ($(words $(wildcard $(NCURSES_PREFIX)/lib/libncursesw.a $(MUSL_CRYPT_PREFIX)/lib/libcrypt.a)),2)
PROGRAMS := $(filter-out corral-setup,$(PROGRAMS))
endif
ifneq ($(words $(wildcard $(CIVETWEB_PREFIX)/lib/libcivetweb.a $(MBEDTLS_PREFIX)/lib/libmbedtls.a $(MUSL_CRYPT_PREFIX)/lib/libcrypt.a)),3)
PROGRAMS := $(filter-out corral-web,$(PROGRAMS))
endif
ifeq ($(wildcard $(LIBSODIUM_PREFIX)/lib/libsodium.a),)
PROGRAMS := $(filter-out corral-install,$(PROGRAMS))
endif

LIB_SRCS := $(wildcard lib/*.c)
srcs_of   = $(wildcard $(DIR_$(1))/*.c)
# Sources without main(): what unit tests and fuzz targets may link.
TESTABLE_SRCS := $(LIB_SRCS) $(foreach p,$(ALL_PROGRAMS),\
                   $(filter-out %/main.c,$(call srcs_of,$(p))))
# console-ui/ui_*.c draw with ncurses (and call crypt()): the console UI's
# front end, left out of unit tests.  Its other files are plain C (field
# validators, password rules, the menu model...) and are tested.
TESTABLE_SRCS := $(filter-out console-ui/ui_%,$(TESTABLE_SRCS))
# hypervisor/web/srv_*.c are corral-web's glue to civetweb and mbedTLS
# (libraries built for musl only); its web_*.c logic is tested.
TESTABLE_SRCS := $(filter-out hypervisor/web/srv_%,$(TESTABLE_SRCS))
# hypervisor/cli/tls_*.c is the CLI's glue to mbedTLS, for the same reason.
TESTABLE_SRCS := $(filter-out hypervisor/cli/tls_%,$(TESTABLE_SRCS))

.PHONY: all check fuzz fuzz-run clean
all: $(addprefix $(OUT)/bin/,$(PROGRAMS))

$(MUSL_INC)/.stamp:
	@mkdir -p $(MUSL_INC)
	@ln -sfn /usr/include/linux $(MUSL_INC)/linux
	@ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	@ln -sfn /usr/include/x86_64-linux-gnu/asm $(MUSL_INC)/asm
	@touch $@

$(OUT)/musl/%.o: %.c $(MUSL_INC)/.stamp
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(PROD_CFLAGS) $(CFLAGS_$(PROG)) -MMD -MP -c $< -o $@

MUSL_LIB := $(OUT)/musl/libcorral.a
$(MUSL_LIB): $(patsubst %.c,$(OUT)/musl/%.o,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define program_rule
$(OUT)/bin/$(1): PROG := $(1)
$(OUT)/bin/$(1): $(patsubst %.c,$(OUT)/musl/%.o,$(call srcs_of,$(1))) $(MUSL_LIB)
	@mkdir -p $$(dir $$@)
	$(MUSL_CC) $(PROD_LDFLAGS) -o $$@ $$^ $(LIBS_$(1))
$(patsubst %.c,$(OUT)/musl/%.o,$(call srcs_of,$(1))): PROG := $(1)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# corral-vmm with its test hooks (CORRAL_VMM_TEST_HOOKS: SIGURG makes a
# call the jail forbids), for tests/integration/test_jail.py, which puts it
# on the test-data disk.  Never in the ISO.
TEST_VMM := $(OUT)/test-bin/corral-vmm
$(OUT)/musl-test/%.o: %.c $(MUSL_INC)/.stamp
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(PROD_CFLAGS) $(CFLAGS_corral-vmm) -DCORRAL_VMM_TEST_HOOKS -MMD -MP -c $< -o $@
$(TEST_VMM): $(patsubst %.c,$(OUT)/musl-test/%.o,$(call srcs_of,corral-vmm)) $(MUSL_LIB)
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(PROD_LDFLAGS) -o $@ $^ $(LIBS_corral-vmm)
.PHONY: test-vmm
test-vmm: $(TEST_VMM)

# --- unit tests: host compiler, ASan + UBSan --------------------------------
HOST_CC     ?= cc
SAN         := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_CFLAGS := $(WARN) $(DEFS) $(INCS) -Itests/unit -O1 -g $(SAN)
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(OUT)/host/tests/%,$(wildcard tests/unit/test_*.c))
HOST_LIB    := $(OUT)/host/libcorral-testable.a
# What every host program linking the testable code needs with it (unit
# tests, fuzz targets, test tools): threads, zlib, liburing's archive.
HOST_LINK_LIBS := -pthread -lz -l:liburing.a

$(OUT)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(HOST_LIB): $(patsubst %.c,$(OUT)/host/%.o,$(TESTABLE_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(OUT)/host/tests/%: tests/unit/%.c tests/unit/check.h $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB) $(HOST_LINK_LIBS)

check: $(UNIT_TESTS)
	@test -n "$(UNIT_TESTS)" || { echo "make check: no unit tests found"; exit 1; }
	@pass=0; fail=0; \
	for t in $(UNIT_TESTS); do \
	  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; then \
	    pass=$$((pass+1)); else echo "FAILED: $$t"; fail=$$((fail+1)); fi; \
	done; \
	echo "unit test programs: $$pass passed, $$fail failed"; test $$fail -eq 0

# The ACPI table-loader files as corral-vmm makes them, for test_uefi.py to
# hand Debian's OVMF in a plain QEMU.  Never in the ISO.
ACPI_LOADER_FILES := $(OUT)/test-bin/acpi-loader-files
$(ACPI_LOADER_FILES): tests/tools/acpi_loader_files.c $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB) $(HOST_LINK_LIBS)
.PHONY: acpi-loader-files
acpi-loader-files: $(ACPI_LOADER_FILES)

# The seccomp filter's cost per system call on this machine's own CPU, for
# `./build.sh bench seccomp`: optimised, without sanitizers, never in the ISO.
SECCOMP_COST := $(OUT)/test-bin/seccomp-cost
$(SECCOMP_COST): tests/bench/seccomp_cost.c hypervisor/vmm/seccomp_filter.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(WARN) $(DEFS) -O2 -o $@ $^
.PHONY: seccomp-cost
seccomp-cost: $(SECCOMP_COST)

# --- fuzz targets: clang + libFuzzer ----------------------------------------
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := $(WARN) $(DEFS) $(INCS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 20

$(OUT)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(patsubst %.c,$(OUT)/fuzzobj/%.o,$(TESTABLE_SRCS))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) $(DEFS) $(INCS) -O1 -g -fsanitize=fuzzer,address,undefined \
	  -o $@ $^ $(HOST_LINK_LIBS)

fuzz: $(FUZZ_TARGETS)

# Each target runs for a bounded time from its seed corpus; a crash fails.
fuzz-run: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do \
	  name=$$(basename $$t); seeds=tests/fuzz/corpus/$$name; \
	  work=$(OUT)/fuzz-corpus/$$name; mkdir -p $$work; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	      -artifact_prefix=$(OUT)/fuzz/$$name- $$work $$( [ -d $$seeds ] && echo $$seeds ) \
	      2>$(OUT)/fuzz/$$name.log || { tail -40 $(OUT)/fuzz/$$name.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' $(OUT)/fuzz/$$name.log || true; \
	done

clean:
	rm -rf $(OUT)/bin $(OUT)/musl $(OUT)/host $(OUT)/fuzz $(OUT)/fuzzobj $(OUT)/musl-include

-include $(shell find $(OUT)/musl $(OUT)/host -name '*.d' 2>/dev/null)
