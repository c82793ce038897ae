#!/bin/sh
# What cmake/wine-run does with a program's status: by default wine replaces
# it (exec) and says nothing; with TWINSHIM_WINE_RUN_SAYS_STATUS=1 (the
# cmocka suites, cmake/TwinshimWineTests.cmake) it passes the status on,
# says a non-zero one on standard error with what it may mean, passes
# standard input through and forwards TERM to wine. `wine` is a stand-in
# here that exits with a given status, copies its input, or waits for TERM.
# Usage: wine-run-status.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "wine-run-status: $*" >&2
    exit 1
}

mkdir -p "$work/stubs" "$work/prefix"
touch "$work/prefix/.twinshim-ready" # booted: wineboot is not run
cat >"$work/stubs/wine" <<STUB
#!/bin/sh
case "\$1" in
exit) exit "\$2" ;;
copy) cat ;;
wait-for-term)
    trap 'echo TERM >"$work/term"; exit 143' TERM
    : >"$work/waiting"
    while :; do sleep 0.05; done ;;
esac
STUB
chmod +x "$work/stubs/wine"
wine_run=$here/../cmake/wine-run

# run STATUS_WANTED STDERR_WANTED [VARIABLE=value...] -- ARGUMENTS...
run() {
    status_wanted=$1
    stderr_wanted=$2
    shift 2
    variables=
    while [ "$1" != -- ]; do
        variables="$variables $1"
        shift
    done
    shift
    status=0
    # shellcheck disable=SC2086 # the variables, one word each
    env -i PATH="$work/stubs:$PATH" WINEPREFIX="$work/prefix" $variables "$wine_run" "$@" \
        >"$work/out" 2>"$work/err" </dev/null || status=$?
    [ "$status" = "$status_wanted" ] || fail "$variables $*: status $status, not $status_wanted"
    [ "$(cat "$work/err")" = "$stderr_wanted" ] ||
        fail "$variables $*: standard error '$(cat "$work/err")', not '$stderr_wanted'"
    echo "ok:$variables $*: status $status${stderr_wanted:+, said: $stderr_wanted}"
}
says=TWINSHIM_WINE_RUN_SAYS_STATUS=1
run 3 "" -- exit 3
run 0 "" $says -- exit 0
run 3 "wine-run: exit ended with status 3 (if it is Windows status 0x80000003, a breakpoint)" $says -- exit 3
run 53 "wine-run: exit ended with status 53 (if it is Windows status 0xC0000135, a DLL the program imports was not found)" \
    $says -- exit 53
run 44 "wine-run: exit ended with status 44" $says -- exit 44
run 137 "wine-run: exit ended with status 137 (or killed by SIGKILL)" $says -- exit 137

# Standard input reaches wine.
printf 'line one\nline two\n' | env -i PATH="$work/stubs:$PATH" WINEPREFIX="$work/prefix" $says "$wine_run" copy \
    >"$work/out" || fail "copy: status $?"
[ "$(cat "$work/out")" = "$(printf 'line one\nline two')" ] || fail "copy: wine read '$(cat "$work/out")'"
echo "ok: standard input passed through"

# TERM sent to wine-run reaches wine, and wine-run ends with wine's status.
env -i PATH="$work/stubs:$PATH" WINEPREFIX="$work/prefix" $says "$wine_run" wait-for-term \
    >"$work/out" 2>"$work/err" &
script=$!
waited=0
until [ -f "$work/waiting" ]; do
    [ "$waited" -lt 200 ] || fail "wait-for-term: wine did not start within 10 s"
    sleep 0.05
    waited=$((waited + 1))
done
kill -TERM "$script"
status=0
wait "$script" || status=$?
[ -f "$work/term" ] || fail "wait-for-term: wine did not get the TERM sent to wine-run"
[ "$status" = 143 ] || fail "wait-for-term: status $status, not 143"
grep -q '^wine-run: wait-for-term ended with status 143 (or killed by SIGTERM); wine-run passed on SIGTERM$' \
    "$work/err" || fail "wait-for-term: standard error '$(cat "$work/err")'"
echo "ok: TERM passed on to wine, status 143"
echo "wine-run-status: statuses passed on and said, standard input and TERM passed on"
