#!/bin/sh
# Wraps a DLL and compiles the generated front and worker sources against the
# public headers of a twinshim tree, with every warning an error, with and
# without optimisation (some warnings come only from the optimiser). It
# needs no built runtime, so it catches a template that drifted from the API
# at once. Then the same with the typed stubs a header gives (--header).
# Usage: generated-compiles.sh SHIMGEN DLL TWINSHIM_DIR WORK_DIR
set -eu

shimgen=${1:?usage: generated-compiles.sh SHIMGEN DLL TWINSHIM_DIR WORK_DIR}
dll=${2:?usage: generated-compiles.sh SHIMGEN DLL TWINSHIM_DIR WORK_DIR}
twinshim=${3:?usage: generated-compiles.sh SHIMGEN DLL TWINSHIM_DIR WORK_DIR}
work=${4:?usage: generated-compiles.sh SHIMGEN DLL TWINSHIM_DIR WORK_DIR}
compiler=${SHIMGEN_MINGW_CC:-x86_64-w64-mingw32-gcc}

rm -rf "$work"
mkdir -p "$work"
# One intercept with its prototype, whose type comes from a header given with
# --include; one ordinal-only observed without a prototype.
printf 'typedef int fixture_int;\n' > "$work/fixture_types.h"
"$shimgen" wrap "$dll" -o "$work" --twinshim "$twinshim" --intercept 'fixture_add,#8' \
    --include fixture_types.h --prototype 'fixture_int fixture_add(fixture_int a, fixture_int b)' 2> "$work/warnings"
compile_all() {
    for source in "$1"/*.c; do
        for optimisation in -O0 -O2; do
            "$compiler" -std=c11 -Wall -Wextra -Werror $optimisation -c -o "$1/object.o" -I "$twinshim/include" \
                -I "$1" -I "$work" "$source" || {
                echo "generated-compiles: FAILED: $source does not compile ($optimisation) against $twinshim/include" >&2
                exit 1
            }
        done
    done
}
compile_all "$work"
# The same DLL typed from a header: a typed stub for each export it declares.
mkdir -p "$work/typed"
printf 'int fixture_add(int a, int b);\nint fixture_secret(void);\n' > "$work/fixture.h"
"$shimgen" wrap "$dll" -o "$work/typed" --twinshim "$twinshim" --header "$work/fixture.h" > "$work/typed.log" 2>&1 ||
    { cat "$work/typed.log"; echo "generated-compiles: FAILED: wrap --header" >&2; exit 1; }
grep -q 'shimgen: 1 of 2 intercepted exports typed from fixture.h' "$work/typed.log" ||
    { cat "$work/typed.log"; echo "generated-compiles: FAILED: the header did not type fixture_add" >&2; exit 1; }
compile_all "$work/typed"
# And for i686, where the typed stubs' TEB read and exception handler differ.
dll_i686=$(printf '%s' "$dll" | sed 's/x86_64-w64-mingw32/i686-w64-mingw32/')
if [ "$dll_i686" != "$dll" ] && [ -f "$dll_i686" ]; then
    mkdir -p "$work/typed-i686"
    "$shimgen" wrap "$dll_i686" -o "$work/typed-i686" --twinshim "$twinshim" --header "$work/fixture.h" \
        > "$work/typed-i686.log" 2>&1 || { cat "$work/typed-i686.log"; exit 1; }
    compiler=i686-w64-mingw32-gcc
    compile_all "$work/typed-i686"
else
    echo "generated-compiles: FAILED: no i686 fixture beside $dll" >&2
    exit 1
fi
echo "generated-compiles: passed ($(ls "$work"/*.c "$work"/typed*/*.c | wc -l) generated sources compile against" \
    "$twinshim/include)"
