#!/bin/sh
# `make wrap` as the README shows it, from the repository root: the example's
# legacy.dll and its header legacy.h to a folder of three DLLs; the unchanged
# legacy_loader.exe run in a copy of that folder under Wine prints what it
# prints against the original, and the trace holds its legacy_add calls,
# typed from the header (arguments, result, duration), which `shimgen report`
# counts.
# Usage: make-wrap.sh MINGW_BIN_DIR WORK_DIR
set -eu

bin=$(cd "${1:?usage: make-wrap.sh MINGW_BIN_DIR WORK_DIR}" && pwd)
work=${2:?usage: make-wrap.sh MINGW_BIN_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
calls=5

fail() {
    echo "make-wrap: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
(cd "$top" && make --no-print-directory wrap DLL="$bin/original/legacy.dll" HEADER=examples/legacy/original/legacy.h \
    OUT="$work/out") > "$work/make.log" 2>&1 || { cat "$work/make.log"; fail "make wrap"; }
sed -n '/^make wrap: /,$p' "$work/make.log"
[ "$(ls "$work/out" | sort | tr '\n' ' ')" = "legacy.dll legacy_orig.dll legacy_worker.dll " ] ||
    fail "the folder holds $(ls "$work/out" | tr '\n' ' '), not the front, the worker and the original"
grep -q 'LEGACY_SHIM_LOG=trace.jsonl program.exe' "$work/make.log" || fail "make wrap does not say how to trace"

mkdir "$work/original" "$work/installed"
cp "$bin/original/legacy.dll" "$bin/legacy_loader.exe" "$work/original/"
cp "$work/out/"* "$bin/legacy_loader.exe" "$work/installed/"
# run_loader FOLDER NAME: legacy_loader.exe run in FOLDER; its output, CRs
# removed, in $work/NAME.txt, its errors in $work/NAME.err. Returns its exit code.
run_loader() {
    status=0
    (cd "$1" && "$top/cmake/wine-run" legacy_loader.exe $calls) > "$work/$2.out" 2> "$work/$2.err" || status=$?
    tr -d '\r' < "$work/$2.out" > "$work/$2.txt"
    return $status
}
loader_failed() { # NAME STATUS
    cat "$work/$1.err" >&2
    fail "the $1 run of legacy_loader.exe exited $2 after printing $(wc -l < "$work/$1.txt") lines"
}

original_status=0
run_loader "$work/original" original || original_status=$?
# The original DLL, which twinshim does not touch: in one make test here
# (2026-12-07) its run printed nothing at all; 410 runs since did not.
# Said, with its exit code and errors, and run once more; the second run
# must pass.
if [ "$original_status" != 0 ] || [ ! -s "$work/original.txt" ]; then
    echo "make-wrap: the original run exited $original_status after printing $(wc -l < "$work/original.txt")" \
        "lines; its errors:"
    cat "$work/original.err"
    echo "make-wrap: the original run once more"
    original_status=0
    run_loader "$work/original" original || original_status=$?
    [ "$original_status" = 0 ] || loader_failed original "$original_status"
fi
installed_status=0
(LEGACY_SHIM_LOG=trace.jsonl && export LEGACY_SHIM_LOG && run_loader "$work/installed" installed) ||
    installed_status=$?
[ "$installed_status" = 0 ] || loader_failed installed "$installed_status"
diff "$work/original.txt" "$work/installed.txt" || fail "legacy_loader.exe answered differently (< original)"
python3 "$here/jsonl-check.py" "$work/installed/trace.jsonl" || fail "the trace is not JSON Lines"
typed=$(grep -c '"export":"legacy_add","ordinal":1,"args":{"a":[0-9-]*,"b":[0-9-]*},"result":[0-9-]*,.*"duration_ns":' \
    "$work/installed/trace.jsonl" || true)
[ "$typed" -eq "$calls" ] || fail "$typed of $calls legacy_add calls typed in the trace"
"$top/build/shimgen-gcc/shimgen" report "$work/installed/trace.jsonl" > "$work/report.txt" ||
    fail "shimgen report"
grep -q "^legacy_add  *$calls " "$work/report.txt" || { cat "$work/report.txt"; fail "the report does not count $calls legacy_add calls"; }
echo "make-wrap: passed ($calls legacy_add calls typed from legacy.h, same output as the original)"
