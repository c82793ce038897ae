# Thin wrapper: every target installs what is missing, configures with a
# CMake preset, builds, then does its job. See README.md.
PRESET ?= mingw-x64-gcc
BUILD_DIR := build/$(PRESET)
# One compile job per core: a bare --parallel has no limit with the Makefile
# generator (a load average of 34 on 2 cores).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps configure build shimgen test demo bench torture wrap clean

all: build shimgen

deps:
	@scripts/install-dependencies.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) --parallel $(JOBS)

# The generator is a native (Linux) program; shimgen/run-tests.sh tests it.
shimgen: deps
	@cmake -S shimgen -B build/shimgen-gcc >/dev/null
	@cmake --build build/shimgen-gcc --parallel $(JOBS)

# Every suite in one Wine session, then shimgen's tests; each suite's time at the end.
test: build
	@scripts/run-tests.sh $(PRESET)

demo: build
	@examples/legacy/run-demo.sh build/demo

# Wraps your own DLL into a folder to copy next to its program (README.md):
#   make wrap DLL=path/foo.dll [HEADER=foo.h] [INTERCEPT='*'] [INCLUDE='dir ...'] [OUT=folder]
wrap: shimgen
	@shimgen/wrap-dll.sh "$(DLL)" "$(HEADER)" "$(INTERCEPT)" "$(INCLUDE)" "$(OUT)"

# The torture suite at full size; regenerates docs/reliability.md.
torture: build shimgen
	@host_test/run-torture.sh

# Benchmarks run on an optimised build of their own; section 6 also times
# the front shimgen generates.
bench: deps shimgen
	@cmake --preset $(PRESET)-release >/dev/null
	@cmake --build --preset $(PRESET)-release --parallel $(JOBS)
	@bench/run-bench.sh build/$(PRESET)-release
	@echo "sinks: the file sink, the RELP sink to a real rsyslog, and the RELP sink with its collector down (docs/sinks.md)"
	@sinks/tests/run-sink-bench.sh build/$(PRESET)-release 8 | tee build/bench/sinks.txt

clean:
	rm -rf build
