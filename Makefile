# usbsim — build, test, demo.
#
#   make          build/usbsim and one static library per component (sim, driver, harness)
#   make demo     set up, build, run the default scenario on the default backend, print the verdict
#   make check    set up, build, run every test: plain, under ASan+UBSan, ring tests under TSan,
#                 the doorbell model (spin), the fuzz targets briefly, the scenario suite
#   make asan | tsan | model | fuzz-smoke | fuzz | suite | clean
#
# Everything is built out of tree under $(BUILD) (default build/); variants live in build/asan and
# build/tsan. Header dependencies are tracked automatically (-MMD).

BUILD   ?= build
CC      ?= cc
SAN     ?=
OPT     ?= -O2
PKGS    := libusb-1.0 jansson yaml-0.1 libpcap zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP -I. $(PKG_CFLAGS) $(SAN)
LDFLAGS += $(SAN)
LDLIBS  := $(PKG_LIBS) -lck -lpthread -lm

SIM_SRC     := $(wildcard sim/*.c)
DRIVER_SRC  := $(wildcard driver/*.c)
HARNESS_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c))
TEST_SRC    := $(wildcard tests/test_*.c)
# Tests of the lock-free parts: also run under ThreadSanitizer.
TSAN_TESTS  := $(wildcard tests/test_ring*.c tests/test_doorbell*.c tests/test_client*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBS := $(BUILD)/libharness.a $(BUILD)/libdriver.a $(BUILD)/libsim.a
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

.PHONY: all deps demo check test asan tsan model fuzz fuzz-smoke suite clean
.DEFAULT_GOAL := all

all: $(BUILD)/usbsim

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libsim.a: $(call obj,$(SIM_SRC))
$(BUILD)/libdriver.a: $(call obj,$(DRIVER_SRC))
$(BUILD)/libharness.a: $(call obj,$(HARNESS_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/usbsim: $(call obj,harness/main.c) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(call obj,tests/%.c) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# Examples are built against the libraries' public headers only, as a user's program would be.
$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) $(PKG_LIBS)

deps:
	@bash ci/deps.sh

demo: deps
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

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory model
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory suite
	@echo "make check: every test passed"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
