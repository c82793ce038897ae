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
rm -f audit.log audit-pass-through.log
# The demo's own journal folder, empty: journals of earlier runs would be
# delivered here too.
rm -rf journal && mkdir journal
TWINSHIM_JOURNAL_DIR="Z:$(pwd | tr / '\\')\\journal\\"
export TWINSHIM_JOURNAL_DIR
echo "twinshim demo in $demo:"
ls -1 legacy.dll legacy_orig.dll legacy_worker.dll legacy_app.exe legacy_loader.exe | sed 's/^/  /'

echo
echo "== 1. legacy_app.exe takes legacy.dll from its import table (loaded at start, freed at exit)"
TWINSHIM_EXAMPLE_LOG=audit.log "$wine_run" legacy_app.exe $calls
first=$(count_lines audit.log)
echo "audit lines written so far: $first of $calls calls"
echo "(records still in the journal at exit are written by the worker's on_exit_message; a"
echo " program that exits before the worker has even started leaves them in the journal, and"
echo " the next program that loads legacy.dll delivers them, marked [recovered from process N])"

echo
echo "== 2. legacy_loader.exe: LoadLibrary(legacy.dll), $calls calls, FreeLibrary"
TWINSHIM_EXAMPLE_LOG=audit.log "$wine_run" legacy_loader.exe $calls
lines=$(count_lines audit.log)
echo "audit lines: $lines for the $((2 * calls)) calls of both programs"
sed 's/^/  /' audit.log
echo "journal files left: $(find journal -name '*.journal' | wc -l)"

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
echo "  1. import table: $first of $calls calls audited by the program's own session; the rest by the next one"
echo "  2. LoadLibrary/FreeLibrary: $lines audit lines for both programs' $((2 * calls)) calls; every module unloaded"
echo "  3. pass-through: the calls worked without a worker"
if [ "$lines" -ne $((2 * calls)) ]; then
    echo "demo: expected $((2 * calls)) audit lines after FreeLibrary, found $lines" >&2
    exit 1
fi
