/* bench_worker*.dll: the twinshim workers the benchmark fronts connect to,
 * one per pool size (BENCH_WORKER_THREADS, set in on_start) and, for
 * section 6, one per queue setting (BENCH_QUEUE_MEMORY, BENCH_QUEUE_FLUSH:
 * the plugin's static shim_plugin.queue). Its plugin does the tiny
 * benchmark callback for a bench_message and only counts a 64-byte record
 * (section 6), after busy work when the program asks for some
 * (bench_worker_set_message_work: a plugin slower than its host, section
 * 7). It exports bench_worker_submit so that the program can measure
 * shim_session_submit, the path a plugin itself pays, next to
 * shim_front_post, the path a front pays; bench_worker_set_message_batch
 * gives section 6's session a message batch (its records only count), and
 * bench_worker_watch_arrivals has on_message stamp when each record
 * arrives (the delivery latency). The other sections keep the runtime's
 * defaults. */
#include <windows.h>

#include "twinshim/worker.h"

#include "bench_record.h"
#include "bench_work.h"

#ifndef BENCH_WORKER_THREADS
#define BENCH_WORKER_THREADS 2
#endif
/* Section 6's other queue settings (bench/CMakeLists.txt). */
#ifdef BENCH_QUEUE_MEMORY
#define BENCH_JOURNAL SHIM_JOURNAL_MEMORY
#else
#define BENCH_JOURNAL SHIM_JOURNAL_FILE
#endif
#ifdef BENCH_QUEUE_FLUSH
#define BENCH_FLUSH SHIM_FLUSH_EVERY_POST
#else
#define BENCH_FLUSH SHIM_FLUSH_NEVER
#endif

/* The newest running session. The program loads one front at a time when it
 * uses bench_worker_submit. */
static void *volatile current_session;
_Static_assert(BENCH_MESSAGE_BATCH <= SHIM_MESSAGE_BATCH_LIMIT, "a batch the session accepts");
static bench_record_counter records;
/* Busy work per record, in microseconds (bench_worker_set_message_work). */
static volatile LONG message_work_us;
/* While armed: arrivals[sequence] = QueryPerformanceCounter when the record
 * of that call number arrives, for sequence below arrival_count. */
static LONGLONG *volatile arrivals;
static volatile LONG arrival_count;

__declspec(dllexport) int bench_worker_submit(bench_run *run);
__declspec(dllexport) int bench_worker_ready(void);
__declspec(dllexport) bench_record_counter *bench_worker_record_counter(void);
__declspec(dllexport) int bench_worker_set_message_batch(unsigned max_messages);
__declspec(dllexport) void bench_worker_set_message_work(unsigned microseconds);
__declspec(dllexport) void bench_worker_watch_arrivals(LONGLONG *stamps, LONG count);

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

static void stamp_arrival(const bench_record *record)
{
    LONGLONG *stamps = arrivals;
    LARGE_INTEGER now;

    if (stamps == NULL || record->sequence < 0 || record->sequence >= arrival_count)
        return;
    QueryPerformanceCounter(&now);
    stamps[record->sequence] = now.QuadPart;
}

static void bench_message_arrived(shim_session *session, const shim_message *arrived)
{
    const bench_message *message = arrived->payload;

    (void)session;
    /* A message of a bench process that died: not this run's, and its
     * pointers are that process's. */
    if (arrived->flags & SHIM_MESSAGE_RECOVERED)
        return;
    if (arrived->size == BENCH_RECORD_SIZE) {
        stamp_arrival(arrived->payload);
        bench_spin((unsigned)message_work_us);
        bench_count_record(&records);
        return;
    }
    if (arrived->size != sizeof *message)
        return;
    if (message->gate != NULL) {
        InterlockedIncrement(&message->run->started);
        WaitForSingleObject(message->gate, BENCH_GATE_TIMEOUT_MS);
    }
    bench_work(message->run);
}

/* Process exit (section 7's children): a record costs what it costs in
 * on_message; nothing here waits or wakes. */
static int bench_exit_message(shim_session *session, const shim_message *message)
{
    (void)session;
    if (message->size == BENCH_RECORD_SIZE)
        bench_spin((unsigned)message_work_us);
    return SHIM_OK;
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

void bench_worker_set_message_work(unsigned microseconds)
{
    InterlockedExchange(&message_work_us, (LONG)microseconds);
}

/* Arm with the table and its size before the records are posted; disarm
 * with NULL once they have all arrived. */
void bench_worker_watch_arrivals(LONGLONG *stamps, LONG count)
{
    if (stamps != NULL)
        InterlockedExchange(&arrival_count, count);
    InterlockedExchangePointer((void *volatile *)&arrivals, stamps);
    if (stamps == NULL)
        InterlockedExchange(&arrival_count, 0);
}

static const shim_plugin bench_plugin = {
    .on_start = bench_start,
    .on_message = bench_message_arrived,
    .on_stopping = bench_stopping,
    .on_exit_message = bench_exit_message,
    .queue = { .journal = BENCH_JOURNAL, .flush = BENCH_FLUSH },
};

SHIM_DEFINE_PLUGIN(bench_plugin)
