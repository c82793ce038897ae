# Thin wrapper: every target installs what is missing, configures with a
# CMake preset, builds, then does its job. See README.md.
PRESET ?= mingw-x64-gcc
BUILD_DIR := build/$(PRESET)

.PHONY: all deps configure build test demo bench clean

all: build

deps:
	@scripts/install-dependencies.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) --parallel

test: build
	@ctest --preset $(PRESET)

demo: build
	@examples/legacy/run-demo.sh $(BUILD_DIR)/demo

bench: build
	@echo "make bench: the benchmark suite is not written yet (see the benchmarks issue)." >&2
	@exit 1

clean:
	rm -rf build
