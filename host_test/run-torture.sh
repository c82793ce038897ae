#!/bin/sh
# The torture suite at full size, then docs/reliability.md from its
# results. Run it from the repository root, after the main build:
#   host_test/run-torture.sh
# It runs each host_test/test_torture_* program under Wine, first at its CI size
# (the defaults, what `make test` runs through ctest) and then at its full size,
# collects the "torture-result:" lines they print, and writes the report.
#
# Environment:
#   TWINSHIM_PRESET          build preset (mingw-x64-gcc)
#   TWINSHIM_FUZZ_SECONDS    also fuzz shimgen's PE reader this long (libFuzzer,
#                            shimgen_fuzz_exports from build/shimgen-clang) and
#                            report it
#   TWINSHIM_FUZZ_LOG        or: report an earlier libFuzzer run from its log
#                            (-print_final_stats=1 output)
#   TWINSHIM_JOURNAL_FUZZ_SECONDS  how long to fuzz the journal reader
#                            (workerdll/fuzz/run-fuzz.sh; default 300, 0: not)
# The "Fault injection" section of an existing docs/reliability.md, between
# its markers, is kept as it is; so are its PE-reader fuzzing figures, between
# theirs, when this run does not fuzz (they name the run they come from).
set -u

top=$(pwd)
[ -f "$top/host_test/run-torture.sh" ] || { echo "run-torture.sh: run it from the repository root" >&2; exit 2; }
preset=${TWINSHIM_PRESET:-mingw-x64-gcc}
bin=$top/build/$preset/bin
out=$top/build/torture
report=$top/docs/reliability.md
wine_run=$top/cmake/wine-run
mkdir -p "$out"
: > "$out/results-ci.txt"
: > "$out/results-full.txt"
failed=0

cmake --build --preset "$preset" --parallel "$(nproc 2>/dev/null || echo 2)" > "$out/build.log" 2>&1 || {
    tail -n 30 "$out/build.log"
    echo "run-torture.sh: the build failed" >&2
    exit 1
}
# One wineserver for every program (scripts/wine-session.sh).
. "$top/scripts/wine-session.sh"
wine_session_start || exit 1

# Full sizes: name of the variable, value, and the program it applies to.
full_sizes() {
    case "$1" in
        test_torture_load) echo "TWINSHIM_TORTURE_CYCLES=10000" ;;
        test_torture_loader_lock) echo "TWINSHIM_TORTURE_LOADER_CYCLES=1000" ;;
        test_torture_free_from_callback) echo "TWINSHIM_TORTURE_FREE_CYCLES=1000" ;;
        test_torture_exit) echo "TWINSHIM_TORTURE_EXIT_RUNS=50" ;;
        test_exit_hang) echo "TWINSHIM_EXIT_HANG_RUNS=1000" ;;
        *) echo "" ;;
    esac
}

programs="test_torture_load test_torture_loader_lock test_torture_free_from_callback test_torture_exit test_torture_security
test_exit_hang"

run_one() { # program size-label [VAR=value]
    program=$1
    label=$2
    log=$out/$program-$label.log
    shift 2
    echo "== $program ($label${1:+, $1})"
    start=$(date +%s)
    if env "$@" "$wine_run" "$bin/$program.exe" > "$log" 2>&1 9>&-; then
        status=pass
    else
        status=fail
        failed=1
        tail -n 20 "$log"
    fi
    end=$(date +%s)
    grep '^torture-result:' "$log" | sed "s/\$/ program=$program wall=$((end - start))/" >> "$out/results-$label.txt"
    grep '^torture-result:' "$log" | sed 's/^torture-result: /   /'
    echo "   $program: $status in $((end - start)) s"
    if [ "$status" = fail ] && ! grep -q '^torture-result:' "$log"; then
        echo "torture-result: scenario=$program size=? cycles=0 calls=0 lost=? handles_leaked=? modules_leaked=? failures=1 seconds=0 result=fail program=$program wall=$((end - start))" \
            >> "$out/results-$label.txt"
    fi
}

for program in $programs; do
    run_one "$program" ci
done
for program in $programs; do
    size=$(full_sizes "$program")
    [ -n "$size" ] || continue
    run_one "$program" full "$size"
done

# The journal (issue 24): its suites at full size, the kill -9 script, and
# the journal reader's fuzz target. Each line of journal-results.txt:
# name, sizes, result, seconds.
: > "$out/journal-results.txt"
run_journal() { # label [VAR=value...] command...
    label=$1
    shift
    log=$out/journal-$label.log
    sizes=""
    for word in "$@"; do
        case "$word" in
            *_DIR=*) ;; # where it works, not how big
            *=*) sizes="$sizes $word" ;;
            *) break ;;
        esac
    done
    echo "== $label ($sizes )"
    start=$(date +%s)
    if env "$@" > "$log" 2>&1 9>&-; then
        status=pass
    else
        status=fail
        failed=1
        tail -n 20 "$log"
    fi
    end=$(date +%s)
    echo "   $label: $status in $((end - start)) s"
    echo "$label|${sizes# }|$status|$((end - start))" >> "$out/journal-results.txt"
}
run_journal survival TWINSHIM_TORTURE_JOURNAL_RUNS=30 "$wine_run" "$bin/test_journal_survival.exe"
run_journal recovery TWINSHIM_TORTURE_RECOVERY_RACES=30 TWINSHIM_TORTURE_RECOVERY_MANY_ROUNDS=60 \
    "$wine_run" "$bin/test_journal_recovery.exe"
run_journal kill-9 TWINSHIM_TORTURE_KILL_RUNS=20 TWINSHIM_TORTURE_KILL_CALLS=20000 \
    sh "$top/host_test/journal-kill.sh" "$bin"
# The sinks (issue 26): rsyslog stopped for 30 s while records flow, then
# started again: every record arrives, each once (make test stops it 3 s).
run_journal sink-outage-30s TWINSHIM_SINK_OUTAGE_SECONDS=30 \
    sh "$top/sinks/tests/test_sinks_rsyslog.sh" "$top/build/$preset" restart_flowing
journal_fuzz_seconds=${TWINSHIM_JOURNAL_FUZZ_SECONDS:-300}
if [ "$journal_fuzz_seconds" -gt 0 ]; then
    run_journal journal-fuzz TWINSHIM_JOURNAL_FUZZ_SECONDS="$journal_fuzz_seconds" \
        TWINSHIM_JOURNAL_FUZZ_DIR="$out/journal-fuzz" \
        sh "$top/workerdll/fuzz/run-fuzz.sh" "$journal_fuzz_seconds"
fi

wine_session_stop
# test_exit_hang's runs, one line each, for docs/wine-vs-windows.md.
for order in after before; do
    [ -f "$bin/exit-hang-$order.csv" ] && cp "$bin/exit-hang-$order.csv" "$out/exit-hang-$order.csv"
done

# Fuzzing: run it now, or report an earlier run.
fuzz_log=${TWINSHIM_FUZZ_LOG:-}
fuzz_seconds_asked=""
if [ -n "${TWINSHIM_FUZZ_SECONDS:-}" ]; then
    fuzzer=$top/build/shimgen-clang/shimgen_fuzz_exports
    if [ -x "$fuzzer" ]; then
        fuzz_dir=$out/fuzz
        rm -rf "$fuzz_dir"
        mkdir -p "$fuzz_dir/seeds" "$fuzz_dir/new" "$fuzz_dir/crashes"
        cp "$top"/shimgen/fuzz/seeds/* "$fuzz_dir/seeds/"
        [ -d "$top/shimgen/fuzz/corpus" ] && cp "$top"/shimgen/fuzz/corpus/* "$fuzz_dir/seeds/" 2>/dev/null
        echo "== fuzzing shimgen's PE reader for ${TWINSHIM_FUZZ_SECONDS}s"
        (cd "$fuzz_dir" && "$fuzzer" -max_total_time="$TWINSHIM_FUZZ_SECONDS" -max_len=65536 -timeout=10 \
            -artifact_prefix=crashes/ -print_final_stats=1 new seeds 2> fuzz.log) || failed=1
        fuzz_log=$fuzz_dir/fuzz.log
        fuzz_seconds_asked=$TWINSHIM_FUZZ_SECONDS
    else
        echo "run-torture.sh: $fuzzer is missing (run shimgen/run-tests.sh once)" >&2
        failed=1
    fi
fi

# The report.
fault_section=$out/fault-injection.md
if [ -f "$report" ] && grep -q '<!-- fault-injection:begin -->' "$report"; then
    sed -n '/<!-- fault-injection:begin -->/,/<!-- fault-injection:end -->/p' "$report" > "$fault_section"
else
    cat > "$fault_section" <<'EOF'
<!-- fault-injection:begin -->
**Placeholder, to be filled by the fault-injection work** (the test-only hook in
`frontdll/` and `workerdll/`, `host_test/test_fault_injection.c`): for each
resource acquisition made to fail, whether the host stayed healthy, the reason
the front gave, and the handle and module counts against their baseline.
`run-torture.sh` keeps whatever is written between these two markers.
<!-- fault-injection:end -->
EOF
fi

# The PE reader's fuzzing figures: a run that does not fuzz keeps those of
# the report before (they say which run they are from).
fuzz_section=$out/fuzzing.md
: > "$fuzz_section"
if [ -f "$report" ] && grep -q '<!-- fuzzing:begin -->' "$report"; then
    sed -n '/<!-- fuzzing:begin -->/,/<!-- fuzzing:end -->/p' "$report" > "$fuzz_section"
fi
run_stamp="$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

table() { # results file
    echo "| scenario | program | size | cycles run | calls | callbacks lost | handles leaked | modules leaked | failed runs | time (s) | result |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    awk '{
        delete f
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f["scenario"], f["program"], f["size"],
            f["cycles"], f["calls"], f["lost"], f["handles_leaked"], f["modules_leaked"], f["failures"],
            f["seconds"], f["result"]
    }' "$1"
}

fuzz_figure() { # name
    grep "^stat::$1:" "$fuzz_log" 2>/dev/null | tail -n 1 | awk '{print $2}'
}

{
    cat <<'EOF'
# Reliability: the torture suite

Generated by `host_test/run-torture.sh` (do not edit by hand, except the
fault-injection section between its markers). It runs each torture program
under Wine 8 at its CI size and at its full size, and copies the
`torture-result:` lines they print. Wine, not Windows: see
[wine-vs-windows.md](wine-vs-windows.md) for what that does and does not prove.

EOF
    echo "Last run: $run_stamp, $(nproc 2>/dev/null || echo '?') CPUs, $(wine --version 2>/dev/null || echo 'wine ?')."
    echo
    if [ "$failed" -eq 0 ]; then
        echo "Every program passed."
    else
        echo "**At least one program failed in this run**: see the result column and \`build/torture/*.log\`."
    fi
    cat <<'EOF'

## How to read the columns

- **cycles run**: load/use/unload cycles (or child processes, or repetitions)
  that ran to the end.
- **calls**: legacy calls or jobs submitted through the front in those cycles.
- **callbacks lost**: submitted, but neither run nor cancelled (for the
  legacy front: calls with no audit line, or with more than one).
- **handles leaked**: the process's handle count at the end minus its
  baseline, taken after a warm-up cycle with nothing of ours loaded. No
  tolerance: the test waits up to 5 s for the count to come down, then
  reports the difference. Wine 8's `GetProcessHandleCount` is a stub that
  answers 0, so under Wine the count asks about each handle value in turn
  (`GetHandleInformation`), up to 2,048 values past the highest valid one
  seen (`process_handle_count` in `host_test/support/test_support.c`). Not
  the system's handle table: Wine 8's wineserver can crash on that query
  (docs/wine-vs-windows.md, section 19).
- **modules leaked**: modules loaded at the end (`LdrEnumerateLoadedModules`, under the loader lock) minus
  the same baseline; the tests also check by name that the front, the original
  and the worker are gone.
- **failed runs**: child processes that hung or ended with another exit code
  than their own.
- **n/a**: not measured; the scenario ends its process (the exit scenarios) or
  only checks a property (security).

## Full size

EOF
    table "$out/results-full.txt"
    cat <<'EOF'

## CI size (what `make test` runs, through ctest)

Each program's defaults are its CI sizes; ctest runs them with the rest of
`host_test` (each under a 300 s ctest timeout, every wait inside with its own
deadline).

| program | variable | CI size | full size |
|---|---|---:|---:|
| `test_torture_load` | `TWINSHIM_TORTURE_CYCLES` (4 threads, 4 calls per cycle) | 2,000 | 10,000 |
| `test_torture_loader_lock` | `TWINSHIM_TORTURE_LOADER_CYCLES` | 100 | 1,000 |
| `test_torture_free_from_callback` | `TWINSHIM_TORTURE_FREE_CYCLES` (100 jobs each) | 50 | 1,000 |
| `test_torture_exit` | `TWINSHIM_TORTURE_EXIT_RUNS` (per mode) | 5 | 50 |
| `test_torture_security` | none | 1 | 1 |
| `test_exit_hang` | `TWINSHIM_EXIT_HANG_RUNS` (child processes per order, 2 at a time) | 100 | 1,000 |

EOF
    table "$out/results-ci.txt"
    cat <<'EOF'

## What each scenario does

- **load-unload-4-threads** (`test_torture_load.c`): 4 host threads load
  the example front (`legacy.dll`, with `legacy_orig.dll` and
  `legacy_worker.dll`, audit log on), call `legacy_add` 4 times and free it
  at once, so the audit records are still queued. They work in rounds of one
  cycle each: within a round their loads and frees race each other, and
  after each round nobody holds the front, so it is unmapped (checked every
  round) and the next round's attach races the previous session's drain. At
  the end: the worker is gone, every call has exactly one audit line with the
  right arguments and result, and handles and modules are back to baseline.
- **loader-lock-during-stop** (`test_torture_loader_lock.c`): work callbacks
  call LoadLibrary/FreeLibrary of `version.dll`, GetModuleHandle(Ex) and
  GetProcAddress in a loop until the stop is requested, then 20 more rounds
  while it goes on; a host thread does the same all along. Drain and cancel
  policies alternate, and each load overlaps the previous session's stop.
  No deadlock (every wait has a deadline), every job ran or was cancelled.
- **free-in-host-pool-callback**, **free-when-host-callback-returns**,
  **free-in-thread-detach** (`test_torture_free_from_callback.c`): the host
  frees the front from its own `TrySubmitThreadpoolCallback` callback (with
  FreeLibrary, and with FreeLibraryWhenCallbackReturns), or another module
  (`fixtures/thread_detach_freer.c`) frees it from its DllMain at
  DLL_THREAD_DETACH of a marked thread, with 100 jobs queued each time. Every
  job runs and the worker unloads. Freeing from DllMain is documented as
  unsafe (FreeLibrary page); hosts do it anyway, and the front survives it
  because its detach only signals and returns.
- **exit-in-callback**, **exit-in-callback-during-drain**,
  **terminate-while-work-runs**, **terminate-during-drain**,
  **exit-while-reloading** (`test_torture_exit.c`, `torture_exit_child.c`):
  child processes that end through ExitProcess inside a worker callback (with
  work running and queued, or during the drain), through TerminateProcess
  from the parent (with work running, or during the drain), or through
  ExitProcess while another thread loads and frees the front in a loop. Each
  must end with its own exit code within 30 s. Process exit in the phases of
  `test_process_exit.c` (work queued, drain, before the session thread ran,
  front from the import table) is not repeated here.
- **exit-while-calls-run-after**, **exit-while-calls-run-before**
  (`test_exit_hang.c`, `exit_hang_child.c`): child processes whose main
  thread calls ExitProcess while two threads keep calling the front's
  `legacy_add`, and another DLL (`fixtures/detach_caller.c`), loaded after or
  before the front, calls it from its own process-exit detach. Every run must
  end with its own exit code within 30 s (a late child is reported with the
  stack of each of its threads), and the detach-time call must return the
  original's result and reach the audit log. Each run's timings and what its
  exit handed over are in `build/torture/exit-hang-*.csv`; what they show is
  in [wine-vs-windows.md](wine-vs-windows.md), "Exit while calls run".
- **planted-dlls-never-loaded** (`test_torture_security.c`): a DLL that
  records its own load is planted as `test_worker.dll`, `legacy_worker.dll`
  and `legacy_orig.dll` in the current directory, a folder on PATH, the
  Windows directory and the system directory (then deleted). Fronts without a
  worker, without an original, and with a full installation never load it; a
  load by name does (control), and so does the front when the recorder sits
  in its own folder (control).
- **process-settings-unchanged** (`test_torture_security.c`): current
  directory, GetDllDirectoryW, GetErrorMode, GetThreadErrorMode and the whole
  environment block (PATH included) are the same before, while loaded and
  after, for a front with a worker and one in pass-through.
  SetDefaultDllDirectories and SetSearchPathMode have no getter and are not
  checked at run time.

## Process exit and handle lifetimes (in `make test`, not sized here)

These suites run in `make test` at one size; this script does not run them.

- **Exit delivery** (`test_exit_delivery.c`): programs make their calls
  through the legacy front and return from `main` at once (LoadLibrary kept,
  LoadLibrary freed just before returning, and import table), 50 runs each:
  every call is in the audit log; the only extra lines are ones marked as
  possible repeats. With the test worker: messages cut off mid-`on_message`
  arrive with `possible_repeat` set, the queued ones without, also through
  the worker's own detach when the front was freed first, and with a
  message batch that held the cut-off job and seven queued ones (those
  arrive unmarked); a worker without the hook has them all counted in
  `lost_at_exit`.
- **I/O close races** (`test_io_close_races.c`): 3,000 rounds each of a
  completion racing `shim_io_close` on another thread, and of a start from
  the completion racing it; `on_closed` poisons the context, and no callback
  may find it poisoned.
- **Queue blocks** (`test_queue_blocks.c`): four host threads post 20,000
  messages each, across about 1,300 queue blocks, to one callback: every
  message arrives once and each thread's in the order it posted them. With
  the queue allowed two blocks beyond its own (fault injection) and its one
  callback held, a post is refused with `SHIM_E_OUT_OF_MEMORY`; everything
  queued before it arrives, and once read the blocks carry as many again.
- **Message batches** (`test_message_batch.c`): with a batch of 8, a
  message taken with a held one waits for it while another callback is
  free (so the batch is taken), and under the cancel policy the rest of a
  held batch is cancelled, never run, after the stop.
- **Front clock** (`test_front_clock.c`): `shim_front_utc_now` on two
  threads for 300 ms stays within 1 ms of `GetSystemTimePreciseAsFileTime`
  read around each call (a rate 2% off fails it).
- **Handle close** (`test_handle_close.c`), **planted dependency**
  (`test_planted_dependency.c`) and **cancel policy**
  (`test_cancel_policy.c`): close from any thread, 2,000 timers created and
  closed without the heap growing, a dependency of the original planted in
  the current directory and on PATH never loaded, nothing queued run while
  `on_stopping` runs.

## Fault injection

EOF
    cat "$fault_section"
    cat <<'EOF'

## The journal

What survives the death of a process, and what recovery does with journals
that are not what a clean death leaves (issue 24), at full size. In `make
test` the same programs run at their CI sizes: `test_journal_survival` 3
runs per way of dying, `test_journal_recovery` 3 rounds of two recoverers
and 6 rounds of 15 journals at once, `journal-kill.sh` 2 runs per spacing
of at least 2,000 (200 us apart) and 20,000 (flat out) returned calls, the
journal fuzz target for 20 s.

| what | sizes | result | time (s) |
|---|---|---|---:|
EOF
    awk -F'|' '{ printf "| %s | `%s` | %s | %s |\n", $1, $2, $3, $4 }' "$out/journal-results.txt"
    if [ -f "$out/journal-fuzz/fuzz.log" ]; then
        echo
        echo "The journal reader's fuzz target (\`workerdll/fuzz/fuzz_journal.c\`, libFuzzer with ASan and"
        echo "UBSan), last status line: \`$(grep -E '^#[0-9]+' "$out/journal-fuzz/fuzz.log" | tail -n 1)\`"
    fi
    cat <<'EOF'

## Fuzzing

EOF
    if [ -n "$fuzz_log" ] && [ -f "$fuzz_log" ]; then
        runs=$(fuzz_figure number_of_executed_units)
        speed=$(fuzz_figure average_exec_per_sec)
        new_units=$(fuzz_figure new_units_added)
        rss=$(fuzz_figure peak_rss_mb)
        done_line=$(grep '^Done ' "$fuzz_log" | tail -n 1)
        last=$(grep -E '^#[0-9]+' "$fuzz_log" | tail -n 1)
        cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
        ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
        corp=$(echo "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
        crashes=0
        [ -d "$(dirname "$fuzz_log")/crashes" ] && crashes=$(ls "$(dirname "$fuzz_log")/crashes" | wc -l)
        echo "<!-- fuzzing:begin -->"
        echo "From the run of $run_stamp."
        echo
        echo "shimgen's PE-reader fuzz target (\`shimgen/fuzz/fuzz_exports.c\`, libFuzzer with ASan and"
        echo "UBSan, \`-max_len=65536 -timeout=10\`), seeded like \`shimgen/run-tests.sh\` (the seeds in"
        echo "\`shimgen/fuzz/seeds/\`, the test fixtures, six small Wine DLLs):"
        echo
        echo "| figure | value |"
        echo "|---|---:|"
        [ -n "$fuzz_seconds_asked" ] && echo "| time asked | ${fuzz_seconds_asked} s |"
        echo "| run | ${done_line:-?} |"
        echo "| executions | ${runs:-?} |"
        echo "| executions per second | ${speed:-?} |"
        echo "| coverage (edges, \`cov\`) | ${cov:-?} |"
        echo "| features (\`ft\`) | ${ft:-?} |"
        echo "| corpus at the end (inputs/size) | ${corp:-?} |"
        echo "| new inputs added | ${new_units:-?} |"
        echo "| peak RSS | ${rss:-?} MB |"
        echo "| crashes, leaks, timeouts found | $crashes |"
        echo
        grown=$(dirname "$fuzz_log")/new
        if [ -d "$grown" ]; then
            echo "This run grew $(ls "$grown" | wc -l) inputs ($(du -sh "$grown" | cut -f1)). The kept corpus is"
            echo "\`shimgen/fuzz/corpus/\`: merge new findings into it with the fuzzer's \`-merge=1\`."
            echo
        fi
        echo "CI (\`make test\` through \`shimgen/run-tests.sh\`) fuzzes for \`SHIMGEN_FUZZ_SECONDS\`"
        echo "(default 30 s) only."
        echo "<!-- fuzzing:end -->"
    elif [ -s "$fuzz_section" ]; then
        echo "This run did not fuzz the PE reader: the figures below are kept from the run they name."
        echo
        cat "$fuzz_section"
    else
        cat <<'EOF'
**Placeholder**: no fuzzing run was reported by this run of `run-torture.sh`.
Run it with `TWINSHIM_FUZZ_SECONDS=600` (or `SHIMGEN_FUZZ_SECONDS=600
shimgen/run-tests.sh`, then `TWINSHIM_FUZZ_LOG=build/shimgen-fuzz/fuzz.log`)
to fill this section. CI fuzzes for 30 s (`SHIMGEN_FUZZ_SECONDS`).
EOF
    fi
} > "$report"

echo
echo "run-torture.sh: wrote $report"
exit "$failed"
