/* bench_worker*.dll: the twinshim workers the benchmark fronts connect to,
 * one per pool size (BENCH_WORKER_THREADS, set in on_start). Its plugin does
 * the tiny benchmark callback for a bench_message and only counts a 64-byte
 * record (section 6). It exports bench_worker_submit so that the program can
 * measure shim_session_submit, the path a plugin itself pays, next to
 * shim_front_post, the path a front pays. bench_worker_set_message_batch
 * and bench_worker_set_delivery_delay let section 6 give its session a
 * message batch and a delivery delay (its records only count); the other
 * sections keep the runtime's defaults. */
#include <windows.h>

#include "twinshim/worker.h"

#include "bench_record.h"
#include "bench_work.h"

#ifndef BENCH_WORKER_THREADS
#define BENCH_WORKER_THREADS 2
#endif

/* The newest running session. The program loads one front at a time when it
 * uses bench_worker_submit. */
static void *volatile current_session;
_Static_assert(BENCH_MESSAGE_BATCH <= SHIM_MESSAGE_BATCH_LIMIT, "a batch the session accepts");
static bench_record_counter records;

__declspec(dllexport) int bench_worker_submit(bench_run *run);
__declspec(dllexport) int bench_worker_ready(void);
__declspec(dllexport) bench_record_counter *bench_worker_record_counter(void);
__declspec(dllexport) int bench_worker_set_message_batch(unsigned max_messages);
__declspec(dllexport) int bench_worker_set_delivery_delay(unsigned milliseconds);

static int bench_start(shim_session *session, void **plugin_state)
{
    int status = shim_session_set_max_threads(session, BENCH_WORKER_THREADS);

    (void)plugin_state;
    if (status != SHIM_OK)
        return status;
    InterlockedExchangePointer((void *volatile *)&current_session, session);
    return SHIM_OK;
}

static void bench_stopping(shim_session *session, void *plugin_state)
{
    (void)plugin_state;
    InterlockedCompareExchangePointer((void *volatile *)&current_session, NULL, session);
}

static void bench_message_arrived(shim_session *session, const shim_message *arrived)
{
    const bench_message *message = arrived->payload;

    (void)session;
    if (arrived->size == BENCH_RECORD_SIZE) {
        bench_count_record(&records);
        return;
    }
    /* A run of a bench process that died: its pointers are that process's. */
    if (arrived->size != sizeof *message || (arrived->flags & SHIM_MESSAGE_RECOVERED))
        return;
    if (message->gate != NULL) {
        InterlockedIncrement(&message->run->started);
        WaitForSingleObject(message->gate, BENCH_GATE_TIMEOUT_MS);
    }
    bench_work(message->run);
}

static void bench_job(shim_session *session, void *context)
{
    (void)session;
    bench_work(context);
}

int bench_worker_submit(bench_run *run)
{
    return shim_session_submit(current_session, bench_job, NULL, run);
}

int bench_worker_ready(void)
{
    return current_session != NULL;
}

bench_record_counter *bench_worker_record_counter(void)
{
    return &records;
}

int bench_worker_set_message_batch(unsigned max_messages)
{
    return shim_session_set_message_batch(current_session, max_messages);
}

int bench_worker_set_delivery_delay(unsigned milliseconds)
{
    return shim_session_set_delivery_latency(current_session, milliseconds);
}

static const shim_plugin bench_plugin = {
    .on_start = bench_start,
    .on_message = bench_message_arrived,
    .on_stopping = bench_stopping,
};

SHIM_DEFINE_PLUGIN(bench_plugin)
