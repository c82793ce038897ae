#!/bin/sh
# Builds and runs the worker's native ring tests (CMakeLists.txt here):
#   workerdll/native_tests/run-native-tests.sh
# Work folder: build/ring-native/ (on the build's own file system: the
# write-back test needs one that tracks dirty pages, not a tmpfs).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${TWINSHIM_RING_NATIVE_DIR:-$top/build/ring-native}
build=$work/build

mkdir -p "$work"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug > "$work/configure.log" 2>&1 || {
    cat "$work/configure.log"
    echo "run-native-tests.sh: configuring failed" >&2
    exit 1
}
cmake --build "$build" > "$work/build.log" 2>&1 || {
    cat "$work/build.log"
    echo "run-native-tests.sh: building failed" >&2
    exit 1
}
"$build/test_ring_write_ahead" "$work"
