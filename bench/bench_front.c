/* bench_front*.dll: a twinshim front with nothing to wrap. Built three times,
 * for pools of 1, 2 (bench_front.dll) and 4 threads. */
#include <windows.h>

#include "twinshim/front.h"

#include "bench_work.h"

#ifndef BENCH_FRONT_THREADS
#define BENCH_FRONT_THREADS 2
#endif

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"bench_worker.dll",
    .original_file_name = NULL,
    .stop_policy = SHIM_STOP_DRAIN,
    .max_threads = BENCH_FRONT_THREADS,
};

__declspec(dllexport) int bench_front_post(const bench_message *message);
__declspec(dllexport) int bench_front_status(void);

/* What an intercepted legacy export does: send a copy to the worker. */
int bench_front_post(const bench_message *message)
{
    return shim_front_post(message, sizeof *message);
}

int bench_front_status(void)
{
    return shim_front_status(NULL);
}
