/* bench_intercept*.dll: a front that wraps bench_original.dll the way
 * examples/legacy wraps legacy.dll. Its bench_intercepted_add calls the
 * original through a binding slot and posts one 64-byte record per call to
 * its worker, whose plugin only counts it: bench_worker.dll (a journal
 * file, the default), or, built with BENCH_QUEUE_MEMORY or
 * BENCH_QUEUE_FLUSH, the worker of the same plugin with that queue setting. bench_intercept_counters gives
 * the program its session's counters. */
#include <windows.h>

#include "twinshim/front.h"

#include "bench_record.h"

#if defined(BENCH_QUEUE_MEMORY)
#define BENCH_INTERCEPT_WORKER L"bench_worker_memory.dll"
#elif defined(BENCH_QUEUE_FLUSH)
#define BENCH_INTERCEPT_WORKER L"bench_worker_flush.dll"
#else
#define BENCH_INTERCEPT_WORKER L"bench_worker.dll"
#endif

static FARPROC original_add;

static const shim_front_binding bindings[] = {
    { "bench_original_add", &original_add },
};

const shim_front_config shim_front_configuration = {
    .worker_file_name = BENCH_INTERCEPT_WORKER,
    .original_file_name = L"bench_original.dll",
    .bindings = bindings,
    .binding_count = sizeof bindings / sizeof bindings[0],
};

__declspec(dllexport) int bench_intercepted_add(int a, int b);
__declspec(dllexport) int bench_intercept_status(void);
__declspec(dllexport) int bench_intercept_counters(shim_session_counters *counters);

int bench_intercepted_add(int a, int b)
{
    bench_record record;
    int result = ((bench_add_function)(void (*)(void))original_add)(a, b);

    bench_fill_record(&record, a, b, result);
    shim_front_post(&record, sizeof record);
    return result;
}

int bench_intercept_status(void)
{
    return shim_front_status(NULL);
}

int bench_intercept_counters(shim_session_counters *counters)
{
    return shim_front_get_counters(counters);
}
