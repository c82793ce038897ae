/* bench_front*.dll: a twinshim front with nothing to wrap. Built three times,
 * each connected to the worker built for the same pool size (1, 2 or 4
 * threads: the pool size is the worker's setting), and once more for the
 * worker whose plugin keeps its journal in memory (BENCH_QUEUE_MEMORY). */
#include <windows.h>

#include "twinshim/front.h"

#include "bench_work.h"

#if defined(BENCH_QUEUE_MEMORY)
#define BENCH_WORKER_FILE L"bench_worker_memory.dll"
#elif BENCH_WORKER_THREADS == 1
#define BENCH_WORKER_FILE L"bench_worker_1t.dll"
#elif BENCH_WORKER_THREADS == 4
#define BENCH_WORKER_FILE L"bench_worker_4t.dll"
#else
#define BENCH_WORKER_FILE L"bench_worker.dll"
#endif

const shim_front_config shim_front_configuration = {
    .worker_file_name = BENCH_WORKER_FILE,
    .original_file_name = NULL,
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
