#!/bin/sh
# The sinks in a worker, end to end: sink_host.exe (under Wine) posts
# records through sink_test_front.dll; sink_test_worker.dll writes them to a
# JSON Lines file or over RELP to a real rsyslog that this script starts on
# 127.0.0.1 with its own configuration, work folder and port
# (scripts/rsyslog-harness.sh), stops and starts again. Then every record's
# sequence number is looked for in what rsyslog wrote.
#
# Usage: test_sinks_rsyslog.sh BUILD_DIR SCENARIO
#   delivers          N records sent, N arrive, each once, with APP-NAME and PROCID
#   restart           rsyslog stopped between two batches, records posted
#                     during the outage, rsyslog started again: all arrive, each once
#   restart_flowing   rsyslog stopped while records flow: all arrive; the
#                     only duplicates are records sent again, at most the resent count
#   slow_on_message   each on_message lingers after writing its record, so
#                     that the acknowledgement comes before it returns: every
#                     record is still finished, and arrives once
#   frozen            rsyslog stopped with SIGSTOP while records flow (its
#                     sockets open, no answer): the acknowledgement timeout
#                     ends the connection; after SIGCONT all records arrive
#   down_at_start     no collector at first: refused, reported, then all arrive
#   wrong_peer        a plain TCP syslog port (imtcp): reported as not RELP,
#                     then the RELP collector on that port gets every record
#   http_peer         an HTTP server (Python's http.server) answers the open:
#                     reported as not RELP, with what it sent; then rsyslog on
#                     that port gets every record
#   error_response    rsyslog answers the open with a RELP error (500): reported,
#                     records kept, attempts back off instead of spinning
#   unload_while_down FreeLibrary with rsyslog stopped: the worker leaves in
#                     time, the records stay in the journal, and the next
#                     session (the front loaded again) sends them once rsyslog is back
#   killed            the process killed (TerminateProcess) while rsyslog, frozen,
#                     acknowledges nothing; the next process of the same front
#                     sends every record; duplicates are at most a window, each
#                     marked as a possible repeat
#   example           the legacy example's worker (examples/legacy) with
#                     TWINSHIM_EXAMPLE_LOG=relp://...: N calls to legacy.dll,
#                     N JSON records in rsyslog, each once, from legacy.dll
#   file              the JSON Lines file sink: N lines, each JSON, each once
#   file_unwritable   a file that cannot be opened: the start fails, with a report line
# TWINSHIM_SINK_OUTAGE_SECONDS sets how long rsyslog stays down (default 3);
# TWINSHIM_SINK_KEEP=1 keeps the files of a run that passed.
set -eu

build=$(cd "${1:?usage: test_sinks_rsyslog.sh BUILD_DIR SCENARIO}" && pwd)
scenario=${2:?usage: test_sinks_rsyslog.sh BUILD_DIR SCENARIO}
top=$(cd "$(dirname "$0")/../.." && pwd)
harness=$top/scripts/rsyslog-harness.sh
outage=${TWINSHIM_SINK_OUTAGE_SECONDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/twinshim-sink-$scenario.XXXXXX")
collector=$work/collector
host_pid=""
http_pid=""
export TWINSHIM_REPORT="$work/report.log"
# The test's own journal folder: no other test's journals to recover.
export TWINSHIM_JOURNAL_DIR="Z:$work/journal"

finish() {
    status=$?
    [ -z "$host_pid" ] || kill "$host_pid" 2>/dev/null || true
    [ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null || true
    for dir in "$work"/collector*; do
        [ -d "$dir" ] && "$harness" kill "$dir" >/dev/null 2>&1 || true
    done
    if [ "$status" -eq 0 ] && [ -z "${TWINSHIM_SINK_KEEP:-}" ]; then
        rm -rf "$work"
    elif [ "$status" -eq 0 ]; then
        echo "--- $scenario: its files are in $work (TWINSHIM_SINK_KEEP)"
    else
        echo "--- $scenario failed; its files are in $work"
        for file in host.out report.log; do
            [ -f "$work/$file" ] && { echo "--- $file"; tail -n 30 "$work/$file"; }
        done
    fi
    exit "$status"
}
trap finish EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL ($scenario): $*" >&2
    exit 1
}

# The host in the background with the steps given; its output in host.out.
# The DLLs come from $host_folder: the build's bin folder, unless a
# scenario lays out its own.
host_folder=$build/bin
host_start() {
    "$top/cmake/wine-run" "$build/bin/sink_host.exe" "$host_folder" "$@" >"$work/host.out" 2>&1 &
    host_pid=$!
}

# Waits up to $1 seconds for the host to end and returns its exit code.
host_wait_exit() {
    tries=$(($1 * 20))
    while kill -0 "$host_pid" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "the host still runs after $1 s"
        sleep 0.05
    done
    status=0
    wait "$host_pid" || status=$?
    host_pid=""
    cat "$work/host.out"
    return "$status"
}

# Waits up to $1 seconds for the host to end; fails unless it exits 0.
host_wait() {
    status=0
    host_wait_exit "$1" || status=$?
    [ "$status" -eq 0 ] || fail "the host exited with $status"
}

# Runs the host in the foreground with a deadline.
host_run() {
    deadline=$1
    shift
    host_start "$@"
    host_wait "$deadline"
}

# Waits up to $2 seconds for the file $1 (a marker the host touches).
wait_file() {
    tries=$(($2 * 20))
    while [ ! -e "$1" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "no $(basename "$1") after $2 s"
        kill -0 "$host_pid" 2>/dev/null || { cat "$work/host.out"; fail "the host ended early"; }
        sleep 0.05
    done
}

report_has() {
    grep -F -q -- "$1" "$TWINSHIM_REPORT" 2>/dev/null
}

report_says() {
    report_has "$1" || fail "no report line says \"$1\""
}

host_says() {
    grep -F -q -- "$1" "$work/host.out" || fail "the host did not print \"$1\""
}

# A field of the host's last "counters" line: counter NAME.
counter() {
    sed -n "s/^counters.* $1 \([0-9]*\).*/\1/p" "$work/host.out" | tail -n 1
}

# Writes $work/sequences: what of 1..$2 file $1 lacks, and "duplicates N";
# fails (returns nonzero) when a number is missing or out of range.
read_sequences() {
    sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$1" 2>/dev/null | sort -n | uniq -c | awk -v n="$2" '
        { if ($2 < 1 || $2 > n) { print "a record numbered " $2 " was never posted"; bad = 1 }
          seen[$2] = 1; duplicates += $1 - 1 }
        END { for (i = 1; i <= n; i++) if (!(i in seen)) { missing++; if (missing <= 5) print "record " i " is missing" }
              if (missing > 0) print missing " of " n " records are missing"
              print "duplicates " duplicates + 0
              exit (bad || missing > 0) }' >"$work/sequences"
}

# Polls the condition "$@" (after the deadline $1 in seconds and what it
# waits for, $2) every 50 ms; fails, saying what it waited for, once the
# deadline passed.
wait_until() {
    seconds=$1
    tries=$((seconds * 20))
    what=$2
    shift 2
    until "$@"; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            [ ! -f "$work/sequences" ] || cat "$work/sequences"
            fail "no $what after $seconds s"
        fi
        sleep 0.05
    done
}

# Every sequence number 1..$2 is in file $1; prints how many lines are
# duplicates, and fails on any number missing or out of range.
check_sequences() {
    read_sequences "$1" "$2" || { cat "$work/sequences"; fail "records lost"; }
    sed -n 's/^duplicates //p' "$work/sequences"
}

# Every record 1..$1 arrived; those that arrived twice are at most the
# records the sink sent again (in flight when a connection ended).
check_duplicates_were_resent() {
    duplicates=$(check_sequences "$collector/received.log" "$1")
    resent=$(counter resent)
    echo "duplicates $duplicates, resent $resent"
    [ "$duplicates" -le "$resent" ] || fail "$duplicates duplicates, but only $resent records were sent again"
}

# Every line of received.log came from this host's front and process.
check_origin() {
    pid=$(sed -n 's/^pid //p' "$work/host.out")
    others=$(grep -c -v "^sink_test_front.dll $pid {" "$collector/received.log" || true)
    [ "$others" -eq 0 ] || fail "$others lines do not carry APP-NAME sink_test_front.dll and PROCID $pid"
}

relp_target() {
    export TWINSHIM_TEST_SINK="relp://127.0.0.1:$port"
}

port=$("$harness" free-port)
case $scenario in
delivers)
    count=2000
    "$harness" start "$collector" "$port"
    relp_target
    host_run 120 "post:$count" "durable:$count:60" counters free:30
    "$harness" wait-lines "$collector" "$count" 30
    [ "$(check_sequences "$collector/received.log" "$count")" -eq 0 ] || fail "records arrived twice"
    check_origin
    [ "$(counter resent)" -eq 0 ] && [ "$(counter failures)" -eq 0 ] || fail "a quiet run resent or failed"
    ;;
restart)
    "$harness" start "$collector" "$port"
    relp_target
    host_start post:300 durable:300:60 "touch:$work/first-durable" "file:$work/collector-stopped:60" post:300 \
        "touch:$work/posted-in-outage" "file:$work/collector-back:120" durable:600:120 counters free:30
    wait_file "$work/first-durable" 60
    "$harness" stop "$collector"
    touch "$work/collector-stopped"
    wait_file "$work/posted-in-outage" 60
    sleep "$outage" # the outage itself, not a synchronisation
    "$harness" start "$collector" "$port"
    touch "$work/collector-back"
    host_wait 180
    "$harness" wait-lines "$collector" 600 30
    [ "$(check_sequences "$collector/received.log" 600)" -eq 0 ] ||
        fail "records acknowledged before the stop arrived again"
    report_says "the server closed the connection"
    report_says "RELP session open again after"
    ;;
restart_flowing)
    count=20000
    "$harness" start "$collector" "$port"
    relp_target
    host_start "post:$count" "durable:$count:240" counters free:30
    "$harness" wait-lines "$collector" 2000 60
    "$harness" stop "$collector"
    sleep "$outage" # the outage itself, not a synchronisation
    "$harness" start "$collector" "$port"
    host_wait 300
    "$harness" wait-lines "$collector" "$count" 60
    check_duplicates_were_resent "$count"
    report_says "RELP session open again after"
    ;;
slow_on_message)
    # Messages 1, 11, 21... linger 200 ms; 1 and 11 alone, each awaited, so
    # that the other pool thread is free to take their acknowledgements.
    export TWINSHIM_TEST_SINK_LINGER_MS=200
    "$harness" start "$collector" "$port"
    relp_target
    host_run 120 post:1 durable:1:30 post:9 durable:10:30 post:1 durable:11:30 post:189 durable:200:60 counters \
        free:30
    "$harness" wait-lines "$collector" 200 30
    [ "$(check_sequences "$collector/received.log" 200)" -eq 0 ] || fail "records arrived twice"
    ;;
frozen)
    count=5000
    # The acknowledgement timeout apart from the connection's, which is long.
    export TWINSHIM_TEST_SINK_ACK_TIMEOUT_MS=1000 TWINSHIM_TEST_SINK_TIMEOUT_MS=30000
    "$harness" start "$collector" "$port"
    relp_target
    # The second batch is posted once rsyslog is frozen: it is sent and
    # never acknowledged until rsyslog thaws.
    host_start post:500 durable:500:60 "touch:$work/first-durable" "file:$work/frozen:60" "post:$((count - 500))" \
        "durable:$count:120" counters free:30
    wait_file "$work/first-durable" 60
    "$harness" freeze "$collector"
    touch "$work/frozen"
    # A deadline of 8 times the timeout, not a measurement.
    wait_until 8 "acknowledgement timeout in the report" report_has "no acknowledgement within 1.0 s"
    "$harness" thaw "$collector"
    host_wait 180
    "$harness" wait-lines "$collector" "$count" 60
    check_duplicates_were_resent "$count"
    ;;
down_at_start)
    relp_target
    host_start post:200 "report:30:connection refused" "touch:$work/refused" durable:200:120 counters free:30
    wait_file "$work/refused" 60
    "$harness" start "$collector" "$port"
    host_wait 180
    "$harness" wait-lines "$collector" 200 30
    [ "$(check_sequences "$collector/received.log" 200)" -eq 0 ] || fail "records arrived twice"
    report_says "RELP session open again after"
    ;;
wrong_peer)
    export TWINSHIM_TEST_SINK_TIMEOUT_MS=1000
    "$harness" start "$collector-tcp" "$port" tcp
    relp_target
    host_start post:50 "report:30:no answer to the RELP open within 1.0 s" "touch:$work/not-relp" \
        durable:50:120 counters free:30
    wait_file "$work/not-relp" 60
    "$harness" stop "$collector-tcp"
    "$harness" start "$collector" "$port"
    host_wait 180
    "$harness" wait-lines "$collector" 50 30
    [ "$(check_sequences "$collector/received.log" 50)" -eq 0 ] || fail "records arrived twice"
    report_says "the peer is not a RELP server (a plain TCP syslog port?)"
    ;;
http_peer)
    python3 -m http.server --bind 127.0.0.1 "$port" >"$work/http.out" 2>&1 &
    http_pid=$!
    wait_until 30 "HTTP server serving" grep -q "Serving HTTP" "$work/http.out"
    relp_target
    host_start post:30 "report:30:it sent: <!DOCTYPE HTML>\\n<html" "touch:$work/not-relp" durable:30:120 counters free:30
    wait_file "$work/not-relp" 60
    kill "$http_pid"
    wait "$http_pid" || true
    http_pid=""
    "$harness" start "$collector" "$port"
    host_wait 180
    "$harness" wait-lines "$collector" 30 30
    [ "$(check_sequences "$collector/received.log" 30)" -eq 0 ] || fail "records arrived twice"
    report_says "the peer is not a RELP server: a frame does not begin with a transaction number"
    ;;
error_response)
    export TWINSHIM_FAULT_RELP_NO_SYSLOG_OFFER=1 TWINSHIM_TEST_SINK_RETRY_FIRST_MS=100 \
        TWINSHIM_TEST_SINK_RETRY_MOST_MS=1000
    "$harness" start "$collector" "$port"
    relp_target
    # Watched for 3 s after the first refusal: attempts with the backoff
    # above number at most 1 + 3000 / (100/2 + 200/2 + 400/2 + 800/2 ...) < 10;
    # a client that spins makes hundreds.
    host_run 120 post:20 "report:30:500 required command not supported by client" idle:3 counters free:30
    report_says "the server refused the RELP session: 500 required command not supported by client"
    [ "$(counter held)" -eq 20 ] || fail "the sink does not hold the 20 records"
    report_says "stopped with 20 records not acknowledged"
    [ "$(counter durable)" -eq 0 ] || fail "records were durable though every session was refused"
    failures=$(counter failures)
    [ "$failures" -ge 2 ] && [ "$failures" -le 10 ] || fail "$failures attempts in about 3 s: no backoff"
    [ ! -s "$collector/received.log" ] || fail "rsyslog received records from a refused session"
    ;;
unload_while_down)
    "$harness" start "$collector" "$port"
    relp_target
    host_start post:100 durable:100:60 "touch:$work/first-durable" "file:$work/collector-stopped:60" post:100 \
        "report:30:the server closed the connection" free:10 "touch:$work/freed" "file:$work/collector-back:60" \
        load durable:100:120 counters free:30
    wait_file "$work/first-durable" 60
    "$harness" stop "$collector"
    touch "$work/collector-stopped"
    wait_file "$work/freed" 60
    # The stop left the second hundred in the journal, unsent; the next
    # session (the same front, loaded again) sends them.
    report_says "100 messages unfinished; they stay in the journal for the next session"
    "$harness" start "$collector" "$port"
    touch "$work/collector-back"
    host_wait 180
    "$harness" wait-lines "$collector" 200 30
    [ "$(check_sequences "$collector/received.log" 200)" -eq 0 ] || fail "records arrived twice"
    ;;
killed)
    # The rest is posted once rsyslog is frozen: a window of it sent and
    # unacknowledged when the process dies, the rest unsent or in the journal.
    count=20000
    "$harness" start "$collector" "$port"
    relp_target
    host_start post:300 durable:300:60 "touch:$work/some-durable" "file:$work/frozen:60" "post:$((count - 300))" \
        idle:1 kill
    wait_file "$work/some-durable" 60
    # Frozen, rsyslog answers nothing: what the process sent from now on is
    # unacknowledged when it is killed, and reaches rsyslog once it thaws.
    "$harness" freeze "$collector"
    touch "$work/frozen"
    status=0
    host_wait_exit 60 || status=$?
    [ "$status" -eq 9 ] || fail "the first process exited with $status, not killed (9)"
    mv "$work/host.out" "$work/host-killed.out"
    killed_journal="$(printf '%08x' "$(sed -n 's/^pid //p' "$work/host-killed.out")")-*.journal"
    ls "$work"/journal/*/$killed_journal >/dev/null 2>&1 || fail "the killed process left no journal"
    "$harness" thaw "$collector"
    # The next process of the same front recovers the dead one's journal,
    # sends what was never acknowledged, and removes the journal once every
    # message in it is finished.
    host_start "file:$work/recovered:180" counters free:30
    journal_gone() { ! ls "$work"/journal/*/$killed_journal >/dev/null 2>&1; }
    wait_until 180 "the killed process's journal delivered" journal_gone
    wait_until 60 "every record in rsyslog's output" read_sequences "$collector/received.log" "$count"
    touch "$work/recovered"
    host_wait 60
    duplicates=$(check_sequences "$collector/received.log" "$count")
    echo "duplicates $duplicates"
    # Only what was in flight when the process died can arrive twice: at
    # most a window; and each has a copy marked as a possible repeat.
    [ "$duplicates" -le 128 ] || fail "$duplicates duplicates: more than the window in flight"
    sed -n 's/.*"seq":\([0-9]*\).*"repeat":\(true\|false\).*/\1 \2/p' "$collector/received.log" | sort -n | awk '
        { count[$1]++; if ($2 == "true") marked[$1] = 1 }
        END { for (s in count) if (count[s] > 1 && !(s in marked)) { print "record " s " arrived twice, unmarked"; bad = 1 }
              exit bad }' || fail "a duplicate is not marked as a possible repeat"
    grep -q '"recovered":true' "$collector/received.log" || fail "no record came from the recovered journal"
    ;;
example)
    count=300
    host_folder=$work/example
    mkdir -p "$host_folder"
    cp "$build/bin/legacy.dll" "$build/bin/legacy_worker.dll" "$host_folder/"
    cp "$build/bin/original/legacy.dll" "$host_folder/legacy_orig.dll"
    "$harness" start "$collector" "$port"
    export TWINSHIM_EXAMPLE_LOG="relp://127.0.0.1:$port"
    host_start legacy "legacy:$count" "file:$work/arrived:120" free:30
    wait_until 120 "the example's records in rsyslog's output" read_sequences "$collector/received.log" "$count"
    touch "$work/arrived"
    host_wait 60
    [ "$(check_sequences "$collector/received.log" "$count")" -eq 0 ] || fail "records arrived twice"
    pid=$(sed -n 's/^pid //p' "$work/host.out")
    # Call i is legacy_add(i, 10 i) = 11 i; each line from legacy.dll in this process.
    awk -v pid="$pid" '
        $1 != "legacy.dll" || $2 != pid { print "not from legacy.dll in process " pid ": " $0; bad = 1; next }
        { if (match($0, /"a":-?[0-9]+,"b":-?[0-9]+\},"result":-?[0-9]+/) == 0) { print "no call in: " $0; bad = 1; next }
          split(substr($0, RSTART, RLENGTH), n, /[^-0-9]+/)
          if (n[3] != 10 * n[2] || n[4] != 11 * n[2]) { print "a wrong call: " $0; bad = 1 } }
        END { exit bad }' "$collector/received.log" || fail "the example's records are not its calls"
    ;;
file)
    count=1000
    export TWINSHIM_TEST_SINK="Z:$work/records.jsonl"
    host_run 60 "post:$count" "durable:$count:30" counters free:30
    [ "$(check_sequences "$work/records.jsonl" "$count")" -eq 0 ] || fail "records written twice"
    python3 -c 'import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "the last line is not ended"
for number, line in enumerate(lines[:-1], 1):
    json.loads(line)' "$work/records.jsonl" || fail "a line is not JSON"
    ;;
file_unwritable)
    export TWINSHIM_TEST_SINK="Z:$work/no-such-folder/records.jsonl"
    host_run 60 status:-4:30 free:30
    report_says "the file cannot be opened for appending (error 3)"
    ;;
*)
    fail "no scenario $scenario"
    ;;
esac
echo "$scenario: passed"
