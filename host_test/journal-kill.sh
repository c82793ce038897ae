#!/bin/sh
# kill -9 from Linux: a legacy program calls the wrapped legacy_add (the
# example's legacy.dll and audit worker) until it is killed, with SIGKILL,
# from outside; the next program that loads the front recovers its journal;
# then every call that returned has its line in the audit log (a call's line
# twice only with "[possible repeat]" on the second; no line for a call that
# never began). A record whose post returned is in the journal's pages, and
# the pages of a file mapping survive the death of the process (under Wine
# they are an mmap of the file): the kernel keeps them for the file.
#   host_test/journal-kill.sh <bin folder>
# ctest runs it (`make test`) at the sizes below; host_test/run-torture.sh
# at larger ones. Environment:
#   TWINSHIM_TORTURE_KILL_RUNS   runs per spacing (default 2)
#   TWINSHIM_TORTURE_KILL_CALLS  calls returned before the kill, at least
#                                (default 2000; flat out: ten times as many)
#   TWINSHIM_TORTURE_KILL_SPACINGS  the spacings, in us (default "200 0")
# Two spacings between calls: 200 us, and flat out (faster than the plugin
# writes its log: the journal fills and the posts wait for room). Without
# the journal, the records still queued at the kill are lost: at 200 us
# apart the last few, flat out most of them; each run fails the check. A
# loss that happens in one kill out of N is caught with a chance of
# 1 - (1 - 1/N)^R over R runs: the 4 runs here catch a one-in-four loss 2
# times in 3.
set -eu

bin=$(cd "${1:?usage: journal-kill.sh <bin folder>}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
wine_run=$here/../cmake/wine-run
runs=${TWINSHIM_TORTURE_KILL_RUNS:-2}
calls=${TWINSHIM_TORTURE_KILL_CALLS:-2000}
deadline_s=120

# Z: is the root of the Unix file system in every Wine prefix.
windows_path() {
    printf 'Z:%s' "$1" | tr / '\\'
}

# printf, not echo: Windows paths hold backslashes.
fail() {
    printf 'journal-kill.sh: %s\n' "$*" >&2
    exit 1
}

# A string as a regular expression that matches just it (for pgrep).
as_pattern() {
    printf '%s' "$1" | sed 's/[][\\.*^$]/\\&/g'
}

# The calls that returned: the count file's first four bytes, little-endian.
returned_calls() {
    if [ -s "$1" ]; then
        od -An -t d4 -N4 "$1" | tr -d ' '
    else
        echo 0
    fi
}

journals_left() {
    find "$1" -name '*.journal' | wc -l
}

# Every returned call's line is in the log; a repeat is marked; no line for
# a call that never began. Prints the counts.
check_log() { # log returned
    python3 - "$1" "$2" <<'EOF'
import re
import sys

log, returned = sys.argv[1], int(sys.argv[2])
seen = {}
marked = set()
recovered = 0
with open(log, encoding="ascii", errors="replace") as lines:
    for line in lines:
        match = re.match(r"legacy_add\((-?\d+), 1000000\)", line)
        if not match:
            continue
        call = int(match.group(1))
        seen[call] = seen.get(call, 0) + 1
        if "[possible repeat]" in line:
            marked.add(call)
        if "[recovered from process " in line:
            recovered += 1
missing = [call for call in range(returned) if call not in seen]
never_began = [call for call in seen if call < 0 or call > returned]
unmarked = [call for call, count in seen.items() if count > 1 and call not in marked]
print("%d calls returned, %d lines, %d of them recovered, %d missing" %
      (returned, sum(seen.values()), recovered, len(missing)))
for call in missing[:10]:
    print("call %d returned, and its record is not in the log" % call)
for call in never_began[:10]:
    print("a line for call %d, which never began" % call)
for call in unmarked[:10]:
    print("call %d is in the log %d times, never marked a possible repeat" % (call, seen[call]))
sys.exit(1 if missing or never_began or unmarked else 0)
EOF
}

one_run() { # spacing target run
    spacing=$1
    target=$2
    run=$3
    name=journal-kill-$spacing
    fixture=$bin/fixtures/$name
    journals=$bin/journals/$name
    count_file=$fixture/returned.count
    log=$fixture/audit.log

    rm -rf "$fixture" "$journals"
    mkdir -p "$fixture" "$journals"
    cp "$bin/legacy.dll" "$bin/legacy_worker.dll" "$bin/journal_child.exe" "$bin/cmocka.dll" "$fixture/"
    cp "$bin/original/legacy.dll" "$fixture/legacy_orig.dll"
    TWINSHIM_JOURNAL_DIR=$(windows_path "$journals/")
    TWINSHIM_EXAMPLE_LOG=$(windows_path "$log")
    # The runtime's reports (a full journal's drops among them), for the record.
    TWINSHIM_REPORT=$(windows_path "$fixture/report.log")
    export TWINSHIM_JOURNAL_DIR TWINSHIM_EXAMPLE_LOG TWINSHIM_REPORT

    count_path=$(windows_path "$count_file")
    "$wine_run" "$fixture/journal_child.exe" forever "$spacing" "$count_path" > "$fixture/child.out" 2>&1 &
    child=$!
    start=$(date +%s)
    while [ "$(returned_calls "$count_file")" -lt "$target" ]; do
        kill -0 "$child" 2>/dev/null || fail "journal_child.exe forever $spacing ended by itself: $(cat "$fixture/child.out")"
        [ $(($(date +%s) - start)) -lt "$deadline_s" ] || { kill -9 "$child"; fail "$target calls did not return within ${deadline_s}s"; }
        sleep 0.05
    done
    # The program's Unix process: its command line names this run's count
    # file, which no other process does.
    pids=$(pgrep -f -- "$(as_pattern "$count_path")" || true)
    [ -n "$pids" ] || fail "no process with $count_path on its command line"
    # shellcheck disable=SC2086
    kill -9 $pids
    wait "$child" 2>/dev/null || true
    returned=$(returned_calls "$count_file")
    dead=$(journals_left "$journals")
    # Kept until the check passes: what the dead process left, to look into.
    find "$journals" -name '*.journal' -exec cp {} "$fixture/dead-journal.copy" \;

    "$wine_run" "$fixture/journal_child.exe" recover > "$fixture/recover.out" 2>&1 ||
        fail "journal_child.exe recover failed: $(cat "$fixture/recover.out")"
    printf 'spacing %s us, run %s of %s: killed after %s calls returned: ' "$spacing" "$run" "$runs" "$target"
    check_log "$log" "$returned" || {
        cat "$fixture/report.log" 2>/dev/null
        fail "a returned call's record is missing (spacing $spacing us, run $run; the dead journal is" \
            "$fixture/dead-journal.copy, the log $log)"
    }
    rm -f "$fixture/dead-journal.copy"
    # The dead process left its journal; the recovery delivered and removed it.
    [ "$dead" -eq 1 ] || fail "$dead journals after the kill, expected the dead one"
    left=$(journals_left "$journals")
    [ "$left" -eq 0 ] || fail "$left journals after the recovery, expected none"
}

for spacing in ${TWINSHIM_TORTURE_KILL_SPACINGS:-200 0}; do
    target=$calls
    [ "$spacing" -ne 0 ] || target=$((calls * 10))
    run=1
    while [ "$run" -le "$runs" ]; do
        one_run "$spacing" "$target" "$run"
        run=$((run + 1))
    done
done
echo "journal-kill.sh: every returned call's record survived kill -9, $runs runs per spacing"
