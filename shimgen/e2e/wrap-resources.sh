#!/bin/sh
# Resources: builds the example's legacy.dll with a version resource, string
# tables in two languages, a dialog, a type library (any bytes do for a
# byte-for-byte check), a named resource of a named type and a manifest;
# wraps it, builds the project against the installed package, and runs
# resource_host.exe (every resource through FindResourceEx/LoadResource, a
# hash of its bytes, and LoadStringW) against the original and against the
# front under Wine: the outputs must be the same. shimgen check then finds
# no resource missing.
# Usage: wrap-resources.sh SHIMGEN WORK_DIR
set -eu

usage="usage: wrap-resources.sh SHIMGEN WORK_DIR"
shimgen=$(cd "$(dirname "${1:?$usage}")" && pwd)/$(basename "$1")
work=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run

fail() {
    echo "wrap-resources: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work/input" "$work/original" "$work/wrapped"
work=$(cd "$work" && pwd)

echo "== legacy.dll with resources"
cp "$here/resources/"* "$work/input/"
# A deterministic blob holding every byte value, as the type library.
LC_ALL=C awk 'BEGIN { for (round = 0; round < 5; round++) for (value = 0; value < 256; value++) printf "%c", value }' \
    > "$work/input/typelib.bin"
[ "$(wc -c < "$work/input/typelib.bin")" -eq 1280 ] || fail "the type library blob is not 1280 bytes"
(cd "$work/input" && x86_64-w64-mingw32-windres -i resources.rc -o resources.o) || fail "windres"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -shared -static-libgcc -o "$work/input/legacy.dll" \
    "$top/examples/legacy/original/legacy.c" "$top/examples/legacy/original/legacy.def" "$work/input/resources.o" ||
    fail "building legacy.dll"

echo "== wrap and build"
"$shimgen" wrap "$work/input/legacy.dll" -o "$work/project" --intercept legacy_add > "$work/wrap.log" 2>&1 ||
    { cat "$work/wrap.log"; fail "shimgen wrap"; }
[ -f "$work/project/legacy_resources.obj" ] || fail "no legacy_resources.obj written"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" || fail "building"

cp "$work/input/legacy.dll" "$work/original/"
cp "$work/input/legacy.dll" "$work/wrapped/legacy_orig.dll"
cp "$work/project/build/bin/legacy.dll" "$work/project/build/bin/legacy_worker.dll" "$work/wrapped/"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -o "$work/resource_host.exe" "$here/resource_host.c" ||
    fail "building resource_host.exe"

echo "== the resources through the original"
(cd "$work/original" && "$wine_run" ../resource_host.exe legacy.dll) | tr -d '\r' > "$work/original.txt" ||
    fail "the original run failed"
cat "$work/original.txt"
echo "== the resources through the front"
(cd "$work/wrapped" && "$wine_run" ../resource_host.exe legacy.dll) | tr -d '\r' > "$work/wrapped.txt" ||
    fail "the wrapped run failed"
diff "$work/original.txt" "$work/wrapped.txt" || fail "the front gives other resources (< original, > front)"
grep -q '^resources: 8$' "$work/original.txt" || fail "the original does not have the 8 resources built into it"
grep -q '^string 1: 23 "hello from the original"$' "$work/wrapped.txt" || fail "LoadStringW through the front"
grep -q '^TYPELIB #1 language 1033: 1280 bytes' "$work/wrapped.txt" || fail "the type library is not there"

echo "== shimgen check"
"$shimgen" check "$work/wrapped" || fail "shimgen check found something"

echo "wrap-resources: passed (the front gives every resource of the original, byte for byte)"
