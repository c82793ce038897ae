/* Sections 3 and 4: unload completion (FreeLibrary(front) to the worker
 * unmapped) and a full lifecycle, next to plain DLLs and to the same Wine
 * resources built without twinshim; the lifecycle also with the plugin's
 * journal in memory (bench_front_memory.dll), to show what the journal's
 * file costs a session's start and stop. */
#include <stdio.h>

#include "twinshim/status.h"

#include "bench_program.h"

static DWORD WINAPI empty_thread(void *parameter)
{
    (void)parameter;
    return 0;
}

/* LoadLibrary, one call, FreeLibrary, for each plain DLL in turn; returns ms. */
static double plain_cycle(const wchar_t *const *paths, int count)
{
    HMODULE modules[2];
    double start = now_ms();
    double end;

    for (int i = 0; i < count; i++) {
        bench_plain_nothing_function nothing;

        modules[i] = LoadLibraryW(paths[i]);
        if (modules[i] == NULL)
            fail("cannot load %ls (error %lu)", paths[i], GetLastError());
        nothing =
            (bench_plain_nothing_function)(void (*)(void))GetProcAddress(modules[i], "bench_plain_nothing");
        if (nothing == NULL || nothing() != 0)
            fail("the plain DLL's call failed");
    }
    for (int i = 0; i < count; i++)
        FreeLibrary(modules[i]);
    end = now_ms();
    for (int i = 0; i < count; i++)
        if (image_mapped(modules[i]))
            fail("%ls stayed mapped", paths[i]);
    return end - start;
}

static DWORD WINAPI wait_for_stop_thread(void *stop)
{
    WaitForSingleObject(stop, INFINITE);
    return 0;
}

static void CALLBACK signal_callback(PTP_CALLBACK_INSTANCE instance, void *done, PTP_WORK work)
{
    (void)instance;
    (void)work;
    SetEvent(done);
}

/* Wine resources a lifecycle could be built from, without twinshim. */
typedef enum resource_shape {
    /* What a session asks of Wine: a private pool of 2 threads, and a thread
     * that waits for a stop signal and ends the cycle by exiting. */
    PRIVATE_POOL_AND_THREAD,
    /* The floor of any design whose worker owns its pool: the pool's first
     * thread, which Wine starts when the work object is created. */
    PRIVATE_POOL_ONLY,
    /* No pool of its own: the process's default pool, whose threads outlive
     * the DLLs and were started by an earlier round. */
    DEFAULT_POOL,
    RESOURCE_SHAPES
} resource_shape;

/* The pool and the thread come first, so that their threads start while the
 * two plain DLLs load (the cheapest order); then one callback runs, the DLLs
 * are freed, and the cycle ends once the thread and the pool are gone. */
static double resources_cycle(const wchar_t *const *paths, resource_shape shape)
{
    HMODULE modules[2];
    HANDLE done = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    double start = now_ms();
    TP_CALLBACK_ENVIRON environment;
    PTP_POOL pool = NULL;
    PTP_WORK work;
    HANDLE thread = NULL;
    double end;

    if (done == NULL || stop == NULL)
        fail("cannot create the events (error %lu)", GetLastError());
    InitializeThreadpoolEnvironment(&environment);
    if (shape != DEFAULT_POOL) {
        pool = CreateThreadpool(NULL);
        if (pool == NULL)
            fail("cannot create the pool (error %lu)", GetLastError());
        SetThreadpoolThreadMaximum(pool, 2);
        SetThreadpoolCallbackPool(&environment, pool);
    }
    work = CreateThreadpoolWork(signal_callback, done, &environment);
    if (work == NULL)
        fail("cannot create the work object (error %lu)", GetLastError());
    if (shape == PRIVATE_POOL_AND_THREAD &&
        (thread = CreateThread(NULL, 0, wait_for_stop_thread, stop, 0, NULL)) == NULL)
        fail("cannot create the thread (error %lu)", GetLastError());
    for (int i = 0; i < 2; i++)
        if ((modules[i] = LoadLibraryW(paths[i])) == NULL)
            fail("cannot load %ls (error %lu)", paths[i], GetLastError());
    SubmitThreadpoolWork(work);
    WaitForSingleObject(done, INFINITE);
    for (int i = 0; i < 2; i++)
        FreeLibrary(modules[i]);
    if (thread != NULL) {
        SetEvent(stop);
        WaitForSingleObject(thread, INFINITE);
    }
    WaitForThreadpoolWorkCallbacks(work, FALSE);
    CloseThreadpoolWork(work);
    if (pool != NULL)
        CloseThreadpool(pool);
    DestroyThreadpoolEnvironment(&environment);
    end = now_ms();
    if (thread != NULL)
        CloseHandle(thread);
    CloseHandle(stop);
    CloseHandle(done);
    return end - start;
}

/* One lifecycle's parts, in ms. */
typedef struct cycle_samples {
    samples whole; /* LoadLibrary(front), one call, FreeLibrary, worker gone */
    samples load;  /* LoadLibrary(front) */
    samples free;  /* LoadLibrary(front) and the call */
    samples gone;  /* FreeLibrary(front) to the worker gone */
} cycle_samples;

/* LoadLibrary(front), one call, FreeLibrary(front), worker gone. */
static void twinshim_cycle(const wchar_t *front_path, const wchar_t *worker_name, cycle_samples *s, BOOL keep)
{
    static bench_run one;
    bench_message message = { &one, NULL };
    bench_front_post_function post;
    HMODULE module;
    HMODULE worker;
    double start;
    double loaded;
    double freed;
    double end;

    start_run(&one, 1, 0, bench_events[0]);
    start = now_ms();
    module = LoadLibraryW(front_path);
    if (module == NULL)
        fail("cannot load %ls (error %lu)", front_path, GetLastError());
    loaded = now_ms();
    post = (bench_front_post_function)(void (*)(void))GetProcAddress(module, "bench_front_post");
    if (post == NULL || post(&message) != SHIM_OK)
        fail("the lifecycle's call failed");
    worker = GetModuleHandleW(worker_name);
    freed = now_ms();
    FreeLibrary(module);
    end = wait_unmapped(worker, worker_name);
    if (one.done != 1)
        fail("the lifecycle's message was not delivered");
    if (keep) {
        add_sample(&s->whole, end - start);
        add_sample(&s->load, loaded - start);
        add_sample(&s->free, freed - start);
        add_sample(&s->gone, end - freed);
    }
}

static void put_cycle(const char *key, const cycle_samples *s)
{
    char name[96];

    put_stats(key, &s->whole);
    snprintf(name, sizeof name, "%s_load", key);
    put_stats(name, &s->load);
    snprintf(name, sizeof name, "%s_to_free", key);
    put_stats(name, &s->free);
    snprintf(name, sizeof name, "%s_free_to_gone", key);
    put_stats(name, &s->gone);
}

void lifecycle(const options *o)
{
    enum {
        UNLOAD,
        CYCLE,
        CYCLE_MEMORY,
        PLAIN,
        PLAIN_TWO,
        RESOURCES, /* RESOURCE_SHAPES kinds, one per resource_shape */
        THREAD = RESOURCES + RESOURCE_SHAPES,
        KINDS
    };
    wchar_t front_path[PATH_CAPACITY];
    wchar_t memory_front_path[PATH_CAPACITY];
    wchar_t plain_path[2][PATH_CAPACITY];
    const wchar_t *plain_paths[2] = { plain_path[0], plain_path[1] };
    samples unload = { .count = 0 };
    samples unload_free = { .count = 0 };
    static cycle_samples cycle;
    static cycle_samples cycle_memory;
    samples plain = { .count = 0 };
    samples plain_two = { .count = 0 };
    samples resources[RESOURCE_SHAPES] = { { .count = 0 } };
    samples thread = { .count = 0 };
    samples ratio;

    progress("3-4. unload completion, full lifecycle and plain DLL, %d rounds\n", o->cycle_rounds);
    bin_path(L"bench_front.dll", front_path);
    bin_path(L"bench_front_memory.dll", memory_front_path);
    bin_path(L"bench_plain.dll", plain_path[0]);
    bin_path(L"bench_plain_2.dll", plain_path[1]);
    for (int round = -2; round < o->cycle_rounds; round++) {
        for (int k = 0; k < KINDS; k++) {
            int which = (k + (round < 0 ? 0 : round)) % KINDS;
            double start;
            double end;

            if (which == UNLOAD) {
                /* Unload completion: FreeLibrary(front) to the worker unmapped, empty queue. */
                front f = load_front(L"bench_front.dll", L"bench_worker.dll");
                HMODULE worker = f.worker;
                double freed;

                warm_front(&f);
                start = now_ms();
                FreeLibrary(f.module);
                freed = now_ms();
                end = wait_unmapped(worker, L"bench_worker.dll");
                if (round >= 0) {
                    add_sample(&unload, end - start);
                    add_sample(&unload_free, freed - start);
                }
            } else if (which == CYCLE || which == CYCLE_MEMORY) {
                if (which == CYCLE)
                    twinshim_cycle(front_path, L"bench_worker.dll", &cycle, round >= 0);
                else
                    twinshim_cycle(memory_front_path, L"bench_worker_memory.dll", &cycle_memory, round >= 0);
            } else if (which == PLAIN || which == PLAIN_TWO) {
                double ms = plain_cycle(plain_paths, which == PLAIN ? 1 : 2);

                if (round >= 0)
                    add_sample(which == PLAIN ? &plain : &plain_two, ms);
            } else if (which < THREAD) {
                resource_shape shape = (resource_shape)(which - RESOURCES);
                double ms = resources_cycle(plain_paths, shape);

                if (round >= 0)
                    add_sample(&resources[shape], ms);
            } else {
                /* What one thread costs: CreateThread to its handle signalled. */
                HANDLE handle;

                start = now_ms();
                handle = CreateThread(NULL, 0, empty_thread, NULL, 0, NULL);
                if (handle == NULL)
                    fail("CreateThread failed (error %lu)", GetLastError());
                WaitForSingleObject(handle, INFINITE);
                CloseHandle(handle);
                end = now_ms();
                if (round >= 0)
                    add_sample(&thread, end - start);
            }
        }
    }
    put_stats("unload_completion_ms", &unload);
    put_number("unload_completion_ms", median_of(&unload));
    put_stats("unload_completion_free_ms", &unload_free);
    put_cycle("cycle_ms_twinshim", &cycle);
    put_cycle("cycle_ms_twinshim_memory_journal", &cycle_memory);
    put_stats("cycle_ms_plain_dll", &plain);
    put_stats("cycle_ms_two_plain_dlls", &plain_two);
    put_stats("cycle_ms_same_resources", &resources[PRIVATE_POOL_AND_THREAD]);
    put_stats("cycle_ms_private_pool_floor", &resources[PRIVATE_POOL_ONLY]);
    put_stats("cycle_ms_default_pool_floor", &resources[DEFAULT_POOL]);
    put_stats("thread_create_exit_ms", &thread);
    ratio = ratios(&cycle.whole, &plain);
    put_number("cycle_ratio_vs_plain_dll", median_of(&ratio));
    put_stats("cycle_ratio_vs_plain_dll", &ratio);
    ratio = ratios(&cycle_memory.whole, &plain);
    put_number("cycle_ratio_memory_journal_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&cycle.whole, &cycle_memory.whole);
    put_number("cycle_ratio_journal_file_vs_memory", median_of(&ratio));
    ratio = ratios(&plain_two, &plain);
    put_number("two_plain_dlls_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&resources[PRIVATE_POOL_AND_THREAD], &plain);
    put_number("same_resources_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&cycle.whole, &resources[PRIVATE_POOL_AND_THREAD]);
    put_number("cycle_ratio_vs_same_resources", median_of(&ratio));
    ratio = ratios(&resources[PRIVATE_POOL_ONLY], &plain);
    put_number("private_pool_floor_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&resources[DEFAULT_POOL], &plain);
    put_number("default_pool_floor_ratio_vs_plain_dll", median_of(&ratio));
}
