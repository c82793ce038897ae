#!/bin/sh
# Installs twinshim from a configured build into a temporary prefix, builds
# this consumer against the installed package (with the installed toolchain
# file), and runs it under Wine. Usage: run-consumer-test.sh <twinshim build dir>
set -eu

build=$(cd "${1:?usage: run-consumer-test.sh <twinshim build dir>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
package="$work/prefix/lib/cmake/twinshim"
# The installed copy of the toolchain file that configured twinshim's build.
toolchain=$(sed -n 's/^CMAKE_TOOLCHAIN_FILE:[A-Z]*=//p' "$build/CMakeCache.txt")
toolchain=$(basename "${toolchain:-toolchain-x86_64-w64-mingw32-gcc.cmake}")
configure_and_build() { # <build dir> [cmake options...]
    dir=$1
    shift
    cmake -S "$here" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$package/$toolchain" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" "$@" >"$dir.configure.log" 2>&1
    cmake --build "$dir" >/dev/null
}
# A front built without a .def exports its own functions, none of the
# runtime's (shim_*: its API and internals alike) and not its configuration;
# with a linker that cannot leave them out (lld 14), its configure warned.
triple=$(echo "$toolchain" | sed 's/^toolchain-\(.*\)-[a-z]*\.cmake$/\1/')
check_exports_without_def() { # <build dir>
    if ! grep -q '^TWINSHIM_LINKER_HIDES_RUNTIME:INTERNAL=1$' "$1/CMakeCache.txt"; then
        grep -q "twinshim_add_front(greeter_front_without_def): no DEF file" "$1.configure.log" || {
            echo "consumer: the linker cannot hide the runtime's exports, and configure did not warn" >&2
            exit 1
        }
        return
    fi
    exports=$("$triple-objdump" -p "$1/greeter_without_def.dll" |
        sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/s/^[[:space:]]*\[ *[0-9]*\] //p')
    if [ "$exports" != "greet" ]; then
        echo "consumer: greeter_without_def.dll should export greet alone, it exports: $(echo "$exports" | tr "\n" " ")" >&2
        exit 1
    fi
}
# By default the consumer links the prebuilt runtimes: none of their sources
# is compiled in its build.
configure_and_build "$work/build"
check_exports_without_def "$work/build"
if find "$work/build" -name 'front_attach.c.obj' | grep -q .; then
    echo "consumer: the runtime was compiled from sources, not linked prebuilt" >&2
    exit 1
fi
# On request, from the installed sources instead.
configure_and_build "$work/build-from-sources" -DTWINSHIM_FROM_SOURCES=ON
find "$work/build-from-sources" -name 'front_attach.c.obj' | grep -q . || {
    echo "consumer: TWINSHIM_FROM_SOURCES did not compile the runtime" >&2
    exit 1
}
check_exports_without_def "$work/build-from-sources"
# The installed runner, in this project's Wine prefix (already booted).
TWINSHIM_WINEPREFIX="${TWINSHIM_WINEPREFIX:-$top/.cache/wineprefix}" "$package/wine-run" "$work/build/greeter_host.exe"
echo "consumer: built against the installed package with $toolchain and ran under Wine"
