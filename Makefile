# usbsim — build, test, demo.
#
#   make          build/usbsim and one static library per component (sim, driver, harness)
#   make demo     set up, build, run the default scenario on the default backend, print the verdict
#   make check    set up, build, run every test: plain, under ASan+UBSan, ring tests under TSan,
#                 the doorbell model (spin), the fuzz targets briefly, the scenario suite
#   make asan | tsan | model | fuzz-smoke | fuzz | suite | cli-check | clean
#   make lib      the transport as a library others link: build/libusbsim-ring.{so.1,a}, headers
#   make install [PREFIX=/usr/local] [DESTDIR=...]   program, library, headers, usbsim-ring.pc,
#                 man page, bash completion, the guides in share/doc/usbsim, the VM script
#                 (share/usbsim/vm.sh); make uninstall
#                 removes exactly that (its manifest)
#   make docs     regenerates docs/scenario-format.md from the loader's key tables
#   make bench    the benches with --json, their ratios compared with bench/baseline.json (not in
#                 make check); make bench-baseline records a new baseline
#
# Everything is built out of tree under $(BUILD) (default build/); variants live in build/asan and
# build/tsan. Header dependencies are tracked automatically (-MMD).

FAULTS  ?=
BUILD   ?= $(if $(FAULTS),build/faults,build)
CC      ?= cc
SAN     ?=
OPT     ?= -O2
PKGS    := libusb-1.0 jansson yaml-0.1 libpcap zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The program's version (usbsim --version) and the transport library's (SONAME .so.$(SOMAJOR)).
VERSION := 0.1.0
LIBVER  := 2.0.0
SOMAJOR := $(firstword $(subst ., ,$(LIBVER)))
PREFIX  ?= /usr/local
DESTDIR ?=

# CFLAGS holds only what a user may replace (make CFLAGS=-O0); what the code needs is in
# REQ_CFLAGS, always put in front of it in every rule.
CFLAGS  ?= $(OPT) -g
REQ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP -I. $(PKG_CFLAGS) $(SAN) \
              $(if $(FAULTS),-DUSBSIM_FAULTS)
REQ_LDFLAGS := $(SAN)
LDLIBS  := $(PKG_LIBS) -lck -lrte_ring -lpthread -lm
# DPDK's rte_ring, the anchor `usbsim bench ring` measures against: its headers only where it is
# used (they need DPDK's own flags); the program links librte_ring alone (no EAL is initialised).
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)

SIM_SRC     := $(wildcard sim/*.c)
DRIVER_SRC  := $(wildcard driver/*.c)
HARNESS_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c))
TEST_SRC    := $(wildcard tests/test_*.c)
# Tests of the lock-free parts: also run under ThreadSanitizer.
TSAN_TESTS  := $(wildcard tests/test_ring*.c tests/test_doorbell*.c tests/test_client*.c tests/test_dataqueue.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBS := $(BUILD)/libharness.a $(BUILD)/libdriver.a $(BUILD)/libsim.a
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

.PHONY: all deps demo check test asan tsan model fuzz fuzz-smoke suite vm-check exec-check attach-check fuzz-faults clean \
        cli-check apps bench bench-run bench-baseline
.DEFAULT_GOAL := all

all: $(BUILD)/usbsim

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsim.a: $(call obj,$(SIM_SRC))
$(BUILD)/libdriver.a: $(call obj,$(DRIVER_SRC))
$(BUILD)/libharness.a: $(call obj,$(HARNESS_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/usbsim: $(call obj,harness/main.c) $(LIBS)
	$(CC) $(REQ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(call obj,tests/%.c) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# Examples are built against the libraries' public headers only, as a user's program would be.
$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -o $@ $< $(REQ_LDFLAGS) $(LDFLAGS) $(PKG_LIBS)
$(BUILD)/examples/recv_libusb $(BUILD)/examples/recv_vendor_start: examples/recv_loop.h

# The real-kernel path, in a VM (ci/vm.sh): FunctionFS gadget on dummy_hcd read through libusb,
# USB/IP interop both ways with Linux's own tools, then scenarios with `usbsim run --backend vm`
# (their HTML pages brought back) and a short timing-fuzz campaign on the real USB stack
# (`usbsim fuzz --backend vm`). `make exec-check`: the user's own program with `usbsim run
# --exec` (the host's filesystem shared with the VM: tests/vm/exec.sh).
VM_BINS := $(BUILD)/vm-tests/usb_reader $(BUILD)/vm-tests/usbmon_pcap $(BUILD)/vm-tests/ep_probe \
           $(BUILD)/tests/test_gadget_ffs
VM_SCRIPTS := tests/vm/suite.sh tests/vm/common.sh tests/vm/ffs_libusb.sh tests/vm/usbip_interop.sh \
              tests/vm/ffs_usbipd.sh tests/vm/device_own.sh scenarios/hid-keyboard.yaml \
              tests/vm/replay_capture.sh tests/vm/ffs_endpoints.sh scenarios/status-endpoint.yaml
VM_SCENARIOS := scenarios/steady.yaml scenarios/halt.yaml scenarios/disconnect.yaml \
                scenarios/consumer-stall.yaml scenarios/vendor-start.yaml

$(BUILD)/vm-tests/%: $(call obj,tests/vm/%.c) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

vm-check: $(BUILD)/usbsim $(VM_BINS) $(BUILD)/examples/recv_libusb
	@bash ci/deps.sh vm
	@rm -rf $(BUILD)/vm-out
	@VM_OUT=$(BUILD)/vm-out USBSIM_BIN=$(BUILD)/usbsim bash ci/vm.sh run $(VM_SCRIPTS) $(VM_BINS)
	@bash tests/replay.sh $(BUILD) $(BUILD)/vm-out/replay-src.pcap
	@rm -rf $(BUILD)/vm-html && mkdir -p $(BUILD)/vm-html
	@./$(BUILD)/usbsim run --backend vm $(VM_SCENARIOS) --html $(BUILD)/vm-html/vm.html
	@for s in $(basename $(notdir $(VM_SCENARIOS))); do test -s $(BUILD)/vm-html/vm-$$s.html || \
	  { echo "vm-check: the HTML page of $$s did not come back from the VM"; exit 1; }; done
	@./$(BUILD)/usbsim fuzz --backend vm --runs 4 --time-scale 20 --out $(BUILD)/vm/fuzz --quiet

$(BUILD)/obj/harness/bench_anchor.o: REQ_CFLAGS += $(DPDK_CFLAGS)

# `make bench`: ring, e2e and scale with --json, their ratios compared with bench/baseline.json
# (bench/compare.py: what got worse by more than the runs' own spread). Not part of `make check`:
# it measures speed, a few minutes on a quiet machine. `make bench-baseline` records a new
# baseline from the same runs.
BENCH_OUT := $(BUILD)/bench
bench-run: $(BUILD)/usbsim
	@mkdir -p $(BENCH_OUT)
	@echo "bench: ring (about 20 s)" && ./$(BUILD)/usbsim bench ring --json >$(BENCH_OUT)/ring.json || true
	@echo "bench: e2e (about 50 s)" && ./$(BUILD)/usbsim bench e2e --json >$(BENCH_OUT)/e2e.json || true
	@echo "bench: scale (about three minutes)" && ./$(BUILD)/usbsim bench scale --json \
	  --html $(BENCH_OUT)/scale.html >$(BENCH_OUT)/scale.json || true
bench: bench-run
	@python3 bench/compare.py --self-test
	@python3 bench/compare.py bench/baseline.json $(BENCH_OUT)/ring.json $(BENCH_OUT)/e2e.json \
	  $(BENCH_OUT)/scale.json
bench-baseline: bench-run
	@python3 bench/compare.py --write bench/baseline.json $(BENCH_OUT)/ring.json \
	  $(BENCH_OUT)/e2e.json $(BENCH_OUT)/scale.json

# The user's own program under `usbsim run --exec` and `fuzz --exec` in the VM (tests/vm/exec.sh):
# the VM sees the host's filesystem read-only, its /tmp with what the VM writes kept inside.
# `make attach-check`: `--backend attach` inside the VM (not in make check: nested in the TCG VM
# it is not yet steady: a late start, usbmon times out of step with the device's).
attach-check: $(BUILD)/usbsim $(BUILD)/examples/recv_libusb
	@bash ci/deps.sh vm
	@bash tests/vm/exec.sh $(BUILD) attach

exec-check: $(BUILD)/usbsim $(BUILD)/examples/recv_libusb $(BUILD)/examples/recv_vendor_start
	@bash ci/deps.sh vm
	@echo "exec-check: your program on a real USB stack in the VM (about 3 minutes)"
	@bash tests/vm/exec.sh $(BUILD)

# `usbsim --version`: the version is compiled into cli.o only, rebuilt when the Makefile changes.
$(BUILD)/obj/harness/cli.o: REQ_CFLAGS += -DUSBSIM_VERSION=\"$(VERSION)\"
$(BUILD)/obj/harness/cli.o: Makefile

# ---- the transport as a library (ring, doorbell, client, dataqueue: no USB code) ----------------
.PHONY: lib install uninstall docs docs-check
RING_SRC := driver/status.c driver/ring.c driver/doorbell.c driver/client.c driver/dataqueue.c \
            driver/record.c
# What the shared library exports: usbsim_* and nothing else (tests/abi.sh checks it with nm -D).
RING_MAP := driver/libusbsim-ring.map
RING_SO  := $(BUILD)/libusbsim-ring.so.$(LIBVER)
RING_A   := $(BUILD)/libusbsim-ring.a
# driver/record.h is internal (what an application took, recorded for the harness): not installed.
RING_INC := $(patsubst driver/%.c,$(BUILD)/include/usbsim/%.h,$(filter-out driver/record.c,$(RING_SRC)))

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

$(RING_SO): $(patsubst %.c,$(BUILD)/pic/%.o,$(RING_SRC)) $(RING_MAP)
	$(CC) -shared -Wl,-soname,libusbsim-ring.so.$(SOMAJOR) -Wl,-z,defs -Wl,--version-script=$(RING_MAP) \
	  $(REQ_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) -lpthread
	ln -sf $(notdir $@) $(BUILD)/libusbsim-ring.so.$(SOMAJOR)
	ln -sf libusbsim-ring.so.$(SOMAJOR) $(BUILD)/libusbsim-ring.so

$(RING_A): $(call obj,$(RING_SRC))

# Installed headers include each other as <usbsim/NAME.h> (in the tree: "driver/NAME.h"), so a
# program needs only -I$(PREFIX)/include and writes #include <usbsim/ring.h>.
$(BUILD)/include/usbsim/%.h: driver/%.h
	@mkdir -p $(dir $@)
	sed 's|^#include "driver/\([a-z_]*\)\.h"|#include <usbsim/\1.h>|' $< >$@

lib: $(RING_SO) $(RING_A) $(RING_INC)

# The examples that use the transport are built as a user's program: installed-style headers.
RING_EXAMPLES := $(BUILD)/examples/consumer $(BUILD)/examples/app_batch $(BUILD)/examples/app_percall
$(RING_EXAMPLES): $(BUILD)/examples/%: examples/%.c $(RING_A) $(RING_INC)
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) $(CFLAGS) -I$(BUILD)/include -o $@ $< $(REQ_LDFLAGS) $(LDFLAGS) $(RING_A) -lpthread

# ---- install / uninstall: every file installed (and every directory created) is listed in a
# manifest installed with them, $(PREFIX)/share/usbsim/install-manifest; uninstall follows it.
MANIFEST := $(PREFIX)/share/usbsim/install-manifest
# The guides, the scenario reference and the trace format, installed under share/doc/usbsim.
DOCS := $(wildcard docs/*.md)

install: all lib
	@set -e; root='$(DESTDIR)'; p='$(PREFIX)'; list=$$(mktemp); [ -z "$$root" ] || mkdir -p "$$root"; \
	if [ -f "$$root$(MANIFEST)" ]; then grep '^d ' "$$root$(MANIFEST)" >"$$list" || true; fi; \
	mkd() { if [ -z "$$1" ] || [ -d "$$root$$1" ]; then return 0; fi; mkd "$${1%/*}"; \
	        mkdir "$$root$$1"; echo "d $$1" >>"$$list"; }; \
	put() { mkd "$${3%/*}"; install -m "$$1" "$$2" "$$root$$3"; echo "f $$3" >>"$$list"; echo "  $$root$$3"; }; \
	lnk() { mkd "$${2%/*}"; ln -sfn "$$1" "$$root$$2"; echo "f $$2" >>"$$list"; echo "  $$root$$2 -> $$1"; }; \
	put 755 $(BUILD)/usbsim "$$p/bin/usbsim"; \
	put 644 $(RING_SO) "$$p/lib/$(notdir $(RING_SO))"; \
	lnk $(notdir $(RING_SO)) "$$p/lib/libusbsim-ring.so.$(SOMAJOR)"; \
	lnk libusbsim-ring.so.$(SOMAJOR) "$$p/lib/libusbsim-ring.so"; \
	put 644 $(RING_A) "$$p/lib/libusbsim-ring.a"; \
	for h in $(RING_INC); do put 644 "$$h" "$$p/include/usbsim/$${h##*/}"; done; \
	sed -e "s|@PREFIX@|$$p|" -e 's|@VERSION@|$(LIBVER)|' usbsim-ring.pc.in >$(BUILD)/usbsim-ring.pc; \
	put 644 $(BUILD)/usbsim-ring.pc "$$p/lib/pkgconfig/usbsim-ring.pc"; \
	put 644 docs/usbsim.1 "$$p/share/man/man1/usbsim.1"; \
	put 644 completion/usbsim.bash "$$p/share/bash-completion/completions/usbsim"; \
	for d in $(DOCS); do put 644 "$$d" "$$p/share/doc/usbsim/$${d##*/}"; done; \
	put 755 ci/vm.sh "$$p/share/usbsim/vm.sh"; \
	mkd "$$p/share/usbsim"; echo "f $(MANIFEST)" >>"$$list"; \
	install -m 644 "$$list" "$$root$(MANIFEST)"; rm -f "$$list"; echo "  $$root$(MANIFEST)"

uninstall:
	@set -e; root='$(DESTDIR)'; m="$$root$(MANIFEST)"; \
	if [ ! -f "$$m" ]; then echo "make uninstall: $$m does not exist: nothing installed there" >&2; exit 1; fi; \
	files=$$(sed -n 's/^f //p' "$$m"); dirs=$$(sed -n 's/^d //p' "$$m" | sort -r); \
	for f in $$files; do case "$$f" in '$(PREFIX)'/*) rm -f "$$root$$f"; echo "  removed $$root$$f";; esac; done; \
	for d in $$dirs; do rmdir "$$root$$d" 2>/dev/null || true; done

# ---- docs/scenario-format.md, generated from the loader's key tables ----------------------------
GEN_DOC := $(BUILD)/gen_scenario_doc
$(GEN_DOC): $(call obj,tests/gen_scenario_doc.c) $(BUILD)/libsim.a
	$(CC) $(REQ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

docs: $(GEN_DOC)
	./$(GEN_DOC) >docs/scenario-format.md

docs-check: $(GEN_DOC)
	@./$(GEN_DOC) | diff -u docs/scenario-format.md - || \
	  { echo "docs/scenario-format.md differs from the loader's tables: run 'make docs'"; exit 1; }

# Planted transport bugs (driver/fault.h, built with FAULTS=1): proof that `usbsim fuzz` finds
# and shrinks each one; also a clean campaign, determinism and sharding.
fuzz-faults: $(BUILD)/usbsim
	@bash tests/fuzz_faults.sh

# `usbsim import` round trips through usbsim's own device (tests/import.sh): a host that
# enumerates like Linux against `usbsim gadget --pcap`, and `usbsim run --pcap`, imported back.
.PHONY: import-check
import-check: $(BUILD)/usbsim
	@bash tests/import.sh $(BUILD)

# The man page and the bash completion against every command's --help (tests/cli_docs.sh).
cli-check: $(BUILD)/usbsim
	@bash tests/cli_docs.sh $(BUILD)

deps:
	@bash ci/deps.sh

demo:
	@bash ci/deps.sh build
	@$(MAKE) --no-print-directory all
	@./$(BUILD)/usbsim run scenarios/steady.yaml

# Runs every unit test binary of this build; each prints CUnit's summary and fails on a failure.
test: $(TESTS) $(EXAMPLES)
	@set -e; for t in $(TESTS); do echo "== $$t"; ./$$t; done

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test

tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan OPT=-O1 SAN="-fsanitize=thread" \
	  TESTS="$(patsubst tests/%.c,build/tsan/tests/%,$(TSAN_TESTS))" test

model:
	@bash ci/model.sh

fuzz fuzz-smoke:
	@bash ci/fuzz.sh $(if $(filter fuzz,$@),long,smoke)

suite: $(BUILD)/usbsim
	@bash ci/suite.sh ./$(BUILD)/usbsim
	@bash tests/html_render.sh $(BUILD)
	@bash tests/pcap_tshark.sh $(BUILD)

# The user's own application (`run --app`): the example applications built as users build them,
# run against examples/apps/hiccup.yaml, and programs that fail in every way (tests/apps.sh).
apps: $(BUILD)/usbsim $(RING_EXAMPLES)
	@bash tests/apps.sh $(BUILD)

# The stages of `make check`, in order; each one's time is printed (the whole must stay within
# 15 minutes on a 2-core machine). Each stage builds what it needs two jobs at a time (CHECK_JOBS);
# what a stage runs, it runs one thing after another.
CHECK_JOBS ?= 2
CHECK_STAGES := all test cli-check asan tsan model fuzz-smoke suite apps import-check fuzz-faults \
                vm-check exec-check
check: deps
	@for s in $(CHECK_STAGES); do t=$$(date +%s); \
	  $(MAKE) --no-print-directory -j$(CHECK_JOBS) $$s || exit 1; \
	  echo "make check: $$s took $$(( $$(date +%s) - t )) s"; done
	@t=$$(date +%s); bash tests/install.sh $(BUILD) && bash tests/hostile.sh $(BUILD) && \
	  echo "make check: install and hostile took $$(( $$(date +%s) - t )) s"
	@echo "make check: every test passed"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
