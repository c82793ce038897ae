/* bench_alt.dll: the alternatives to twinshim, each on a private pool of the
 * same size, each with one work object submitted once per item (the pattern
 * twinshim's worker uses too), so that only the unload protection differs:
 *
 * - raw: no protection at all. The floor; unsafe if the DLL can unload.
 * - library: an environment with SetThreadpoolCallbackLibrary. Microsoft
 *   documents it as "somewhat processor-intensive".
 * - module_ref: a module reference per item (GetModuleHandleEx), dropped by
 *   FreeLibraryWhenCallbackReturns. Takes the loader lock twice per item.
 * - proxy: the seed article's proxy reference count. It races (comment 5 of
 *   the article): it is measured for reference only, never to be used.
 * - simple: raw, with a context per item (TrySubmitThreadpoolCallback).
 *
 * None of these can be unloaded by its host without waiting somewhere; the
 * benchmark closes them itself, outside DllMain. */
#include <windows.h>

#include "bench_work.h"

struct bench_alt {
    bench_alt_variant variant;
    PTP_POOL pool;
    TP_CALLBACK_ENVIRON environment;
    PTP_WORK work;
    bench_run *volatile run; /* one batch at a time */
    volatile LONG proxy_count;
};

__declspec(dllexport) bench_alt *bench_alt_open(int variant, unsigned threads);
__declspec(dllexport) int bench_alt_submit(bench_alt *alt, bench_run *run);
__declspec(dllexport) void bench_alt_close(bench_alt *alt);

/* Any address inside this module names it to GetModuleHandleEx. */
static const char module_anchor = 0;

static HMODULE add_module_reference(void)
{
    HMODULE module = NULL;

    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(const void *)&module_anchor,
                       &module);
    return module;
}

static HMODULE this_module(void)
{
    HMODULE module = NULL;

    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                       (LPCWSTR)(const void *)&module_anchor, &module);
    return module;
}

static void CALLBACK run_plain(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_alt *alt = context;

    (void)instance;
    (void)work;
    bench_work(alt->run);
}

static void CALLBACK run_module_ref(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_alt *alt = context;

    (void)work;
    bench_work(alt->run);
    /* Drops the item's reference after this callback has returned. */
    FreeLibraryWhenCallbackReturns(instance, this_module());
}

static void CALLBACK run_proxy(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_alt *alt = context;

    (void)work;
    bench_work(alt->run);
    /* The article's ProxyFreeLibraryWhenCallbackReturns. Racy: another thread
     * can raise the count from zero and drop it again before this one
     * returns, and the module can then be unmapped under this callback. */
    if (InterlockedDecrement(&alt->proxy_count) == 0)
        FreeLibraryWhenCallbackReturns(instance, this_module());
}

static void CALLBACK run_simple(PTP_CALLBACK_INSTANCE instance, void *context)
{
    (void)instance;
    bench_work(context);
}

bench_alt *bench_alt_open(int variant, unsigned threads)
{
    PTP_WORK_CALLBACK callback = run_plain;
    bench_alt *alt = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *alt);

    if (alt == NULL)
        return NULL;
    alt->variant = (bench_alt_variant)variant;
    alt->pool = CreateThreadpool(NULL);
    if (alt->pool == NULL)
        goto failed;
    SetThreadpoolThreadMaximum(alt->pool, threads);
    InitializeThreadpoolEnvironment(&alt->environment);
    SetThreadpoolCallbackPool(&alt->environment, alt->pool);
    if (alt->variant == BENCH_ALT_LIBRARY)
        SetThreadpoolCallbackLibrary(&alt->environment, this_module());
    if (alt->variant == BENCH_ALT_MODULE_REF)
        callback = run_module_ref;
    else if (alt->variant == BENCH_ALT_PROXY)
        callback = run_proxy;
    alt->work = CreateThreadpoolWork(callback, alt, &alt->environment);
    if (alt->work == NULL)
        goto failed;
    return alt;

failed:
    if (alt->pool != NULL)
        CloseThreadpool(alt->pool);
    HeapFree(GetProcessHeap(), 0, alt);
    return NULL;
}

int bench_alt_submit(bench_alt *alt, bench_run *run)
{
    if (alt->variant == BENCH_ALT_SIMPLE)
        return TrySubmitThreadpoolCallback(run_simple, run, &alt->environment) ? 0 : -1;
    alt->run = run;
    switch (alt->variant) {
    case BENCH_ALT_MODULE_REF:
        if (add_module_reference() == NULL)
            return -1;
        break;
    case BENCH_ALT_PROXY:
        /* The article's ProxyAddRefThisDll. */
        if (InterlockedIncrement(&alt->proxy_count) == 1 && add_module_reference() == NULL)
            return -1;
        break;
    default:
        break;
    }
    SubmitThreadpoolWork(alt->work);
    return 0;
}

void bench_alt_close(bench_alt *alt)
{
    if (alt == NULL)
        return;
    WaitForThreadpoolWorkCallbacks(alt->work, FALSE);
    CloseThreadpoolWork(alt->work);
    CloseThreadpool(alt->pool);
    DestroyThreadpoolEnvironment(&alt->environment);
    HeapFree(GetProcessHeap(), 0, alt);
}
