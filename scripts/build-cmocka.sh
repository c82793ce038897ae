#!/bin/sh
# Cross-builds cmocka for one mingw target from Debian's source package, once,
# into .cache/deps/<target>. Debian ships cmocka only for Linux.
# Usage: scripts/build-cmocka.sh x86_64-w64-mingw32
set -eu

target=${1:?usage: build-cmocka.sh <mingw target triple>}
top=$(cd "$(dirname "$0")/.." && pwd)
prefix="$top/.cache/deps/$target"
sources="$top/.cache/sources"

# Bump when the way cmocka is built changes, so old builds are redone.
recipe="cmocka 1.1.5, static libgcc"
stamp="$prefix/.twinshim-recipe"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ]; then
    exit 0
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get source needs deb-src entries; Debian 12 images list only deb.
enable_source_packages() {
    deb822=/etc/apt/sources.list.d/debian.sources
    if [ -f "$deb822" ] && grep -q '^Types: deb$' "$deb822"; then
        as_root sed -i 's/^Types: deb$/Types: deb deb-src/' "$deb822"
    elif [ -f /etc/apt/sources.list ] && ! grep -q '^deb-src' /etc/apt/sources.list; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
            as_root tee /etc/apt/sources.list.d/twinshim-deb-src.list >/dev/null
    fi
    as_root apt-get update -qq
}

download() {
    rm -f cmocka_*
    if ! apt-get source --download-only cmocka >download.log 2>&1; then
        enable_source_packages
        if ! apt-get source --download-only cmocka >download.log 2>&1; then
            echo "twinshim: cannot download Debian's cmocka source package:" >&2
            cat download.log >&2
            exit 1
        fi
    fi
}

# apt checked the .dsc against the signed index; check the tarball against it.
tarball_is_intact() {
    dsc=$(ls cmocka_*.dsc 2>/dev/null | head -n 1)
    tarball=$(ls cmocka_*.orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n 1)
    [ -n "$dsc" ] && [ -n "$tarball" ] || return 1
    expected=$(awk '/^Checksums-Sha256:/ {on=1; next} /^[^ ]/ {on=0} on && $3 == name {print $1}' \
        name="$tarball" "$dsc")
    actual=$(sha256sum "$tarball" | cut -d' ' -f1)
    [ -n "$expected" ] && [ "$expected" = "$actual" ]
}

mkdir -p "$sources"
cd "$sources"
if ! tarball_is_intact; then
    download # nothing cached yet, or an interrupted download: fetch again
    if ! tarball_is_intact; then
        echo "twinshim: the cmocka tarball does not match the checksum in its .dsc" >&2
        exit 1
    fi
fi

rm -rf cmocka-src "cmocka-build-$target"
mkdir cmocka-src
tar -xf "$tarball" -C cmocka-src --strip-components=1
cmake -S cmocka-src -B "cmocka-build-$target" \
    -DCMAKE_TOOLCHAIN_FILE="$top/cmake/toolchain-$target-gcc.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
    -DCMAKE_SHARED_LINKER_FLAGS=-static-libgcc >/dev/null
cmake --build "cmocka-build-$target" --parallel "$(nproc 2>/dev/null || echo 2)" >/dev/null
cmake --install "cmocka-build-$target" >/dev/null
echo "$recipe" > "$stamp"
echo "twinshim: cmocka for $target installed in $prefix"
