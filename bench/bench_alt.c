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
 *
 * None of these can be unloaded by its host without waiting somewhere; the
 * benchmark closes them itself, outside DllMain.
 *
 * The queue, gate, counted and batched variants are not alternatives: they
 * rebuild the worker runtime's work path (workerdll/work_queue.c,
 * callback_accounting.c) one step at a time, so that section 6 of the
 * benchmark can show what each step costs. Counted is the runtime's path
 * before its batched drain (one submit and one callback per item); batched
 * is the runtime's path now. They copy the runtime's logic, including its
 * acquire loads of flags; they do not call it. */
#include <windows.h>

#include <string.h>

#include "bench_work.h"

/* A queued message, as the worker runtime keeps it: a heap copy in a FIFO. */
typedef struct queued_item {
    SLIST_ENTRY free_link; /* first: SList entries are 16-byte aligned */
    struct queued_item *next;
    size_t size;
    unsigned char payload[sizeof(bench_message)];
} queued_item;

struct bench_alt {
    SLIST_HEADER free_items; /* first, for its alignment */
    bench_alt_variant variant;
    PTP_POOL pool;
    TP_CALLBACK_ENVIRON environment;
    PTP_WORK work;
    bench_run *volatile run; /* one batch at a time */
    volatile LONG proxy_count;

    /* The rebuilt work path. */
    unsigned max_threads;
    SRWLOCK queue_lock;
    queued_item *head;
    queued_item *tail;
    SRWLOCK submit_lock;
    int accepting;
    volatile LONG stop_requested;
    volatile LONG started;
    volatile LONG start_status;
    volatile LONG outstanding;
    volatile LONG running;
    volatile LONG peak_running;
    volatile LONG active; /* batched: callbacks submitted and not yet gone idle */
    volatile LONG64 submitted;
    volatile LONG64 completed;
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

/* The runtime's shim__read_flag: an acquire load, no locked instruction. */
static LONG read_flag(const volatile LONG *flag)
{
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void push_item(bench_alt *alt, queued_item *item)
{
    AcquireSRWLockExclusive(&alt->queue_lock);
    if (alt->tail != NULL)
        alt->tail->next = item;
    else
        alt->head = item;
    alt->tail = item;
    ReleaseSRWLockExclusive(&alt->queue_lock);
}

static queued_item *pop_item(bench_alt *alt)
{
    queued_item *item;

    AcquireSRWLockExclusive(&alt->queue_lock);
    item = alt->head;
    if (item != NULL) {
        alt->head = item->next;
        if (alt->head == NULL)
            alt->tail = NULL;
    }
    ReleaseSRWLockExclusive(&alt->queue_lock);
    return item;
}

static BOOL uses_gate(const bench_alt *alt)
{
    return alt->variant == BENCH_ALT_GATE || alt->variant == BENCH_ALT_COUNTED ||
           alt->variant == BENCH_ALT_BATCHED || alt->variant == BENCH_ALT_BATCHED_FREELIST;
}

static BOOL uses_counters(const bench_alt *alt)
{
    return alt->variant == BENCH_ALT_COUNTED || alt->variant == BENCH_ALT_BATCHED ||
           alt->variant == BENCH_ALT_BATCHED_FREELIST;
}

static BOOL uses_freelist(const bench_alt *alt)
{
    return alt->variant == BENCH_ALT_QUEUE_FREELIST || alt->variant == BENCH_ALT_BATCHED_FREELIST;
}

static BOOL batched(const bench_alt *alt)
{
    return alt->variant == BENCH_ALT_BATCHED || alt->variant == BENCH_ALT_BATCHED_FREELIST;
}

static queued_item *allocate_item(bench_alt *alt)
{
    if (uses_freelist(alt)) {
        SLIST_ENTRY *entry = InterlockedPopEntrySList(&alt->free_items);
        if (entry != NULL)
            return CONTAINING_RECORD(entry, queued_item, free_link);
    }
    return HeapAlloc(GetProcessHeap(), 0, sizeof(queued_item));
}

static void free_item(bench_alt *alt, queued_item *item)
{
    if (uses_freelist(alt))
        InterlockedPushEntrySList(&alt->free_items, &item->free_link);
    else
        HeapFree(GetProcessHeap(), 0, item);
}

static void run_item(bench_alt *alt, queued_item *item)
{
    bench_message message;

    memcpy(&message, item->payload, sizeof message);
    free_item(alt, item);
    bench_work(message.run);
}

static void CALLBACK run_simple(PTP_CALLBACK_INSTANCE instance, void *context)
{
    (void)instance;
    bench_work(context);
}

/* The runtime's batch_enter / callback_enter / callback_leave /
 * outstanding_done. */
static void batch_enter(bench_alt *alt)
{
    LONG running = InterlockedIncrement(&alt->running);
    LONG peak = read_flag(&alt->peak_running);

    while (running > peak) {
        LONG seen = InterlockedCompareExchange(&alt->peak_running, running, peak);
        if (seen == peak)
            break;
        peak = seen;
    }
    (void)read_flag(&alt->started);
    (void)read_flag(&alt->start_status);
}

static void callback_enter(bench_alt *alt)
{
    InterlockedIncrement(&alt->outstanding);
    batch_enter(alt);
}

static void outstanding_done(bench_alt *alt)
{
    if (InterlockedDecrement(&alt->outstanding) == 0)
        (void)read_flag(&alt->stop_requested);
}

static void callback_leave(bench_alt *alt)
{
    InterlockedIncrement64(&alt->completed);
    InterlockedDecrement(&alt->running);
    outstanding_done(alt);
}

static void CALLBACK run_queued(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_alt *alt = context;
    queued_item *item;

    (void)instance;
    (void)work;
    if (alt->variant == BENCH_ALT_COUNTED)
        callback_enter(alt);
    item = pop_item(alt);
    if (item == NULL)
        return;
    run_item(alt, item);
    if (alt->variant == BENCH_ALT_COUNTED) {
        outstanding_done(alt);
        callback_leave(alt);
    }
}

/* Claims one of max_threads callback slots; FALSE when all are taken. As
 * the runtime's shim__enqueue: increment, and give the slot back if over. */
static BOOL claim_callback(bench_alt *alt)
{
    if (InterlockedIncrement(&alt->active) <= (LONG)alt->max_threads)
        return TRUE;
    InterlockedDecrement(&alt->active);
    return FALSE;
}

/* The runtime's shim__run_queued_items: a batched callback runs items until
 * the queue is empty, each item counted as completed and done. It gives up
 * its slot, then looks again: an item pushed while every slot was taken
 * (its submitter did not submit) is never left behind. */
static void CALLBACK run_batched(PTP_CALLBACK_INSTANCE instance, void *context, PTP_WORK work)
{
    bench_alt *alt = context;
    queued_item *item;
    BOOL more;

    (void)instance;
    (void)work;
    batch_enter(alt);
    for (;;) {
        while ((item = pop_item(alt)) != NULL) {
            run_item(alt, item);
            InterlockedIncrement64(&alt->completed);
            outstanding_done(alt);
        }
        InterlockedDecrement(&alt->active);
        AcquireSRWLockShared(&alt->queue_lock);
        more = alt->head != NULL;
        ReleaseSRWLockShared(&alt->queue_lock);
        if (!more || !claim_callback(alt))
            break;
    }
    InterlockedDecrement(&alt->running); /* batch_leave */
}

static int enqueue(bench_alt *alt, bench_run *run)
{
    bench_message message = { run, NULL };
    queued_item *item;
    BOOL gated = uses_gate(alt);

    if (gated && read_flag(&alt->stop_requested))
        return -1;
    item = allocate_item(alt);
    if (item == NULL)
        return -1;
    item->next = NULL;
    item->size = sizeof message;
    memcpy(item->payload, &message, sizeof message);
    if (gated) {
        AcquireSRWLockShared(&alt->submit_lock);
        if (!alt->accepting || read_flag(&alt->stop_requested) ||
            (read_flag(&alt->started) && read_flag(&alt->start_status) != 0)) {
            ReleaseSRWLockShared(&alt->submit_lock);
            free_item(alt, item);
            return -1;
        }
    }
    if (uses_counters(alt)) {
        InterlockedIncrement(&alt->outstanding);
        InterlockedIncrement64(&alt->submitted);
    }
    push_item(alt, item);
    if (!batched(alt) || claim_callback(alt))
        SubmitThreadpoolWork(alt->work);
    if (gated)
        ReleaseSRWLockShared(&alt->submit_lock);
    return 0;
}

bench_alt *bench_alt_open(int variant, unsigned threads)
{
    PTP_WORK_CALLBACK callback = run_plain;
    bench_alt *alt = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *alt);

    if (alt == NULL)
        return NULL;
    alt->variant = (bench_alt_variant)variant;
    alt->max_threads = threads;
    alt->accepting = 1;
    alt->started = 1;
    InitializeSRWLock(&alt->queue_lock);
    InitializeSRWLock(&alt->submit_lock);
    InitializeSListHead(&alt->free_items);
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
    else if (batched(alt))
        callback = run_batched;
    else if (alt->variant >= BENCH_ALT_QUEUE)
        callback = run_queued;
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
    if (alt->variant >= BENCH_ALT_QUEUE)
        return enqueue(alt, run);
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
    SLIST_ENTRY *entry;

    if (alt == NULL)
        return;
    WaitForThreadpoolWorkCallbacks(alt->work, FALSE);
    CloseThreadpoolWork(alt->work);
    while ((entry = InterlockedPopEntrySList(&alt->free_items)) != NULL)
        HeapFree(GetProcessHeap(), 0, CONTAINING_RECORD(entry, queued_item, free_link));
    CloseThreadpool(alt->pool);
    DestroyThreadpoolEnvironment(&alt->environment);
    HeapFree(GetProcessHeap(), 0, alt);
}
