#!/bin/sh
# Typed tracing from a library's own header, for the general case: typed.dll
# (e2e/typed/) has functions of every shape a C header declares (typedef'd
# types, enums, structs by pointer and by value, float and double, strings
# of both widths, an out-buffer, callbacks, WINAPI, a variadic function, an
# export the header lacks), and typed_host.exe uses it from its import table.
#
# x86-64, run under Wine: `shimgen wrap typed.dll --header typed.h` (no
# --intercept: every export) says which exports it typed and why the others
# are observed; the unchanged program prints the same and exits the same
# against the front; the trace is JSON Lines with each call's arguments,
# result, last error and duration as the program passed and got them, an
# unreadable string pointer recorded as such without a fault, a long string
# cut and marked, and every call there although the program exits from
# inside two nested calls, which are recorded unfinished; a call left by
# longjmp is not recorded (e2e/typed/check-trace.py).
#
# i686, built and inspected (no 32-bit Wine here): the same header types the
# decorated stdcall exports, and each typed stub pops what its convention
# says (ret $N for stdcall, ret for cdecl). A header whose declaration
# contradicts a decorated name, and one that does not parse, are refused.
# Usage: wrap-typed.sh SHIMGEN WORK_DIR
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${2:?usage: wrap-typed.sh SHIMGEN WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
fixture=$here/typed

fail() {
    echo "wrap-typed: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# build_fixture TRIPLE FOLDER: typed.dll, its import library and typed_host.exe.
build_fixture() {
    mkdir -p "$2"
    "$1-gcc" -std=c11 -Wall -Wextra -Werror -O2 -shared -static-libgcc -o "$2/typed.dll" "$fixture/typed.c" \
        -Wl,--out-implib,"$2/libtyped.a" || fail "building the $1 typed.dll"
    "$1-gcc" -std=c11 -Wall -Wextra -Werror -O2 -static-libgcc -o "$2/typed_host.exe" "$fixture/typed_host.c" \
        -L"$2" -ltyped || fail "building the $1 typed_host.exe"
}

echo "== x86-64: shimgen wrap typed.dll --header typed.h"
build_fixture x86_64-w64-mingw32 "$work/original"
"$shimgen" wrap "$work/original/typed.dll" -o "$work/project" --header "$fixture/typed.h" > "$work/wrap.log" 2>&1 ||
    { cat "$work/wrap.log"; fail "shimgen wrap --header"; }
cat "$work/wrap.log"
grep -q '^shimgen: 19 of 21 intercepted exports typed from typed.h; observed (raw registers) instead:$' \
    "$work/wrap.log" || fail "wrap did not say 19 of 21 exports typed"
grep -q '^shimgen:   not declared there: typed_hidden$' "$work/wrap.log" || fail "wrap did not name typed_hidden"
grep -q '^shimgen:   variadic (its arguments cannot be forwarded): typed_sum$' "$work/wrap.log" ||
    fail "wrap did not name the variadic typed_sum"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"
# Built as the README says (optimized by default): no stub reads .rdata.
python3 "$here/stub-reads.py" x86_64-w64-mingw32-objdump "$work/project/build/bin/typed.dll" ||
    fail "a stub reads .rdata"

mkdir -p "$work/wrapped"
cp "$work/original/typed_host.exe" "$work/project/build/bin/typed.dll" "$work/project/build/bin/typed_worker.dll" \
    "$work/wrapped/"
cp "$work/original/typed.dll" "$work/wrapped/typed_orig.dll"
status_original=0
(cd "$work/original" && timeout 120 "$wine_run" typed_host.exe) > "$work/original.out" 2>&1 || status_original=$?
# typed_host.exe ends with exit(3) inside typed_exit.
[ "$status_original" = 3 ] || fail "typed_host.exe exited with $status_original against the original, not 3"
# The program takes the front from its import table and exits at once,
# maybe before its worker has started: then its records wait in the journal.
# drain_host.exe loads the front and unloads it once its worker has
# delivered them and left.
journal="Z:$(printf '%s' "$work/journal" | tr / '\\')\\"
mkdir -p "$work/journal"
status=0
(cd "$work/wrapped" && TYPED_SHIM_LOG=trace.jsonl TWINSHIM_JOURNAL_DIR="$journal" timeout 120 "$wine_run" typed_host.exe) \
    > "$work/wrapped.out" 2>&1 || status=$?
cmp -s "$work/original.out" "$work/wrapped.out" || {
    diff "$work/original.out" "$work/wrapped.out" || true
    fail "typed_host.exe printed something else through the front"; }
[ "$status" = 3 ] || fail "typed_host.exe exited with $status through the front, not 3"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -municode -o "$work/drain_host.exe" "$here/drain_host.c" ||
    fail "building drain_host.exe"
(cd "$work/wrapped" && TYPED_SHIM_LOG=trace.jsonl TWINSHIM_JOURNAL_DIR="$journal" timeout 120 "$wine_run" \
    ../drain_host.exe "Z:$(printf '%s' "$work/wrapped/typed.dll" | tr / '\\')" typed_worker.dll) ||
    fail "draining the journal"
cat "$work/wrapped.out"
[ -s "$work/wrapped/trace.jsonl" ] || fail "no trace (pass-through?)"
python3 "$here/jsonl-check.py" "$work/wrapped/trace.jsonl" || fail "the trace is not JSON Lines"
python3 "$here/first-process.py" "$work/wrapped/trace.jsonl" "$work/first-run.jsonl" || fail "no first run"
"$shimgen" exports --json "$work/original/typed.dll" > "$work/exports.json"
python3 "$fixture/check-trace.py" "$work/first-run.jsonl" "$work/exports.json" || fail "the trace"
head -n 3 "$work/first-run.jsonl"

echo "== i686: the decorated names typed from the same header, each stub popping what its convention says"
build_fixture i686-w64-mingw32 "$work/original-i686"
"$shimgen" exports "$work/original-i686/typed.dll" | grep -q ' typed_fail@4$' ||
    fail "the i686 typed.dll does not export the decorated typed_fail@4"
"$shimgen" wrap "$work/original-i686/typed.dll" -o "$work/project-i686" --twinshim "$top" \
    --header "$fixture/typed.h" > "$work/wrap-i686.log" 2>&1 || { cat "$work/wrap-i686.log"; fail "shimgen wrap (i686)"; }
grep -q '^shimgen: 19 of 21 intercepted exports typed from typed.h;' "$work/wrap-i686.log" ||
    { cat "$work/wrap-i686.log"; fail "the i686 wrap did not type 19 of 21"; }
"$here/build-project.sh" "$work/project-i686" toolchain-i686-w64-mingw32-gcc.cmake "$work" source ||
    fail "building the i686 project"
front=$work/project-i686/build/bin/typed.dll
"$shimgen" exports "$work/original-i686/typed.dll" | awk 'NR > 2 { print $1, $4 }' | sort > "$work/original-i686.txt"
"$shimgen" exports "$front" | awk 'NR > 2 { print $1, $4 }' | sort > "$work/front-i686.txt"
diff "$work/original-i686.txt" "$work/front-i686.txt" || fail "the i686 front's exports differ (< original, > front)"
i686-w64-mingw32-objdump -d "$front" > "$work/front-i686.asm"
# last_return FUNCTION: the last ret of a function in the disassembly (a
# decorated export's stub is named after it and its ordinal: typed_fail@4
# gives wrapped_typed_fail_4_<ordinal>).
last_return() {
    sed -n "/<_$1>:/,/^\$/p" "$work/front-i686.asm" | grep -E '\sret' | tail -n 1 | sed 's/.*\(ret[^#]*\).*/\1/' |
        tr -s ' ' | sed 's/ *$//'
}
for expected in "wrapped_typed_fail_4_[0-9]* ret \$0x4" "wrapped_typed_window_12_[0-9]* ret \$0xc" \
    "wrapped_typed_add ret"; do
    function=${expected%% *}
    want=${expected#* }
    got=$(last_return "$function")
    [ "$got" = "$want" ] || fail "$function ends with '$got', not '$want'"
done
echo "stdcall stubs pop their arguments, cdecl ones do not"

echo "== refusals: a declaration that contradicts a decorated name, a header that does not parse"
# expect_refusal NAME DLL SED_EDIT PATTERN: typed.h edited by SED_EDIT into
# NAME.h is refused for DLL with exit code 5 and an error matching PATTERN.
expect_refusal() {
    sed "$3" "$fixture/typed.h" > "$work/$1.h"
    rc=0
    "$shimgen" wrap "$2" -o "$work/refused" --header "$work/$1.h" > "$work/$1.log" 2>&1 || rc=$?
    [ "$rc" = 5 ] || { cat "$work/$1.log"; fail "$1.h: exit $rc, not 5"; }
    grep -q "$4" "$work/$1.log" || { cat "$work/$1.log"; fail "$1.h: the refusal does not say why"; }
}
expect_refusal lying "$work/original-i686/typed.dll" \
    's/TYPED_API BOOL WINAPI typed_fail(DWORD error);/TYPED_API BOOL WINAPI typed_fail(DWORD error, int extra);/' \
    'export typed_fail@4 takes 4 bytes of arguments (its @4), but .*lying.h:[0-9]* declares typed_fail with 8'
expect_refusal cdecl "$work/original-i686/typed.dll" \
    's/TYPED_API BOOL WINAPI typed_fail(DWORD error);/TYPED_API BOOL typed_fail(DWORD error);/' \
    'export typed_fail@4 is decorated as stdcall, but .*cdecl.h:[0-9]* declares typed_fail as cdecl'
expect_refusal broken "$work/original/typed.dll" \
    's/TYPED_API int typed_add(int a, int b);/TYPED_API int typed_add(int a, undeclared_type b);/' \
    "broken.h does not parse: .*broken.h:[0-9]*:[0-9]*: error: unknown type name .undeclared_type."
[ ! -e "$work/refused" ] || fail "a refused wrap wrote files"

echo "wrap-typed: passed"
