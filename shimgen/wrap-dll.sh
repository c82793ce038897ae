#!/bin/sh
# make wrap: from a DLL (and optionally its header) to a folder holding the
# front, the worker and the renamed original, ready to copy next to the
# program. Runs `shimgen wrap` (make builds shimgen first) and builds the
# generated project against twinshim installed from this tree for the DLL's
# architecture (x86-64 or i686): the runtimes are built in Release and
# installed once into build/wrap/.twinshim-<target> (a minute or so), and
# brought up to date, incrementally, by every later make wrap.
# Usage: shimgen/wrap-dll.sh DLL [HEADER] [INTERCEPT] [INCLUDE_DIRS] [OUT]
#   INTERCEPT     exports to trace (shimgen wrap --intercept), default '*'
#   INCLUDE_DIRS  -I folders for the header, separated by spaces
#   OUT           default build/wrap/<the DLL's name>
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
shimgen=${TWINSHIM_SHIMGEN:-$top/build/shimgen-gcc/shimgen}

fail() {
    echo "make wrap: $*" >&2
    exit 1
}

dll=${1:-}
header=${2:-}
intercept=${3:-*}
include_dirs=${4:-}
[ -n "$dll" ] || fail "no DLL given: make wrap DLL=path/to/foo.dll [HEADER=foo.h] [INTERCEPT='*'] [INCLUDE='dir ...']"
[ -f "$dll" ] || fail "$dll: no such file"
[ -z "$header" ] || [ -f "$header" ] || fail "$header: no such file"
[ -x "$shimgen" ] || fail "$shimgen is missing: make shimgen"
file_name=$(basename "$dll")
stem=${file_name%.*}
out=${5:-$top/build/wrap/$stem}
project=$out-project
mkdir -p "$out"
out=$(cd "$out" && pwd)
project=$out-project

case $("$shimgen" exports "$dll" | head -n 1) in
*"PE32+, x86-64"*) target=x86_64-w64-mingw32 ;;
*"PE32, i686"*) target=i686-w64-mingw32 ;;
*) "$shimgen" exports "$dll" > /dev/null; fail "$dll: not an x86 or x86-64 DLL" ;;
esac
toolchain=toolchain-$target-gcc.cmake

echo "== twinshim for $target, installed into build/wrap/.twinshim-$target"
package=$top/build/wrap/.twinshim-$target
mkdir -p "$package"
{
    cmake -S "$top" -B "$package-build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/$toolchain" -DCMAKE_BUILD_TYPE=Release \
        -DTWINSHIM_BUILD_TESTS=OFF -DTWINSHIM_BUILD_EXAMPLES=OFF -DTWINSHIM_BUILD_BENCH=OFF &&
        cmake --build "$package-build" --parallel && cmake --install "$package-build" --prefix "$package"
} > "$package.log" 2>&1 || { cat "$package.log"; fail "building twinshim for $target failed"; }

set -- "$dll" -o "$project" --force --intercept "$intercept"
if [ -n "$header" ]; then
    set -- "$@" --header "$header"
    for folder in $include_dirs; do
        set -- "$@" -I "$folder"
    done
fi
echo "== shimgen wrap $*"
"$shimgen" wrap "$@" || fail "shimgen wrap refused (above)"

echo "== building the front and the worker against it"
cmake -S "$project" -B "$project/build" -DCMAKE_TOOLCHAIN_FILE="$package/lib/cmake/twinshim/$toolchain" \
    -DCMAKE_BUILD_TYPE=Release > "$project/configure.log" 2>&1 || { cat "$project/configure.log"; fail "configure failed"; }
cmake --build "$project/build" --parallel > "$project/build.log" 2>&1 || { cat "$project/build.log"; fail "build failed"; }

# The names the front looks for, as the generated README installs them.
original=$(sed -n 's/^1\. rename the original `[^`]*` to `\([^`]*\)`;$/\1/p' "$project/README.md")
worker=$(sed -n 's/^2\. copy `build\/bin\/[^`]*` (the front) and `build\/bin\/\([^`]*\)` (the worker).*/\1/p' \
    "$project/README.md")
log_variable=$(sed -n 's/.*GetEnvironmentVariableW(L"\([A-Z0-9_]*\)".*/\1/p' "$project"/*_worker.c)
[ -n "$original" ] && [ -n "$worker" ] && [ -n "$log_variable" ] || fail "cannot read the names from $project"
cp "$project/build/bin/$file_name" "$project/build/bin/$worker" "$out/"
cp "$dll" "$out/$original"
override=$(sed -n 's/^WINEDLLOVERRIDES="\([^"]*\)" wine program.exe$/\1/p' "$project/README.md")

cat <<EOF

make wrap: $out holds the wrapped $file_name:
  $file_name	the front: it takes the original's place
  $worker	the worker: it traces the calls to the file named by $log_variable
  $original	the original $file_name, renamed
Copy the three into the folder of the program that loads $file_name, replacing
its $file_name (keep a copy), then run the program with $log_variable set:
  $log_variable=trace.jsonl program.exe
and read the trace (JSON Lines, one call a line; docs/shimgen.md; a run that
ends before the worker has started leaves its calls to the next run):
  $shimgen report trace.jsonl -o report.html
EOF
if [ -n "$override" ]; then
    echo "Under Wine, which has a builtin $file_name: WINEDLLOVERRIDES=\"$override\" wine program.exe"
fi
echo "The generated project, to edit and rebuild: $project (its README.md says how)"
