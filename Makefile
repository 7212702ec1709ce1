# gencache: `make run` starts the server with conf/gencached.conf, `make test`
# builds and runs every test suite and ends with "N passed, M failed".
# Both first install missing build/test packages (Debian, as root; see
# .ci/deps.sh), then configure and build with meson.

SHELL := /bin/bash
MESON ?= meson
BUILD ?= build
ASAN_BUILD ?= build-asan
CONF ?= conf/gencached.conf
SHARED ?= ../shared
# Extra server arguments for `make run`, e.g. RUNARGS="--port 7000".
RUNARGS ?=
# Extra `meson test` arguments, e.g. TESTARGS="--suite integration".
TESTARGS ?=
# `make bench`: its build tree and meson build type.
BENCH_BUILD ?= build-release
BENCH_BUILDTYPE ?= release

.PHONY: all deps build run test asan tsan bench compat clean format docker-test

all: build

deps:
	@.ci/deps.sh

# Configure once (a half-configured dir is set up again); ninja reconfigures
# by itself when a meson.build changes.
build: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	    rm -rf $(BUILD) && $(MESON) setup $(BUILD); fi
	$(MESON) compile -C $(BUILD)

run: build
	$(BUILD)/server/gencached $(CONF) $(RUNARGS)

# One summary over every case of every suite; a build failure counts as one
# failed case so the last line is always "N passed, M failed".
test: deps
	@.ci/test.sh $(BUILD) "" $(TESTARGS)

asan: deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:print_summary=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	.ci/test.sh $(ASAN_BUILD) "-Db_sanitize=address,undefined -Db_lundef=false" \
	    --timeout-multiplier 3 $(TESTARGS)

# ThreadSanitizer: the integration and redis-cli suites against servers with
# four I/O threads. libuv comes from Debian uninstrumented, so its calls are
# left out of the checks (ignore_noninstrumented_modules): otherwise a file
# descriptor that one thread closes and another reuses from accept() is
# reported, though the kernel orders the two.
TSAN_BUILD ?= build-tsan
tsan: deps
	@TSAN_OPTIONS=halt_on_error=1:exitcode=66:ignore_noninstrumented_modules=1 \
	IO_THREADS_PASS=0 \
	.ci/test.sh $(TSAN_BUILD) "-Db_sanitize=thread -Db_lundef=false" \
	    --setup iothreads --suite integration --suite cli \
	    --timeout-multiplier 3 $(TESTARGS)

# The benchmark builds its own tree, release by default (the `build` tree is
# debugoptimized): BENCH_BUILDTYPE=debugoptimized make bench to compare.
# BENCHARGS, e.g. BENCHARGS="--csv /tmp/bench.csv".
bench: deps
	@if [ ! -f $(BENCH_BUILD)/build.ninja ]; then \
	    rm -rf $(BENCH_BUILD) && \
	    $(MESON) setup $(BENCH_BUILD) --buildtype=$(BENCH_BUILDTYPE); \
	else $(MESON) configure $(BENCH_BUILD) -Dbuildtype=$(BENCH_BUILDTYPE); fi
	$(MESON) compile -C $(BENCH_BUILD)
	GENCACHED_BIN=$(BENCH_BUILD)/server/gencached tests/bench/bench.sh $(BENCHARGS)

# The collector benchmark (tests/bench/gc/run.sh, results in
# tests/bench/gc/RESULTS.md) on the same release tree; QUICK=1 make bench-gc
# is a smoke test under 2 minutes; BENCHARGS="--csv FILE" adds a CSV.
.PHONY: bench-gc
bench-gc: deps
	@if [ ! -f $(BENCH_BUILD)/build.ninja ]; then \
	    rm -rf $(BENCH_BUILD) && \
	    $(MESON) setup $(BENCH_BUILD) --buildtype=$(BENCH_BUILDTYPE); \
	else $(MESON) configure $(BENCH_BUILD) -Dbuildtype=$(BENCH_BUILDTYPE); fi
	$(MESON) compile -C $(BENCH_BUILD)
	GENCACHED_BIN=$(BENCH_BUILD)/server/gencached tests/bench/gc/run.sh $(BENCHARGS)

# The same suite as a smoke run (about 2 minutes): one round, small counts.
.PHONY: bench-quick
bench-quick:
	QUICK=1 $(MAKE) bench

compat: build
	GENCACHED_BIN=$(BUILD)/server/gencached SHARED=$(SHARED) tests/compat/run.sh

# The container image, docker/docker-compose.yml and the twemproxy cluster,
# tested with a real Docker engine (docker/test.sh; README "Running with
# Docker").
docker-test:
	docker/test.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(BENCH_BUILD) build-fuzz build-clang

format:
	@command -v clang-format >/dev/null || .ci/deps.sh clang-format
	git ls-files '*.c' '*.h' | xargs clang-format -i
