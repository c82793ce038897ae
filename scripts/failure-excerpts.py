#!/usr/bin/env python3
"""What each failed ctest suite printed about its failure, for the end of
make test's output (scripts/run-tests.sh): a CI log is often read from its
end, and a suite's own lines lie far above it.

Usage: failure-excerpts.py CTEST_LOG SUITE_TIMES

CTEST_LOG is ctest's verbose output, where suite N's lines start "N: ";
SUITE_TIMES is run-tests.sh's table (name, seconds, timeout, status). For
each failed cmocka test of a suite: from its "[ RUN ]" line through its
first "[  FAILED  ]", the middle elided past EXCERPT_LINES; for a suite
with no such line (a crash, ctest's timeout), its last EXCERPT_LINES."""
import re
import sys

EXCERPT_LINES = 28
HEAD_LINES = 20


def suite_lines(log_lines, number):
    prefix = f"{number}: "
    return [line[len(prefix):] for line in log_lines if line.startswith(prefix)]


def failed_blocks(lines):
    """The lines of each failed test: its [ RUN ] line through its first
    [  FAILED  ] or [  ERROR   ] line and what follows up to the next
    test."""
    blocks = []
    start = None
    failing = False
    for index, line in enumerate(lines):
        if line.startswith("[ RUN      ]"):
            if start is not None and failing:
                blocks.append(lines[start:index])
            start, failing = index, False
        elif line.startswith(("[  FAILED  ]", "[  ERROR   ]")) and start is not None:
            failing = True
        elif line.startswith("[==========]") and start is not None:
            if failing:
                blocks.append(lines[start:index])
            start, failing = None, False
    if start is not None and failing:
        blocks.append(lines[start:])
    return blocks


def shortened(block):
    if len(block) <= EXCERPT_LINES:
        return block
    tail = EXCERPT_LINES - HEAD_LINES
    return block[:HEAD_LINES] + [f"[... {len(block) - EXCERPT_LINES} lines ...]"] + block[-tail:]


def main():
    log_lines = [line.rstrip("\n") for line in open(sys.argv[1], errors="replace")]
    failed = []
    for row in open(sys.argv[2], errors="replace"):
        fields = row.rstrip("\n").split("\t")
        if len(fields) == 4 and fields[0].startswith("ctest ") and fields[3] != "passed":
            failed.append(fields[0][len("ctest "):])
    numbers = {}
    result = re.compile(r"^\s*\d+/\d+ Test\s+#(\d+): (\S+) ")
    for line in log_lines:
        match = result.match(line)
        if match:
            numbers[match.group(2)] = match.group(1)
    for name in failed:
        lines = suite_lines(log_lines, numbers.get(name, "-"))
        blocks = failed_blocks(lines)
        if not blocks:
            print(f"-- {name}, its last lines:")
            print("\n".join(lines[-EXCERPT_LINES:]) if lines else "(none found in the log)")
            continue
        for block in blocks:
            print(f"-- {name}:")
            print("\n".join(shortened(block)))


if __name__ == "__main__":
    main()
