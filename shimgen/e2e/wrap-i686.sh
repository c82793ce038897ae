#!/bin/sh
# 32-bit: wraps the i686 build of the shapes fixture (decorated stdcall and
# fastcall names, an MSVC-style _f@8, data, a forwarder), with observing stubs
# on shape_* and a typed WINAPI stub for _shape_stdcall@8, builds the project
# with the i686 toolchain (warnings are errors) and checks that the front
# exports the original's names at the original's ordinals, and that shimgen
# check finds its resources (those of the resource test) byte for byte.
# Nothing is run: the kernel here runs no 32-bit Linux program, Wine's
# 32-bit loader included (README, "32-bit"). Then checks
# that the project refuses the x86-64 toolchain.
# Built from the source tree (wrap --twinshim), the projects' fallback: the
# package installed from the x86-64 build declares itself 64-bit, so CMake
# will not take it for a 32-bit target. The other end-to-end tests use the
# installed package.
# Usage: wrap-i686.sh SHIMGEN WORK_DIR
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${2:?usage: wrap-i686.sh SHIMGEN WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

fail() {
    echo "wrap-i686: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work/original"
work=$(cd "$work" && pwd)
# With the resource test's resources, for the i686 resource object.
mkdir -p "$work/resources"
cp "$here/resources/"* "$work/resources/"
head -c 1280 /dev/zero | tr '\0' 'T' > "$work/resources/typelib.bin"
(cd "$work/resources" && i686-w64-mingw32-windres -i resources.rc -o resources.o) || fail "windres"
i686-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 -shared -static-libgcc -o "$work/original/shapes.dll" \
    "$here/shapes/shapes.c" "$here/shapes/shapes-i686.def" "$work/resources/resources.o" ||
    fail "building the i686 shapes.dll"

echo "== shimgen wrap (PE32)"
"$shimgen" wrap "$work/original/shapes.dll" -o "$work/project" --twinshim "$top" --intercept 'shape_*,_shape_stdcall@8' \
    --prototype 'int WINAPI _shape_stdcall@8(int a, int b)' > "$work/wrap.log" 2>&1 || {
    cat "$work/wrap.log"; fail "shimgen wrap"; }
grep -q 'toolchain-i686-w64-mingw32-gcc.cmake' "$work/project/README.md" || fail "the README names no i686 toolchain"

echo "== the x86-64 toolchain is refused"
if cmake -S "$work/project" -B "$work/wrong" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-x86_64-w64-mingw32-gcc.cmake" \
    > "$work/wrong.log" 2>&1; then
    fail "the PE32 project configured for x86-64"
fi
grep -q 'must be built for i686' "$work/wrong.log" || { cat "$work/wrong.log"; fail "no clear refusal"; }

echo "== building with the i686 toolchain (warnings are errors)"
"$here/build-project.sh" "$work/project" toolchain-i686-w64-mingw32-gcc.cmake "$work" source ||
    fail "building the generated project"
if grep -qi 'warning' "$work/build.log"; then
    grep -i 'warning' "$work/build.log"
    fail "the build warned (the linker's stdcall fixup, or the compiler)"
fi

echo "== the front's export table against the original's"
# Ordinal and name of every export; the kinds differ (code is a stub, data a forwarder).
"$shimgen" exports "$work/original/shapes.dll" | awk 'NR > 2 { print $1, $4 }' | sort > "$work/original.txt"
"$shimgen" exports "$work/project/build/bin/shapes.dll" | tee "$work/front-exports.txt" |
    awk 'NR > 2 { print $1, $4 }' | sort > "$work/front.txt"
cat "$work/front-exports.txt"
diff "$work/original.txt" "$work/front.txt" || fail "the front's exports differ (< original, > front)"
# Code is code (a stub), the data export and the original's forwarder are forwarders.
grep -q ' code  *shape_stdcall@8$' "$work/front-exports.txt" || fail "shape_stdcall@8 is not a stub"
grep -q ' code  *_shape_stdcall@8$' "$work/front-exports.txt" || fail "_shape_stdcall@8 is not a stub"
grep -q ' forwarder  *shapes_calls -> shapes_orig.shapes_calls$' "$work/front-exports.txt" ||
    fail "the data export is not forwarded to shapes_orig"
grep -q ' forwarder  *shapes_sleep -> KERNEL32.Sleep$' "$work/front-exports.txt" ||
    fail "the original's forwarder was not kept"
echo "== shimgen check on the deployed i686 front: every resource there, byte for byte"
mkdir -p "$work/deployed"
cp "$work/project/build/bin/shapes.dll" "$work/project/build/bin/shapes_worker.dll" "$work/deployed/"
cp "$work/original/shapes.dll" "$work/deployed/shapes_orig.dll"
"$shimgen" check "$work/deployed" || fail "shimgen check found something in the i686 folder"

echo "wrap-i686: passed (the i686 front exports $(wc -l < "$work/original.txt") names at the original's ordinals)"
