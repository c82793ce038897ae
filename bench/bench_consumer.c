/* twinshim_bench_consumer.exe: what the consumer side of a session costs a
 * message, apart from the host that posts it. Section 6's mean at two host
 * threads carries it: on two CPUs the callbacks run where the host threads
 * would.
 *
 * A sample: the front (bench_consumer_front.dll) is loaded, its session's
 * on_start held by the program's gate, and one host thread posts `records`
 * 64-byte records, which wait in the journal; then the gate opens, on_start
 * returns, and the plugin (bench_consumer_worker.dll, one shared counter
 * like section 6's) takes them all in batches of BENCH_MESSAGE_BATCH. The
 * time from the first record's arrival to the last, over records - 1, is
 * the sample: ns per record with nothing posting meanwhile. The pool is
 * limited to 1 thread and to 2 (the default), alternating, each sample a
 * session of its own; a warm-up round first. Keys, medians over the
 * rounds: consumer_ns_per_record_1t and _2t, and consumer_two_vs_one, the
 * median of each round's 2-thread sample over its 1-thread one.
 *
 * Output: one JSON object on stdout (bench/run-bench.sh merges it into
 * results.json); progress on stderr.
 * Usage: twinshim_bench_consumer [--rounds N] [--records N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twinshim/status.h"

#include "bench_program.h"
#include "bench_record.h"

#define FRONT_FILE L"bench_consumer_front.dll"
#define WORKER_FILE L"bench_consumer_worker.dll"
/* The default journal (4 MiB) holds 32,768 records of 64 bytes. */
#define MAX_RECORDS 30000
#define ARRIVAL_DEADLINE_MS 60000.0

typedef int (*post_function)(int call);
typedef void (*arm_function)(LONGLONG target, unsigned max_threads);
typedef int (*result_function)(LONGLONG *arrived, LONGLONG *first_ticks, LONGLONG *last_ticks);

/* One session: posts while on_start is held, then times the drain. */
static double drain_sample(int records, unsigned max_threads)
{
    wchar_t gate_name[64];
    HANDLE gate;
    HMODULE front;
    HMODULE worker;
    post_function post;
    result_function result;
    LONGLONG arrived;
    LONGLONG first;
    LONGLONG last;
    double deadline;

    _snwprintf(gate_name, sizeof gate_name / sizeof gate_name[0], L"twinshim_bench_consumer_gate_%lu",
               GetCurrentProcessId());
    gate_name[sizeof gate_name / sizeof gate_name[0] - 1] = L'\0';
    gate = CreateEventW(NULL, TRUE, FALSE, gate_name);
    if (gate == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
    front = load_bin(FRONT_FILE);
    worker = GetModuleHandleW(WORKER_FILE);
    if (worker == NULL)
        fail("%ls did not load %ls", FRONT_FILE, WORKER_FILE);
    post = (post_function)symbol(front, "bench_consumer_post");
    result = (result_function)symbol(worker, "bench_consumer_result");
    ((arm_function)symbol(worker, "bench_consumer_arm"))(records, max_threads);
    for (int call = 0; call < records; call++) {
        int status = post(call);

        if (status != SHIM_OK)
            fail("post %d of %d: %s", call, records, shim_status_text(status));
    }
    SetEvent(gate);
    deadline = now_ms() + ARRIVAL_DEADLINE_MS;
    while (!result(&arrived, &first, &last)) {
        if (now_ms() > deadline)
            fail("%lld of %d records arrived", arrived, records);
        Sleep(1);
    }
    FreeLibrary(front);
    wait_unmapped(worker, WORKER_FILE);
    CloseHandle(gate);
    return (double)(last - first) * 1e9 / (double)bench_frequency.QuadPart / (records - 1);
}

int main(int argc, char **argv)
{
    samples per_record[2] = { { .count = 0 }, { .count = 0 } };
    samples two_vs_one = { .count = 0 };
    int rounds = 7;
    int records = 20000;

    bench_init_plumbing();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            records = atoi(argv[++i]);
        else
            fail("usage: twinshim_bench_consumer [--rounds N] [--records N]");
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || records < 2 || records > MAX_RECORDS)
        fail("usage: twinshim_bench_consumer [--rounds 1..%d] [--records 2..%d]", MAX_ROUNDS, MAX_RECORDS);
    use_journal_folder(L"consumer");
    progress("the consumer alone: %d rounds of %d records, pools of 1 and 2 threads\n", rounds, records);
    for (int round = -1; round < rounds; round++) {
        double sample[2];

        /* Rotated: neither pool size always runs first. */
        for (int i = 0; i < 2; i++) {
            int threads = (i + (round < 0 ? 0 : round)) % 2;

            sample[threads] = drain_sample(records, (unsigned)threads + 1);
        }
        if (round < 0)
            continue;
        add_sample(&per_record[0], sample[0]);
        add_sample(&per_record[1], sample[1]);
        add_sample(&two_vs_one, sample[1] / sample[0]);
    }
    put_number("consumer_ns_per_record_1t", median_of(&per_record[0]));
    put_number("consumer_ns_per_record_2t", median_of(&per_record[1]));
    put_number("consumer_two_vs_one", median_of(&two_vs_one));
    put_number("consumer_records", records);
    put_number("consumer_rounds", rounds);
    put_number("consumer_message_batch", BENCH_MESSAGE_BATCH);
    print_results();
    return 0;
}
