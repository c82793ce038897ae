#!/bin/sh
# What a new plugin author does, from a fresh install: installs twinshim
# from a configured build into a temporary prefix, makes a project with the
# installed twinshim-new, and runs the commands of the project's README as
# written (build, host test under Wine, install), as a user with a HOME of
# their own and no WINEPREFIX: the installed wine-run boots that user's
# prefix. Then checks that nothing was written into the install tree, that
# no template token is left in the project, and that twinshim-new refuses
# names and folders it cannot use. With --all-toolchains the README's
# ./ci.sh runs too (Clang, and i686: scripts/ci-extra-toolchains.sh).
# Usage: template-project.sh <twinshim build dir> [--all-toolchains]
set -eu

build=$(cd "${1:?usage: template-project.sh <twinshim build dir> [--all-toolchains]}" && pwd)
if [ "${2:-}" = --all-toolchains ]; then
    set -- # nothing skipped
else
    set -- --skip ./ci.sh "scripts/ci-extra-toolchains.sh runs it, with Clang and i686"
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
user_prefix=$work/home/.cache/twinshim/wineprefix
cleanup() {
    # The per-user prefix's wineserver lingers a few seconds after the test.
    if [ -d "$user_prefix" ]; then WINEPREFIX=$user_prefix wineserver -k 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "template-project: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$work/prefix" >/dev/null
new=$work/prefix/bin/twinshim-new
listing() { (cd "$work/prefix" && find . -printf '%p %s %m %T@\n' | sort); }
listing >"$work/install-before"

# What twinshim-new refuses: exit 2 for a name, 3 for a folder in use.
refused() { # <exit code> <arguments...>
    expected=$1
    shift
    status=0
    "$new" "$@" >/dev/null 2>"$work/refusal" || status=$?
    [ "$status" -eq "$expected" ] || fail "twinshim-new $* exited $status, not $expected"
    echo "refused as it should be: twinshim-new $*: $(cat "$work/refusal")"
}
refused 2 "9lives"
refused 2 "my-plugin"
refused 2 "shim_counter"
refused 2 "NUL"
refused 2 counter -o
mkdir -p "$work/taken" && touch "$work/taken/file"
refused 3 counter -o "$work/taken"

"$new" counter -o "$work/counter"
if grep -rn -e myplugin -e MYPLUGIN -e @PREFIX@ "$work/counter"; then
    fail "template tokens left in the project (above)"
fi

# The README's commands, as written, for a user who never set WINEPREFIX.
mkdir -p "$work/home"
env -u WINEPREFIX -u TWINSHIM_WINEPREFIX -u XDG_CACHE_HOME HOME="$work/home" \
    "$here/run-readme.sh" "$@" "$work/counter" "$work/counter/README.md"
[ -f "$user_prefix/.twinshim-ready" ] || fail "wine-run did not use the per-user prefix $user_prefix"
for dll in counter.dll counter_worker.dll; do
    [ -f "$work/counter/dist/bin/$dll" ] || fail "the README's install did not put $dll in dist/bin"
done

listing >"$work/install-after"
if ! cmp -s "$work/install-before" "$work/install-after"; then
    diff "$work/install-before" "$work/install-after" >&2 || true
    fail "the install tree changed while the project was built and tested (above)"
fi
echo "template-project: a project from the installed template built, passed its test and installed;" \
    "the install tree is unchanged"
