#!/bin/sh
# Which Wine prefix cmake/wine-run picks, and that it writes nowhere else:
# TWINSHIM_WINEPREFIX, then WINEPREFIX, then a source tree's .cache/wineprefix
# or, for an installed copy, ${XDG_CACHE_HOME:-$HOME/.cache}/twinshim/wineprefix.
# wine, wineboot and wineserver are stand-ins here that record the prefix
# they were given (template-project.sh runs the real ones).
# Usage: wine-run-prefix.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "wine-run-prefix: $*" >&2
    exit 1
}

mkdir -p "$work/stubs" "$work/installed/lib/cmake/twinshim" "$work/tree/cmake" "$work/tree/frontdll"
for tool in wine wineboot wineserver; do
    cat >"$work/stubs/$tool" <<STUB
#!/bin/sh
echo "$tool \$WINEPREFIX" >>"$work/calls"
STUB
    chmod +x "$work/stubs/$tool"
done
cp "$here/../cmake/wine-run" "$work/installed/lib/cmake/twinshim/wine-run"
cp "$here/../cmake/wine-run" "$work/tree/cmake/wine-run"
touch "$work/tree/frontdll/front_dllmain.c"
installed_listing=$(find "$work/installed" | sort)

# expect <prefix wine must get> <wine-run> [VARIABLE=value...]: runs it with
# only those variables set, and checks the prefix and the boot stamp in it.
expect() {
    want=$1
    script=$2
    shift 2
    : >"$work/calls"
    env -i PATH="$work/stubs:$PATH" "$@" "$script" program.exe
    [ "$(tail -n 1 "$work/calls")" = "wine $want" ] || fail "$* $script: wine got $(tail -n 1 "$work/calls"), not $want"
    [ -f "$want/.twinshim-ready" ] || fail "$* $script: $want was not booted"
    echo "ok: $* -> $want"
}
installed=$work/installed/lib/cmake/twinshim/wine-run
expect "$work/mine" "$installed" WINEPREFIX="$work/mine" HOME="$work/home"
expect "$work/forced" "$installed" TWINSHIM_WINEPREFIX="$work/forced" WINEPREFIX="$work/mine" HOME="$work/home"
expect "$work/home/.cache/twinshim/wineprefix" "$installed" HOME="$work/home"
expect "$work/xdg/twinshim/wineprefix" "$installed" XDG_CACHE_HOME="$work/xdg" HOME="$work/home"
expect "$work/tree/.cache/wineprefix" "$work/tree/cmake/wine-run" HOME="$work/home"
expect "$work/mine" "$work/tree/cmake/wine-run" WINEPREFIX="$work/mine" HOME="$work/home"

# A booted prefix is not booted again.
: >"$work/calls"
env -i PATH="$work/stubs:$PATH" HOME="$work/home" "$installed" program.exe
! grep -q '^wineboot' "$work/calls" || fail "a booted prefix was booted again"
# No prefix at all: a clear refusal, not a prefix in some default place.
if env -i PATH="$work/stubs:$PATH" "$installed" program.exe 2>"$work/refusal"; then
    fail "without HOME or WINEPREFIX, wine-run ran anyway"
fi
echo "refused as it should be: $(cat "$work/refusal")"

[ "$(find "$work/installed" | sort)" = "$installed_listing" ] || fail "wine-run wrote beside itself"
echo "wine-run-prefix: each prefix as documented, nothing written beside the installed copy"
