#!/bin/sh
# An in-process COM server, wrapped, serves an unchanged COM client as the
# original did. The fixture (e2e/com/) is a server with one dual interface
# whose IDispatch is built from its type library (LoadRegTypeLib through
# the registered path, then DispInvoke), the type library compiled by widl
# and embedded as TYPELIB 1 beside a version resource and a string table.
# It is wrapped with --intercept 'Dll*' and com_client.exe runs against the
# original and against the front, each registered at its own path: the
# outputs must be the same (CoCreateInstance, early- and late-bound calls,
# the type library, the version resource and strings through the server's
# module handle, CoFreeUnusedLibraries keeping the server while an object
# lives and while it is locked, unloading it after). The wrapped run must
# also show the original and the worker loaded while the object lived and
# gone after the front's unload (the worker frees both once drained), and
# the worker's log the DllGetClassObject and DllCanUnloadNow calls. Without
# the front's resources CoCreateInstance must fail: the type library is one.
# wrap must warn, and its README say, that the registration must name the
# front; shimgen check then finds nothing wrong with the folder and notes it.
# Wine 8's combase reads classes only from HKLM\Software\Classes (a class
# registered under HKCU\Software\Classes is REGDB_E_CLASSNOTREG), so the
# client registers there, in the project's prefix, and removes its keys
# before it exits; the script removes them too if the client did not.
# Usage: wrap-com-server.sh SHIMGEN WORK_DIR
set -eu

usage="usage: wrap-com-server.sh SHIMGEN WORK_DIR"
shimgen=$(cd "$(dirname "${1:?$usage}")" && pwd)/$(basename "$1")
work=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
wine_dlls=${SHIMGEN_WINE_DLLS:-/usr/lib/x86_64-linux-gnu/wine/x86_64-windows}
class_key='HKLM\Software\Classes\CLSID\{3DBE4378-C155-4D17-A0C4-FD2A1510FC87}'
typelib_key='HKLM\Software\Classes\TypeLib\{630ABD60-0D3D-441F-B97D-C9CFC25AB613}'

fail() {
    echo "wrap-com-server: FAILED: $*" >&2
    exit 1
}

# The client unregisters itself; this covers a client that crashed first.
remove_registration() {
    for key in "$class_key" "$typelib_key"; do
        "$wine_run" reg delete "$key" /f > /dev/null 2>&1 || true
    done
}

command -v x86_64-w64-mingw32-widl > /dev/null ||
    fail "x86_64-w64-mingw32-widl is missing: install mingw-w64-tools (scripts/install-dependencies.sh)"
[ -f "$wine_dlls/stdole2.tlb" ] || fail "$wine_dlls/stdole2.tlb is missing (the type library imports it)"
rm -rf "$work"
mkdir -p "$work/build" "$work/original" "$work/wrapped" "$work/no-resources"
work=$(cd "$work" && pwd)

echo "== the server: type library by widl, resources, DLL; the client"
widl="x86_64-w64-mingw32-widl --win64 --nostdinc -I $here/com/idl -L $wine_dlls"
(cd "$work/build" && $widl -t -o calc.tlb "$here/com/calc.idl" && $widl -h -o calc.h "$here/com/calc.idl" &&
    $widl -u -o calc_i.c "$here/com/calc.idl") || fail "widl"
cp "$here/com/calc_server.rc" "$here/com/calc_server.h" "$work/build/"
(cd "$work/build" && x86_64-w64-mingw32-windres -i calc_server.rc -o calc_server_resources.o) || fail "windres"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -shared -static-libgcc -I"$work/build" \
    -o "$work/build/calcsrv.dll" "$here/com/calc_server.c" "$work/build/calc_i.c" "$here/com/calc_server.def" \
    "$work/build/calc_server_resources.o" -loleaut32 -lole32 -luuid || fail "building calcsrv.dll"
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -I"$work/build" -I"$here/com" -o "$work/com_client.exe" \
    "$here/com/com_client.c" "$work/build/calc_i.c" -loleaut32 -lole32 -luuid -lversion ||
    fail "building com_client.exe"

echo "== shimgen wrap calcsrv.dll --intercept 'Dll*'"
"$shimgen" wrap "$work/build/calcsrv.dll" -o "$work/project" --intercept 'Dll*' > "$work/wrap.log" 2>&1 ||
    { cat "$work/wrap.log"; fail "shimgen wrap"; }
[ -f "$work/project/calcsrv_resources.obj" ] || fail "no calcsrv_resources.obj: the front would lack the type library"
# COM loads the file the registration names: wrap and the README say it must be the front.
warning="is an in-process COM server (DllGetClassObject): COM loads the file its registration names, which"
warning="$warning must be the front calcsrv.dll, not calcsrv_orig.dll"
grep -qF "$warning" "$work/wrap.log" ||
    { cat "$work/wrap.log"; fail "wrap did not warn that the registration must name the front"; }
grep -qx '### COM registration' "$work/project/README.md" &&
    grep -q "^It has no \`DllRegisterServer\`: whatever registers it must write the$" "$work/project/README.md" ||
    fail "the generated README.md has no COM registration section"
"$here/build-project.sh" "$work/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" || fail "building"

cp "$work/build/calcsrv.dll" "$work/original/"
cp "$work/build/calcsrv.dll" "$work/wrapped/calcsrv_orig.dll"
cp "$work/project/build/bin/calcsrv.dll" "$work/project/build/bin/calcsrv_worker.dll" "$work/wrapped/"

trap remove_registration EXIT
# run NAME FOLDER: the client against FOLDER's calcsrv.dll; NAME.out and NAME.err.
run() {
    status=0
    (cd "$2" && CALCSRV_SHIM_LOG=calls.log timeout 120 "$wine_run" ../com_client.exe calcsrv.dll \
        --watch calcsrv_orig.dll --watch calcsrv_worker.dll) > "$work/$1.out" 2> "$work/$1.err" || status=$?
    tr -d '\r' < "$work/$1.out" > "$work/$1.txt"
    tr -d '\r' < "$work/$1.err" > "$work/$1.watch"
    return $status
}

echo "== com_client.exe against the original"
run original "$work/original" || { cat "$work/original.txt" "$work/original.watch"; fail "the original run failed"; }
cat "$work/original.txt"
[ ! -e "$work/original/calls.log" ] || fail "a log was written without a front"

echo "== com_client.exe against the wrapped server"
run wrapped "$work/wrapped" || { cat "$work/wrapped.txt" "$work/wrapped.watch"; fail "the wrapped run failed"; }
diff "$work/original.txt" "$work/wrapped.txt" || fail "the wrapped server served otherwise (< original, > wrapped)"
grep -q '^CoFreeUnusedLibraries after the last release and unlock: unloaded$' "$work/wrapped.txt" ||
    fail "the front was not unloaded by CoFreeUnusedLibraries"
grep -q '^type library: TwinshimCalculatorLib "twinshim COM test calculator", 2 type infos$' "$work/wrapped.txt" ||
    fail "the type library was not read through the front"
echo "same output as the original"

echo "== what the wrapped server loaded beside it, and when it left"
cat "$work/wrapped.watch"
for module in calcsrv_orig.dll calcsrv_worker.dll; do
    grep -qx "watch $module: loaded while an object lives" "$work/wrapped.watch" ||
        fail "$module was not loaded while the object lived"
    grep -qx "watch $module: unloaded after the server's unload" "$work/wrapped.watch" ||
        fail "$module stayed loaded after the front's unload"
done

echo "== what the worker saw"
[ -f "$work/wrapped/calls.log" ] || fail "the worker wrote no log: the front was not loaded, or found no worker"
cat "$work/wrapped/calls.log"
logged() {
    grep -c "\"export\":\"$1\",\"ordinal\":[0-9]*,\"last_error\":[0-9]*,\"registers\":\[" \
        "$work/wrapped/calls.log" || true
}
class_objects=$(logged DllGetClassObject)
unload_queries=$(logged DllCanUnloadNow)
# CoCreateInstance and CoGetClassObject each ask for the class object; each
# of the client's three CoFreeUnusedLibraries asks whether it may unload.
[ "$class_objects" -ge 2 ] || fail "the worker logged $class_objects DllGetClassObject calls, expected 2 or more"
[ "$unload_queries" -eq 3 ] || fail "the worker logged $unload_queries DllCanUnloadNow calls, expected 3"
[ "$(wc -l < "$work/wrapped/calls.log")" -eq $((class_objects + unload_queries)) ] ||
    fail "the log holds lines of another kind"

echo "== shimgen check"
"$shimgen" check "$work/wrapped" > "$work/check.log" || { cat "$work/check.log"; fail "shimgen check found something"; }
cat "$work/check.log"
note="shimgen: check: calcsrv.dll: an in-process COM server (DllGetClassObject): its registration"
grep -qF "$note" "$work/check.log" && grep -qF "must name the front, not calcsrv_orig.dll" "$work/check.log" ||
    fail "shimgen check did not note that the registration must name the front"

echo "== the same front without the resources: the server cannot load its type library"
cp -r "$work/project" "$work/project-no-resources"
rm -rf "$work/project-no-resources/build"
sed -i 's/ calcsrv_resources\.obj//' "$work/project-no-resources/CMakeLists.txt"
"$here/build-project.sh" "$work/project-no-resources" toolchain-x86_64-w64-mingw32-gcc.cmake "$work" ||
    fail "building the front without resources"
cp "$work/build/calcsrv.dll" "$work/no-resources/calcsrv_orig.dll"
cp "$work/project-no-resources/build/bin/calcsrv.dll" "$work/project-no-resources/build/bin/calcsrv_worker.dll" \
    "$work/no-resources/"
if run no-resources "$work/no-resources"; then
    fail "the client succeeded against a front without resources: the test does not see the type library"
fi
# TYPE_E_CANTLOADLIBRARY, as the issue's scrrun.dll gave.
grep -q '^CoCreateInstance: 0x80029c4a$' "$work/no-resources.txt" ||
    { cat "$work/no-resources.txt"; fail "without resources, CoCreateInstance failed otherwise"; }
echo "CoCreateInstance: 0x80029c4a (TYPE_E_CANTLOADLIBRARY), as expected"

echo "wrap-com-server: passed (same COM results through the front, calls observed, unloaded by CoFreeUnusedLibraries)"
