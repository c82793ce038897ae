#!/bin/sh
# A private rsyslog for tests: Debian's rsyslogd (with rsyslog-relp), run as
# its own process on 127.0.0.1, with its own configuration, work directory,
# pid file and port in DIR. Never the system's rsyslog, its configuration or
# its sockets. Each command waits for what it promises, within a deadline.
#
#   rsyslog-harness.sh free-port              print a free TCP port on 127.0.0.1
#   rsyslog-harness.sh start DIR PORT [relp|tcp]
#       write DIR/rsyslog.conf and start rsyslogd -n -f DIR/rsyslog.conf -i
#       DIR/rsyslog.pid; return once it listens on 127.0.0.1:PORT. relp (the
#       default) takes RELP (imrelp); tcp is a plain TCP syslog listener
#       (imtcp), a peer that is not RELP. What arrives is appended to
#       DIR/received.log, one line per message: APP-NAME PROCID MSG.
#   rsyslog-harness.sh stop DIR       SIGTERM, return once the process is gone
#   rsyslog-harness.sh kill DIR       SIGKILL, return once the process is gone
#   rsyslog-harness.sh freeze DIR     SIGSTOP: it keeps its sockets and answers nothing
#   rsyslog-harness.sh thaw DIR       SIGCONT
#   rsyslog-harness.sh wait-lines DIR N SECONDS
#       return once DIR/received.log has at least N lines (exit 1 if not in time)
set -eu

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

# Debian installs it in /usr/sbin, which a user's PATH may not hold.
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
# Deadlines, in seconds, for rsyslogd to listen and to exit.
START_DEADLINE=${TWINSHIM_RSYSLOG_START_DEADLINE:-30}
STOP_DEADLINE=${TWINSHIM_RSYSLOG_STOP_DEADLINE:-30}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# True while something listens on 127.0.0.1:$1 or 0.0.0.0:$1 (IPv4):
# /proc/net/tcp lists local addresses in hex, state 0A is LISTEN.
listening() {
    hex=$(printf '%04X' "$1")
    awk -v port="$hex" 'NR > 1 && $4 == "0A" && ($2 == "0100007F:" port || $2 == "00000000:" port) { found = 1 }
        END { exit !found }' /proc/net/tcp
}

# Polls the condition "$@" every 50 ms for up to $deadline seconds.
wait_for() {
    deadline=$1
    shift
    tries=$((deadline * 20))
    while ! "$@"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.05
    done
}

write_config() {
    dir=$1 port=$2 kind=$3
    case $kind in
    relp)
        module='module(load="imrelp")'
        input="input(type=\"imrelp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"twinshim\")"
        ;;
    tcp)
        module='module(load="imtcp")'
        input="input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"twinshim\")"
        ;;
    *) usage ;;
    esac
    cat >"$dir/rsyslog.conf" <<EOF
# Written by scripts/rsyslog-harness.sh for one test: nothing of the system's.
global(workDirectory="$dir/work" maxMessageSize="128k")
$module
# What rsyslog has acknowledged survives its stop: a queue that goes to disk
# on shutdown and is read back at the next start (docs/sinks.md).
main_queue(queue.type="LinkedList" queue.filename="main" queue.saveOnShutdown="on")
template(name="twinshim_record" type="string" string="%app-name% %procid% %msg%\n")
ruleset(name="twinshim") {
    action(type="omfile" file="$dir/received.log" template="twinshim_record")
}
$input
*.* action(type="omfile" file="$dir/rsyslog-internal.log")
EOF
}

pid_of() {
    [ -s "$1/rsyslog.pid" ] && cat "$1/rsyslog.pid"
}

running() {
    pid=$(pid_of "$1") && kill -0 "$pid" 2>/dev/null
}

not_running() {
    ! running "$1"
}

start() {
    dir=$1 port=$2 kind=${3:-relp}
    mkdir -p "$dir/work"
    if running "$dir"; then
        echo "rsyslog-harness: rsyslogd already runs for $dir" >&2
        exit 1
    fi
    write_config "$dir" "$port" "$kind"
    rm -f "$dir/rsyslog.pid"
    "$rsyslogd" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" >>"$dir/rsyslogd.out" 2>&1 &
    if ! wait_for "$START_DEADLINE" listening "$port"; then
        echo "rsyslog-harness: rsyslogd ($kind) does not listen on 127.0.0.1:$port after ${START_DEADLINE} s:" >&2
        tail -n 20 "$dir/rsyslogd.out" "$dir/rsyslog-internal.log" >&2 2>/dev/null || true
        exit 1
    fi
    wait_for "$START_DEADLINE" pid_of "$dir" >/dev/null
}

stop() {
    dir=$1 signal=$2
    pid=$(pid_of "$dir") || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    if ! wait_for "$STOP_DEADLINE" not_running "$dir"; then
        echo "rsyslog-harness: rsyslogd $pid still runs ${STOP_DEADLINE} s after SIG$signal" >&2
        exit 1
    fi
    rm -f "$dir/rsyslog.pid"
}

has_lines() {
    [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

command=${1:-}
case $command in
free-port) free_port ;;
start) [ $# -ge 3 ] || usage; start "$2" "$3" "${4:-relp}" ;;
stop) [ $# -eq 2 ] || usage; stop "$2" TERM ;;
kill) [ $# -eq 2 ] || usage; stop "$2" KILL ;;
freeze | thaw)
    [ $# -eq 2 ] || usage
    pid=$(pid_of "$2") || { echo "rsyslog-harness: no rsyslogd for $2" >&2; exit 1; }
    if [ "$command" = freeze ]; then kill -STOP "$pid"; else kill -CONT "$pid"; fi
    ;;
wait-lines)
    [ $# -eq 4 ] || usage
    if ! wait_for "$4" has_lines "$2/received.log" "$3"; then
        echo "rsyslog-harness: $2/received.log has $(cat "$2/received.log" 2>/dev/null | wc -l) lines after $4 s, not $3" >&2
        exit 1
    fi
    ;;
*) usage ;;
esac
