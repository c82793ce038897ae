#!/bin/sh
# End to end for DLL file names that are not plain C identifiers: the
# example's legacy.dll copied to names with '-', '.', '+', a leading digit,
# mixed case and another extension. Each is wrapped, the project built with
# mingw, and installed as the generated README says, taking every file name
# from the generated files themselves. named_host.exe then loads the front by
# the original's name under Wine: same results, the worker logs every call
# (the front found its worker: not pass-through), nothing left loaded.
# Usage: wrap-names.sh SHIMGEN MINGW_BIN_DIR WORK_DIR
#   MINGW_BIN_DIR holds original/legacy.dll
set -eu

shimgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bin=$(cd "${2:?usage: wrap-names.sh SHIMGEN MINGW_BIN_DIR WORK_DIR}" && pwd)
work=${3:?usage: wrap-names.sh SHIMGEN MINGW_BIN_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wine_run=$top/cmake/wine-run
calls=4

fail() {
    echo "wrap-names: FAILED: $*" >&2
    exit 1
}

# The text between `before` and the next double quote in a file.
quoted_after() {
    sed -n "s/.*$1\\([^\"]*\\)\".*/\\1/p" "$2" | head -n 1
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -o "$work/named_host.exe" "$here/named_host.c" \
    "$here/host_modules.c" ||
    fail "building named_host.exe"

for name in libfoo-20.dll my-lib.v2.dll libstdc++-6.dll 7z.dll MixedCase.OCX; do
    case_dir=$work/$name
    mkdir -p "$case_dir/input" "$case_dir/installed"
    cp "$bin/original/legacy.dll" "$case_dir/input/$name"

    echo "== $name: wrap, build"
    # The prototype's type comes from a header of the project's (--include).
    mkdir -p "$case_dir/project"
    printf 'typedef int legacy_int;\n' > "$case_dir/project/legacy_types.h"
    "$shimgen" wrap "$case_dir/input/$name" -o "$case_dir/project" --intercept legacy_add \
        --include legacy_types.h --prototype 'legacy_int legacy_add(legacy_int a, legacy_int b)' \
        > "$case_dir/wrap.log" 2>&1 || {
        cat "$case_dir/wrap.log"; fail "$name: shimgen wrap"; }
    "$here/build-project.sh" "$case_dir/project" toolchain-x86_64-w64-mingw32-gcc.cmake "$case_dir" ||
        fail "$name: building the generated project"

    # Every name comes from the generated files: the front's configuration
    # and the worker's log variable.
    front_source=$(ls "$case_dir"/project/*_front.c)
    worker_file=$(quoted_after '\.worker_file_name = L"' "$front_source")
    original_file=$(quoted_after '\.original_file_name = L"' "$front_source")
    log_variable=$(quoted_after 'GetEnvironmentVariableW(L"' "$(ls "$case_dir"/project/*_worker.c)")
    [ -f "$case_dir/project/build/bin/$name" ] || fail "$name: CMake did not build a front named $name"
    [ -f "$case_dir/project/build/bin/$worker_file" ] ||
        fail "$name: the front looks for $worker_file, which CMake did not build"
    grep -qF "rename the original \`$name\` to \`$original_file\`" "$case_dir/project/README.md" ||
        fail "$name: the README does not install the original as $original_file"
    cp "$case_dir/input/$name" "$case_dir/installed/$original_file"
    cp "$case_dir/project/build/bin/$name" "$case_dir/project/build/bin/$worker_file" "$work/named_host.exe" \
        "$case_dir/installed/"

    echo "== $name: named_host.exe under Wine ($worker_file, $original_file, $log_variable)"
    (cd "$case_dir/installed" && env "$log_variable=calls.log" "$wine_run" named_host.exe "$name" $calls) \
        > "$case_dir/run.out" 2>&1 || { cat "$case_dir/run.out"; fail "$name: the run failed"; }
    tr -d '\r' < "$case_dir/run.out" > "$case_dir/run.txt"
    cat "$case_dir/run.txt"
    grep -q "^calls made: $calls, wrong results: 0\$" "$case_dir/run.txt" || fail "$name: wrong results"
    grep -q '^after FreeLibrary: modules from this folder still loaded: 0$' "$case_dir/run.txt" ||
        fail "$name: a module stayed loaded after FreeLibrary"
    [ -f "$case_dir/installed/calls.log" ] || fail "$name: no log: the front ran without its worker (pass-through)"
    seen=$(grep -c '"export":"legacy_add","ordinal":1,"args":{' "$case_dir/installed/calls.log" || true)
    [ "$seen" -eq "$calls" ] || fail "$name: the worker logged $seen of $calls calls"
done
echo "wrap-names: passed (5 file names wrapped, built, loaded; every call reached the worker)"
