# Sourced, not run: keeps one wineserver, with Wine's services, up in the
# project's prefix for a whole run of tests (wine_session_start, then
# wine_session_stop). Needs $top, the repository root.
#
# Without it, each Windows program started from Linux (every ctest suite)
# starts a wineserver and Wine's services, and the services, which inherit
# the program's standard output, hold ctest's pipe open until the server
# shuts down after its last program: about 2 s added to every suite (a
# 0.3 s suite took 2.45 s; 0.4 s with the session).
#
# The session is one Windows program, `cmd /c pause`, started first, so the
# services it starts get /dev/null; it reads a FIFO whose only writer is
# this shell's descriptor 9. Closing that descriptor (wine_session_stop, or
# this shell's end, however it ends) ends the program, and Wine then ends
# the server as after any last program: nothing is killed.
# Commands run meanwhile should not inherit descriptor 9 (`9>&-`), or the
# session lasts as long as they do.

wine_session_start() {
    wine_session_dir=$(mktemp -d "${TMPDIR:-/tmp}/twinshim-wine-session.XXXXXX") || return 1
    mkfifo "$wine_session_dir/fifo" || return 1
    "$top/cmake/wine-run" cmd.exe /c pause < "$wine_session_dir/fifo" > "$wine_session_dir/out" 2>&1 9>&- &
    wine_session_pid=$!
    exec 9> "$wine_session_dir/fifo"
    # Up once `pause` has printed its prompt (a new prefix is booted first,
    # which takes seconds to minutes).
    wine_session_waited=0
    while [ ! -s "$wine_session_dir/out" ]; do
        if ! kill -0 "$wine_session_pid" 2>/dev/null || [ "$wine_session_waited" -ge 6000 ]; then
            echo "wine-session: the Wine session did not start:" >&2
            cat "$wine_session_dir/out" >&2
            wine_session_stop
            return 1
        fi
        sleep 0.1
        wine_session_waited=$((wine_session_waited + 1))
    done
}

# The session ends within seconds of its input closing. After a wineserver
# crash it never does (docs/wine-vs-windows.md, section 21: its wait on the
# server is not woken), so it is given 30 s, then ended; what the server
# said (it writes to the program that started it, the session) is shown.
wine_session_stop() {
    exec 9>&-
    wine_session_waited=0
    while kill -0 "$wine_session_pid" 2>/dev/null && [ "$wine_session_waited" -lt 300 ]; do
        sleep 0.1
        wine_session_waited=$((wine_session_waited + 1))
    done
    if kill -0 "$wine_session_pid" 2>/dev/null; then
        echo "wine-session: the Wine session did not end 30 s after its input closed; ending it" >&2
        kill -9 "$wine_session_pid" 2>/dev/null
    fi
    wait "$wine_session_pid" 2>/dev/null
    if grep -q 'wineserver crashed' "$wine_session_dir/out" 2>/dev/null; then
        echo "wine-session: the wineserver crashed during the run; every program connected to it ended with status 0:" >&2
        cat "$wine_session_dir/out" >&2
    fi
    rm -rf "$wine_session_dir"
}
