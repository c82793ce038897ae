#!/bin/sh
# End to end: a fixture original with one export of every shape (floating
# point, structs by value and returned, variadic, eight arguments, stdcall,
# fastcall, thiscall), shared state and a data export. Wrapped with
# --intercept 'shape_*' (observing stubs, no prototypes); shapes_bump and
# shapes_count become jump stubs. The program takes shapes.dll from its import
# table; the front is installed in lib/, outside the program's folder, found
# through PATH. An impostor shapes_orig.dll waits in the current directory and
# in a PATH folder searched before lib/. Checked:
#   - the program prints exactly what it prints against the original;
#   - every observed call is in the worker's log;
#   - the impostor is never loaded, exactly one shapes_orig.dll is mapped (the
#     one in lib/), and the data export and the functions share its state.
# Usage: wrap-shapes.sh SHIMGEN WORK_DIR
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${2:?usage: wrap-shapes.sh SHIMGEN WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
cc=x86_64-w64-mingw32-gcc

fail() {
    echo "wrap-shapes: FAILED: $*" >&2
    exit 1
}

# A Windows path for Wine (its Z: drive is /).
windows_path() {
    printf 'Z:%s' "$1" | tr / '\\'
}

rm -rf "$work"
mkdir -p "$work/original" "$work/planted" "$work/project"
work=$(cd "$work" && pwd)

echo "== building the fixture original, the impostor and the program"
$cc -std=c11 -Wall -Wextra -Werror -O2 -shared -static-libgcc -o "$work/original/shapes.dll" \
    "$here/shapes/shapes.c" "$here/shapes/shapes.def" || fail "building shapes.dll"
$cc -std=c11 -Wall -Wextra -Werror -O2 -shared -static-libgcc -DSHAPES_PLANTED -o "$work/planted/shapes_orig.dll" \
    "$here/shapes/shapes.c" "$here/shapes/shapes.def" || fail "building the impostor"
$cc -std=c11 -Wall -Wextra -Werror -O2 -o "$work/shapes_host.exe" "$here/shapes/shapes_host.c" \
    "$work/original/shapes.dll" -lpsapi || fail "building shapes_host.exe"

echo "== shimgen wrap shapes.dll --intercept 'shape_*'"
"$shimgen" wrap "$work/original/shapes.dll" -o "$work/project" --intercept 'shape_*' > "$work/wrap.log" 2>&1 || {
    cat "$work/wrap.log"; fail "shimgen wrap"; }
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"

# Two installations of the same program: app/ beside cwd/, the DLLs in lib/.
for run in direct wrapped; do
    mkdir -p "$work/$run/app" "$work/$run/lib" "$work/$run/cwd" "$work/$run/early"
    cp "$work/shapes_host.exe" "$work/$run/app/"
done
cp "$work/original/shapes.dll" "$work/direct/lib/"
cp "$work/original/shapes.dll" "$work/wrapped/lib/shapes_orig.dll"
cp "$work/project/build/bin/shapes.dll" "$work/project/build/bin/shapes_worker.dll" "$work/wrapped/lib/"
cp "$work/planted/shapes_orig.dll" "$work/wrapped/cwd/"
cp "$work/planted/shapes_orig.dll" "$work/wrapped/early/"

# run_host FOLDER [RUN]: the program in FOLDER, its output in RUN.out (RUN
# defaults to FOLDER). The front's journal is in the work folder, so that a
# later run of the same front finds what an earlier one left there.
run_host() {
    run=${2:-$1}
    (cd "$work/$1/cwd" &&
        WINEPATH="$(windows_path "$work/$1/early");$(windows_path "$work/$1/lib")" \
        SHAPES_PLANTED_MARKER="$(windows_path "$work/$1/planted-was-loaded")" SHAPES_SHIM_LOG=calls.log \
        TWINSHIM_JOURNAL_DIR="$(windows_path "$work/journal")\\" \
        timeout 120 "$wine_run" ../app/shapes_host.exe) > "$work/$run.out" 2> "$work/$run.err" || {
        cat "$work/$run.out" "$work/$run.err"; fail "the $run run failed"; }
    tr -d '\r' < "$work/$run.out" > "$work/$run.txt"
}

echo "== the program against the original, then against the wrapped DLL"
mkdir -p "$work/journal"
run_host direct
run_host wrapped
# The program takes the front from its import table and exits at once,
# maybe before its worker has started: then its records wait in the
# journal. drain_host.exe loads the front and unloads it once its worker
# has delivered them and left.
"$cc" -std=c11 -Wall -Wextra -Werror -municode -o "$work/drain_host.exe" "$here/drain_host.c" ||
    fail "building drain_host.exe"
(cd "$work/wrapped/cwd" && SHAPES_SHIM_LOG=calls.log TWINSHIM_JOURNAL_DIR="$(windows_path "$work/journal")\\" \
    timeout 120 "$wine_run" ../../drain_host.exe "$(windows_path "$work/wrapped/lib/shapes.dll")" shapes_worker.dll) ||
    fail "draining the journal"
cat "$work/wrapped.txt"
diff "$work/direct.txt" "$work/wrapped.txt" || fail "the wrapped DLL answered differently (< original, > wrapped)"
echo "same output as the original"

echo "== one copy of the original, the impostor never loaded"
[ ! -e "$work/wrapped/planted-was-loaded" ] || fail "the impostor shapes_orig.dll from the search order was loaded"
grep -q '^copies of shapes_orig.dll mapped: 1' "$work/wrapped.err" || {
    cat "$work/wrapped.err"; fail "not exactly one shapes_orig.dll mapped"; }
grep -q "^shapes_orig.dll mapped from .*wrapped.lib.shapes_orig.dll" "$work/wrapped.err" ||
    fail "shapes_orig.dll was not the one in lib/"
# The data export and shapes_count read the same counter: every call, the
# observed, the jumped and the direct ones, reached one copy.
count=$(sed -n 's/^shapes_count() = //p' "$work/wrapped.txt")
data=$(sed -n 's/^shapes_calls (data) = //p' "$work/wrapped.txt")
[ "$count" = 10 ] && [ "$data" = 10 ] || fail "shapes_count() = $count and shapes_calls = $data, both should be 10"

echo "== what the worker saw of the first run"
python3 "$here/jsonl-check.py" "$work/wrapped/cwd/calls.log" || fail "the log is not JSON Lines"
python3 "$here/first-process.py" "$work/wrapped/cwd/calls.log" "$work/first-run.log" || fail "no first run"
cat "$work/first-run.log"
# The host returns from main right after its last call: a call whose line
# the worker was writing then is handed over again at exit, marked
# "possible_repeat". Every call here has its own timestamp and return
# address, so a line that differs only by the mark is the same call.
grep -v '"possible_repeat":true' "$work/first-run.log" | sort | uniq -d | grep -q . &&
    fail "a call was logged twice without the possible-repeat mark"
for export in shape_floats shape_structs shape_variadic shape_many shape_stdcall shape_fastcall shape_thiscall; do
    expected=1
    [ "$export" = shape_floats ] && expected=2
    seen=$(grep "\"export\":\"$export\",\"ordinal\":[0-9]*,\"last_error\":[0-9]*,\"registers\":\[" \
        "$work/first-run.log" | sed 's/,"possible_repeat":true}$/}/' | sort -u | wc -l)
    [ "$seen" -eq "$expected" ] || fail "the worker logged $seen of $expected calls of $export"
done
grep -q '"export":"shapes_bump"\|"export":"shapes_count"' "$work/first-run.log" &&
    fail "a jump stub posted a record"
# The raw registers of shape_stdcall(12, 34): rcx = 12, rdx = 34.
grep -q '"export":"shape_stdcall","ordinal":5,"last_error":[0-9]*,"registers":\["0xc","0x22",' \
    "$work/first-run.log" || fail "shape_stdcall's record does not hold its arguments in rcx and rdx"

echo "wrap-shapes: passed (every shape observed with the original's results, one copy of the original, no impostor)"
