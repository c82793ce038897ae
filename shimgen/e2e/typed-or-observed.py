#!/usr/bin/env python3
"""Checks that every call in a trace was recorded the way `shimgen wrap
--header` said: observed (raw registers) for the exports it listed as left
observed, typed (args, duration_ns) for every other; prints the exports
called, one a line, sorted. Usage: typed-or-observed.py TRACE OBSERVED_LIST"""

import json
import sys

observed = {line.strip() for line in open(sys.argv[2], encoding="utf-8") if line.strip()}
called = set()
wrong = []
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    export = record["export"]
    called.add(export)
    if (export in observed) != ("registers" in record) or (export in observed) == ("args" in record):
        wrong.append(f"{export}: {'observed' if export in observed else 'typed'} expected: {line.strip()}")
if wrong:
    sys.exit("\n".join(wrong[:10]))
print("\n".join(sorted(called)))
