#!/bin/sh
# CI for myplugin: builds with every toolchain, warnings as errors, and runs the
# host test under Wine where Wine can run it (x86-64). The 32-bit build is
# built and not run: Debian 12 cannot install 32-bit Wine beside 64-bit Wine.
set -eu
cd "$(dirname "$0")"
for preset in x64-gcc x64-clang x86-gcc; do
    echo "== $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
done
for preset in x64-gcc x64-clang; do
    echo "== $preset: test"
    ctest --preset "$preset"
done
echo "myplugin: built with GCC and Clang for x86-64 and with GCC for i686; tests passed"
