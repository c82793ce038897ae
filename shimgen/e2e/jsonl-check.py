#!/usr/bin/env python3
"""Fails unless FILE is JSON Lines as the generated worker writes them: UTF-8,
every line one JSON object with the fields docs/shimgen.md says every record
has, ending with a line break. Prints how many records it holds.
Usage: jsonl-check.py FILE"""

import json
import sys

REQUIRED = ("ts", "seq", "pid", "process_started", "thread", "export", "ordinal", "last_error", "return_address")

data = open(sys.argv[1], "rb").read()
if data and not data.endswith(b"\n"):
    sys.exit(f"{sys.argv[1]}: the last line has no line break")
count = 0
for number, line in enumerate(data.split(b"\n")[:-1], 1):
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        sys.exit(f"{sys.argv[1]}:{number}: not JSON in UTF-8 ({error}): {line[:200]!r}")
    missing = [field for field in REQUIRED if field not in record]
    typed = "args" in record
    # A typed call the process exited in is "unfinished": no result, no duration.
    timed = "duration_ns" in record or record.get("unfinished") is True
    if missing or typed == ("registers" in record) or typed != timed:
        sys.exit(f"{sys.argv[1]}:{number}: neither a typed nor an observed record: {record}")
    count += 1
print(f"{sys.argv[1]}: {count} JSON records")
