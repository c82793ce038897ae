#!/bin/sh
# End to end on a real DLL shipped with Wine: wrap version.dll (a Wine
# builtin with its own code and two exports it already forwards to kernel32),
# intercepting GetFileVersionInfoSizeW, build the generated project, and run
# an unchanged program (version_host.c) that loads version.dll by name. The
# wrapped run needs the override the generated README gives; it must print
# what the run against Wine's own version.dll prints (same results, same last
# error, nothing left loaded), and the worker must have logged both calls.
# Usage: wrap-wine-version.sh SHIMGEN WINE_DLL_DIR WORK_DIR
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
wine_dlls=$(cd "${2:?usage: wrap-wine-version.sh SHIMGEN WINE_DLL_DIR WORK_DIR}" && pwd)
work=${3:?usage: wrap-wine-version.sh SHIMGEN WINE_DLL_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run

fail() {
    echo "wrap-wine-version: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

echo "== shimgen wrap $wine_dlls/version.dll (intercept GetFileVersionInfoSizeW)"
"$shimgen" wrap "$wine_dlls/version.dll" -o "$work/project" --intercept GetFileVersionInfoSizeW \
    --prototype 'DWORD GetFileVersionInfoSizeW(const wchar_t *file_name, DWORD *handle)' 2> "$work/warnings"
cat "$work/warnings"
grep -q 'Wine builtin' "$work/warnings" || fail "no warning that version.dll is a Wine builtin"
grep -q 'WINEDLLOVERRIDES="version=n,b"' "$work/project/README.md" || fail "the README lacks the Wine override"
grep -q '^    VerLanguageNameW = kernel32.VerLanguageNameW @14$' "$work/project/version.def" ||
    fail "the existing forwarder to kernel32 was not kept"

echo "== building the generated project (warnings are errors here)"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the generated project"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -o "$work/version_host.exe" "$here/version_host.c" \
    "$here/host_modules.c" ||
    fail "building version_host.exe"

mkdir "$work/original" "$work/wrapped"
cp "$work/version_host.exe" "$work/original/"
cp "$wine_dlls/version.dll" "$work/wrapped/version_orig.dll"
cp "$work/project/build/bin/version.dll" "$work/project/build/bin/version_worker.dll" "$work/version_host.exe" \
    "$work/wrapped/"

echo "== version_host.exe against Wine's version.dll"
(cd "$work/original" && "$wine_run" version_host.exe) > "$work/original.out" || {
    cat "$work/original.out"; fail "the original run failed"; }
cat "$work/original.out"

echo "== version_host.exe against the wrapped version.dll"
(cd "$work/wrapped" && VERSION_SHIM_LOG=calls.log WINEDLLOVERRIDES="version=n,b;mscoree,mshtml=" \
    "$wine_run" version_host.exe) > "$work/wrapped.out" || { cat "$work/wrapped.out"; fail "the wrapped run failed"; }
tr -d '\r' < "$work/original.out" > "$work/original.txt"
tr -d '\r' < "$work/wrapped.out" > "$work/wrapped.txt"
diff "$work/original.txt" "$work/wrapped.txt" || fail "the wrapped DLL answered differently (< original, > wrapped)"
grep -q '^after FreeLibrary: modules from this folder still loaded: 0$' "$work/wrapped.txt" ||
    fail "a module stayed loaded after FreeLibrary"

echo "== what the worker saw"
[ -f "$work/wrapped/calls.log" ] || fail "the worker wrote no log: the front was not loaded, or found no worker"
cat "$work/wrapped/calls.log"
python3 "$here/jsonl-check.py" "$work/wrapped/calls.log" || fail "the log is not JSON Lines"
seen=$(grep -c '"export":"GetFileVersionInfoSizeW","ordinal":7,' "$work/wrapped/calls.log" || true)
[ "$seen" -eq 2 ] || fail "the worker logged $seen of 2 calls"

echo "wrap-wine-version: passed (same results and last error as Wine's version.dll, calls seen, all unloaded)"
