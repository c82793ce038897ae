#!/bin/sh
# The scenario of an unchanged scripting host against a wrapped in-process
# COM server: Wine's own scrrun.dll (Scripting.FileSystemObject and
# Scripting.Dictionary, with its type library as a resource) wrapped with
# --intercept 'Dll*', and Wine's own cscript.exe running com/scripting.vbs
# (dictionary, file and path calls, a scrrun error, an exit code computed by
# scrrun). The first run uses Wine's registration of scrrun.dll as it is;
# for the second, the classes and the type library are registered at the
# front's path, and WINEDLLOVERRIDES is the one shimgen prints for this Wine
# builtin. Both runs must print the same bytes and exit with the same code,
# and the worker must log the DllGetClassObject calls. Then cscript.exe
# runs com/calls-until-killed.vbs in a loop of calls and is ended in the
# middle of it, with kill -9 from Linux and with Wine's taskkill.exe /f
# (TerminateProcess): once the next program of the front has run, every
# call that returned has its record in the log. A third run, against
# a front built without the original's resources, must not: the server
# reads its type library through the registered path, the front's, and
# cannot (what a front without resources did to cscript before).
# The registration is Wine's, in the project's prefix, under
# HKLM\Software\Classes (Wine 8's combase reads no other; see
# docs/wine-vs-windows.md): the values changed are saved first and put back
# on every exit, success or not.
# Usage: wrap-com-scrrun.sh SHIMGEN WINE_DLL_DIR WORK_DIR
set -eu

usage="usage: wrap-com-scrrun.sh SHIMGEN WINE_DLL_DIR WORK_DIR"
shimgen=$(cd "$(dirname "${1:?$usage}")" && pwd)/$(basename "$1")
wine_dlls=$(cd "${2:?$usage}" && pwd)
work=${3:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
classes='HKLM\Software\Classes'
# FileSystemObject's and Dictionary's servers, and scrrun's type library.
registered_paths="CLSID\\{0D43FE01-F093-11CF-8940-00A0C9054228}\\InprocServer32
CLSID\\{EE09B103-97E0-11CF-978F-00A02463E06F}\\InprocServer32
TypeLib\\{420B2830-E718-11CF-893D-00A0C9054228}\\1.0\\0\\win64"
builtin_path='C:\windows\system32\scrrun.dll'

fail() {
    echo "wrap-com-scrrun: FAILED: $*" >&2
    exit 1
}

for file in scrrun.dll cscript.exe; do
    [ -f "$wine_dlls/$file" ] || fail "$wine_dlls/$file is missing: Wine's package ships it"
done
rm -rf "$work"
mkdir -p "$work/original" "$work/wrapped" "$work/no-resources"
work=$(cd "$work" && pwd)

registered_value() {
    "$wine_run" reg query "$classes\\$1" /ve 2> /dev/null | tr -d '\r' | sed -n 's/^ *(Default) *REG_[A-Z_]* *//p'
}

set_registered_value() {
    "$wine_run" reg add "$classes\\$1" /ve /d "$2" /f > /dev/null 2>&1
}

# point_registration_at FILE: every key above names FILE (a Windows path).
point_registration_at() {
    printf '%s\n' "$registered_paths" | while read -r key; do
        set_registered_value "$key" "$1" || fail "cannot set $classes\\$key"
    done
}

echo "== Wine's registration of scrrun.dll, saved"
work_windows=$("$wine_run" winepath -w "$work" | tr -d '\r')
printf '%s\n' "$registered_paths" | while read -r key; do
    value=$(registered_value "$key")
    [ -n "$value" ] || fail "$classes\\$key has no value: is scrrun.dll registered in this prefix?"
    # A run killed before its restore left the test's path: Wine registers the builtin's.
    case "$value" in "$work_windows"*) value=$builtin_path ;; esac
    printf '%s\t%s\n' "$key" "$value"
done > "$work/saved-registration.txt"
cat "$work/saved-registration.txt"

restore_registration() {
    while IFS="$(printf '\t')" read -r key value; do
        set_registered_value "$key" "$value" || echo "wrap-com-scrrun: could not restore $classes\\$key to $value" >&2
    done < "$work/saved-registration.txt"
}
trap restore_registration EXIT
trap 'exit 1' INT TERM HUP

echo "== shimgen wrap scrrun.dll --intercept 'Dll*'"
"$shimgen" wrap "$wine_dlls/scrrun.dll" -o "$work/project" --intercept 'Dll*' 2> "$work/warnings" ||
    { cat "$work/warnings"; fail "shimgen wrap"; }
cat "$work/warnings"
override=$(sed -n 's/.*WINEDLLOVERRIDES="\([^"]*\)".*/\1/p' "$work/warnings" | head -n 1)
[ "$override" = "scrrun=n,b" ] || fail "shimgen printed no override for the builtin scrrun.dll (got '$override')"
[ -f "$work/project/scrrun_resources.obj" ] || fail "no scrrun_resources.obj: the front would lack the type library"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" || fail "building"
# The same front without the original's resources.
cp -r "$work/project" "$work/project-no-resources"
rm -rf "$work/project-no-resources/build"
sed -i 's/ scrrun_resources\.obj//' "$work/project-no-resources/CMakeLists.txt"
"$here/build-project.sh" "$work/project-no-resources" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the front without resources"

cp "$here/com/scripting.vbs" "$work/original/"
for variant in wrapped no-resources; do
    project=$work/project
    [ "$variant" = wrapped ] || project=$work/project-no-resources
    cp "$here/com/scripting.vbs" "$wine_dlls/scrrun.dll" "$work/$variant/"
    mv "$work/$variant/scrrun.dll" "$work/$variant/scrrun_orig.dll"
    cp "$project/build/bin/scrrun.dll" "$project/build/bin/scrrun_worker.dll" "$work/$variant/"
done

x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -municode -o "$work/drain_host.exe" "$here/drain_host.c" ||
    fail "building drain_host.exe"

# run NAME: cscript.exe in NAME's folder; NAME.out and NAME.status. cscript
# may exit before the front's worker has started, leaving its records in the
# journal (a folder of NAME's own): drain_host.exe then loads that front and
# unloads it once its worker has delivered them into NAME's calls.log.
run() {
    status=0
    mkdir -p "$work/$1-journal"
    (cd "$work/$1" && SCRRUN_SHIM_LOG=calls.log WINEDLLOVERRIDES="$override;mscoree,mshtml=" \
        TWINSHIM_JOURNAL_DIR="$work_windows\\$1-journal\\" \
        timeout 120 "$wine_run" cscript.exe //nologo scripting.vbs) > "$work/$1.out" 2>&1 || status=$?
    echo "$status" > "$work/$1.status"
    (cd "$work/$1" && SCRRUN_SHIM_LOG=calls.log WINEDLLOVERRIDES="$override;mscoree,mshtml=" \
        TWINSHIM_JOURNAL_DIR="$work_windows\\$1-journal\\" \
        timeout 120 "$wine_run" ../drain_host.exe "$work_windows\\$1\\scrrun.dll" scrrun_worker.dll) ||
        fail "draining $1's journal"
}

echo "== cscript.exe with Wine's scrrun.dll"
(cd "$work/original" && timeout 120 "$wine_run" cscript.exe //nologo scripting.vbs) > "$work/original.out" 2>&1 &&
    original_status=0 || original_status=$?
cat "$work/original.out"
echo "exit code $original_status"
grep -q '^read back: first line / second line' "$work/original.out" ||
    fail "the script did not run to its end against Wine's own scrrun.dll"

echo "== cscript.exe with the wrapped scrrun.dll"
point_registration_at "$work_windows\\wrapped\\scrrun.dll"
run wrapped
wrapped_status=$(cat "$work/wrapped.status")
cmp -s "$work/original.out" "$work/wrapped.out" || {
    diff "$work/original.out" "$work/wrapped.out" || true
    fail "cscript printed something else with the wrapped scrrun.dll (< original, > wrapped)"; }
[ "$wrapped_status" = "$original_status" ] ||
    fail "cscript exited with $wrapped_status with the wrapped scrrun.dll, $original_status with Wine's"
echo "same $(wc -c < "$work/wrapped.out") bytes and exit code $wrapped_status"

echo "== what the worker saw"
[ -f "$work/wrapped/calls.log" ] || fail "the worker wrote no log: the front was not loaded, or found no worker"
cat "$work/wrapped/calls.log"
python3 "$here/jsonl-check.py" "$work/wrapped/calls.log" || fail "the log is not JSON Lines"
class_objects=$(grep -c '"export":"DllGetClassObject","ordinal":[0-9]*,' "$work/wrapped/calls.log" || true)
# One class object for each of the script's two classes.
[ "$class_objects" -ge 2 ] || fail "the worker logged $class_objects DllGetClassObject calls, expected 2 or more"
others=$(grep -cv '^{"ts":"[^"]*",.*"export":"Dll[A-Za-z]*","ordinal":[0-9]*,' "$work/wrapped/calls.log" || true)
[ "$others" -eq 0 ] || fail "the log holds $others lines that are not calls of intercepted exports"

# The distinct DllGetClassObject records of a run's log (a possible repeat
# has the seq of the record it repeats), then how many processes made them.
class_object_records() {
    python3 - "$1" <<'EOF'
import json
import sys

seen = set()
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        if line.strip():
            record = json.loads(line)
            if record["export"] == "DllGetClassObject":
                seen.add((record["pid"], record["seq"]))
print(len(seen), len({pid for pid, _ in seen}))
EOF
}

# loop_run NAME COUNT [KILL]: cscript.exe runs com/calls-until-killed.vbs
# against the wrapped front, with a log and a journal folder of NAME's own,
# for COUNT calls (0: until killed). With KILL, kill-9 (from Linux) or
# taskkill (Wine's taskkill.exe /f, which calls TerminateProcess), the
# program is ended so once 1000 calls have returned: no DLL gets a detach.
# Then drain_host.exe, the next program of the same front, delivers what the
# journal kept. Sets returned (the script's complete lines: calls that
# returned), records (distinct DllGetClassObject records in the log) and dir.
# Without the journal (its folder on a drive that does not exist), the kill
# -9 run lost records in 3 runs of 3 here, the taskkill run in 2 of 3.
loop_run() {
    dir=$work/loops/$1
    mkdir -p "$dir/journal"
    dir_windows=$("$wine_run" winepath -w "$dir" | tr -d '\r')
    returned_windows="$dir_windows\\returned.txt"
    : > "$dir/returned.txt"
    (cd "$work/wrapped" && SCRRUN_SHIM_LOG="$dir_windows\\calls.log" TWINSHIM_JOURNAL_DIR="$dir_windows\\journal\\" \
        WINEDLLOVERRIDES="$override;mscoree,mshtml=" \
        timeout 120 "$wine_run" cscript.exe //nologo calls-until-killed.vbs "$2" "$returned_windows") \
        > "$dir/cscript.out" 2>&1 &
    program=$!
    if [ -n "${3:-}" ]; then
        polls=0
        while [ "$(grep -c . "$dir/returned.txt")" -lt 1000 ]; do
            kill -0 "$program" 2>/dev/null || fail "$1: cscript.exe ended by itself: $(cat "$dir/cscript.out")"
            [ "$polls" -lt 1200 ] || fail "$1: 1000 calls did not return within 60 s"
            sleep 0.05
            polls=$((polls + 1))
        done
        if [ "$3" = taskkill ]; then
            # The only cscript.exe of the prefix: the suites run one by one.
            "$wine_run" taskkill /f /im cscript.exe > "$dir/taskkill.out" 2>&1 ||
                fail "$1: taskkill /f: $(cat "$dir/taskkill.out")"
        else
            # Its Unix processes: their command lines name this run's file.
            pids=$(pgrep -f -- "$(printf '%s' "$returned_windows" | sed 's/[][\\.*^$]/\\&/g')" || true)
            [ -n "$pids" ] || fail "$1: no process with $returned_windows on its command line"
            # shellcheck disable=SC2086
            kill -9 $pids
        fi
        wait "$program" 2>/dev/null || true
        [ "$(find "$dir/journal" -name '*.journal' | wc -l)" -eq 1 ] || fail "$1: the ended program left no journal"
    else
        wait "$program" || fail "$1: cscript.exe failed: $(cat "$dir/cscript.out")"
    fi
    (cd "$work/wrapped" && SCRRUN_SHIM_LOG="$dir_windows\\calls.log" TWINSHIM_JOURNAL_DIR="$dir_windows\\journal\\" \
        WINEDLLOVERRIDES="$override;mscoree,mshtml=" \
        timeout 120 "$wine_run" ../drain_host.exe "$work_windows\\wrapped\\scrrun.dll" scrrun_worker.dll) ||
        fail "$1: draining the journal"
    [ "$(find "$dir/journal" -name '*.journal' | wc -l)" -eq 0 ] || fail "$1: a journal is left after the drain"
    # A line the kill cut short is a call whose count was not written.
    returned=$(tr -cd '\n' < "$dir/returned.txt" | wc -c)
    counts=$(class_object_records "$dir/calls.log")
    records=${counts% *}
    # drain_host.exe calls nothing: every record is cscript's.
    [ "${counts#* }" -eq 1 ] || fail "$1: records of ${counts#* } processes in one run's log"
}

echo "== cscript.exe ended in a loop of calls: every call that returned has its record"
cp "$here/com/calls-until-killed.vbs" "$work/wrapped/"
# What a call gives in records, and what the script makes besides: two runs
# that end by themselves.
loop_run fifty 50
fifty_records=$records
[ "$returned" -eq 50 ] || fail "the 50-call run wrote $returned lines"
loop_run hundred 100
[ "$returned" -eq 100 ] || fail "the 100-call run wrote $returned lines"
per_call=$(((records - fifty_records) / 50))
besides=$((fifty_records - 50 * per_call))
if [ "$per_call" -lt 1 ] || [ $((fifty_records + 50 * per_call)) -ne "$records" ] || [ "$besides" -lt 0 ]; then
    fail "50 calls gave $fifty_records records and 100 gave $records: not a fixed number a call"
fi
echo "a call: $per_call record(s); the script makes $besides besides"
for kill_how in kill-9 taskkill; do
    loop_run "$kill_how" 0 "$kill_how"
    recovered=$(grep -c '"recovered":true' "$dir/calls.log" || true)
    echo "$kill_how: $returned calls returned; $records records, $recovered of them recovered from the journal"
    # Every call that returned, and at most the one the kill cut short.
    [ "$records" -ge $((besides + per_call * returned)) ] ||
        fail "$kill_how: $returned calls returned and only $records records are in the log"
    [ "$records" -le $((besides + per_call * (returned + 1))) ] ||
        fail "$kill_how: $records records for $returned calls returned: records of calls never made"
done

echo "== cscript.exe with a front that lacks the original's resources"
point_registration_at "$work_windows\\no-resources\\scrrun.dll"
run no-resources
# drain_host.exe makes no call: a record in the log is cscript's.
[ -s "$work/no-resources/calls.log" ] || fail "the front without resources was not loaded: this run proves nothing"
if cmp -s "$work/original.out" "$work/no-resources.out"; then
    fail "cscript printed the same without the front's resources: the type library was not read through the front"
fi
echo "printed $(wc -c < "$work/no-resources.out") bytes instead of $(wc -c < "$work/original.out"), exit code" \
    "$(cat "$work/no-resources.status")"

echo "== Wine's registration, restored"
restore_registration
trap - EXIT INT TERM HUP
while IFS="$(printf '\t')" read -r key value; do
    [ "$(registered_value "$key")" = "$value" ] || fail "$classes\\$key was not restored to $value"
done < "$work/saved-registration.txt"
echo "restored"

echo "== shimgen check"
# With the override the runs had, Wine's builtin is a note, not a finding.
WINEDLLOVERRIDES="$override" "$shimgen" check "$work/wrapped" || fail "shimgen check found something"

echo "wrap-com-scrrun: passed (cscript's output and exit code the same with the wrapped scrrun.dll, its calls observed)"
