#!/usr/bin/env python3
"""Checks what `shimgen report` said about a trace against the trace itself:
per export the calls, the calls with a nonzero last error, and for typed
calls the duration's p50, p99 (nearest rank), maximum and total, as the
terminal summary prints them and as the HTML page holds them once a browser
has loaded it (headless Chromium, --dump-dom: the page is read back from the
browser, not from the file). The page must load nothing from the network.
Usage: report-counts.py TRACE TERMINAL_OUTPUT HTML_PAGE"""

import html.parser
import json
import math
import os
import re
import shutil
import subprocess
import sys

trace_path, terminal_path, page_path = sys.argv[1:4]
failures = []

expected = {}
for line in open(trace_path, "rb").read().split(b"\n"):
    try:
        record = json.loads(line.decode("utf-8"))
        name, failed = record["export"], record["last_error"] != 0
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        continue
    entry = expected.setdefault(name, {"calls": 0, "errors": 0, "durations": []})
    entry["calls"] += 1
    entry["errors"] += failed
    if "duration_ns" in record:
        entry["durations"].append(record["duration_ns"])
if not expected:
    sys.exit(f"report-counts: {trace_path} holds no record")


def rank(durations, fraction):
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


for entry in expected.values():
    durations = entry["durations"]
    entry["p50"] = rank(durations, 0.50) if durations else -1
    entry["p99"] = rank(durations, 0.99) if durations else -1
    entry["max"] = max(durations) if durations else -1
    entry["total"] = sum(durations) if durations else -1

# The terminal: "export calls errors p50 p99 max total" rows.
terminal = open(terminal_path, encoding="utf-8").read().splitlines()
total_calls = sum(entry["calls"] for entry in expected.values())
if not re.match(rf"^.*: {total_calls} calls of {len(expected)} exports ", terminal[0]):
    failures.append(f"terminal: the first line says {terminal[0]!r}, the trace has {total_calls} calls of "
                    f"{len(expected)} exports")
start = next((index for index, line in enumerate(terminal) if line.split()[:3] == ["export", "calls", "errors"]),
             None)
rows = {}
for line in terminal[start + 1 if start is not None else len(terminal):]:
    if not line.strip():
        break
    match = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s", line)
    if match:
        rows[match.group(1)] = (int(match.group(2)), int(match.group(3)))
for name, entry in expected.items():
    if rows.get(name) != (entry["calls"], entry["errors"]):
        failures.append(f"terminal: {name}: {rows.get(name)} calls and errors, the trace has "
                        f"{(entry['calls'], entry['errors'])}")
if set(rows) != set(expected):
    failures.append(f"terminal: rows for {sorted(set(rows) ^ set(expected))[:5]} that the trace has not, or lacks")

# The page, as the browser has it.
page = open(page_path, encoding="utf-8").read()
if re.search(r"(src|href)\s*=|https?://|@import|url\(", page):
    failures.append("the page refers to something outside itself")
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if browser is None:
    sys.exit("report-counts: chromium is missing: install it (scripts/install-dependencies.sh)")
dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                      "file://" + os.path.abspath(page_path)],
                     capture_output=True, text=True, timeout=120, check=True).stdout


class ExportTable(html.parser.HTMLParser):
    """The rows of table#exports: export -> {column class: data-value}."""

    def __init__(self):
        super().__init__()
        self.in_table = False
        self.row = None
        self.rows = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "exports":
            self.in_table = True
        elif self.in_table and tag == "tr" and "data-export" in attrs:
            self.row = self.rows.setdefault(attrs["data-export"], {})
        elif self.row is not None and tag == "td" and "data-value" in attrs:
            self.row[attrs.get("class")] = float(attrs["data-value"])

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
            self.row = None


table = ExportTable()
table.feed(dom)
for name, entry in expected.items():
    got = table.rows.get(name)
    if got is None:
        failures.append(f"page: no row for {name}")
        continue
    for column in ("calls", "errors", "p50", "p99", "max", "total"):
        if got.get(column) != entry[column]:
            failures.append(f"page: {name}: {column} {got.get(column)}, the trace's is {entry[column]}")
if set(table.rows) != set(expected):
    failures.append(f"page: rows for exports the trace has not: {sorted(set(table.rows) - set(expected))[:5]}")

if failures:
    print("report-counts: FAILED:", *failures[:20], sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"report-counts: the terminal and the page (as Chromium loaded it) give the trace's counts and "
      f"durations for {len(expected)} exports, {total_calls} calls")
