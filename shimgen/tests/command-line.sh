#!/bin/sh
# The command line as a script sees it: each exit code for the case
# docs/shimgen.md gives it, and --help of shimgen and of every subcommand
# listing the same codes.
# Usage: command-line.sh SHIMGEN FIXTURE_DLL TWINSHIM_DIR WORK_DIR
set -eu

usage="usage: command-line.sh SHIMGEN FIXTURE_DLL TWINSHIM_DIR WORK_DIR"
shimgen=${1:?$usage}
fixture=${2:?$usage}
twinshim=${3:?$usage}
work=${4:?$usage}
failures=0

rm -rf "$work"
mkdir -p "$work"

# expect CODE TEXT ARGUMENTS...: shimgen exits with CODE and prints TEXT
# (a fixed string) on stdout or stderr.
expect() {
    code=$1
    text=$2
    shift 2
    set +e
    "$shimgen" "$@" > "$work/out" 2>&1
    actual=$?
    set -e
    if [ "$actual" -ne "$code" ]; then
        echo "command-line: FAILED: shimgen $* exited $actual, expected $code:" >&2
        cat "$work/out" >&2
        failures=$((failures + 1))
    elif ! grep -qF -- "$text" "$work/out"; then
        echo "command-line: FAILED: shimgen $* does not say \"$text\":" >&2
        cat "$work/out" >&2
        failures=$((failures + 1))
    fi
}

: > "$work/empty.dll"
printf 'MZ' > "$work/short.dll"
expect 3 "cannot open" exports "$work/missing.dll"
expect 3 "directory" exports "$work"
expect 4 "empty" exports "$work/empty.dll"
expect 4 "$work/short.dll" exports "$work/short.dll"
expect 4 "empty" wrap "$work/empty.dll" -o "$work/out-empty"
expect 0 "fixture_add" exports "$fixture"

# The fixture with IMAGE_FILE_DLL cleared in its COFF characteristics: an EXE.
# exports lists it (EXEs may export), wrap refuses it.
pe_header=$(od -An -tu4 -j60 -N4 "$fixture" | tr -d ' ')
cp "$fixture" "$work/tool.exe"
printf '\042\000' | dd of="$work/tool.exe" bs=1 seek=$((pe_header + 22)) conv=notrunc 2> /dev/null
expect 0 "fixture_add" exports "$work/tool.exe"
expect 7 "not a DLL" wrap "$work/tool.exe" -o "$work/out-exe"
[ ! -e "$work/out-exe" ] || { echo "command-line: FAILED: wrap wrote files for an EXE" >&2; failures=$((failures + 1)); }

# Each error names the option or the file at fault.
expect 2 "wrap: unknown option --bogus" wrap "$fixture" -o "$work/out" --bogus
expect 2 "exports: unknown option --bogus" exports --bogus "$fixture"
expect 2 "wrap: --name needs a value" wrap "$fixture" -o "$work/out" --name
expect 2 "wrap: no output folder given (-o DIR)" wrap "$fixture"
expect 2 "unknown command frobnicate" frobnicate
expect 5 "--intercept nonexistent: the DLL has no such export" wrap "$fixture" -o "$work/out" --intercept nonexistent
expect 5 "--prototype fixture_sub: no intercepted export has that name" wrap "$fixture" -o "$work/out" \
    --intercept fixture_add --prototype 'int fixture_sub(int a)'
expect 5 "--include a\"b.h" wrap "$fixture" -o "$work/out" --include 'a"b.h'
# --twinshim must name a twinshim source tree; the project then defaults to
# it, as an absolute path. Without it, the project uses the installed package.
mkdir -p "$work/not-twinshim"
: > "$work/not-twinshim/CMakeLists.txt"
expect 5 "--twinshim $work/not-twinshim: not a twinshim source tree" wrap "$fixture" -o "$work/out-tree" \
    --twinshim "$work/not-twinshim"
expect 5 "--twinshim $work/nowhere: no such folder" wrap "$fixture" -o "$work/out-tree" --twinshim "$work/nowhere"
[ ! -e "$work/out-tree" ] || { echo "command-line: FAILED: wrap wrote files for a bad --twinshim" >&2; failures=$((failures + 1)); }
twinshim=$(cd "$twinshim" && pwd -P)
(cd "$twinshim/shimgen" && "$shimgen" wrap "$fixture" -o "$work/with-tree" --twinshim .. > /dev/null 2>&1)
grep -qF "set(TWINSHIM_SOURCE_DIR \"$twinshim\" CACHE PATH" "$work/with-tree/CMakeLists.txt" || {
    echo "command-line: FAILED: --twinshim .. is not the project's default, as an absolute path" >&2
    failures=$((failures + 1))
}
expect 0 "wrote the project" wrap "$fixture" -o "$work/installed"
grep -qF 'set(TWINSHIM_SOURCE_DIR "" CACHE PATH' "$work/installed/CMakeLists.txt" &&
    grep -qF 'find_package(twinshim 0.1 CONFIG QUIET HINTS' "$work/installed/CMakeLists.txt" || {
    echo "command-line: FAILED: without --twinshim the project does not default to the installed package" >&2
    failures=$((failures + 1))
}
# An API-set name is never loaded from a file: refused unless forced.
expect 8 "api-ms-win-core-file-l1-1-0.dll is an API-set name" wrap "$fixture" -o "$work/out-api" \
    --name api-ms-win-core-file-l1-1-0
[ ! -e "$work/out-api" ] || { echo "command-line: FAILED: wrap wrote files for an API-set name" >&2; failures=$((failures + 1)); }
expect 0 "warning: api-ms-win-core-file-l1-1-0.dll is an API-set name" wrap "$fixture" -o "$work/out-api" \
    --name api-ms-win-core-file-l1-1-0 --force
# check: its own help lists its findings' codes; errors name what is wrong.
expect 0 "16  Wine has a builtin of the front's name" check --help
expect 0 "10  a file is missing" --help
expect 2 "check: no DIR given" check
expect 2 "check: unknown option --bogus" check "$work" --bogus
expect 3 "cannot open the folder" check "$work/missing-folder"
# Counts in English.
expect 0 ", 6 exports" exports "$fixture"

# Every help lists the codes, and says what code 4 and code 3 cover.
for help in "--help" "exports --help" "wrap --help" "check --help"; do
    # shellcheck disable=SC2086 # the subcommand and --help are two words
    expect 0 "4  FILE is empty, not a PE file" $help
    # shellcheck disable=SC2086
    expect 0 "3  FILE cannot be read (missing, a directory, not a regular file, too large)" $help
    # shellcheck disable=SC2086
    expect 0 "7  wrap: FILE is not a DLL" $help
    # shellcheck disable=SC2086
    expect 0 "8  wrap: the front's name is an API set" $help
done

[ "$failures" -eq 0 ] || { echo "command-line: $failures check(s) failed" >&2; exit 1; }
echo "command-line: passed"
