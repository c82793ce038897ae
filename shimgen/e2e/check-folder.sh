#!/bin/sh
# shimgen check on deployed folders: a good installation of the wrapped
# legacy.dll (exit 0), then one broken copy per kind of finding, each of which
# must exit with that finding's code and say why. Reads files only: nothing
# is run under Wine. Wine's builtins are faked in a folder of our own
# (SHIMGEN_WINE_DLL_ROOT) so that the answer does not depend on the Wine here.
# Usage: check-folder.sh SHIMGEN MINGW_BIN_DIR FIXTURES_DIR WORK_DIR
#   MINGW_BIN_DIR holds original/legacy.dll; FIXTURES_DIR the shimgen test
#   fixtures (x86_64-w64-mingw32/fixture.dll, i686-w64-mingw32/fixture.dll)
set -eu

usage="usage: check-folder.sh SHIMGEN MINGW_BIN_DIR FIXTURES_DIR WORK_DIR"
shimgen=$(cd "$(dirname "${1:?$usage}")" && pwd)/$(basename "$1")
bin=$(cd "${2:?$usage}" && pwd)
fixtures=$(cd "${3:?$usage}" && pwd)
work=${4:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
failures=0

fail() {
    echo "check-folder: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work/wine/x86_64-windows"
work=$(cd "$work" && pwd)
export SHIMGEN_WINE_DLL_ROOT="$work/wine"
unset WINEDLLOVERRIDES
# A fake Wine builtin: any file with Wine's marker at offset 0x40.
head -c 64 /dev/zero > "$work/wine/x86_64-windows/version.dll"
printf 'Wine builtin DLL' >> "$work/wine/x86_64-windows/version.dll"

echo "== wrap and build legacy.dll"
"$shimgen" wrap "$bin/original/legacy.dll" -o "$work/project" --intercept legacy_add > "$work/wrap.log" 2>&1 ||
    { cat "$work/wrap.log"; fail "shimgen wrap"; }
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" || fail "building"

# deploy DIR: a good installation in DIR.
deploy() {
    mkdir -p "$1"
    cp "$work/project/build/bin/legacy.dll" "$work/project/build/bin/legacy_worker.dll" "$1/"
    cp "$bin/original/legacy.dll" "$1/legacy_orig.dll"
}

# expect CODE TEXT DIR [check options]: check exits CODE and prints TEXT.
expect() {
    code=$1
    text=$2
    shift 2
    set +e
    "$shimgen" check "$@" > "$work/out" 2>&1
    actual=$?
    set -e
    sed 's/^/    /' "$work/out"
    if [ "$actual" -ne "$code" ]; then
        echo "check-folder: FAILED: check $* exited $actual, expected $code" >&2
        failures=$((failures + 1))
    elif ! grep -qF -- "$text" "$work/out"; then
        echo "check-folder: FAILED: check $* does not say \"$text\"" >&2
        failures=$((failures + 1))
    fi
}

echo "== a good installation"
deploy "$work/good"
expect 0 "no findings (1 front)" "$work/good"
expect 0 "a twinshim front (x86-64), worker legacy_worker.dll, original legacy_orig.dll" "$work/good"

echo "== no front at all"
mkdir -p "$work/empty" && cp "$bin/original/legacy.dll" "$work/empty/"
expect 10 "no twinshim front" "$work/empty"

echo "== the worker missing"
deploy "$work/no-worker" && rm "$work/no-worker/legacy_worker.dll"
expect 10 "legacy.dll: its worker legacy_worker.dll is not in" "$work/no-worker"

echo "== the original mis-named (legacy.orig.dll)"
deploy "$work/misnamed" && mv "$work/misnamed/legacy_orig.dll" "$work/misnamed/legacy.orig.dll"
expect 10 "legacy.dll: its original legacy_orig.dll is not in" "$work/misnamed"

echo "== a 32-bit original beside the 64-bit front"
deploy "$work/machine" && cp "$fixtures/i686-w64-mingw32/fixture.dll" "$work/machine/legacy_orig.dll"
expect 11 "legacy_orig.dll: built for x86, but the front legacy.dll is for x86-64" "$work/machine"

echo "== a worker that is no twinshim worker"
deploy "$work/not-worker" && cp "$bin/original/legacy.dll" "$work/not-worker/legacy_worker.dll"
expect 12 "not a twinshim worker: it does not export shim_worker_connect" "$work/not-worker"

echo "== front and worker built with different protocol versions"
# The runtimes carry their version as a tag (twinshim:protocol=N): the
# worker's is rewritten in place to one number more, same length.
deploy "$work/protocol"
version=$(grep -ao 'twinshim:protocol=[0-9]*' "$work/protocol/legacy.dll" | head -n 1 | cut -d= -f2)
[ -n "$version" ] || { echo "check-folder: FAILED: the front carries no protocol tag" >&2; exit 1; }
other=$((version + 1))
[ ${#other} -eq ${#version} ] || other=$((version - 1))
perl -pi -e "s/twinshim:protocol=$version\\0/twinshim:protocol=$other\\0/g" "$work/protocol/legacy_worker.dll"
expect 12 "speaks protocol $other, the front legacy.dll speaks $version" "$work/protocol"
deploy "$work/same-protocol"
expect 0 "no findings" "$work/same-protocol"
grep -q "protocol version not recorded" "$work/out" &&
    { echo "check-folder: FAILED: the runtimes' protocol tags were not found" >&2; failures=$((failures + 1)); }

echo "== another DLL as the original: different exports"
deploy "$work/exports" && cp "$fixtures/x86_64-w64-mingw32/fixture.dll" "$work/exports/legacy_orig.dll"
expect 13 "the front lacks fixture_add (ordinal" "$work/exports"
expect 13 "the front has an export the original lacks: legacy_add (ordinal 1)" "$work/exports"

echo "== an original with resources the front lacks"
deploy "$work/resources"
windres_out="$work/resources.o"
printf '1 VERSIONINFO\nFILEVERSION 1,2,3,4\nBEGIN\nEND\nSTRINGTABLE\nBEGIN\n  7 "seven"\nEND\n' > "$work/resources.rc"
x86_64-w64-mingw32-windres -i "$work/resources.rc" -o "$windres_out" || fail "windres"
x86_64-w64-mingw32-gcc -std=c11 -shared -static-libgcc -o "$work/resources/legacy_orig.dll" \
    "$top/examples/legacy/original/legacy.c" "$top/examples/legacy/original/legacy.def" "$windres_out" ||
    fail "building legacy.dll with resources"
expect 14 "lacks 2 of the original's 2 resources" "$work/resources"
expect 14 "the front lacks the resource type #16, name #1, language 1033" "$work/resources"

echo "== a front named as a KnownDLL"
deploy "$work/known" && mv "$work/known/legacy.dll" "$work/known/normaliz.dll"
expect 15 "normaliz.dll: a KnownDLL" "$work/known"

echo "== a front named as a Wine builtin"
deploy "$work/builtin" && mv "$work/builtin/legacy.dll" "$work/builtin/version.dll"
expect 16 "run with WINEDLLOVERRIDES=\"version=n,b\"" "$work/builtin"
WINEDLLOVERRIDES="mscoree,version=n,b" expect 0 "WINEDLLOVERRIDES here takes the front" "$work/builtin"
unset WINEDLLOVERRIDES

echo "== --front picks one file; a missing one is an error"
expect 0 "no findings (1 front)" "$work/good" --front LEGACY.DLL
expect 10 "--front nothing.dll: no such file" "$work/good" --front nothing.dll

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "check-folder: passed (a good installation, and one broken installation per finding)"
