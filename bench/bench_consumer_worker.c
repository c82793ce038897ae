/* bench_consumer_worker.dll, for twinshim_bench_consumer.exe: a plugin that
 * counts 64-byte records as section 6's does (one shared counter), and
 * whose on_start holds until the program opens the gate, so that every
 * record of a sample waits in the journal first (messages posted before
 * on_start has returned are delivered after it). The program sets the pool
 * size and the target count through bench_consumer_arm before it opens the
 * gate; the plugin stamps the first and the last arrival. */
#include <stdio.h>

#include <windows.h>

#include "twinshim/worker.h"

#include "bench_record.h"

#define GATE_TIMEOUT_MS 60000

__declspec(dllexport) void bench_consumer_arm(LONGLONG target, unsigned max_threads);
__declspec(dllexport) int bench_consumer_result(LONGLONG *arrived, LONGLONG *first_ticks,
                                                LONGLONG *last_ticks);

static volatile LONGLONG arrived;
static volatile LONGLONG target;
static volatile LONGLONG first_ticks;
static volatile LONGLONG last_ticks;
static volatile LONG armed_threads = SHIM_DEFAULT_MAX_THREADS;

void bench_consumer_arm(LONGLONG count, unsigned max_threads)
{
    arrived = 0;
    first_ticks = 0;
    last_ticks = 0;
    target = count;
    armed_threads = (LONG)max_threads;
}

int bench_consumer_result(LONGLONG *count, LONGLONG *first, LONGLONG *last)
{
    *count = arrived;
    *first = first_ticks;
    *last = last_ticks;
    return arrived >= target && last_ticks != 0;
}

/* The gate is the program's, named after its process. */
static int consumer_start(shim_session *session, void **plugin_state)
{
    wchar_t name[64];
    HANDLE gate;
    int status;

    (void)plugin_state;
    _snwprintf(name, sizeof name / sizeof name[0], L"twinshim_bench_consumer_gate_%lu",
               GetCurrentProcessId());
    name[sizeof name / sizeof name[0] - 1] = L'\0';
    gate = OpenEventW(SYNCHRONIZE, FALSE, name);
    if (gate != NULL) {
        WaitForSingleObject(gate, GATE_TIMEOUT_MS);
        CloseHandle(gate);
    }
    status = shim_session_set_max_threads(session, (unsigned)armed_threads);
    if (status == SHIM_OK)
        status = shim_session_set_message_batch(session, BENCH_MESSAGE_BATCH);
    return status;
}

static void consumer_message(shim_session *session, const shim_message *message)
{
    LONGLONG count;
    LARGE_INTEGER now;

    (void)session;
    if ((message->flags & SHIM_MESSAGE_RECOVERED) || message->size != BENCH_RECORD_SIZE)
        return;
    count = InterlockedIncrement64(&arrived);
    if (count == 1 || count == target) {
        QueryPerformanceCounter(&now);
        *(count == 1 ? &first_ticks : &last_ticks) = now.QuadPart;
    }
}

static const shim_plugin consumer_plugin = {
    .on_start = consumer_start,
    .on_message = consumer_message,
};

SHIM_DEFINE_PLUGIN(consumer_plugin)
