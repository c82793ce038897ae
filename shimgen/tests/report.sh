#!/bin/sh
# `shimgen report` from the command line: a synthetic trace with exports whose
# names need escaping (C++ names, "#3", a quote, an ampersand, a non-ASCII
# letter), typed and observed calls, errors, a line that is no record and a
# last line cut short. The terminal summary and the HTML page, as headless
# Chromium loads it, must give the counts and durations the trace holds
# (report-counts.py); then the exit codes: a missing trace 3, a file with no
# record 4, a page that cannot be written 6.
# Usage: report.sh SHIMGEN WORK_DIR
set -eu

shimgen=${1:?usage: report.sh SHIMGEN WORK_DIR}
work=${2:?usage: report.sh SHIMGEN WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)

fail() {
    echo "report: FAILED: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
python3 - "$work/trace.jsonl" <<'PYTHON'
import json
import random
import sys

random.seed(25)
names = ["?f@@YAXH@Z", "#3", 'say"hi"', "a&b<c>", "gr\u00fc\u00dfe", "plain"]
with open(sys.argv[1], "w", encoding="utf-8") as trace:
    for call in range(2000):
        name = random.choice(names)
        record = {"ts": "2024-05-01T12:%02d:%02d.%06dZ" % (call // 600, call // 10 % 60, call * 37 % 1000000),
                  "thread": random.choice([4, 8, 12]), "export": name, "ordinal": names.index(name) + 1}
        if name == "#3":
            record.update(last_error=0, registers=["0x1"] * 8)
        else:
            record.update(args={"text": "x&<y>\"z"}, result=call, last_error=random.choice([0, 0, 0, 5]),
                          duration_ns=int(random.lognormvariate(8, 2)))
        record["return_address"] = "0x1"
        trace.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    trace.write("not a record\n")
    trace.write('{"ts":"2024-05-01T12:59:59.000000Z","thread":4,"export":"plain","ord')
PYTHON
"$shimgen" report "$work/trace.jsonl" -o "$work/report.html" > "$work/report.txt" || {
    cat "$work/report.txt"; fail "shimgen report"; }
cat "$work/report.txt"
grep -q '^2 lines skipped: not a record (the first is line 2001)$' "$work/report.txt" ||
    fail "the skipped lines are not counted"
python3 "$here/report-counts.py" "$work/trace.jsonl" "$work/report.txt" "$work/report.html" ||
    fail "the counts differ from the trace's"

rc=0
"$shimgen" report "$work/missing.jsonl" > /dev/null 2> "$work/missing.err" || rc=$?
[ "$rc" = 3 ] || fail "a missing trace: exit $rc, not 3"
printf 'one\ntwo\n' > "$work/text.jsonl"
rc=0
"$shimgen" report "$work/text.jsonl" > /dev/null 2> "$work/text.err" || rc=$?
[ "$rc" = 4 ] || fail "a file with no record: exit $rc, not 4"
grep -q 'not a trace: no line is a record' "$work/text.err" || fail "no reason for refusing a file with no record"
rc=0
"$shimgen" report "$work/trace.jsonl" -o "$work/no/such/folder/report.html" > /dev/null 2> "$work/page.err" || rc=$?
[ "$rc" = 6 ] || fail "a page that cannot be written: exit $rc, not 6"
echo "report: passed"
