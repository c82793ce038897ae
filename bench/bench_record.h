/* Section 6's record: what an intercepted call hands to the worker, 64 bytes
 * as a small audit or log line would be, and the original it wraps. */
#ifndef TWINSHIM_BENCH_RECORD_H
#define TWINSHIM_BENCH_RECORD_H

#include <windows.h>

#include "twinshim/counters.h"
#include "twinshim/current_thread.h"

#define BENCH_RECORD_SIZE 64

typedef struct bench_record {
    LONGLONG sequence; /* the caller's call number */
    int a;
    int b;
    int result;
    DWORD thread_id;
    char detail[BENCH_RECORD_SIZE - sizeof(LONGLONG) - 4 * sizeof(int)];
} bench_record;

_Static_assert(sizeof(bench_record) == BENCH_RECORD_SIZE, "a record is 64 bytes");

/* Counts the records a consumer has received, and signals `reached` when
 * the count reaches `target` (both set by the program before it posts). */
typedef struct bench_record_counter {
    volatile LONGLONG received;
    volatile LONGLONG target;
    HANDLE reached;
} bench_record_counter;

/* What every consumer of section 6 does with a record: count it. */
static inline void bench_count_record(bench_record_counter *counter)
{
    if (InterlockedIncrement64(&counter->received) == counter->target)
        SetEvent(counter->reached);
}

/* The original's export (bench_original.dll) and the front's export of the
 * same signature (bench_intercept.dll): the host calls one or the other. */
typedef int (*bench_add_function)(int a, int b);
/* bench_worker.dll: the counter of the records of BENCH_RECORD_SIZE that its
 * plugin receives. */
typedef bench_record_counter *(*bench_worker_record_counter_function)(void);
/* The message batch section 6 gives bench_worker.dll's session (the most
 * allowed): a do-nothing plugin is what batches are for. */
#define BENCH_MESSAGE_BATCH 32u
/* bench_worker.dll: shim_session_set_message_batch on its session. */
typedef int (*bench_worker_set_message_batch_function)(unsigned max_messages);
/* bench_intercept*.dll: shim_front_get_counters of its session. */
typedef int (*bench_intercept_counters_function)(shim_session_counters *counters);
/* bench_worker*.dll: busy work per record, in on_message and
 * on_exit_message (0, the default: none). */
typedef void (*bench_worker_set_message_work_function)(unsigned microseconds);
/* bench_worker*.dll: while stamps is not NULL, on_message stores
 * QueryPerformanceCounter in stamps[sequence] when the record with that
 * sequence (below count) arrives. */
typedef void (*bench_worker_watch_arrivals_function)(LONGLONG *stamps, LONG count);

/* Builds the record of one call, as every variant of section 6 does. */
static inline void bench_fill_record(bench_record *record, int a, int b, int result)
{
    ZeroMemory(record, sizeof *record);
    record->sequence = a;
    record->a = a;
    record->b = b;
    record->result = result;
    record->thread_id = shim_current_thread_id();
}

#endif
