#!/usr/bin/env python3
"""Checks the JSON Lines trace that typed_host.exe leaves through the front
generated with --header typed.h: every line is JSON with the documented
fields, each call's arguments, result, last error and duration are what
typed_host.c passed and typed.c returned, the exports the header does not
type are observed, and every call is there (the last ones through process
exit). Usage: check-trace.py TRACE ORDINALS (ORDINALS: shimgen exports --json)."""

import datetime
import json
import re
import sys

trace_path, ordinals_path = sys.argv[1], sys.argv[2]
ordinals = {e["name"]: e["ordinal"] for e in json.load(open(ordinals_path, encoding="utf-8")) if e["name"]}
failures = []


def fail(message):
    failures.append(message)


lines = open(trace_path, "rb").read().split(b"\n")
if lines[-1] != b"":
    fail("the trace does not end with a line break")
records = []
for number, raw in enumerate(lines[:-1], 1):
    try:
        records.append(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"line {number} is not JSON in UTF-8: {error}: {raw[:200]!r}")

now = datetime.datetime.now(datetime.timezone.utc)
stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
by_export = {}
for record in records:
    for field in ("ts", "seq", "pid", "process_started", "thread", "export", "ordinal", "last_error",
                  "return_address"):
        if field not in record:
            fail(f"{record.get('export')}: no {field}: {record}")
    if not stamp.match(record.get("ts", "")):
        fail(f"ts {record.get('ts')!r} is not RFC 3339 UTC with microseconds")
    else:
        when = datetime.datetime.strptime(record["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        if abs((now - when).total_seconds()) > 600:
            fail(f"ts {record['ts']} is not within 10 minutes of now ({now.isoformat()})")
    # The process was made before its call, in the same stamp format (it
    # sorts as a string).
    if not stamp.match(record.get("process_started", "")) or record["process_started"] > record.get("ts", ""):
        fail(f"process_started {record.get('process_started')!r} is not a stamp before the call's ts {record.get('ts')!r}")
    if record.get("export") in ordinals and ordinals[record["export"]] != record.get("ordinal"):
        fail(f"{record['export']}: ordinal {record.get('ordinal')}, the DLL's is {ordinals[record['export']]}")
    by_export.setdefault(record.get("export"), []).append(record)


def calls(export, count):
    found = by_export.get(export, [])
    if len(found) != count:
        fail(f"{export}: {len(found)} calls in the trace, expected {count}")
    return found + [{}] * (count - len(found))


def one_with(found, field, value):
    """The record of several calls of one export whose argument `field` is
    `value`: the worker's pool writes records in the order it takes them, not
    necessarily the calls' order."""
    matching = [record for record in found if record.get("args", {}).get(field) == value]
    if len(matching) != 1:
        fail(f"{len(matching)} records with {field} = {value!r} among {found}")
        return {}
    return matching[0]


def typed(record, args, result="absent", last_error=None):
    name = record.get("export", "?")
    if record.get("unfinished"):
        fail(f"{name}: unfinished: {record}")
        return
    if "registers" in record or "duration_ns" not in record:
        fail(f"{name}: not a typed record: {record}")
        return
    if record.get("args") != args:
        fail(f"{name}: args {record.get('args')}, expected {args}")
    if result == "absent":
        if "result" in record:
            fail(f"{name}: a void function with a result: {record}")
    elif record.get("result") != result:
        fail(f"{name}: result {record.get('result')!r}, expected {result!r}")
    if last_error is not None and record.get("last_error") != last_error:
        fail(f"{name}: last_error {record.get('last_error')}, expected {last_error}")
    if not isinstance(record.get("duration_ns"), int) or record["duration_ns"] < 0:
        fail(f"{name}: duration_ns {record.get('duration_ns')!r}")


def address(value):
    return isinstance(value, str) and re.match(r"^0x[0-9a-f]+$", value) is not None


adds = calls("typed_add", 2)
typed(one_with(adds, "a", 2), {"a": 2, "b": 3}, 5)
typed(one_with(adds, "a", 40), {"a": 40, "b": 2}, 42)
typed(calls("typed_scale", 1)[0], {"value": -5, "factor": 65535, "shift": -3, "flags": 255}, -5 * 65535 - 3 + 255)
typed(calls("typed_average", 1)[0], {"a": 1.5, "b": -2.25}, -0.375)
typed(calls("typed_next_color", 1)[0], {"color": 2}, 40)
record = calls("typed_point_sum", 1)[0]
if not address(record.get("args", {}).get("point")):
    fail(f"typed_point_sum: the struct pointer is not an address: {record}")
typed(calls("typed_box_area", 1)[0], {"box": "<32-byte value>"}, 13.5)
record = calls("typed_make_point", 1)[0]
typed(record, {"x": 7, "y": -8}, "0xfffffff800000007")
length_calls = calls("typed_length", 4)
short, long, null, edge = (one_with(length_calls, "text", text) for text in ("hello", "x" * 256, None, "edge"))
typed(edge, {"text": "edge"}, 4)
typed(short, {"text": "hello"}, 5)
typed(long, {"text": "x" * 256}, 1000)
if long.get("cut") != ["text"]:
    fail(f"typed_length: a 1000-byte string not marked cut: {long.get('cut')}")
if "cut" in short:
    fail("typed_length: a short string marked cut")
typed(null, {"text": None}, 0)
typed(calls("typed_wide_length", 1)[0], {"text": "h\u00e9llo w\u00f6rld \u2603 \U0001F600"}, 16)
ignored = calls("typed_ignore", 2)
typed(one_with(ignored, "text", "<unreadable 0x10>"), {"text": "<unreadable 0x10>", "use": 0}, -1)
partial = [record for record in ignored if record.get("args", {}).get("text") != "<unreadable 0x10>"]
if len(partial) != 1 or not re.match(r"^<unreadable 0x[0-9a-f]+ffd>$", partial[0].get("args", {}).get("text", "")):
    fail(f"typed_ignore: a string running into an uncommitted page is not unreadable: {partial}")
# Three calls: one returns, one is left by longjmp (no record: its stub never
# ends it), one is still running when the process exits inside it: unfinished.
visits = calls("typed_visit_all", 2)
finished = [record for record in visits if "duration_ns" in record]
unfinished = [record for record in visits if record.get("unfinished") is True]
if len(finished) != 1 or len(unfinished) != 1:
    fail(f"typed_visit_all: expected one finished and one unfinished record: {visits}")
for record in visits:
    if not address(record.get("args", {}).get("visit")) or record.get("args", {}).get("context") != "0x0":
        fail(f"typed_visit_all: a function pointer or NULL is not an address: {record}")
for record in unfinished + calls("typed_exit", 1):
    if not record.get("unfinished") or "result" in record or "duration_ns" in record:
        fail(f"a call the process exited in is not unfinished: {record}")
if by_export.get("typed_exit", [{}])[0].get("args") != {"code": 3}:
    fail(f"typed_exit: args {by_export.get('typed_exit')}")
typed(calls("typed_greeting", 1)[0], {}, "hello from typed.dll")
typed(calls("typed_fail", 1)[0], {"error": 5}, 0, last_error=5)
record = calls("typed_sleep_ms", 1)[0]
typed(record, {"milliseconds": 20})
if not 15_000_000 <= record.get("duration_ns", 0) <= 5_000_000_000:
    fail(f"typed_sleep_ms(20): duration_ns {record.get('duration_ns')}")
flags = calls("typed_flag", 2)
typed(one_with(flags, "flag", True), {"flag": True}, 7)
typed(one_with(flags, "flag", False), {"flag": False}, 3)
typed(calls("typed_first_byte", 1)[0], {"bytes": "\u00ff\u00fe ok"}, 255)
record = calls("typed_fill", 1)[0]
typed(record, {"buffer": record.get("args", {}).get("buffer"), "size": 16}, 6)
if not address(record.get("args", {}).get("buffer")):
    fail(f"typed_fill: an out-buffer (char *) is not an address: {record}")
typed(calls("typed_window", 1)[0], {"window": "0x0", "title": "title", "flags": 4}, 10)
for export in ("typed_sum", "typed_hidden"):
    record = calls(export, 1)[0]
    if "registers" not in record or "args" in record or "duration_ns" in record or "result" in record:
        fail(f"{export}: not an observed record: {record}")
    elif len(record["registers"]) != 8 or not all(address(value) for value in record["registers"]):
        fail(f"{export}: registers {record['registers']}")
if set(by_export) - set(ordinals):
    fail(f"calls of exports the DLL lacks: {set(by_export) - set(ordinals)}")

if failures:
    print("check-trace: FAILED:", *failures, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"check-trace: {len(records)} records, every one as expected")
