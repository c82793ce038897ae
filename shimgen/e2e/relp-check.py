#!/usr/bin/env python3
"""Checks what rsyslog wrote for the wrapped legacy.dll's calls: the lines of
scripts/rsyslog-harness.sh's received.log, "APP-NAME PROCID MSG". Fails
unless
  - every line's APP-NAME is FRONT, its MSG a JSON record with the fields
    every record has, and its PROCID the record's "pid";
  - there are PROCESSES processes (a process is a "pid" and its
    "process_started": Wine gives a later process the id of one that
    ended), and each one's records are exactly
    legacy_add(i, 10 * i) = 11 * i for i < CALLS (typed) and one call of
    ordinal 3 (observed), CALLS + 1 records of distinct "seq" (numbered in
    their journal: from 1 in a new one, on from the last in one a process
    adopted);
  - a record that arrived more than once came every time with the same
    fields (but for the flags), and at most one copy lacks
    "possible_repeat": a repeat is always identifiable.
Prints the count of records, repeats and recovered ones.
Usage: relp-check.py RECEIVED_LOG FRONT PROCESSES CALLS"""

import json
import sys

REQUIRED = ("ts", "seq", "pid", "process_started", "thread", "export", "ordinal", "last_error",
            "return_address")
FLAGS = ("possible_repeat", "recovered")


def fail(message):
    sys.exit(f"relp-check: {message}")


def read(path, front):
    records = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) != 3:
                fail(f"{path}:{number}: not APP-NAME PROCID MSG: {line!r}")
            app_name, procid, message = parts
            try:
                record = json.loads(message)
            except json.JSONDecodeError as error:
                fail(f"{path}:{number}: MSG is not JSON ({error}): {message[:200]!r}")
            missing = [field for field in REQUIRED if field not in record]
            if missing:
                fail(f"{path}:{number}: the record lacks {missing}: {record}")
            if app_name != front:
                fail(f"{path}:{number}: APP-NAME is {app_name!r}, not {front!r}")
            if procid != str(record["pid"]):
                fail(f"{path}:{number}: PROCID {procid} is not the record's pid {record['pid']}")
            records.append(record)
    return records


def expected_calls(calls):
    """The calls one run of legacy_app.c makes, by what identifies each."""
    wanted = {("legacy_add", i, 10 * i, 11 * i) for i in range(calls)}
    wanted.add(("#3", None, None, None))
    return wanted


def call_of(record):
    if record["export"] == "legacy_add" and record["ordinal"] == 1:
        args = record.get("args", {})
        return ("legacy_add", args.get("a"), args.get("b"), record.get("result"))
    if record["export"] == "#3" and record["ordinal"] == 3 and len(record.get("registers", [])) == 8:
        return ("#3", None, None, None)
    fail(f"a record of no call legacy_app makes: {record}")


def by_process(records):
    """{(pid, process_started): {seq: [copies]}}."""
    processes = {}
    for record in records:
        process = (record["pid"], record["process_started"])
        processes.setdefault(process, {}).setdefault(record["seq"], []).append(record)
    return processes


def main():
    if len(sys.argv) != 5:
        fail("usage: relp-check.py RECEIVED_LOG FRONT PROCESSES CALLS")
    path, front, processes, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    records = read(path, front)
    found = by_process(records)
    if len(found) != processes:
        fail(f"records of {len(found)} processes ((pid, process_started): {sorted(found)}), "
             f"not {processes}")
    repeats = 0
    for pid, by_seq in sorted(found.items()):
        if len(by_seq) != calls + 1:
            fail(f"process {pid}: {len(by_seq)} distinct seq, not {calls + 1}: {sorted(by_seq)}")
        seen = set()
        for seq, copies in sorted(by_seq.items()):
            plain = [{k: v for k, v in copy.items() if k not in FLAGS} for copy in copies]
            if any(copy != plain[0] for copy in plain):
                fail(f"process {pid} seq {seq}: copies that differ: {copies}")
            if sum(1 for copy in copies if not copy.get("possible_repeat")) > 1:
                fail(f"process {pid} seq {seq}: arrived {len(copies)} times, more than once unflagged")
            repeats += len(copies) - 1
            seen.add(call_of(copies[0]))
        if seen != expected_calls(calls):
            fail(f"process {pid}: calls {sorted(seen, key=str)}, not legacy_app's {calls} and #3")
    recovered = sum(1 for record in records if record.get("recovered"))
    print(f"relp-check: {len(records)} records from {front}, {processes} processes x {calls + 1} calls, "
          f"each there; {repeats} repeats (each flagged), {recovered} recovered from the journal")


main()
