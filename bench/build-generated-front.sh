#!/bin/sh
# Section 6's generated front: shimgen wraps the release build's
# bench_original.dll (by default bench_original_add observed; WRAP_OPTIONS
# replace --intercept bench_original_add, as bench_typed.c's --header), the
# project it writes is built in Release against the installed twinshim
# package, and OUT_DIR/front gets what an installation holds: the front as
# bench_original.dll, its worker, and the original renamed as the front
# expects. Prints that folder.
# Usage: bench/build-generated-front.sh SHIMGEN RELEASE_BUILD OUT_DIR [WRAP_OPTION...]
set -eu
usage="usage: build-generated-front.sh SHIMGEN RELEASE_BUILD OUT_DIR [WRAP_OPTION...]"
shimgen=${1:?$usage}
build=$(cd "${2:?$usage}" && pwd)
out=${3:?$usage}
shift 3
[ $# -gt 0 ] || set -- --intercept bench_original_add
original="$build/bin/bench_original.dll"

fail() {
    echo "build-generated-front: $*" >&2
    exit 1
}

[ -x "$shimgen" ] || fail "$shimgen is missing: build shimgen first (make shimgen)"
[ -f "$original" ] || fail "$original is missing: build the release tree first"
rm -rf "$out/project" "$out/front"
mkdir -p "$out"
out=$(cd "$out" && pwd)

cmake --install "$build" --prefix "$out/twinshim-prefix" >"$out/install.log" 2>&1 ||
    { cat "$out/install.log" >&2; fail "installing twinshim failed"; }
"$shimgen" wrap "$original" -o "$out/project" "$@" >"$out/wrap.log" 2>&1 ||
    { cat "$out/wrap.log" >&2; fail "shimgen wrap failed"; }
# The bench's own export, beside the original's: the session's counters, so
# that section 6 waits for this front's records as it does for the example
# front's, with the front loaded throughout. The stubs' path is untouched.
cat >"$out/project/bench_counters.c" <<'EOF'
#include "twinshim/front.h"

__declspec(dllexport) int bench_generated_counters(shim_session_counters *counters);

int bench_generated_counters(shim_session_counters *counters)
{
    return shim_front_get_counters(counters);
}
EOF
printf '    bench_generated_counters\n' >>"$out/project/bench_original.def"
printf 'target_sources(bench_original_front PRIVATE bench_counters.c)\n' >>"$out/project/CMakeLists.txt"

cmake -S "$out/project" -B "$out/project/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror \
    -DCMAKE_TOOLCHAIN_FILE="$out/twinshim-prefix/lib/cmake/twinshim/toolchain-x86_64-w64-mingw32-gcc.cmake" \
    >"$out/configure.log" 2>&1 || { cat "$out/configure.log" >&2; fail "configuring the generated project failed"; }
cmake --build "$out/project/build" >"$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; fail "building the generated project failed"; }

# The names the generated front loads from its own folder (its README).
mkdir "$out/front"
cp "$out/project/build/bin/bench_original.dll" "$out/project/build/bin/bench_original_worker.dll" "$out/front/"
cp "$original" "$out/front/bench_original_orig.dll"
echo "$out/front"
