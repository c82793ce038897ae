#!/bin/sh
# Builds the journal reader's fuzz target natively (Clang, libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer) and fuzzes it:
#   workerdll/fuzz/run-fuzz.sh [seconds]
# (default: TWINSHIM_JOURNAL_FUZZ_SECONDS, else 20). ctest runs it for a short
# while (`make test`), host_test/run-torture.sh for longer (`make torture`).
# Seeds: the real journals in workerdll/fuzz/seeds/ (left by processes that
# died, in test_journal_recovery) and the synthetic ones make-seeds.py
# writes. Work folder: build/journal-fuzz/ (the log is fuzz.log there, an
# input that failed goes to crashes/). Exits non-zero on any failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:-${TWINSHIM_JOURNAL_FUZZ_SECONDS:-20}}
work=${TWINSHIM_JOURNAL_FUZZ_DIR:-$top/build/journal-fuzz}
build=$work/build

mkdir -p "$work"
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug > "$work/configure.log" 2>&1 || {
    cat "$work/configure.log"
    echo "run-fuzz.sh: configuring the journal fuzz target failed" >&2
    exit 1
}
cmake --build "$build" > "$work/build.log" 2>&1 || {
    cat "$work/build.log"
    echo "run-fuzz.sh: building the journal fuzz target failed" >&2
    exit 1
}

rm -rf "$work/corpus" "$work/crashes"
mkdir -p "$work/corpus" "$work/crashes"
python3 "$here/make-seeds.py" "$work/corpus" "$here"/seeds/*

# -max_len: a whole journal of the smallest ring (68 KiB) with room to spare;
# shorter inputs are also read as the start of a journal (fuzz_journal.c).
echo "run-fuzz.sh: fuzzing the journal reader for ${seconds}s ($(ls "$work/corpus" | wc -l) seeds)"
if ! (cd "$work" && "$build/journal_fuzz" -max_total_time="$seconds" -max_len=70000 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix=crashes/ -print_final_stats=1 corpus 2> fuzz.log); then
    tail -n 60 "$work/fuzz.log"
    echo "run-fuzz.sh: the journal fuzzer found a failure; the input is in $work/crashes/" >&2
    exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done)' "$work/fuzz.log" || true
grep -E '^#[0-9]+' "$work/fuzz.log" | tail -n 1
