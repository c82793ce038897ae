#!/bin/sh
# Installs what twinshim needs on Debian 12 and skips what is already there:
# the mingw-w64 cross compilers and widl (mingw-w64-tools, which compiles the
# type library of shimgen's COM test server), Wine, CMake, cmocka cross-built
# for mingw from Debian's source package into the project-local prefix
# .cache/deps, and a real third-party DLL with its own program
# (libgpg-error's), which shimgen's end-to-end test wraps unchanged;
# rsyslog with its RELP input (rsyslog-relp), which the sink tests start as
# their own process on their own port (scripts/rsyslog-harness.sh; the
# system's rsyslog, if the package starts one, is never used); libclang
# (libclang-dev), with which `shimgen wrap --header` reads a DLL's header;
# and Chromium, in which the test of `shimgen report` opens its HTML page.
# Run as root (or with sudo available) on a machine that reaches Debian's mirrors.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
packages="mingw-w64 wine wine64 cmake make xz-utils dpkg-dev python3 libcmocka-dev clang libclang-rt-14-dev lld clang-tidy clang-format cppcheck libgpg-error-mingw-w64-dev mingw-w64-tools rsyslog rsyslog-relp libclang-dev chromium"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    echo "twinshim: installing$missing"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

"$top/scripts/build-cmocka.sh" x86_64-w64-mingw32
