#!/bin/sh
# The sink bench: the file sink, the RELP sink and the RELP sink with its
# collector down, side by side in rotating rounds of one process
# (sink_bench.exe), against a real rsyslog started here on 127.0.0.1
# (scripts/rsyslog-harness.sh). Prints each round, then the medians and the
# ratios to the file sink within the same rounds: records made durable per
# second, and the host's mean cost of a post.
# Usage: run-sink-bench.sh BUILD_DIR [ROUNDS [RECORDS]]  (an optimised build,
# e.g. build/mingw-x64-gcc-release; defaults 8 rounds of 20000 records,
# which the default journal holds while the collector is down)
set -eu

build=$(cd "${1:?usage: run-sink-bench.sh BUILD_DIR [ROUNDS [RECORDS]]}" && pwd)
rounds=${2:-8}
records=${3:-20000}
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$top/scripts/rsyslog-harness.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/twinshim-sink-bench.XXXXXX")
trap '"$harness" kill "$work/collector" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

port=$("$harness" free-port)
down_port=$("$harness" free-port) # nothing listens there
"$harness" start "$work/collector" "$port"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# The sinks as the test worker sets them: the deferred limit at the sink's
# capacity (4096), the journal holding the rest.
"$top/cmake/wine-run" "$build/bin/sink_bench.exe" "$build/bin" "Z:$work/records.jsonl" \
    "relp://127.0.0.1:$port" "relp://127.0.0.1:$down_port" "$rounds" "$records" "Z:$work/journals" \
    >"$work/rounds.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
"$harness" wait-lines "$work/collector" $((rounds * records)) 120
python3 - "$work/rounds.json" "$load_before" "$load_after" <<'PY'
import json, statistics, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
by = {}
for r in rounds:
    by.setdefault(r["round"], {})[r["sink"]] = r
    print(f'round {r["round"]} {r["sink"]:9}: {r["records_per_s"]:>9.0f} records/s, post {r["post_ns"]:6.1f} ns')
def median(values):
    values = list(values)
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
print()
print(f"load average before {sys.argv[2]}, after {sys.argv[3]}; {len(by)} rounds of {rounds[0]['records']} records")
print("| sink | records/s, median | / file, per round | post, ns, median | / file, per round |")
print("|---|---|---|---|---|")
for sink in ("file", "relp", "relp_down"):
    down = sink == "relp_down"
    rates = [p[sink]["records_per_s"] for p in by.values()]
    rate = "-" if down else f"{statistics.median(rates):.0f}"
    rate_ratio = "-" if down else median(p[sink]["records_per_s"] / p["file"]["records_per_s"] for p in by.values())
    posts = [p[sink]["post_ns"] for p in by.values()]
    post_ratio = median(p[sink]["post_ns"] / p["file"]["post_ns"] for p in by.values())
    print(f"| {sink} | {rate} | {rate_ratio} | {statistics.median(posts):.1f} | {post_ratio} |")
PY
