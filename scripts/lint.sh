#!/usr/bin/env bash
# Lint twinshim's own C code and fail on any finding:
#   1. clang-tidy with the checks in .clang-tidy, over every file in the
#      compile databases of the Clang preset (frontdll, workerdll, common,
#      sinks, host_test, examples, bench, and include/ through them) and of a native
#      shimgen build (shimgen/src);
#   2. cppcheck over the same databases;
#   3. clang-format --dry-run over every tracked .c and .h file (.clang-format).
# A finding that does not apply is suppressed in place, next to a comment
# that says why: NOLINT(check) for clang-tidy, cppcheck-suppress for cppcheck.
# Needs what `make test` installs (scripts/install-dependencies.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
out=build/lint
mkdir -p "$out"
failed=0

step() {
    echo
    echo "== lint: $*"
}

# The files of a compile database, each once.
files_of() {
    sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' "$1/compile_commands.json" | sort -u
}

step "compile databases"
# The Clang preset's configure step looks for cmocka (host_test).
scripts/build-cmocka.sh x86_64-w64-mingw32
cmake --preset mingw-x64-clang >/dev/null
cmake -S shimgen -B build/lint-shimgen -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DSHIMGEN_BUILD_TESTS=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
windows_db=build/mingw-x64-clang
shimgen_db=build/lint-shimgen
files_of "$windows_db" | grep -E "^$top/(frontdll|workerdll|common|sinks|host_test|examples|bench)/" >"$out/windows-files"
files_of "$shimgen_db" | grep -E "^$top/shimgen/src/" >"$out/shimgen-files"
echo "$(wc -l <"$out/windows-files") Windows sources, $(wc -l <"$out/shimgen-files") shimgen sources"

step "clang-tidy"
tidy() {
    local db=$1 list=$2
    # clang-tidy exits non-zero on a finding (WarningsAsErrors in .clang-tidy).
    xargs -P "$jobs" -n 1 clang-tidy -p "$db" --quiet \
        --header-filter="^$top/(include/twinshim|frontdll|workerdll|common|sinks|host_test|examples|bench|shimgen/src)/" \
        <"$list" 2>"$out/clang-tidy-stderr.log"
}
if tidy "$windows_db" "$out/windows-files" && tidy "$shimgen_db" "$out/shimgen-files"; then
    echo "clang-tidy: no findings"
else
    echo "lint: clang-tidy found problems (above)" >&2
    failed=1
fi

step "cppcheck"
# cppcheck 2.10's windows.cfg describes GetModuleFileName's buffer as an
# input that must be initialised; it is the output. This corrects it.
cat >"$out/windows-fixes.cfg" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <function name="GetModuleFileName,GetModuleFileNameA,GetModuleFileNameW">
    <noreturn>false</noreturn>
    <leak-ignore/>
    <returnValue type="DWORD"/>
    <arg nr="1" direction="in"><not-bool/></arg>
    <arg nr="2" direction="out"><minsize type="argvalue" arg="3"/></arg>
    <arg nr="3" direction="in"><not-uninit/><not-bool/><valid>1:</valid></arg>
  </function>
</def>
EOF
# Suppressed everywhere:
# - missingIncludeSystem: cppcheck reads our code with its own models of the
#   C library and Win32 (--library), not with the system headers;
# - variableScope: the code declares locals at the top of a function, next to
#   the single exit path (`goto done`), on purpose;
# - unusedStructMember: such structs mirror a system layout (the NT handle
#   table entry), whose members must all be there even if unread.
cppcheck_run() {
    local db=$1 build_dir=$2
    shift 2
    mkdir -p "$build_dir"
    cppcheck --project="$db/compile_commands.json" --cppcheck-build-dir="$build_dir" \
        --enable=warning,style,performance,portability --std=c11 --inline-suppr \
        --suppress=missingIncludeSystem --suppress=variableScope --suppress=unusedStructMember \
        --error-exitcode=1 --quiet -j "$jobs" \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]' "$@"
}
if cppcheck_run "$windows_db" "$out/cppcheck-windows" --platform=win64 --library=windows \
    --library="$out/windows-fixes.cfg" &&
    cppcheck_run "$shimgen_db" "$out/cppcheck-shimgen" --platform=unix64 --library=posix; then
    echo "cppcheck: no findings"
else
    echo "lint: cppcheck found problems (above)" >&2
    failed=1
fi

step "clang-format"
# Every C file of the repository, formatted by .clang-format.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files '*.c' '*.h' >"$out/format-files"
else
    find frontdll workerdll common sinks include host_test examples bench shimgen -name '*.[ch]' >"$out/format-files"
fi
if xargs clang-format --dry-run -Werror <"$out/format-files"; then
    echo "clang-format: $(wc -l <"$out/format-files") files formatted"
else
    echo "lint: not formatted as .clang-format says (above); fix with: xargs clang-format -i <$out/format-files" >&2
    failed=1
fi

exit "$failed"
