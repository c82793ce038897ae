/* Section 6's baselines: the common ways for a host thread to hand a record
 * to background work without twinshim, each consumer only counting what it
 * receives:
 *
 * - raw submit: SubmitThreadpoolWork of one work object per record, on a
 *   private pool. The work object carries no context, so the record itself is
 *   not carried: this is the floor of waking a pool once per record.
 * - try submit: TrySubmitThreadpoolCallback per record, on a private pool,
 *   with a heap copy of the record as its context (freed by the callback).
 * - mutex queue: the usual design of asynchronous loggers. A growable array
 *   under a lock (SRW, as std::mutex on Windows) and a condition variable,
 *   drained by one thread that swaps the whole array out; a producer wakes it
 *   when it pushes into an empty queue. */
#include <string.h>

#include "bench_handoff.h"
#include "bench_program.h"

#define QUEUE_INITIAL_CAPACITY 4096

typedef struct carried_record {
    bench_handoff *handoff;
    bench_record record;
} carried_record;

struct bench_handoff {
    bench_handoff_kind kind;
    bench_record_counter counter;
    /* raw and try submit */
    PTP_POOL pool;
    TP_CALLBACK_ENVIRON environment;
    PTP_WORK work;
    /* mutex queue */
    SRWLOCK lock;
    CONDITION_VARIABLE ready;
    bench_record *items;
    size_t count;
    size_t capacity;
    int stopping;
    HANDLE drain_thread;
};

static void CALLBACK count_submitted(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_handoff *handoff = context;

    (void)instance;
    (void)work;
    bench_count_record(&handoff->counter);
}

static void CALLBACK count_carried(PTP_CALLBACK_INSTANCE instance, void *context)
{
    carried_record *carried = context;
    bench_handoff *handoff = carried->handoff;

    (void)instance;
    HeapFree(GetProcessHeap(), 0, carried);
    bench_count_record(&handoff->counter);
}

static DWORD WINAPI drain_queue(void *parameter)
{
    bench_handoff *handoff = parameter;
    bench_record *spare = HeapAlloc(GetProcessHeap(), 0, QUEUE_INITIAL_CAPACITY * sizeof *spare);
    size_t spare_capacity = QUEUE_INITIAL_CAPACITY;

    if (spare == NULL)
        fail("the mutex queue's drain has no memory");
    for (;;) {
        bench_record *taken;
        size_t taken_count;
        size_t taken_capacity;

        AcquireSRWLockExclusive(&handoff->lock);
        while (handoff->count == 0 && !handoff->stopping)
            SleepConditionVariableSRW(&handoff->ready, &handoff->lock, INFINITE, 0);
        if (handoff->count == 0) {
            ReleaseSRWLockExclusive(&handoff->lock);
            break;
        }
        taken = handoff->items;
        taken_count = handoff->count;
        taken_capacity = handoff->capacity;
        handoff->items = spare;
        handoff->capacity = spare_capacity;
        handoff->count = 0;
        ReleaseSRWLockExclusive(&handoff->lock);
        for (size_t i = 0; i < taken_count; i++)
            bench_count_record(&handoff->counter);
        spare = taken;
        spare_capacity = taken_capacity;
    }
    HeapFree(GetProcessHeap(), 0, spare);
    return 0;
}

bench_handoff *bench_handoff_open(bench_handoff_kind kind, unsigned pool_threads)
{
    bench_handoff *handoff = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *handoff);

    if (handoff == NULL)
        fail("no memory for a handoff");
    handoff->kind = kind;
    handoff->counter.reached = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (handoff->counter.reached == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
    if (kind == BENCH_HANDOFF_MUTEX_QUEUE) {
        InitializeSRWLock(&handoff->lock);
        InitializeConditionVariable(&handoff->ready);
        handoff->capacity = QUEUE_INITIAL_CAPACITY;
        handoff->items = HeapAlloc(GetProcessHeap(), 0, handoff->capacity * sizeof *handoff->items);
        handoff->drain_thread = CreateThread(NULL, 0, drain_queue, handoff, 0, NULL);
        if (handoff->items == NULL || handoff->drain_thread == NULL)
            fail("cannot start the mutex queue (error %lu)", GetLastError());
        return handoff;
    }
    handoff->pool = CreateThreadpool(NULL);
    if (handoff->pool == NULL)
        fail("cannot create a pool (error %lu)", GetLastError());
    SetThreadpoolThreadMaximum(handoff->pool, pool_threads);
    InitializeThreadpoolEnvironment(&handoff->environment);
    SetThreadpoolCallbackPool(&handoff->environment, handoff->pool);
    if (kind == BENCH_HANDOFF_RAW_SUBMIT) {
        handoff->work = CreateThreadpoolWork(count_submitted, handoff, &handoff->environment);
        if (handoff->work == NULL)
            fail("cannot create a work object (error %lu)", GetLastError());
    }
    return handoff;
}

bench_record_counter *bench_handoff_counter(bench_handoff *handoff)
{
    return &handoff->counter;
}

void bench_handoff_post(bench_handoff *handoff, const bench_record *record)
{
    switch (handoff->kind) {
    case BENCH_HANDOFF_RAW_SUBMIT:
        SubmitThreadpoolWork(handoff->work);
        break;
    case BENCH_HANDOFF_TRY_SUBMIT: {
        carried_record *carried = HeapAlloc(GetProcessHeap(), 0, sizeof *carried);

        if (carried == NULL)
            fail("no memory for a record");
        carried->handoff = handoff;
        carried->record = *record;
        if (!TrySubmitThreadpoolCallback(count_carried, carried, &handoff->environment))
            fail("TrySubmitThreadpoolCallback failed (error %lu)", GetLastError());
        break;
    }
    case BENCH_HANDOFF_MUTEX_QUEUE: {
        BOOL was_empty;

        AcquireSRWLockExclusive(&handoff->lock);
        if (handoff->count == handoff->capacity) {
            bench_record *grown = HeapReAlloc(GetProcessHeap(), 0, handoff->items,
                                              2 * handoff->capacity * sizeof *handoff->items);
            if (grown == NULL)
                fail("no memory to grow the mutex queue");
            handoff->items = grown;
            handoff->capacity *= 2;
        }
        handoff->items[handoff->count++] = *record;
        was_empty = handoff->count == 1;
        ReleaseSRWLockExclusive(&handoff->lock);
        if (was_empty)
            WakeConditionVariable(&handoff->ready);
        break;
    }
    }
}

void bench_handoff_close(bench_handoff *handoff)
{
    if (handoff->kind == BENCH_HANDOFF_MUTEX_QUEUE) {
        AcquireSRWLockExclusive(&handoff->lock);
        handoff->stopping = 1;
        ReleaseSRWLockExclusive(&handoff->lock);
        WakeConditionVariable(&handoff->ready);
        WaitForSingleObject(handoff->drain_thread, INFINITE);
        CloseHandle(handoff->drain_thread);
        HeapFree(GetProcessHeap(), 0, handoff->items);
    } else {
        if (handoff->work != NULL) {
            WaitForThreadpoolWorkCallbacks(handoff->work, FALSE);
            CloseThreadpoolWork(handoff->work);
        }
        /* Every try-submit callback has counted its record, which the
         * program waited for; one may still be returning, and the pool
         * closes once it has. */
        CloseThreadpool(handoff->pool);
        DestroyThreadpoolEnvironment(&handoff->environment);
    }
    CloseHandle(handoff->counter.reached);
    HeapFree(GetProcessHeap(), 0, handoff);
}
