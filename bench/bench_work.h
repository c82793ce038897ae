/* What the benchmark program and the DLLs it measures share: one batch of
 * tiny callbacks (bench_run), the message a front posts for it, and the
 * function signatures the program looks up with GetProcAddress.
 *
 * A callback's whole job is bench_work(): spin for run->spin_us (0 in the
 * per-callback measurements) and count. The callback that completes the batch
 * sets run->finished. Every callback reads what it needs before it counts:
 * once the count is complete the program may reuse the run. */
#ifndef TWINSHIM_BENCH_WORK_H
#define TWINSHIM_BENCH_WORK_H

#include <windows.h>

typedef struct bench_run {
    volatile LONG done;    /* callbacks that finished */
    volatile LONG started; /* gated messages that began to wait (see bench_message) */
    LONG target;           /* finished is set when done reaches it */
    unsigned spin_us;      /* busy work per callback, in microseconds */
    HANDLE finished;
} bench_run;

/* What bench_front_post sends to bench_worker.dll. With a gate, the callback
 * first counts itself in run->started, then waits for the gate (at most
 * BENCH_GATE_TIMEOUT_MS): the program holds the pool's threads with it. */
typedef struct bench_message {
    bench_run *run;
    HANDLE gate;
} bench_message;

#define BENCH_GATE_TIMEOUT_MS 60000

/* The variants bench_alt.dll implements, all on the same kind of private pool. */
typedef enum bench_alt_variant {
    BENCH_ALT_RAW = 0,        /* one work object, no unload protection: the floor */
    BENCH_ALT_LIBRARY = 1,    /* the same, in an environment with SetThreadpoolCallbackLibrary */
    BENCH_ALT_MODULE_REF = 2, /* a module reference per item, FreeLibraryWhenCallbackReturns */
    BENCH_ALT_PROXY = 3,      /* the article's proxy reference count (racy) */
    BENCH_ALT_SIMPLE = 4      /* raw with a per-item context: TrySubmitThreadpoolCallback */
} bench_alt_variant;

typedef struct bench_alt bench_alt;

/* Exports of the benchmark DLLs, as the program calls them. */
typedef int (*bench_front_post_function)(const bench_message *message);
typedef int (*bench_front_status_function)(void);
typedef int (*bench_worker_submit_function)(bench_run *run);
typedef int (*bench_worker_ready_function)(void);
typedef bench_alt *(*bench_alt_open_function)(int variant, unsigned threads);
typedef int (*bench_alt_submit_function)(bench_alt *alt, bench_run *run);
typedef void (*bench_alt_close_function)(bench_alt *alt);
typedef int (*bench_naive_post_function)(bench_run *run);
typedef int (*bench_plain_nothing_function)(void);

static inline void bench_spin(unsigned microseconds)
{
    LARGE_INTEGER ticks_per_second;
    LARGE_INTEGER start;
    LARGE_INTEGER now;
    LONGLONG ticks;

    if (microseconds == 0)
        return;
    QueryPerformanceFrequency(&ticks_per_second);
    QueryPerformanceCounter(&start);
    ticks = ticks_per_second.QuadPart * (LONGLONG)microseconds / 1000000;
    do
        QueryPerformanceCounter(&now);
    while (now.QuadPart - start.QuadPart < ticks);
}

/* One tiny callback's work. Touches run only before its own count. */
static inline void bench_work(bench_run *run)
{
    LONG target = run->target;
    HANDLE finished = run->finished;

    bench_spin(run->spin_us);
    if (InterlockedIncrement(&run->done) == target)
        SetEvent(finished);
}

#endif
