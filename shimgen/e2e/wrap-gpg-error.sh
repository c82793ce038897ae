#!/bin/sh
# End to end with a real third-party DLL, its own header and its unchanged
# program: Debian's libgpg-error-0.dll, gpg-error.h and gpg-error.exe
# (package libgpg-error-mingw-w64-dev), wrapped with --header gpg-error.h and
# no --intercept: a typed stub on every export the header declares, an
# observing stub on the variadic ones. For several command lines the wrapped
# run must print byte for byte what the original prints, with the same exit
# code; the trace must be JSON Lines, every call of a declared export typed
# (arguments, result, last error, duration), the variadic ones observed, and
# every function of the DLL the program imports and is bound to call logged
# (--version's gpgrt_argparse, which exits the process, unfinished); and
# `shimgen report` on the trace must count what the trace holds.
# gpg-error.exe takes the DLL only from its import table, so it is unloaded
# only at process exit: the log also shows the exit hand-over at work, and
# the journal: a run that exits before the worker has started leaves its
# records there, and the next run delivers them (so the log is one for all
# the runs, checked as a whole, and a last run takes what the one before
# left). The cases run twice: as generated, then with the generated
# worker's delivery latency at 1 s: the program then exits with its records
# still in the journal, and the same checks must hold.
# Usage: wrap-gpg-error.sh SHIMGEN WORK_DIR [MINGW_BIN_DIR [MINGW_INCLUDE_DIR]]
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${2:?usage: wrap-gpg-error.sh SHIMGEN WORK_DIR [MINGW_BIN_DIR [MINGW_INCLUDE_DIR]]}
mingw_bin=${3:-/usr/x86_64-w64-mingw32/bin}
mingw_include=${4:-/usr/x86_64-w64-mingw32/include}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run

fail() {
    echo "wrap-gpg-error: FAILED: $*" >&2
    exit 1
}

for file in libgpg-error-0.dll gpg-error.exe; do
    [ -f "$mingw_bin/$file" ] ||
        fail "$mingw_bin/$file is missing: install libgpg-error-mingw-w64-dev (scripts/install-dependencies.sh)"
done
rm -rf "$work"
mkdir -p "$work/original" "$work/wrapped"
work=$(cd "$work" && pwd)
cp "$mingw_bin/libgpg-error-0.dll" "$mingw_bin/gpg-error.exe" "$work/original/"

[ -f "$mingw_include/gpg-error.h" ] ||
    fail "$mingw_include/gpg-error.h is missing: install libgpg-error-mingw-w64-dev (scripts/install-dependencies.sh)"
echo "== shimgen wrap libgpg-error-0.dll --header gpg-error.h"
"$shimgen" wrap "$work/original/libgpg-error-0.dll" -o "$work/project" --header "$mingw_include/gpg-error.h" \
    > "$work/wrap.log" 2>&1 || { cat "$work/wrap.log"; fail "shimgen wrap"; }
cat "$work/wrap.log"
# What wrap says it left observed: the variadic functions (the header declares every export).
grep -q '^shimgen: [0-9]* of [0-9]* intercepted exports typed from gpg-error.h' "$work/wrap.log" ||
    fail "wrap did not say how many exports it typed"
sed -n 's/^shimgen:   variadic[^:]*: //p' "$work/wrap.log" | tr ',' '\n' | tr -d ' ' | sort > "$work/observed.txt"
[ -s "$work/observed.txt" ] || fail "wrap named no variadic export (gpgrt_fprintf, gpgrt_log...)"
grep -q 'not declared there' "$work/wrap.log" && fail "wrap found exports gpg-error.h does not declare"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"
# Built as the README says (optimized by default): no stub reads .rdata.
python3 "$here/stub-reads.py" x86_64-w64-mingw32-objdump "$work/project/build/bin/libgpg-error-0.dll" ||
    fail "a stub reads .rdata"
cp "$work/original/gpg-error.exe" "$work/project/build/bin/libgpg-error-0.dll" \
    "$work/project/build/bin/libgpg-error-0_worker.dll" "$work/wrapped/"
cp "$work/original/libgpg-error-0.dll" "$work/wrapped/libgpg-error-0_orig.dll"
cmp -s "$mingw_bin/gpg-error.exe" "$work/wrapped/gpg-error.exe" || fail "the program was changed"

# What the program imports from the DLL: every logged call must be one of them.
x86_64-w64-mingw32-objdump -p "$work/original/gpg-error.exe" |
    sed -n '/DLL Name: libgpg-error-0.dll/,/DLL Name:/p' |
    awk 'NF == 3 && $2 ~ /^[0-9]+$/ { print $3 }' | sort > "$work/imported.txt"
[ -s "$work/imported.txt" ] || fail "found no import of libgpg-error-0.dll in gpg-error.exe"

# The log so far: JSON Lines, each call typed or observed as wrap said, and
# only calls of functions the program imports.
check_log() {
    touch "$work/wrapped/calls.log"
    python3 "$here/jsonl-check.py" "$work/wrapped/calls.log" > /dev/null || fail "case $case_number: not JSON Lines"
    python3 "$here/typed-or-observed.py" "$work/wrapped/calls.log" "$work/observed.txt" > "$work/logged.all" ||
        fail "case $case_number: a call typed or observed the wrong way"
    unexpected=$(comm -23 "$work/logged.all" "$work/imported.txt")
    [ -z "$unexpected" ] || fail "case $case_number: logged calls the program does not import: $unexpected"
}

case_number=0
# One journal folder and one log for every run.
mkdir -p "$work/journal"
TWINSHIM_JOURNAL_DIR="Z:$(printf '%s' "$work/journal" | tr / '\\')\\"
export TWINSHIM_JOURNAL_DIR
check() {
    # check ARGUMENTS... : one run of each, compared byte for byte.
    case_number=$((case_number + 1))
    status_original=0
    status_wrapped=0
    (cd "$work/original" && timeout 120 "$wine_run" gpg-error.exe "$@") > "$work/original.$case_number" 2>&1 ||
        status_original=$?
    (cd "$work/wrapped" && LIBGPG_ERROR_0_SHIM_LOG=calls.log timeout 120 "$wine_run" gpg-error.exe "$@") \
        > "$work/wrapped.$case_number" 2>&1 || status_wrapped=$?
    # Ended by Wine, not by the program or by us (docs/wine-vs-windows.md,
    # section 19): killed (SIGKILL) after printing all the original printed,
    # Wine's server killing a process whose Unix side is still there half a
    # second after its last thread ended; or a thread's "wine client error"
    # (a server call cut off while the process exits) in its output. Said,
    # and run once more: the second run must pass.
    if { [ "$status_wrapped" = 137 ] && [ "$status_original" != 137 ] &&
        cmp -s "$work/original.$case_number" "$work/wrapped.$case_number"; } ||
        { grep -q 'wine client error:' "$work/wrapped.$case_number" &&
            ! grep -q 'wine client error:' "$work/original.$case_number"; }; then
        echo "gpg-error $*: the wrapped run was ended by Wine (exit $status_wrapped," \
            "$(grep -c 'wine client error:' "$work/wrapped.$case_number") client errors); once more"
        status_wrapped=0
        (cd "$work/wrapped" && LIBGPG_ERROR_0_SHIM_LOG=calls.log timeout 120 "$wine_run" gpg-error.exe "$@") \
            > "$work/wrapped.$case_number" 2>&1 || status_wrapped=$?
    fi
    cmp -s "$work/original.$case_number" "$work/wrapped.$case_number" || {
        diff "$work/original.$case_number" "$work/wrapped.$case_number" || true
        fail "gpg-error $*: the wrapped run printed something else (exit $status_wrapped, the original's" \
            "$status_original)"; }
    [ "$status_original" = "$status_wrapped" ] ||
        fail "gpg-error $*: exit code $status_wrapped, the original's is $status_original"
    check_log
    echo "gpg-error $*: same $(wc -c < "$work/original.$case_number") bytes, exit $status_original;" \
        "$(wc -l < "$work/wrapped/calls.log") calls logged so far"
}

expect_logged() {
    # expect_logged EXPORT... : in the log of the runs so far.
    for export in "$@"; do
        grep -qx "$export" "$work/logged.all" || fail "case $case_number: no call of $export logged"
    done
}

# After the runs: a program that loads the front by its path and unloads it
# once its worker has left, so that what the runs left in the journal (a run
# that exits before its worker has started leaves its records there) is in
# the log when it is read.
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -municode -o "$work/drain_host.exe" "$here/drain_host.c" ||
    fail "building drain_host.exe"
# Said: how many journals the runs left. A run that exits before its
# session started leaves its records in its journal, and the next run adopts
# that journal rather than making its own (docs/journal.md, Limits): one
# at most. The drain's session delivers it and removes it: none may be left.
journals_left() {
    find "$work/journal" -name '*.journal' | wc -l
}
drain() {
    echo "drain: $(journals_left) journals left by the runs, $(wc -l < "$work/wrapped/calls.log") calls logged"
    [ "$(journals_left)" -le 1 ] ||
        fail "the runs left $(journals_left) journals: each run should have adopted the one the run before left"
    (cd "$work/wrapped" && LIBGPG_ERROR_0_SHIM_LOG=calls.log timeout 120 "$wine_run" ../drain_host.exe \
        "$(printf 'Z:%s' "$work/wrapped/libgpg-error-0.dll" | tr / '\\')" libgpg-error-0_worker.dll) ||
        fail "draining the journal"
    [ "$(journals_left)" -eq 0 ] || fail "the drain left $(journals_left) journals: $(find "$work/journal" -name '*.journal')"
    check_log
}

run_cases() {
rm -f "$work/wrapped/calls.log"
check 1
check GPG_ERR_ENOMEM
check --list
check 1 2 16383 GPG_ERR_EOF
check --version
check --no-such-option
# A run that exited before its worker started is delivered by the next one.
check --version
drain
# Every run initialises the library, parses its arguments, then describes the code.
expect_logged gpg_err_init gpgrt_set_strusage gpgrt_argparse gpg_strerror gpg_strsource
# --version prints the version and exits the process from inside
# gpgrt_argparse: its stub never sees it return, and the record says so.
grep -q '"export":"gpgrt_argparse",.*"unfinished":true' "$work/wrapped/calls.log" ||
    fail "--version: gpgrt_argparse, which exits the process, not logged unfinished"
}

# Each command line once more, wrapped, under Wine's exception trace: no
# access violation anywhere (no-access-violation.sh says why). A log and a
# journal folder of their own: the cases' stay as they were.
no_access_violation() {
    mkdir -p "$work/seh-journal"
    for arguments in "1" "GPG_ERR_ENOMEM" "--list" "--version"; do
        # shellcheck disable=SC2086 # the arguments are split on purpose
        (cd "$work/wrapped" && LIBGPG_ERROR_0_SHIM_LOG=seh-calls.log WINEDEBUG=-all,+seh \
            TWINSHIM_JOURNAL_DIR="Z:$(printf '%s' "$work/seh-journal" | tr / '\\')\\" \
            timeout 120 "$wine_run" gpg-error.exe $arguments) > /dev/null 2> "$work/seh.log" || true
        "$here/no-access-violation.sh" "$work/seh.log" "gpg-error $arguments, wrapped" ||
            fail "gpg-error $arguments: an access violation in the wrapped run"
    done
    echo "no access violation in the wrapped runs (Wine's exception trace, 4 command lines)"
}

echo "== the unchanged gpg-error.exe, original and wrapped"
run_cases
no_access_violation

echo "== shimgen report on the trace of those runs: the counts the trace holds"
cp "$work/wrapped/calls.log" "$work/trace.jsonl"
"$shimgen" report "$work/trace.jsonl" -o "$work/report.html" > "$work/report.txt" ||
    { cat "$work/report.txt"; fail "shimgen report"; }
cat "$work/report.txt"
python3 "$here/../tests/report-counts.py" "$work/trace.jsonl" "$work/report.txt" "$work/report.html" ||
    fail "shimgen report's counts differ from the trace's"

echo "== the same, the generated worker with a delivery latency of 1 s"
worker_source="$work/project/libgpg_error_0_worker.c"
grep -q 'shim_session_set_delivery_latency(session, SHIM_DEFAULT_DELIVERY_LATENCY_MS)' "$worker_source" ||
    fail "the generated worker sets no delivery latency"
sed -i 's/shim_session_set_delivery_latency(session, SHIM_DEFAULT_DELIVERY_LATENCY_MS)/shim_session_set_delivery_latency(session, 1000)/' "$worker_source"
cmake --build "$work/project/build" > "$work/build-delayed.log" 2>&1 || {
    cat "$work/build-delayed.log"; fail "rebuilding the worker with a latency"; }
cp "$work/project/build/bin/libgpg-error-0_worker.dll" "$work/wrapped/"
run_cases

echo "wrap-gpg-error: passed ($case_number command lines, same bytes and exit codes, every call logged is an import)"
