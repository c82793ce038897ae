#!/bin/sh
# End to end: the generated worker sends its records to a real rsyslog over
# RELP. The example's legacy.dll is wrapped and built as wrap-legacy.sh does;
# rsyslog (Debian's, with imrelp) runs on 127.0.0.1 with its own
# configuration, work folder and port (scripts/rsyslog-harness.sh); the
# unchanged programs run with LEGACY_SHIM_LOG=relp://127.0.0.1:PORT:
#   collector up       legacy_loader.exe (LoadLibrary, calls, FreeLibrary:
#                      its session lingers until rsyslog acknowledged every
#                      record, so they are there at once, none recovered)
#                      and legacy_app.exe (legacy.dll from its import table,
#                      main returns: the exit path, which cannot send over
#                      RELP); both print what they print against the
#                      original;
#   collector down     legacy_loader.exe with nothing on the port: same
#                      output, its worker leaves in time after FreeLibrary,
#                      and the report says the connection was refused;
#                      rsyslog is started only then.
# What the runs' sessions had not sent stays in the journal: drain_host.exe
# holds a session of the front until rsyslog has every record. Then every
# call is in rsyslog's omfile output as JSON with the fields every record
# has, APP-NAME legacy.dll and PROCID the record's pid, a repeat only
# flagged (e2e/relp-check.py).
# Usage: wrap-relp.sh SHIMGEN MINGW_BIN_DIR WORK_DIR
#   MINGW_BIN_DIR holds original/legacy.dll, legacy_loader.exe and legacy_app.exe
set -eu

usage="usage: wrap-relp.sh SHIMGEN MINGW_BIN_DIR WORK_DIR"
shimgen=$(cd "$(dirname "${1:?$usage}")" && pwd)/$(basename "$1")
bin=$(cd "${2:?$usage}" && pwd)
work=${3:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
harness=$top/scripts/rsyslog-harness.sh
calls=50
hold_pid=""
hold_scenario=""

fail() {
    echo "wrap-relp: FAILED: $*" >&2
    exit 1
}

# A Windows path for Wine (its Z: drive is /).
windows_path() {
    printf 'Z:%s' "$1" | tr / '\\'
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# Whatever happens: the holding host let go, every rsyslogd of this test stopped.
finish() {
    status=$?
    if [ -n "$hold_pid" ]; then
        : > "$work/hold-$hold_scenario.done" 2>/dev/null || true
        kill "$hold_pid" 2>/dev/null || true
    fi
    for dir in "$work"/collector-*; do
        [ -d "$dir" ] && "$harness" kill "$dir" > /dev/null 2>&1 || true
    done
    if [ "$status" -ne 0 ] && [ -f "$work/report.log" ]; then
        echo "--- twinshim's report (the last lines)"
        tail -n 20 "$work/report.log"
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 1' INT TERM

echo "== shimgen wrap legacy.dll (legacy_add typed with its prototype, #3 observed)"
"$shimgen" wrap "$bin/original/legacy.dll" -o "$work/project" --intercept 'legacy_add,#3' \
    --prototype 'int legacy_add(int a, int b)' > "$work/wrap.log" 2>&1 || { cat "$work/wrap.log"; fail "shimgen wrap"; }
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -municode -o "$work/drain_host.exe" "$here/drain_host.c" ||
    fail "building drain_host.exe"

mkdir "$work/original" "$work/wrapped"
cp "$bin/original/legacy.dll" "$bin/legacy_loader.exe" "$bin/legacy_app.exe" "$work/original/"
cp "$bin/original/legacy.dll" "$work/wrapped/legacy_orig.dll"
cp "$work/project/build/bin/legacy.dll" "$work/project/build/bin/legacy_worker.dll" "$bin/legacy_loader.exe" \
    "$bin/legacy_app.exe" "$work/wrapped/"

for program in legacy_loader legacy_app; do
    (cd "$work/original" && timeout 120 "$wine_run" $program.exe $calls) > "$work/$program-original.out" || {
        cat "$work/$program-original.out"; fail "$program.exe against the original failed"; }
    tr -d '\r' < "$work/$program-original.out" > "$work/$program-original.txt"
done

# run PROGRAM SCENARIO PORT: the program in the wrapped folder, the records
# to relp://127.0.0.1:PORT, each scenario with a journal folder of its own;
# fails unless it prints what it prints against the original.
run() {
    (cd "$work/wrapped" && LEGACY_SHIM_LOG="relp://127.0.0.1:$3" TWINSHIM_REPORT="$(windows_path "$work/report.log")" \
        TWINSHIM_JOURNAL_DIR="$(windows_path "$work/journal-$2")\\" timeout 120 "$wine_run" "$1.exe" $calls) \
        > "$work/$1-$2.out" 2> "$work/$1-$2.err" || {
        status=$?
        cat "$work/$1-$2.out" "$work/$1-$2.err"
        fail "$1.exe ($2) failed: exit $status"
    }
    tr -d '\r' < "$work/$1-$2.out" > "$work/$1-$2.txt"
    diff "$work/$1-original.txt" "$work/$1-$2.txt" ||
        fail "$1.exe ($2) answered differently through the front (< original, > wrapped)"
    echo "$1.exe ($2): the same output as against the original"
}

# hold SCENARIO PORT: a session of the front that delivers what the runs
# left in the scenario's journal, held until hold-SCENARIO.done exists.
hold() {
    (cd "$work/wrapped" && LEGACY_SHIM_LOG="relp://127.0.0.1:$2" TWINSHIM_REPORT="$(windows_path "$work/report.log")" \
        TWINSHIM_JOURNAL_DIR="$(windows_path "$work/journal-$1")\\" timeout 300 "$wine_run" ../drain_host.exe \
        "$(windows_path "$work/wrapped/legacy.dll")" legacy_worker.dll "$(windows_path "$work/hold-$1.done")") \
        > "$work/hold-$1.out" 2>&1 &
    hold_pid=$!
    hold_scenario=$1
}

# release SCENARIO: lets the holding session end; fails unless it left in time.
release() {
    : > "$work/hold-$1.done"
    wait "$hold_pid" || { cat "$work/hold-$1.out"; hold_pid=""; fail "the holding session ($1) failed"; }
    hold_pid=""
}

# arrived SCENARIO PROCESSES: polls up to 120 s until rsyslog has every
# record of the scenario's PROCESSES runs; fails, saying why, if not.
arrived() {
    received=$work/collector-$1/received.log
    tries=600
    until python3 "$here/relp-check.py" "$received" legacy.dll "$2" $calls > /dev/null 2>&1; do
        tries=$((tries - 1))
        if [ "$tries" -eq 0 ]; then
            python3 "$here/relp-check.py" "$received" legacy.dll "$2" $calls || true
            fail "rsyslog did not get every record ($1) in 120 s"
        fi
        sleep 0.2
    done
}

# Polls up to $1 seconds for the report to say $2.
wait_report() {
    tries=$(($1 * 20))
    until grep -F -q -- "$2" "$work/report.log" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "no report line says \"$2\" after $1 s"
        sleep 0.05
    done
}

echo "== collector up: legacy_loader.exe and legacy_app.exe, $calls calls each, then the journal's rest"
port=$("$harness" free-port)
"$harness" start "$work/collector-up" "$port"
run legacy_loader up "$port"
# FreeLibrary with the collector up: the session lingers until rsyslog has
# acknowledged every record (the RELP sink's stop linger), so they are
# there, sent by the program's own session, before anything else runs.
arrived up 1
if grep -q '"recovered":true' "$work/collector-up/received.log"; then
    fail "legacy_loader.exe's records came from a later session, not its own (no linger at FreeLibrary)"
fi
echo "legacy_loader.exe (up): every record acknowledged before its worker left"
run legacy_app up "$port"
hold up "$port"
arrived up 2
release up
python3 "$here/relp-check.py" "$work/collector-up/received.log" legacy.dll 2 $calls ||
    fail "what rsyslog received (collector up)"
head -n 2 "$work/collector-up/received.log"

echo "== collector down at start: legacy_loader.exe with nothing listening, then rsyslog starts"
port=$("$harness" free-port)
run legacy_loader down "$port"
grep -q '^after FreeLibrary: modules from this folder still loaded: 0$' "$work/legacy_loader-down.txt" ||
    fail "the worker stayed loaded after FreeLibrary with the collector down"
hold down "$port"
wait_report 60 "twinshim sink relp://127.0.0.1:$port: connection refused"
"$harness" start "$work/collector-down" "$port"
arrived down 1
release down
python3 "$here/relp-check.py" "$work/collector-down/received.log" legacy.dll 1 $calls ||
    fail "what rsyslog received (collector down at start)"
grep -F "twinshim sink relp://127.0.0.1:$port" "$work/report.log" | head -n 3

echo "wrap-relp: passed (every call of the unchanged programs in rsyslog, as JSON, from legacy.dll, also after a collector down at start)"
