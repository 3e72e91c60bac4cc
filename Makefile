# fluxus — top-level build. Outputs go under $(BUILD); nothing is written elsewhere.
#
#   make            fluxc and libfluxus.a
#   make check      every test (unit, golden diagnostics, generated code, examples)
#   make demo       build and run examples/quickstart
#   make SAN=asan check / SAN=tsan check   the same under sanitizers (own build dir)

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

SAN      ?=
ifeq ($(SAN),)
BUILD    ?= build
else
BUILD    ?= build/$(SAN)
endif

CC       ?= cc
RE2C     ?= re2c
LEMON    ?= lemon
LEMPAR   ?= $(firstword $(wildcard /usr/share/lemon/lempar.c /usr/local/share/lemon/lempar.c /usr/share/lemon/lempar.c))
WERROR   ?= -Werror
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Wpedantic $(WERROR)
SANFLAGS_asan := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SANFLAGS_tsan := -fsanitize=thread
SANFLAGS := $(SANFLAGS_$(SAN))
CPPFLAGS := -D_POSIX_C_SOURCE=200809L -Iruntime/include
CFLAGS   := -std=c11 $(OPT) $(WARN) $(SANFLAGS) -pthread $(EXTRA_CFLAGS)
LDFLAGS  := $(SANFLAGS) -pthread $(EXTRA_LDFLAGS)
DEPFLAGS  = -MMD -MP

FLUXC    := $(BUILD)/fluxc
LIBFX    := $(BUILD)/libfluxus.a
STAMP    := $(BUILD)/.bootstrap-ok

all: $(FLUXC) $(LIBFX)

# ---------------------------------------------------------------- bootstrap
$(STAMP): tools/bootstrap.sh
	@mkdir -p $(@D)
	@sh tools/bootstrap.sh
	@touch $@

bootstrap: $(STAMP)

# ---------------------------------------------------------------- runtime
RT_SRC := $(wildcard runtime/*.c)
RT_OBJ := $(RT_SRC:%.c=$(BUILD)/%.o)

$(LIBFX): $(RT_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# ---------------------------------------------------------------- fluxc
GEN_SRC    := $(wildcard gen/*.c)
GEN_OBJ    := $(GEN_SRC:%.c=$(BUILD)/%.o)
PARSER_C   := $(BUILD)/grammar/fx_parse.c
PARSER_H   := $(BUILD)/grammar/fx_parse.h
LEXER_C    := $(BUILD)/grammar/fx_lex.c
TMPL_C     := $(BUILD)/grammar/templates.c
TEMPLATES  := $(sort $(wildcard templates/*))
FRONT_OBJ  := $(PARSER_C:.c=.o) $(LEXER_C:.c=.o) $(TMPL_C:.c=.o)
FLUXC_OBJ  := $(filter-out $(BUILD)/gen/main.o,$(GEN_OBJ)) $(FRONT_OBJ)
VERSION    := 0.1.0
GEN_CPPFLAGS := -Igen -I$(BUILD)/grammar -DFLUXC_VERSION='"$(VERSION)"'

# lemon leaves an unchanged header alone: touch it so make sees it as new.
$(PARSER_C): grammar/fx_parse.y $(STAMP)
	@mkdir -p $(BUILD)/grammar
	$(LEMON) -q -T$(LEMPAR) -d$(BUILD)/grammar grammar/fx_parse.y
	@touch $(PARSER_H)
$(PARSER_H): $(PARSER_C)

$(LEXER_C): grammar/fx_lex.re $(STAMP)
	@mkdir -p $(@D)
	$(RE2C) -W -Werror --no-generation-date --no-version -o $@ grammar/fx_lex.re

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 $(WARN) -o $@ $<

$(TMPL_C): $(BUILD)/tools/embed $(TEMPLATES)
	@mkdir -p $(@D)
	$(BUILD)/tools/embed $@ $(TEMPLATES)

# Everything in gen/ sees the generated parser header.
$(GEN_OBJ) $(FRONT_OBJ): | $(PARSER_H)
$(GEN_OBJ): $(PARSER_H)

$(BUILD)/gen/%.o: gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(GEN_CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/grammar/%.o: $(BUILD)/grammar/%.c
	$(CC) $(CPPFLAGS) $(GEN_CPPFLAGS) $(CFLAGS) -Wno-unused-parameter $(DEPFLAGS) -c -o $@ $<

$(BUILD)/runtime/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(FLUXC): $(BUILD)/gen/main.o $(FLUXC_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# ---------------------------------------------------------------- tests
# tests/test_runtime_*.c : runtime units, linked with libfluxus
# tests/test_fluxc_*.c   : compiler units, linked with fluxc's objects
# tests/e2e/NAME.fx + tests/e2e/NAME.c : generated-code tests (module NAME)
# tests/golden/*.fx      : exact diagnostics (tests/run_golden.sh)
CMOCKA_LIBS := -lcmocka
# Tests that count allocations link through tests/support/malloc_count.c.
WRAP_MALLOC := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
TEST_LDFLAGS_test_runtime_ctx := $(WRAP_MALLOC)
TEST_LDFLAGS_test_runtime_pool := $(WRAP_MALLOC)
TEST_LDFLAGS_test_runtime_sched := $(WRAP_MALLOC)
E2E_LDFLAGS_e2e_alloc := $(WRAP_MALLOC)
E2E_LDFLAGS_batch_alloc := $(WRAP_MALLOC)
E2E_LDFLAGS_flow_alloc := $(WRAP_MALLOC)
# ---- observability exporters (issue 5; docs/OBSERVABILITY.md "Linking").
# runtime/prometheus.c (libmicrohttpd) and runtime/otlp.c (libcurl) live in
# libfluxus.a with the rest: a static link pulls an object only when the
# program calls into it, so only programs that call fx_prometheus_* or
# fx_otlp_* need OBS_LDLIBS (building libfluxus.a needs their headers:
# tools/bootstrap.sh installs libmicrohttpd-dev and libcurl4-openssl-dev).
# The tests and examples that use them get the flags here.
OBS_LDLIBS := -lmicrohttpd -lcurl
TEST_LDFLAGS_test_runtime_metrics := $(OBS_LDLIBS)
# The OTLP receiver the exporter's tests post to needs -lmicrohttpd: it is
# linked into those two tests only, not into SUPPORT_OBJ.
RECEIVER_OBJ := $(BUILD)/tests/support/otlp_receiver.o
TEST_LDFLAGS_test_runtime_otlp := $(RECEIVER_OBJ) $(OBS_LDLIBS) $(WRAP_MALLOC)
E2E_LDFLAGS_obs_pipeline := $(RECEIVER_OBJ) $(OBS_LDLIBS)
$(BUILD)/tests/test_runtime_otlp $(BUILD)/tests/e2e/obs_pipeline/test: $(RECEIVER_OBJ)
# ---- end of observability exporters
SUPPORT_SRC := $(filter-out tests/support/otlp_receiver.c,$(wildcard tests/support/*.c))
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(BUILD)/%.o)

RT_TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_runtime_*.c))
FLUXC_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_fluxc_*.c))
E2E_NAMES   := $(patsubst tests/e2e/%.fx,%,$(wildcard tests/e2e/*.fx))
E2E_TESTS   := $(E2E_NAMES:%=$(BUILD)/tests/e2e/%/test)

$(BUILD)/tests/%.o: tests/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(GEN_CPPFLAGS) -Itests/support $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(RT_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(SUPPORT_OBJ) $(LIBFX)
	$(CC) $(LDFLAGS) -o $@ $< $(SUPPORT_OBJ) $(LIBFX) $(CMOCKA_LIBS) -lm $(TEST_LDFLAGS_$*)

$(FLUXC_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(FLUXC_OBJ) $(SUPPORT_OBJ) $(LIBFX)
	$(CC) $(LDFLAGS) -o $@ $< $(FLUXC_OBJ) $(SUPPORT_OBJ) $(LIBFX) $(CMOCKA_LIBS) -lm

# Generated code is compiled with the strict flags, exactly as a user would.
$(BUILD)/tests/e2e/%/gen.stamp: tests/e2e/%.fx $(FLUXC)
	@mkdir -p $(@D)
	$(FLUXC) -o $(@D) $<
	@touch $@

$(BUILD)/tests/e2e/%/test: $(BUILD)/tests/e2e/%/gen.stamp tests/e2e/%.c $(SUPPORT_OBJ) $(LIBFX)
	$(CC) $(CPPFLAGS) -I$(@D) -Itests/e2e -Itests/support $(CFLAGS) -o $@ tests/e2e/$*.c $(@D)/$*.c \
	    $(SUPPORT_OBJ) $(LIBFX) $(CMOCKA_LIBS) -lm $(E2E_LDFLAGS_$*)

TESTS := $(RT_TESTS) $(FLUXC_TESTS) $(E2E_TESTS)

check: all $(TESTS) examples
	@sh tests/run_tests.sh $(TESTS)
	@sh tests/run_golden.sh $(FLUXC) tests/golden
	@$(MAKE) --no-print-directory run-examples

# ---------------------------------------------------------------- examples
EXAMPLES := $(patsubst examples/%/,%,$(dir $(wildcard examples/*/Makefile)))

examples: all
	@for e in $(EXAMPLES); do \
	  $(MAKE) --no-print-directory -C examples/$$e FLUXC=$(abspath $(FLUXC)) LIBFX=$(abspath $(LIBFX)) \
	    OUT=$(abspath $(BUILD))/examples/$$e CFLAGS_EXTRA="$(SANFLAGS)" || exit 1; done

run-examples: examples
	@for e in $(EXAMPLES); do \
	  $(MAKE) --no-print-directory -C examples/$$e FLUXC=$(abspath $(FLUXC)) LIBFX=$(abspath $(LIBFX)) \
	    OUT=$(abspath $(BUILD))/examples/$$e CFLAGS_EXTRA="$(SANFLAGS)" run >/dev/null || exit 1; \
	  echo "example $$e: ok"; done

demo: all
	@$(MAKE) --no-print-directory -C examples/quickstart FLUXC=$(abspath $(FLUXC)) \
	    LIBFX=$(abspath $(LIBFX)) OUT=$(abspath $(BUILD))/examples/quickstart run

# ================================================================ reliability gates
# Owned by the reliability-gates work (issue 6); docs/TESTING.md explains each
# gate, how to run it and how to add a case. Every gate builds in its own
# directory under $(BUILD), so `make BUILD=build/x check-asan` uses build/x/asan.
#
#   make check-asan       the whole `check` under ASan+UBSan, leaks on, any report fails
#   make check-tsan       the whole `check` under ThreadSanitizer
#   make check-valgrind   memcheck (no errors, no leaks) over every test executable,
#                         fluxc on every golden/e2e/example input, and the examples
#   make fuzz FUZZ_SECONDS=N   libFuzzer (clang) over the whole of fluxc, in memory
#   make fuzz-accept      every input the fuzzer kept that fluxc accepts: its C must compile
#   make check-difftest   differential test of the code generator (part of `check`)
#   make fuzz-gen N=…     the differential test on N more random programs
#   make check-stress     fault-injection stress (part of `check`, short)
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# `make SAN=asan|tsan check` runs the tests with the same options (a
# variable given in the environment still wins).
ifneq ($(SAN),)
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1
endif
check-asan:
	$(SAN_ENV) $(MAKE) --no-print-directory SAN=asan BUILD=$(BUILD)/asan check
check-tsan:
	$(SAN_ENV) $(MAKE) --no-print-directory SAN=tsan BUILD=$(BUILD)/tsan check

# valgrind: a plain -O1 build (sanitizers and valgrind do not mix). Nothing of
# ours is suppressed (.ci/valgrind.supp names glibc frames only); "still
# reachable" is not an error (the default runtime lives until exit),
# definite/indirect/possible leaks are.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --track-origins=yes \
            --suppressions=$(abspath .ci/valgrind.supp) \
            --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible
VG_BUILD := $(BUILD)/valgrind

build-tests: all $(TESTS) examples

check-valgrind:
	@command -v valgrind >/dev/null || { echo "check-valgrind: install valgrind (apt-get install valgrind)" >&2; exit 1; }
	$(MAKE) --no-print-directory BUILD=$(VG_BUILD) OPT="-O1 -g" build-tests
	@VALGRIND="$(VALGRIND)" sh .ci/valgrind.sh $(VG_BUILD) "$(EXAMPLES)"

# fuzz: clang + libclang-rt-14-dev (libFuzzer). The fluxc objects are rebuilt
# with -fsanitize=fuzzer-no-link,address,undefined in $(BUILD)/fuzz (passed as
# EXTRA_CFLAGS: SANFLAGS is fixed before this block is read); the
# corpus grows in $(BUILD)/fuzz/corpus, findings land in $(BUILD)/fuzz/artifacts.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_BIN     := $(FUZZ_BUILD)/tools/fuzz/fuzz_fluxc
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(BUILD)/tools/fuzz/fuzz_fluxc: tools/fuzz/fuzz_fluxc.c $(FLUXC_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(GEN_CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(FLUXC_OBJ) -lm

fuzz-bin: $(BUILD)/tools/fuzz/fuzz_fluxc

fuzz:
	@sh tools/fuzz/need_clang.sh $(FUZZ_CC)
	$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) WERROR= \
	    EXTRA_CFLAGS="$(FUZZ_SANFLAGS)" EXTRA_LDFLAGS="$(FUZZ_SANFLAGS)" fuzz-bin
	sh tools/fuzz/run.sh $(FUZZ_BIN) $(FUZZ_BUILD) $(FUZZ_SECONDS)

$(BUILD)/tools/fuzz/accept: tools/fuzz/accept.c $(FLUXC_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(GEN_CPPFLAGS) $(CFLAGS) -o $@ $< $(FLUXC_OBJ) -lm

fuzz-accept: $(BUILD)/tools/fuzz/accept
	$(BUILD)/tools/fuzz/accept -k $(FUZZ_BUILD)/accept-failures $(FUZZ_BUILD)/corpus tests/golden tests/e2e examples/*/ tools/fuzz/seeds

# difftest: random well-typed programs, compiled, built and run, compared with
# a reference interpreter (tests/difftest/gen.c). `make check` runs seeds
# 1..DIFFTEST_SEEDS (24 programs each); `make fuzz-gen N=programs [FIRST=seed]`
# runs more from a fresh seed (printed; a failing seed keeps its files).
DIFFTEST_SEEDS ?= 12
N            ?= 2400
FIRST        ?= $(shell date +%s)
DT_GEN       := $(BUILD)/tests/difftest/gen
$(DT_GEN): tests/difftest/gen.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -std=c11 -O1 -g $(WARN) -o $@ $<

check-difftest: $(DT_GEN) $(FLUXC) $(LIBFX)
	@SANFLAGS="$(SANFLAGS)" sh tests/difftest/run.sh $(DT_GEN) $(FLUXC) $(LIBFX) $(BUILD)/difftest 1 $(DIFFTEST_SEEDS)

fuzz-gen: $(DT_GEN) $(FLUXC) $(LIBFX)
	@echo "fuzz-gen: $(N) programs from seed $(FIRST)"
	@SANFLAGS="$(SANFLAGS)" sh tests/difftest/run.sh $(DT_GEN) $(FLUXC) $(LIBFX) $(BUILD)/fuzz-gen \
	    $(FIRST) $$(( ($(N) + 23) / 24 ))

# stress: fault injection from several threads (tests/stress/stress.c), short in
# `make check`; STRESS_RUNS=N make check-stress for N runs per thread.
STRESS_BIN := $(BUILD)/tests/stress/stress_combinators
$(BUILD)/tests/stress/gen.stamp: tests/stress/stress.fx $(FLUXC)
	@mkdir -p $(@D)
	$(FLUXC) -o $(@D) $<
	@touch $@
$(STRESS_BIN): $(BUILD)/tests/stress/gen.stamp tests/stress/stress.c $(LIBFX)
	$(CC) $(CPPFLAGS) -I$(@D) $(CFLAGS) -o $@ tests/stress/stress.c $(@D)/stress.c $(LIBFX) $(LDFLAGS) -lm

check-stress: $(STRESS_BIN)
	@$(STRESS_BIN)

# `make check` runs the fixed difftest seeds and the short stress too.
check: check-difftest check-stress
build-tests: $(STRESS_BIN)

.PHONY: check-asan check-tsan check-valgrind build-tests fuzz fuzz-bin fuzz-accept
.PHONY: check-difftest fuzz-gen check-stress
# ================================================================ end of reliability gates

# ================================================================ bench (issue 7)
# Owned by the benchmark work; docs/PERFORMANCE.md explains it. Not part of
# `check`. Builds in $(BUILD)/bench (fluxc and libfluxus at the default -O2),
# installs oneTBB (the peer) with apt-get when missing, runs every case three
# ways (fluxus, hand-written C, oneTBB), times fluxc on 1k/10k/100k-line
# inputs, prints the table and writes bench/RESULTS.md.
#   make bench                      everything (a few minutes)
#   make bench BENCH_FILTER=Chain   only the cases whose name contains Chain
#                                   (then the table goes to $(BUILD)/bench/RESULTS.md)
BENCH_FILTER ?=
bench: all
	@$(MAKE) --no-print-directory -f bench/bench.mk FLUXC=$(FLUXC) LIBFX=$(LIBFX) \
	    OUT=$(BUILD)/bench BENCH_FILTER='$(BENCH_FILTER)' run

.PHONY: bench
# ================================================================ end of bench

clean:
	rm -rf build

.PHONY: all bootstrap check examples run-examples demo clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
