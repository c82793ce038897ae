/* bench_naive.dll: the front twinshim replaces. One DLL owns the pool, and
 * its DLL_PROCESS_DETACH drains the pending callbacks before it returns,
 * under the loader lock. A pool thread that needs the loader lock meanwhile
 * (to start, or to exit) never gets it: the drain can then deadlock, which is
 * why the benchmark only ever runs this DLL in a child process with a
 * deadline. */
#include <windows.h>

#include "bench_work.h"

static PTP_POOL pool;
static TP_CALLBACK_ENVIRON environment;
static PTP_WORK work;
static bench_run *volatile current_run;

__declspec(dllexport) int bench_naive_post(bench_run *run);

static void CALLBACK run_item(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work_object)
{
    (void)instance;
    (void)context;
    (void)work_object;
    bench_work(current_run);
}

int bench_naive_post(bench_run *run)
{
    current_run = run;
    SubmitThreadpoolWork(work);
    return 0;
}

/* The signature is the one Windows calls: lpReserved is not const there. */
/* cppcheck-suppress constParameter */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        DisableThreadLibraryCalls(instance);
        pool = CreateThreadpool(NULL);
        if (pool == NULL)
            return FALSE;
        SetThreadpoolThreadMaximum(pool, 2);
        InitializeThreadpoolEnvironment(&environment);
        SetThreadpoolCallbackPool(&environment, pool);
        work = CreateThreadpoolWork(run_item, NULL, &environment);
        if (work == NULL) {
            CloseThreadpool(pool);
            return FALSE;
        }
        break;
    case DLL_PROCESS_DETACH:
        if (reserved != NULL || work == NULL)
            break;
        /* The naive drain: wait for every pending callback, inside DllMain. */
        WaitForThreadpoolWorkCallbacks(work, FALSE);
        CloseThreadpoolWork(work);
        CloseThreadpool(pool);
        DestroyThreadpoolEnvironment(&environment);
        break;
    default:
        break;
    }
    return TRUE;
}
