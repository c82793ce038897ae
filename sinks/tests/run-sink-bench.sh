#!/bin/sh
# The sink bench: the file sink and the RELP sink side by side, in
# alternating rounds of one process (sink_bench.exe), against a real rsyslog
# started here on 127.0.0.1 (scripts/rsyslog-harness.sh). Prints each
# round, then the medians and the RELP/file ratios of the same rounds:
# records made durable per second, and the host's mean cost of a post.
# Usage: run-sink-bench.sh BUILD_DIR [ROUNDS [RECORDS]]  (an optimised build,
# e.g. build/mingw-x64-gcc-release; defaults 8 rounds of 50000 records)
set -eu

build=$(cd "${1:?usage: run-sink-bench.sh BUILD_DIR [ROUNDS [RECORDS]]}" && pwd)
rounds=${2:-8}
records=${3:-50000}
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$top/scripts/rsyslog-harness.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/twinshim-sink-bench.XXXXXX")
trap '"$harness" kill "$work/collector" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

port=$("$harness" free-port)
"$harness" start "$work/collector" "$port"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The worker holds every record of a round: its sink's capacity and the
# session's deferred limit are what bound it.
TWINSHIM_TEST_SINK_CAPACITY=$records "$top/cmake/wine-run" "$build/bin/sink_bench.exe" "$build/bin" \
    "Z:$work/records.jsonl" "relp://127.0.0.1:$port" "$rounds" "$records" >"$work/rounds.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$harness" wait-lines "$work/collector" $((rounds * records)) 120
python3 - "$work/rounds.json" "$load_before" "$load_after" <<'PY'
import json, statistics, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
by = {}
for r in rounds:
    by.setdefault(r["round"], {})[r["sink"]] = r
    print(f'round {r["round"]} {r["sink"]:4}: {r["records_per_s"]:>9.0f} records/s, post {r["post_ns"]:6.1f} ns')
def med(sink, key): return statistics.median(r[key] for r in rounds if r["sink"] == sink)
rate_ratios = [p["relp"]["records_per_s"] / p["file"]["records_per_s"] for p in by.values()]
post_ratios = [p["relp"]["post_ns"] / p["file"]["post_ns"] for p in by.values()]
print()
print(f"load average before {sys.argv[2]}, after {sys.argv[3]}; {len(by)} rounds of {rounds[0]['records']} records")
print("| sink | records/s (median) | post, ns (median) |")
print("|---|---|---|")
for sink in ("file", "relp"):
    print(f"| {sink} | {med(sink, 'records_per_s'):.0f} | {med(sink, 'post_ns'):.1f} |")
print(f"| RELP / file, per round | {statistics.median(rate_ratios):.2f} ({min(rate_ratios):.2f}-{max(rate_ratios):.2f}) "
      f"| {statistics.median(post_ratios):.2f} ({min(post_ratios):.2f}-{max(post_ratios):.2f}) |")
PY
