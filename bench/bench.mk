# bench/bench.mk — builds and runs the benchmark suite (issue 7,
# docs/PERFORMANCE.md). Called by the top-level `make bench`, which passes
# FLUXC, LIBFX and OUT (a directory of its own under the build directory).
#
#   make bench                      every case, writes bench/RESULTS.md
#   make bench BENCH_FILTER=Chain   the cases whose name contains "Chain"
#                                   (results go to OUT/RESULTS.md instead)
FLUXC   ?= build/fluxc
LIBFX   ?= build/libfluxus.a
OUT     ?= build/bench
CC      ?= cc
CXX     ?= g++
BENCH_FILTER ?=

MODULES := chain flow batch resil observe
GEN     := $(OUT)/gen
# Generated code and stages are compiled exactly as a user would: strict, -O2.
CFLAGS_B   := -std=c11 -O2 -g -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L -pthread
CPPFLAGS_B := -Iruntime/include -I$(GEN) -Ibench
CXXFLAGS_B := -std=c++17 -O2 -g -Wall -Wextra -Werror -pthread

GEN_C    := $(MODULES:%=$(GEN)/b%.c)
# The public headers: a struct that grows (fx_task, fx_group) must rebuild
# every object that embeds it.
FX_HDRS  := $(wildcard runtime/include/fluxus/*.h)
OBJ      := $(MODULES:%=$(OUT)/obj/b%.o) $(MODULES:%=$(OUT)/obj/%_stages.o) $(MODULES:%=$(OUT)/obj/fam_%.o) \
            $(OUT)/obj/harness.o $(OUT)/obj/alloc_count.o $(OUT)/obj/peer_tbb.o
BIN      := $(OUT)/bench
# A diagnosis tool, built with the suite, not run by it (docs/PERFORMANCE.md).
MAPTRACE := $(OUT)/maptrace
STAMP_TBB := $(OUT)/.tbb-ok

ifeq ($(BENCH_FILTER),)
RESULTS  := bench/RESULTS.md
else
RESULTS  := $(OUT)/RESULTS.md
endif

.DELETE_ON_ERROR:
.SECONDARY:

run: $(BIN) $(MAPTRACE)
	$(BIN) --results $(RESULTS) --fluxc $(FLUXC) --scratch $(OUT)/fxspeed $(if $(BENCH_FILTER),--filter '$(BENCH_FILTER)')

$(STAMP_TBB): bench/need_tbb.sh
	@mkdir -p $(@D)
	@sh bench/need_tbb.sh
	@touch $@

$(GEN)/b%.c $(GEN)/b%.h &: bench/%.fx $(FLUXC)
	@mkdir -p $(GEN)
	$(FLUXC) -o $(GEN) $<

$(OUT)/obj/b%.o: $(GEN)/b%.c $(GEN)/b%.h $(FX_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_B) $(CFLAGS_B) -c -o $@ $<

# Every object of ours sees every generated header.
$(OUT)/obj/%.o: bench/%.c $(GEN_C) bench/harness.h bench/work.h bench/glue.h bench/peers.h $(FX_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_B) $(CFLAGS_B) -c -o $@ $<

$(OUT)/obj/peer_tbb.o: bench/peer_tbb.cpp bench/harness.h bench/work.h bench/peers.h $(STAMP_TBB)
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS_B) $(CXXFLAGS_B) -c -o $@ $<

# Linked by the C++ driver (libstdc++ for oneTBB), with the exporters'
# libraries for the Prometheus variant of MetricatedStage.
$(BIN): $(OBJ) $(LIBFX)
	$(CXX) -pthread -o $@ $(OBJ) $(LIBFX) -ltbb -lmicrohttpd -lcurl -lm -ldl

$(MAPTRACE): $(OUT)/obj/maptrace.o $(OUT)/obj/flow_stages.o $(LIBFX)
	$(CC) -pthread -o $@ $(OUT)/obj/maptrace.o $(OUT)/obj/flow_stages.o $(LIBFX) -lm

.PHONY: run
