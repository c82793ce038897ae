#!/usr/bin/env python3
"""Writes the records of the first process in a trace, each once: those of
the process (`pid` and `process_started`) with the earliest `ts`, one per
`seq` (a possible repeat of a seq already written is dropped). A short program that takes the front from its
import table can exit before its worker has started: its records wait in the
journal, and a later session of the same front (drain_host.exe) delivers
them, flagged recovered, into the same log. Usage: first-process.py TRACE OUT"""

import json
import sys

records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
if not records:
    sys.exit(f"first-process: {sys.argv[1]} holds no record")


def process(record):
    return (record["pid"], record["process_started"])


first = process(min(records, key=lambda record: record["ts"]))
seen = set()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for record in sorted(records, key=lambda record: (record.get("possible_repeat", False), record["seq"])):
        if process(record) == first and record["seq"] not in seen:
            seen.add(record["seq"])
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
recovered = sum(1 for record in records if process(record) == first and record.get("recovered"))
print(f"first-process: {len(seen)} records of process {first[0]} ({recovered} recovered from the journal)")
