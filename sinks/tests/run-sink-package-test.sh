#!/bin/sh
# The sink library from the installed package: installs twinshim's build into
# a temporary prefix, builds the sink tests' front and worker against it
# (package/), once with the prebuilt archives and once from the installed
# sources, and runs each pair under Wine with sink_host.exe and a file sink.
# Usage: run-sink-package-test.sh <twinshim build dir>
set -eu

build=$(cd "${1:?usage: run-sink-package-test.sh <twinshim build dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/twinshim-sink-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
package="$work/prefix/lib/cmake/twinshim"
toolchain=$(sed -n 's/^CMAKE_TOOLCHAIN_FILE:[A-Z]*=//p' "$build/CMakeCache.txt")
toolchain=$(basename "${toolchain:-toolchain-x86_64-w64-mingw32-gcc.cmake}")

check() { # <name> [cmake options...]
    name=$1
    shift
    cmake -S "$here/package" -B "$work/$name" -DCMAKE_TOOLCHAIN_FILE="$package/$toolchain" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" "$@" >"$work/$name.log" 2>&1 &&
        cmake --build "$work/$name" >>"$work/$name.log" 2>&1 || {
        cat "$work/$name.log"
        echo "sink package ($name): the build failed" >&2
        exit 1
    }
    compiled=$(find "$work/$name" -name 'relp_sink.c.obj' | wc -l)
    if [ "$name" = prebuilt ] && [ "$compiled" -ne 0 ]; then
        echo "sink package: the sinks were compiled from sources, not linked prebuilt" >&2
        exit 1
    fi
    if [ "$name" = sources ] && [ "$compiled" -eq 0 ]; then
        echo "sink package: TWINSHIM_FROM_SOURCES did not compile the sinks" >&2
        exit 1
    fi
    TWINSHIM_TEST_SINK="Z:$work/$name.jsonl" TWINSHIM_WINEPREFIX="${TWINSHIM_WINEPREFIX:-$top/.cache/wineprefix}" \
        "$package/wine-run" "$build/bin/sink_host.exe" "$work/$name" post:10 durable:10:30 free:30 >"$work/$name.out" 2>&1 || {
        cat "$work/$name.out"
        echo "sink package ($name): the host failed" >&2
        exit 1
    }
    [ "$(wc -l <"$work/$name.jsonl")" -eq 10 ] || {
        echo "sink package ($name): $(wc -l <"$work/$name.jsonl") records in the file, not 10" >&2
        exit 1
    }
    echo "sink package: built against the installed package ($name) and wrote 10 records"
}
check prebuilt
check sources -DTWINSHIM_FROM_SOURCES=ON
