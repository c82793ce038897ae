#!/bin/sh
# Builds and tests shimgen. Run from the repository root, after the main
# cross build (the end-to-end test wraps build/mingw-x64-gcc/bin/original/legacy.dll):
#   1. builds shimgen natively with GCC, and with Clang plus AddressSanitizer
#      and UndefinedBehaviorSanitizer (and the libFuzzer target);
#   2. runs the cmocka unit tests in both builds;
#   3. fuzzes the PE reader for SHIMGEN_FUZZ_SECONDS (default 30) on a seed
#      corpus of real DLLs;
#   4. compares `shimgen exports` with objdump over Wine's DLLs;
#   5. wraps and links msvcrt.dll and shlwapi.dll, and checks the fronts keep
#      every export at its ordinal;
#   6. wraps the example legacy DLL, builds the generated project against
#      twinshim installed from that build (e2e/build-project.sh prints how
#      long each build took), and runs the unchanged legacy program against
#      it under Wine;
#   7. wraps copies of it named with '-', '.', '+', a leading digit, mixed
#      case and another extension, builds and loads each by that name;
#   8. does the same as 6 with Wine's own version.dll and a small program;
#   9. wraps a fixture with every function shape (observing stubs), installs
#      the front on PATH beside a planted impostor original, and runs it;
#  10. wraps the i686 build of that fixture and builds it with the i686
#      toolchain (its export table is compared, not run: no 32-bit Wine);
#  11. wraps Debian's libgpg-error-0.dll with its header gpg-error.h (typed
#      stubs, the variadic exports observed), runs the unchanged gpg-error.exe
#      against it and reads the trace back with shimgen report;
#  11b. wraps typed.dll (every shape a C header declares) with --header on
#      x86-64 (run) and i686 (built and inspected), and the refusals;
#  11c. make wrap, as the README shows it, on the example's legacy.dll;
#  12. shimgen check on a good deployed folder and on one broken copy per
#      kind of finding;
#  13. wraps a legacy.dll carrying resources and checks, under Wine, that the
#      front gives every one of them byte for byte;
#  14. wraps an in-process COM server whose IDispatch comes from its type
#      library (a resource), and runs an unchanged COM client against the
#      original and the front: same results, DllGetClassObject and
#      DllCanUnloadNow observed, the front unloaded by CoFreeUnusedLibraries
#      and the original and worker after it;
#  15. wraps Wine's scrrun.dll and runs Wine's cscript.exe with a script
#      using Scripting.FileSystemObject and Scripting.Dictionary against it;
#      then cscript.exe in a loop of calls, ended by kill -9 and by Wine's
#      taskkill /f: every call that returned has its record.
# Exits non-zero on the first failure.
set -eu

top=$(pwd)
[ -f "$top/shimgen/CMakeLists.txt" ] || { echo "run-tests.sh: run it from the repository root" >&2; exit 2; }
preset_bin=${TWINSHIM_MINGW_BIN:-$top/build/mingw-x64-gcc/bin}
wine_dlls=${SHIMGEN_WINE_DLLS:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows}
fuzz_seconds=${SHIMGEN_FUZZ_SECONDS:-30}
gcc_build=$top/build/shimgen-gcc
clang_build=$top/build/shimgen-clang
jobs=$(nproc 2>/dev/null || echo 2)

step() {
    echo
    echo "== shimgen: $*"
}

step "building with GCC"
cmake -S "$top/shimgen" -B "$gcc_build" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build "$gcc_build" --parallel "$jobs"

step "building with Clang, sanitizers and the fuzzer"
cmake -S "$top/shimgen" -B "$clang_build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DSHIMGEN_SANITIZE=ON -DSHIMGEN_BUILD_FUZZER=ON > /dev/null
cmake --build "$clang_build" --parallel "$jobs"

# cmocka's summary lines are the report; the whole log only on failure.
run_unit_tests() {
    if ctest --test-dir "$1" --output-on-failure --verbose > "$1/unit-tests.log" 2>&1; then
        grep -E '^[0-9]+: \[  (PASSED|FAILED)  \]|tests passed|tests failed' "$1/unit-tests.log"
    else
        cat "$1/unit-tests.log"
        echo "shimgen: unit tests failed in $1" >&2
        exit 1
    fi
}

step "unit tests (GCC build)"
run_unit_tests "$gcc_build"
step "unit tests (Clang build, with sanitizers)"
run_unit_tests "$clang_build"

step "fuzzing the PE reader for ${fuzz_seconds}s"
corpus=$top/build/shimgen-fuzz/corpus
rm -rf "$top/build/shimgen-fuzz"
mkdir -p "$corpus" "$top/build/shimgen-fuzz/crashes"
cp "$top"/shimgen/fuzz/seeds/* "$corpus/"
# The kept corpus: a long run's findings, merged (-merge=1) down to what adds coverage.
cp "$top"/shimgen/fuzz/corpus/* "$corpus/"
cp "$clang_build/tests/fixtures/x86_64-w64-mingw32/fixture.dll" "$corpus/fixture-x86_64.dll"
cp "$clang_build/tests/fixtures/i686-w64-mingw32/fixture.dll" "$corpus/fixture-i686.dll"
# A few small real DLLs: forwarders, ordinal-only exports, ordinal base 2.
for dll in sfc.dll normaliz.dll lz32.dll shfolder.dll icmp.dll security.dll; do
    if [ -f "$wine_dlls/$dll" ]; then cp "$wine_dlls/$dll" "$corpus/"; fi
done
(cd "$top/build/shimgen-fuzz" &&
    "$clang_build/shimgen_fuzz_exports" -max_total_time="$fuzz_seconds" -max_len=65536 -timeout=10 \
        -artifact_prefix=crashes/ -print_final_stats=1 corpus 2> fuzz.log) || {
    tail -n 40 "$top/build/shimgen-fuzz/fuzz.log"
    echo "shimgen: the fuzzer found a failure; the input is in build/shimgen-fuzz/crashes/" >&2
    exit 1
}
grep -E '^(stat::number_of_executed_units|Done)' "$top/build/shimgen-fuzz/fuzz.log" || true

step "comparing exports with objdump over $wine_dlls"
"$top/shimgen/tests/compare-objdump.sh" "$gcc_build/shimgen" "$wine_dlls"

# msvcrt: C++ names, data and aliases; shlwapi: hundreds of ordinal-only exports.
for dll in msvcrt shlwapi; do
    step "wrap and link Wine's $dll.dll: the front keeps every export and ordinal"
    "$top/shimgen/e2e/wrap-keeps-exports.sh" "$gcc_build/shimgen" "$wine_dlls/$dll.dll" "$top/build/shimgen-e2e/$dll"
done

step "end to end: wrap the example legacy.dll and run it under Wine"
"$top/shimgen/e2e/wrap-legacy.sh" "$gcc_build/shimgen" "$preset_bin" "$top/build/shimgen-e2e/legacy"

step "end to end: the generated worker sends every call to a real rsyslog over RELP, also after a collector down at start"
"$top/shimgen/e2e/wrap-relp.sh" "$gcc_build/shimgen" "$preset_bin" "$top/build/shimgen-e2e/relp"

step "end to end: DLL file names with '-', '.', '+', a leading digit, mixed case and another extension"
"$top/shimgen/e2e/wrap-names.sh" "$gcc_build/shimgen" "$preset_bin" "$top/build/shimgen-e2e/names"

step "end to end: wrap Wine's own version.dll and run a program against it"
"$top/shimgen/e2e/wrap-wine-version.sh" "$gcc_build/shimgen" "$wine_dlls" "$top/build/shimgen-e2e/wine-version"

step "end to end: every function shape observed, one copy of the original, no planted impostor"
"$top/shimgen/e2e/wrap-shapes.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/shapes"

step "32-bit: the i686 front builds with the i686 toolchain and keeps the original's exports"
"$top/shimgen/e2e/wrap-i686.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/i686"

step "end to end: Debian's libgpg-error-0.dll typed from gpg-error.h, the unchanged gpg-error.exe, its trace"
"$top/shimgen/e2e/wrap-gpg-error.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/gpg-error"

step "typed stubs from a header: every shape, both architectures, exit inside a call, refusals"
"$top/shimgen/e2e/wrap-typed.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/typed"

step "make wrap DLL=... HEADER=...: one command to a folder to copy next to the program"
"$top/shimgen/e2e/make-wrap.sh" "$preset_bin" "$top/build/shimgen-e2e/make-wrap"

step "shimgen check: a good installation, and one broken installation per finding"
"$top/shimgen/e2e/check-folder.sh" "$gcc_build/shimgen" "$preset_bin" "$gcc_build/tests/fixtures" \
    "$top/build/shimgen-e2e/check"

step "resources: the front gives the original's, byte for byte"
"$top/shimgen/e2e/wrap-resources.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/resources"

step "COM: a wrapped in-process server serves an unchanged client as the original did, and unloads"
"$top/shimgen/e2e/wrap-com-server.sh" "$gcc_build/shimgen" "$top/build/shimgen-e2e/com-server"

step "COM: Wine's scrrun.dll wrapped, under Wine's unchanged cscript.exe, also killed in a loop of calls"
"$top/shimgen/e2e/wrap-com-scrrun.sh" "$gcc_build/shimgen" "$wine_dlls" "$top/build/shimgen-e2e/com-scrrun"

step "shimgen built for Windows: same export listing under Wine as natively"
windows_build="$top/build/shimgen-windows"
mkdir -p "$windows_build"
x86_64-w64-mingw32-gcc -std=c11 -D__USE_MINGW_ANSI_STDIO=1 -Wall -Wextra -Werror -O2 -static-libgcc \
    -o "$windows_build/shimgen.exe" "$top"/shimgen/src/*.c
cp "$preset_bin/original/legacy.dll" "$windows_build/legacy.dll"
"$gcc_build/shimgen" exports --json "$windows_build/legacy.dll" > "$windows_build/native.json"
(cd "$windows_build" && "$top/cmake/wine-run" shimgen.exe exports --json legacy.dll) | tr -d '\r' > "$windows_build/windows.json"
if ! cmp -s "$windows_build/native.json" "$windows_build/windows.json"; then
    echo "shimgen.exe under Wine lists different exports than the native build:" >&2
    diff "$windows_build/native.json" "$windows_build/windows.json" >&2 || true
    exit 1
fi

echo
echo "shimgen: all tests passed"
