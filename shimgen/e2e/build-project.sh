#!/bin/sh
# Configures and builds a project shimgen wrote, with warnings as errors, and
# prints how long that took; prints the log and fails when either step fails.
# By default against the installed twinshim package: twinshim's build
# (SHIMGEN_TWINSHIM_BUILD, default build/mingw-x64-gcc) is installed into
# SHIMGEN_TWINSHIM_PREFIX (default build/shimgen-e2e/twinshim-prefix) and the
# project is configured with the toolchain file installed there. With
# `source`, the toolchain file of the source tree, for a project generated
# with --twinshim (which builds the runtimes from that tree).
# Usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE_NAME LOG_DIR [source]
set -eu
usage="usage: build-project.sh PROJECT_DIR TOOLCHAIN_FILE_NAME LOG_DIR [source]"
project=${1:?$usage}
toolchain_name=${2:?$usage}
logs=${3:?$usage}
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${4:-}" = source ]; then
    toolchain=$top/cmake/$toolchain_name
    from="the source tree"
else
    prefix=${SHIMGEN_TWINSHIM_PREFIX:-$top/build/shimgen-e2e/twinshim-prefix}
    cmake --install "${SHIMGEN_TWINSHIM_BUILD:-$top/build/mingw-x64-gcc}" --prefix "$prefix" > "$logs/install.log" 2>&1 ||
        { cat "$logs/install.log"; echo "build-project: installing twinshim failed" >&2; exit 1; }
    toolchain=$prefix/lib/cmake/twinshim/$toolchain_name
    from="the installed package"
fi

start=$(date +%s.%N)
cmake -S "$project" -B "$project/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_C_FLAGS=-Werror \
    > "$logs/configure.log" 2>&1 || { cat "$logs/configure.log"; echo "build-project: configure failed" >&2; exit 1; }
cmake --build "$project/build" > "$logs/build.log" 2>&1 ||
    { cat "$logs/build.log"; echo "build-project: build failed" >&2; exit 1; }
end=$(date +%s.%N)
echo "build-project: $project configured and built against $from in $(echo "$start $end" |
    awk '{ printf "%.1f", $2 - $1 }') s"
