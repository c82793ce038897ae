#!/bin/sh
# make demo: runs the unchanged legacy program against the wrapped legacy.dll
# laid out in build/<preset>/demo, and says what happened.
# Usage: run-demo.sh <demo folder>
set -eu

demo=$(cd "${1:?usage: run-demo.sh <demo folder>}" && pwd)
wine_run="$(cd "$(dirname "$0")/../.." && pwd)/cmake/wine-run"
calls=5

count_lines() {
    if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi
}

cd "$demo"
rm -f audit-import-table.log audit-load-library.log audit-pass-through.log
echo "twinshim demo in $demo:"
ls -1 legacy.dll legacy_orig.dll legacy_worker.dll legacy_app.exe legacy_loader.exe | sed 's/^/  /'

echo
echo "== 1. legacy_app.exe takes legacy.dll from its import table (loaded at start, freed at exit)"
TWINSHIM_EXAMPLE_LOG=audit-import-table.log "$wine_run" legacy_app.exe $calls
echo "audit lines written by the worker: $(count_lines audit-import-table.log) of $calls calls"
echo "(a record still queued at process exit is written by the worker's on_exit_message)"

echo
echo "== 2. legacy_loader.exe: LoadLibrary(legacy.dll), $calls calls, FreeLibrary"
TWINSHIM_EXAMPLE_LOG=audit-load-library.log "$wine_run" legacy_loader.exe $calls
lines=$(count_lines audit-load-library.log)
echo "audit lines written by the worker: $lines of $calls calls"
sed 's/^/  /' audit-load-library.log

echo
echo "== 3. the same program with legacy_worker.dll removed: pass-through"
rm -rf pass-through && mkdir pass-through
cp legacy.dll legacy_orig.dll legacy_loader.exe pass-through/
(cd pass-through &&
    TWINSHIM_EXAMPLE_LOG=../audit-pass-through.log WINEDEBUG=-all,warn+seh "$wine_run" legacy_loader.exe $calls 2>&1 |
    sed -n 's/.*:OutputDebugString[AW] "\(.*\)\\n"$/OutputDebugString: \1/p; /^legacy\|^calls\|^after/p' | sed 's/\\\\/\\/g')
echo "audit lines written: $(count_lines audit-pass-through.log) (no worker, no audit; the calls still work)"

echo
echo "summary:"
echo "  1. import table: $(count_lines audit-import-table.log) of $calls calls audited, those still queued at exit by on_exit_message"
echo "     (the front is never freed; records still queued at exit are written on the exiting thread)"
echo "  2. LoadLibrary/FreeLibrary: $lines of $calls calls audited; every module unloaded (see above)"
echo "  3. pass-through: the calls worked without a worker"
if [ "$lines" -ne "$calls" ]; then
    echo "demo: expected $calls audit lines after FreeLibrary, found $lines" >&2
    exit 1
fi
