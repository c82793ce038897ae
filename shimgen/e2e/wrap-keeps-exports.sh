#!/bin/sh
# Wraps a DLL with no intercepts, links the generated front, and checks that
# the front exports the same names at the same ordinals as the original: code
# as a stub of the front, data forwarded to NAME_orig, and the original's own
# forwarders to where it forwarded them.
# Run on msvcrt.dll it proves that ld accepts the .def for over a thousand
# exports: C++ names, data, ordinal-only and aliases. Nothing is run.
# Usage: wrap-keeps-exports.sh SHIMGEN DLL WORK_DIR
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dll=${2:?usage: wrap-keeps-exports.sh SHIMGEN DLL WORK_DIR}
work=${3:?usage: wrap-keeps-exports.sh SHIMGEN DLL WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=$(basename "$dll" .dll)

fail() {
    echo "wrap-keeps-exports: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
"$shimgen" wrap "$dll" -o "$work/project" 2> "$work/warnings" || { cat "$work/warnings"; fail "shimgen wrap"; }
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"

# "ordinal name target": the target is the original's forwarder, "stub" for
# code, or NAME_orig.<name> (NAME_orig.#<ordinal> without a name) for data.
"$shimgen" exports "$dll" | awk -v original="${name}_orig" 'NR > 2 {
        target = $5 == "->" ? $6 : $3 == "code" ? "stub" : original "." ($4 == "[NONAME]" ? "#" $1 : $4)
        print $1, $4, target
    }' | LC_ALL=C sort > "$work/expected"
# Aliases get a new ordinal from ld (see docs/shimgen.md): compare them by name.
"$shimgen" exports "$work/project/build/bin/$name.dll" | awk 'NR > 2 { print $1, $4, ($5 == "->" ? $6 : "stub") }' |
    LC_ALL=C sort > "$work/actual"
awk '{ print $2, $3 }' "$work/expected" | LC_ALL=C sort > "$work/expected-by-name"
awk '{ print $2, $3 }' "$work/actual" | LC_ALL=C sort > "$work/actual-by-name"
diff "$work/expected-by-name" "$work/actual-by-name" > "$work/diff" || {
    head -n 20 "$work/diff"; fail "the front's exports differ from the original's (< original, > front)"; }
moved=$(LC_ALL=C comm -13 "$work/expected" "$work/actual" | wc -l)
aliases=$(awk '{ print $1 }' "$work/expected" | uniq -d | wc -l)
[ "$moved" -le "$aliases" ] || fail "$moved exports changed ordinal, but only $aliases ordinals have aliases"
echo "wrap-keeps-exports: passed ($(wc -l < "$work/expected") exports of $(basename "$dll") kept, $moved aliases renumbered)"
