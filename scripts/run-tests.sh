#!/usr/bin/env bash
# make test, after the build: every ctest suite of a preset under Wine, then
# (for the default preset) shimgen's tests, in one Wine session
# (scripts/wine-session.sh); at the end, each suite's elapsed time beside
# its ctest timeout, and the total.
#   scripts/run-tests.sh [preset] [--no-shimgen]
# Exits non-zero if any suite failed.
set -uo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
preset=${1:-mingw-x64-gcc}
run_shimgen=1
[ "${2:-}" = --no-shimgen ] && run_shimgen=0
build=build/$preset
times=$build/suite-times.txt
: > "$times"
failed=0

. "$top/scripts/wine-session.sh"
wine_session_start || exit 1
run_start=$EPOCHREALTIME

seconds_since() { # start, as $EPOCHREALTIME gave it
    awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'
}

# ctest's result lines: " 3/28 Test  #3: test_reload ....   Passed    4.12 sec".
ctest --preset "$preset" 9>&- 2>&1 | tee "$build/ctest.log"
ctest_status=${PIPESTATUS[0]}
[ "$ctest_status" -eq 0 ] || failed=1
ctest --preset "$preset" --show-only=json-v1 2>/dev/null > "$build/ctest-tests.json"
python3 - "$build/ctest.log" "$build/ctest-tests.json" >> "$times" <<'EOF'
import json, re, sys
timeouts = {}
try:
    for test in json.load(open(sys.argv[2]))["tests"]:
        for prop in test.get("properties", []):
            if prop["name"] == "TIMEOUT":
                timeouts[test["name"]] = float(prop["value"])
except (OSError, ValueError, KeyError):
    pass
result = re.compile(r"^\s*\d+/\d+ Test\s+#\d+: (\S+) \.*\**\s*(.*?)\s+([\d.]+) sec$")
lines = [line.rstrip() for line in open(sys.argv[1], errors="replace")]
for index, line in enumerate(lines):
    # "Required regular expression not found. Regex=[...": ctest ends the
    # regex with a line break, and the time is on the next line.
    if re.match(r"^\s*\d+/\d+ Test\s+#", line) and not line.endswith(" sec") and index + 1 < len(lines):
        line += lines[index + 1]
    match = result.match(line)
    if match:
        name, status, seconds = match.groups()
        status = "passed" if status == "Passed" else status.lower() or "failed"
        print(f"ctest {name}\t{float(seconds):.1f}\t{timeouts.get(name, 0):.0f}\t{status}")
EOF

# shimgen's steps are timed from its "== shimgen:" headings.
if [ "$run_shimgen" -eq 1 ]; then
    shimgen_status_file=$build/shimgen-status
    shimgen_step_log=$build/shimgen-step.log # what the current step printed
    : > "$shimgen_step_log"
    { shimgen/run-tests.sh 9>&- 2>&1; echo $? > "$shimgen_status_file"; } | {
        step=""
        step_start=$EPOCHREALTIME
        while IFS= read -r line; do
            printf '%s\n' "$line"
            printf '%s\n' "$line" >> "$shimgen_step_log"
            case "$line" in
            "== shimgen: "*)
                : > "$shimgen_step_log"
                [ -n "$step" ] && printf 'shimgen %s\t%s\t-\tpassed\n' "$step" "$(seconds_since "$step_start")" \
                    >> "$times"
                step=${line#== shimgen: }
                step_start=$EPOCHREALTIME
                ;;
            esac
        done
        [ -n "$step" ] && printf 'shimgen %s\t%s\t-\t%s\n' "$step" "$(seconds_since "$step_start")" \
            "$( [ "$(cat "$shimgen_status_file")" = 0 ] && echo passed || echo failed)" >> "$times"
    }
    [ "$(cat "$shimgen_status_file")" = 0 ] || failed=1
fi

wine_session_stop
total=$(seconds_since "$run_start")

echo
echo "== elapsed time of each suite ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
awk -F'\t' '
    { over = ($3 != "-" && $3 > 0 && $2 > $3 / 3) ? "  over a third of its timeout" : "" }
    $3 == "-" { printf "%8.1f s              %-7s %s%s\n", $2, $4, $1, over; next }
    { printf "%8.1f s  of %4d s   %-7s %s%s\n", $2, $3, $4, $1, over }
' "$times"
printf '%8.1f s  in all (build not counted)\n' "$total"

# A CI log is often read from its end: what each failure printed, again.
if [ "$failed" -ne 0 ]; then
    echo
    echo "== what the failures printed"
    python3 "$top/scripts/failure-excerpts.py" "$build/ctest.log" "$times"
    [ "$run_shimgen" -eq 1 ] && [ "$(cat "$shimgen_status_file")" != 0 ] && {
        echo "-- shimgen $(awk -F'\t' '$4 == "failed" && $1 ~ /^shimgen / { sub(/^shimgen /, "", $1); print $1 }' "$times"), its last lines:"
        tail -n 20 "$shimgen_step_log"
    }
    echo "== failed: $(awk -F'\t' '$4 != "passed" { printf "%s%s", sep, $1; sep = "; " }' "$times")"
fi
exit "$failed"
