/* Section 2: FreeLibrary(front) with 0, 100 and 10,000 callbacks pending,
 * against the naive front that drains inside DllMain (in child processes
 * with a deadline, since it may deadlock). */
#include <stdio.h>
#include <wchar.h>

#include "twinshim/status.h"

#include "bench_program.h"

#define CHILD_START_DEADLINE_MS 60000u
#define NAIVE_FREE_DEADLINE_MS 3000u /* about 50 times the naive drain of 10,000 items */
#define CHILD_FAILED 0xBE000000u     /* child exit codes from here up are failures */
#define FREE_SPIN_US 10u             /* work per pending callback */
/* twinshim's unloads take a tenth of a millisecond, and the machine's noise
 * moves one by half of that: several per round, each pending count right
 * after the others, so that a ratio compares neighbours. */
#define TWINSHIM_SAMPLES_PER_ROUND 5

static const LONG pending_counts[] = { 0, 100, 10000 };
#define PENDING_COUNTS ((int)(sizeof pending_counts / sizeof pending_counts[0]))

typedef struct free_sample {
    double free_ms; /* FreeLibrary(front) */
    double gone_ms; /* FreeLibrary(front) to the worker unmapped */
    double pending; /* callbacks not yet finished when FreeLibrary was called */
} free_sample;

/* Loads bench_front.dll, queues `pending` callbacks of FREE_SPIN_US each and
 * frees the front. With hold, both pool threads are first held in gated
 * callbacks, so every one of the `pending` callbacks is still queued. */
static free_sample twinshim_free(LONG pending, BOOL hold)
{
    static bench_run held;
    static bench_run work;
    HANDLE gate = bench_events[2];
    front f = load_front(L"bench_front.dll", L"bench_worker.dll");
    HMODULE worker = f.worker;
    bench_message message;
    free_sample s;
    double start;

    warm_front(&f);
    if (hold) {
        bench_message gated = { &held, gate };

        ResetEvent(gate);
        start_run(&held, 2, 0, bench_events[1]);
        for (int i = 0; i < 2; i++)
            if (f.post(&gated) != SHIM_OK)
                fail("a gated post was refused");
        wait_started(&held, 2);
    }
    start_run(&work, pending > 0 ? pending : 1, FREE_SPIN_US, bench_events[0]);
    message.run = &work;
    message.gate = NULL;
    for (LONG i = 0; i < pending; i++)
        if (f.post(&message) != SHIM_OK)
            fail("a pending post was refused");
    s.pending = (double)(pending - InterlockedCompareExchange(&work.done, 0, 0));

    start = now_ms();
    FreeLibrary(f.module);
    s.free_ms = now_ms() - start;
    if (hold)
        SetEvent(gate);
    s.gone_ms = wait_unmapped(worker, L"bench_worker.dll") - start;
    if (work.done != pending || (hold && held.done != 2))
        fail("the worker left before its drain ended (%ld of %ld)", work.done, pending);
    return s;
}

/* Runs `twinshim_bench --naive-child` and returns its FreeLibrary time, or a
 * negative value when it did not return within the deadline. A warm child
 * has run one callback first, so its pool has a thread; a cold one queues
 * its work on a pool that has none yet, right before the unload. */
static double naive_free(LONG pending, BOOL warm)
{
    SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
    HANDLE about_to_free = CreateEventW(&inherit, TRUE, FALSE, NULL);
    wchar_t command[PATH_CAPACITY + 128];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION child;
    HANDLE both[2];
    DWORD code = CHILD_FAILED;
    double ms = -1.0;

    if (about_to_free == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
    _snwprintf(command, sizeof command / sizeof command[0], L"\"%ls\" --naive-child %ld %u %lu %d",
               bench_exe_path, pending, FREE_SPIN_US, (unsigned long)(ULONG_PTR)about_to_free, warm ? 1 : 0);
    command[sizeof command / sizeof command[0] - 1] = L'\0';
    if (!CreateProcessW(bench_exe_path, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child))
        fail("cannot start the naive child (error %lu)", GetLastError());
    both[0] = about_to_free;
    both[1] = child.hProcess;
    if (WaitForMultipleObjects(2, both, FALSE, CHILD_START_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("the naive child failed before its FreeLibrary");
    if (WaitForSingleObject(child.hProcess, NAIVE_FREE_DEADLINE_MS) != WAIT_OBJECT_0) {
        /* Its FreeLibrary never returned: the drain inside DllMain is stuck. */
        TerminateProcess(child.hProcess, CHILD_FAILED);
        WaitForSingleObject(child.hProcess, MODULE_DEADLINE_MS);
    } else {
        GetExitCodeProcess(child.hProcess, &code);
        if (code >= CHILD_FAILED)
            fail("the naive child failed (exit code 0x%lx)", (unsigned long)code);
        ms = (double)code / 1000.0;
    }
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
    CloseHandle(about_to_free);
    return ms;
}

/* The child: load the naive front, queue `pending` callbacks, free it, exit
 * with the FreeLibrary time in microseconds. */
int naive_child(LONG pending, unsigned spin_us, HANDLE about_to_free, BOOL warm)
{
    static bench_run warm_run;
    static bench_run work;
    HMODULE naive = load_bin(L"bench_naive.dll");
    bench_naive_post_function post = (bench_naive_post_function)symbol(naive, "bench_naive_post");
    double start;
    double ms;

    if (warm) {
        start_run(&warm_run, 1, 0, CreateEventW(NULL, TRUE, FALSE, NULL));
        post(&warm_run);
        wait_run(&warm_run, "naive warm-up");
    }
    start_run(&work, pending > 0 ? pending : 1, spin_us, CreateEventW(NULL, TRUE, FALSE, NULL));
    for (LONG i = 0; i < pending; i++)
        post(&work);
    SetEvent(about_to_free);
    start = now_ms();
    FreeLibrary(naive);
    ms = now_ms() - start;
    if (work.done != pending)
        return (int)CHILD_FAILED;
    return (int)(ms * 1000.0);
}

void free_latency(const options *o)
{
    samples tw_free[PENDING_COUNTS] = { { .count = 0 } };
    samples tw_gone[PENDING_COUNTS] = { { .count = 0 } };
    samples tw_pending[PENDING_COUNTS] = { { .count = 0 } };
    samples held_free[PENDING_COUNTS] = { { .count = 0 } };
    samples held_gone[PENDING_COUNTS] = { { .count = 0 } };
    samples naive[PENDING_COUNTS] = { { .count = 0 } };
    samples naive_cold[PENDING_COUNTS] = { { .count = 0 } };
    int naive_deadlocks[PENDING_COUNTS] = { 0 };
    int naive_cold_deadlocks[PENDING_COUNTS] = { 0 };
    samples ratio;
    char key[96];
    const int last = PENDING_COUNTS - 1;

    progress("2. FreeLibrary(front) with 0, 100 and 10000 pending callbacks of %u us, %d rounds of %d "
             "each (the naive front once per round, in child processes, deadline %u ms)\n",
             FREE_SPIN_US, o->free_rounds, TWINSHIM_SAMPLES_PER_ROUND, NAIVE_FREE_DEADLINE_MS);
    for (int round = -1; round < o->free_rounds; round++) {
        int rotation = round < 0 ? 0 : round;

        for (int sample = 0; sample < TWINSHIM_SAMPLES_PER_ROUND; sample++) {
            for (int i = 0; i < 2 * PENDING_COUNTS; i++) {
                /* Rotate which count, and which of held or not, goes first. */
                int p = (i / 2 + rotation + sample) % PENDING_COUNTS;
                BOOL hold = (i + rotation) % 2 == 1;
                free_sample s = twinshim_free(pending_counts[p], hold);

                if (round < 0)
                    continue;
                add_sample(hold ? &held_free[p] : &tw_free[p], s.free_ms);
                add_sample(hold ? &held_gone[p] : &tw_gone[p], s.gone_ms);
                if (!hold)
                    add_sample(&tw_pending[p], s.pending);
            }
        }
        /* No warm-up round for the child processes. */
        for (int p = 0; p < PENDING_COUNTS && round >= 0; p++) {
            for (int k = 0; k < 2; k++) {
                BOOL warm = (k + round) % 2 == 0;
                double ms = naive_free(pending_counts[p], warm);

                if (ms < 0)
                    (warm ? naive_deadlocks : naive_cold_deadlocks)[p]++;
                else
                    add_sample(warm ? &naive[p] : &naive_cold[p], ms);
            }
        }
        progress(round < 0 ? "  warm-up done\n" : "  round %d of %d done\n", round + 1, o->free_rounds);
    }

    for (int p = 0; p < PENDING_COUNTS; p++) {
        snprintf(key, sizeof key, "free_ms_twinshim_%ld", pending_counts[p]);
        put_stats(key, &tw_free[p]);
        snprintf(key, sizeof key, "free_ms_twinshim_held_%ld", pending_counts[p]);
        put_stats(key, &held_free[p]);
        snprintf(key, sizeof key, "pending_at_free_twinshim_%ld_median", pending_counts[p]);
        put_number(key, median_of(&tw_pending[p]));
        snprintf(key, sizeof key, "unload_ms_twinshim_%ld", pending_counts[p]);
        put_stats(key, &tw_gone[p]);
        snprintf(key, sizeof key, "unload_ms_twinshim_held_%ld", pending_counts[p]);
        put_stats(key, &held_gone[p]);
        snprintf(key, sizeof key, "free_ms_naive_%ld", pending_counts[p]);
        if (naive[p].count > 0) {
            put_stats(key, &naive[p]);
        } else {
            snprintf(key, sizeof key, "free_ms_naive_%ld_median", pending_counts[p]);
            put_string(key, "deadlock");
        }
        snprintf(key, sizeof key, "naive_deadlocks_%ld", pending_counts[p]);
        put_number(key, naive_deadlocks[p]);
        snprintf(key, sizeof key, "free_ms_naive_cold_%ld", pending_counts[p]);
        if (naive_cold[p].count > 0) {
            put_stats(key, &naive_cold[p]);
        } else {
            snprintf(key, sizeof key, "free_ms_naive_cold_%ld_median", pending_counts[p]);
            put_string(key, "deadlock");
        }
        snprintf(key, sizeof key, "naive_cold_deadlocks_%ld", pending_counts[p]);
        put_number(key, naive_cold_deadlocks[p]);
    }
    ratio = ratios(&tw_free[last], &tw_free[0]);
    put_number("free_latency_ratio_10k_vs_0", median_of(&ratio));
    ratio = ratios(&held_free[last], &held_free[0]);
    put_number("free_latency_ratio_10k_vs_0_held", median_of(&ratio));
    /* A front that deadlocks in any round deadlocks: that is its result. */
    if (naive_deadlocks[0] > 0 || naive_deadlocks[last] > 0) {
        put_string("naive_free_latency_ratio_10k_vs_0", "deadlock");
    } else {
        ratio = ratios(&naive[last], &naive[0]);
        put_number("naive_free_latency_ratio_10k_vs_0", median_of(&ratio));
    }
    if (naive_cold_deadlocks[0] > 0 || naive_cold_deadlocks[last] > 0) {
        put_string("naive_cold_free_latency_ratio_10k_vs_0", "deadlock");
    } else {
        ratio = ratios(&naive_cold[last], &naive_cold[0]);
        put_number("naive_cold_free_latency_ratio_10k_vs_0", median_of(&ratio));
    }
    put_number("naive_deadline_ms", NAIVE_FREE_DEADLINE_MS);
    put_number("free_pending_spin_us", FREE_SPIN_US);
    put_number("free_twinshim_samples_per_round", TWINSHIM_SAMPLES_PER_ROUND);
}
