#!/usr/bin/env bash
# CI for the toolchains besides the default (make test covers mingw-x64-gcc):
#   1. mingw-x64-clang: Clang and lld on the mingw-w64 sysroot; builds with
#      -Werror and runs every suite under Wine;
#   2. mingw-x86-gcc: 32-bit GCC; builds everything with -Werror, tests
#      included, but runs nothing (this image's kernel runs no 32-bit
#      Linux program, Wine's 32-bit loader included: README, "32-bit");
#   3. reads the export table of every front and original built from a .def
#      file, in all three builds, and checks it against the .def: ordinals,
#      NONAME, forwarders, and no decorated (stdcall `name@N`) export names;
#   4. links an i686 probe with a __stdcall intercepted export the way a .def
#      must spell it, and checks the export comes out undecorated;
#   5. makes a plugin project from the installed template and runs its
#      README as written, ./ci.sh included: GCC and Clang for x86-64 (tests
#      run under Wine) and GCC for i686, with -Werror.
# Run from anywhere, after `make test` (which installs the dependencies).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

step() {
    echo
    echo "== $*"
}

# cmocka for both targets (the x86_64 one is reused by Clang: C ABI, same CRT).
scripts/build-cmocka.sh x86_64-w64-mingw32
scripts/build-cmocka.sh i686-w64-mingw32

step "mingw-x64-clang: configure and build"
cmake --preset mingw-x64-clang >/dev/null
cmake --build --preset mingw-x64-clang --parallel "$jobs"

step "mingw-x64-clang: tests under Wine"
log=build/mingw-x64-clang/run-tests.log
if scripts/run-tests.sh mingw-x64-clang --no-shimgen >"$log" 2>&1; then
    sed -n '/^== elapsed time of each suite/,$p' "$log"
else
    cat "$log"
    echo "ci-extra-toolchains: the Clang build's tests failed" >&2
    exit 1
fi

step "mingw-x86-gcc: configure and build (not run: no 32-bit Linux processes here)"
cmake --preset mingw-x86-gcc >/dev/null
cmake --build --preset mingw-x86-gcc --parallel "$jobs"

# check_exports <objdump> <dll> <def>: every export the .def declares is in
# the DLL's table with its ordinal (if given), by name unless NONAME, and
# forwarded where the .def forwards; no exported name is decorated.
check_exports() {
    local objdump=$1 dll=$2 def=$3
    if ! "$objdump" -p "$dll" | awk -v def="$def" -v dll="$dll" '
        # objdump: "[   1] +base[   2] 1908a Forwarder RVA -- legacy_orig.legacy_version"
        /^Export Address Table -- Ordinal Base/ { section = "eat"; next }
        /^\[Ordinal\/Name Pointer\] Table/ { section = "names"; next }
        /^$/ { section = "" }
        section == "eat" && /\+base\[/ {
            line = $0
            sub(/.*\+base\[ */, "", line)
            ordinal = line + 0
            sub(/^[0-9]+\] */, "", line)
            split(line, f, " ")
            index_of[substr($0, index($0, "[") + 1) + 0] = ordinal
            forward[ordinal] = (line ~ /Forwarder RVA -- /) ? substr(line, index(line, "-- ") + 3) : ""
            present[ordinal] = 1
        }
        section == "names" && /^\t\[/ {
            line = $0
            sub(/^\t\[ */, "", line)
            slot = line + 0
            sub(/^[0-9]+\] /, "", line)
            ordinal_of[line] = index_of[slot]
            if (line ~ /@[0-9]+$/) { print dll ": decorated export name " line; bad = 1 }
        }
        END {
            in_exports = 0
            while ((getline raw < def) > 0) {
                sub(/;.*/, "", raw)
                if (raw ~ /^[ \t]*EXPORTS/) { in_exports = 1; continue }
                if (!in_exports || raw ~ /^[ \t]*$/) continue
                name = raw; sub(/^[ \t]*/, "", name); sub(/[ \t=].*/, "", name)
                target = ""
                if (raw ~ /=/) { target = raw; sub(/^[^=]*=[ \t]*/, "", target); sub(/[ \t].*/, "", target); gsub(/"/, "", target) }
                want = 0
                # The ordinal is "@N" after a blank; "f@8" is a decorated name.
                if (match(raw, /[ \t]@[ \t]*[0-9]+/)) { o = substr(raw, RSTART, RLENGTH); sub(/[^0-9]*/, "", o); want = o + 0 }
                noname = raw ~ /[ \t]NONAME/
                forwarded = target ~ /\./
                if (noname) {
                    if (name in ordinal_of) { print dll ": " name " is NONAME in the .def but exported by name"; bad = 1 }
                    got = want
                    if (!(got in present)) { print dll ": ordinal " want " (" name ") is missing"; bad = 1; continue }
                } else {
                    if (!(name in ordinal_of)) { print dll ": export " name " is missing"; bad = 1; continue }
                    got = ordinal_of[name]
                    if (want && got != want) { print dll ": " name " has ordinal " got ", the .def says " want; bad = 1 }
                }
                if (forwarded && forward[got] != target) {
                    print dll ": " name " forwards to \"" forward[got] "\", the .def says \"" target "\""; bad = 1
                }
                if (!forwarded && forward[got] != "") {
                    print dll ": " name " is a forwarder (" forward[got] "), the .def exports code"; bad = 1
                }
                checked++
            }
            if (checked == 0) { print dll ": no exports checked against " def; bad = 1 }
            exit bad
        }'; then
        echo "ci-extra-toolchains: $dll does not match $def" >&2
        return 1
    fi
    echo "ok: $dll matches $def"
}

check_build() {
    local objdump=$1 bin=$2
    check_exports "$objdump" "$bin/legacy.dll" examples/legacy/shim/legacy_front.def
    check_exports "$objdump" "$bin/original/legacy.dll" examples/legacy/original/legacy.def
    check_exports "$objdump" "$bin/test_front.dll" host_test/fixtures/test_front.def
    check_exports "$objdump" "$bin/echo_front.dll" examples/echo/echo_front.def
}

step "export tables against their .def files"
if [ -d build/mingw-x64-gcc/bin ]; then
    check_build x86_64-w64-mingw32-objdump build/mingw-x64-gcc/bin
fi
check_build x86_64-w64-mingw32-objdump build/mingw-x64-clang/bin
check_build i686-w64-mingw32-objdump build/mingw-x86-gcc/bin

# On i686 a __stdcall function `f(int, int)` is the symbol _f@8. A .def line
# `f` links only through ld's stdcall fixup (with a warning), and `f@8`
# exports the decorated name; `f = f@8` exports `f` from the function _f@8.
step "i686: a __stdcall intercepted export next to forwarders"
probe=build/mingw-x86-gcc/stdcall-probe
rm -rf "$probe"
mkdir -p "$probe"
cat >"$probe/probe.c" <<'EOF'
__stdcall int probe_add(int a, int b);
__stdcall int probe_add(int a, int b)
{
    return a + b;
}
EOF
cat >"$probe/probe.def" <<'EOF'
LIBRARY probe.dll
EXPORTS
    probe_add = probe_add@8 @1
    probe_version = probe_orig.probe_version @2
    ord3 = "probe_orig.#3" @3 NONAME
    probe_counter = probe_orig.probe_counter @4 DATA
EOF
i686-w64-mingw32-gcc -shared -static-libgcc -Wall -Wextra -Werror -Wl,--fatal-warnings \
    -o "$probe/probe.dll" "$probe/probe.c" "$probe/probe.def"
check_exports i686-w64-mingw32-objdump "$probe/probe.dll" "$probe/probe.def"

step "the plugin template, with every toolchain"
package_test/template-project.sh build/mingw-x64-gcc --all-toolchains

echo
echo "ci-extra-toolchains: Clang and i686 builds clean, Clang tests passed, export tables intact," \
    "the template builds with every toolchain"
