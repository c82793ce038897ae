#!/bin/sh
# make bench: runs twinshim_bench.exe under Wine, writes build/bench/results.json
# (relative to the repository root) and regenerates the generated part of
# docs/benchmarks.md with the machine it ran on. Before the run it builds
# section 6's generated front (bench/build-generated-front.sh) with shimgen,
# which must be built already (make shimgen).
# Then twinshim_bench_typed.exe (bench_typed.c) times the typed stubs of a
# front generated from the same original with --header bench/bench_typed.h,
# and twinshim_bench_consumer.exe (bench_consumer.c) the consumer alone.
# Usage: bench/run-bench.sh <build folder>   (e.g. build/mingw-x64-gcc-release)
# TWINSHIM_BENCH_ARGS passes options to the program (e.g. --quick);
# TWINSHIM_BENCH_OUT and TWINSHIM_BENCH_DOC replace build/bench and
# docs/benchmarks.md (a trial run need not touch the published tables);
# TWINSHIM_SHIMGEN replaces build/shimgen-gcc/shimgen.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run-bench.sh <build folder>}" && pwd)
program="$build/bin/twinshim_bench.exe"
out=${TWINSHIM_BENCH_OUT:-$root/build/bench}
doc=${TWINSHIM_BENCH_DOC:-$root/docs/benchmarks.md}
shimgen=${TWINSHIM_SHIMGEN:-$root/build/shimgen-gcc/shimgen}

[ -f "$program" ] || { echo "run-bench.sh: $program is missing: build first" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "building section 6's generated front with $shimgen"
generated=$("$root/bench/build-generated-front.sh" "$shimgen" "$build" "$out/generated")
# A Windows path: the program resolves it; Wine maps Z: to /.
generated_windows="Z:$(printf '%s' "$generated" | tr / "\\\\")"

compiler=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
compiler_version=$("${compiler:-x86_64-w64-mingw32-gcc}" --version | head -n 1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
wine_version=$(wine --version 2>/dev/null || echo unknown)

echo "twinshim benchmarks: $program under $wine_version (progress below; a full run takes a few minutes)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# shellcheck disable=SC2086 # the arguments are meant to split
"$root/cmake/wine-run" "$program" --generated-front "$generated_windows" ${TWINSHIM_BENCH_ARGS:-} \
    >"$out/program-output.json"
echo "typed stubs: a front generated with --header bench/bench_typed.h"
typed=$("$root/bench/build-generated-front.sh" "$shimgen" "$build" "$out/typed" --header "$root/bench/bench_typed.h")
"$root/cmake/wine-run" "$build/bin/twinshim_bench_typed.exe" "Z:$(printf '%s' "$typed" | tr / "\\\\")" \
    >"$out/typed-output.json"
echo "the consumer alone: twinshim_bench_consumer.exe"
"$root/cmake/wine-run" "$build/bin/twinshim_bench_consumer.exe" >"$out/consumer-output.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

python3 "$root/bench/report.py" \
    --program-output "$out/program-output.json" \
    --typed-output "$out/typed-output.json" \
    --consumer-output "$out/consumer-output.json" \
    --results "$out/results.json" \
    --doc "$doc" \
    --compiler "$compiler_version" \
    --build-type "${build_type:-unknown}" \
    --wine "$wine_version" \
    --load "before $load_before, after $load_after"
echo "wrote $out/results.json and the tables in $doc"
