#!/bin/sh
# Wraps a DLL and compiles the generated front and worker sources against the
# public headers of a twinshim tree, with every warning an error. It needs no
# built runtime, so it catches a template that drifted from the API at once.
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
for source in "$work"/*.c; do
    "$compiler" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I "$twinshim/include" -I "$work" "$source" || {
        echo "generated-compiles: FAILED: $source does not compile against $twinshim/include" >&2
        exit 1
    }
done
echo "generated-compiles: passed ($(ls "$work"/*.c | wc -l) generated sources compile against $twinshim/include)"
