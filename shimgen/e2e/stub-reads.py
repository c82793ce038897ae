#!/usr/bin/env python3
"""stub-reads.py OBJDUMP FRONT.dll: no intercepting stub of a generated
front reads .rdata.

A call made now and then finds every page it touches cold; a stub's
constants loaded from .rdata are a page that nothing else in the call reads
(twinshim_add_front compiles a front without the SLP vectorizer for that,
docs/shimgen.md). Looks at each typed stub (wrapped_*) and each observing
stub's C side (*_observe_call) in the linked front: every rip-relative
operand must point outside .rdata. Prints what it checked; exits 1 with the
offending instructions otherwise."""
import re
import subprocess
import sys


def section_range(objdump, front, name):
    headers = subprocess.run([objdump, "-h", front], check=True, capture_output=True, text=True).stdout
    for line in headers.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == name:
            size, address = int(fields[2], 16), int(fields[3], 16)
            return address, address + size
    sys.exit("stub-reads.py: %s has no %s section" % (front, name))


def stubs(objdump, front):
    """{function: [instruction lines]} for the stubs."""
    listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", front], check=True, capture_output=True,
                             text=True).stdout
    found = {}
    current = None
    for line in listing.splitlines():
        start = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if start:
            name = start.group(1)
            current = name if name.startswith("wrapped_") or name.endswith("_observe_call") else None
            if current:
                found[current] = []
        elif current and line.strip():
            found[current].append(line.strip())
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: stub-reads.py OBJDUMP FRONT.dll")
    objdump, front = sys.argv[1], sys.argv[2]
    low, high = section_range(objdump, front, ".rdata")
    functions = stubs(objdump, front)
    if not functions:
        sys.exit("stub-reads.py: no wrapped_* or *_observe_call function in %s" % front)
    reads = 0
    bad = []
    for name, lines in sorted(functions.items()):
        for line in lines:
            target = re.search(r"\(%rip\).*#\s*([0-9a-f]+)", line)
            if not target:
                continue
            reads += 1
            if low <= int(target.group(1), 16) < high:
                bad.append("%s: %s" % (name, line))
    print("%d stubs, %d rip-relative operands, %d into .rdata" % (len(functions), reads, len(bad)))
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
