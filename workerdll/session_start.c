#include "../common/fault_injection.h"
#include "session.h"

extern IMAGE_DOS_HEADER __ImageBase;

shim_session *shim__allocate_session(void)
{
    /* HeapAlloc aligns to 16 bytes: room for the block's start and the
     * session on the next cache line. */
    void *block = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(shim_session) + 2 * SHIM_CACHE_LINE);
    ULONG_PTR address;

    if (block == NULL)
        return NULL;
    address = ((ULONG_PTR)block + SHIM_CACHE_LINE) & ~(ULONG_PTR)(SHIM_CACHE_LINE - 1);
    ((void **)address)[-1] = block;
    return (shim_session *)address;
}

void shim__destroy_session_heap(shim_session *session)
{
    if (session->heap != NULL && session->heap != GetProcessHeap())
        HeapDestroy(session->heap);
    session->heap = NULL;
}

void shim__free_session(shim_session *session)
{
    HeapFree(GetProcessHeap(), 0, ((void **)session)[-1]);
}

/* Runs inside the front's DllMain: it only closes what start_session made,
 * never waits (the work object was never submitted) and never calls
 * FreeLibrary (the worker reference still belongs to the front). Keeps the
 * failed call's last error for the front's report. */
static void destroy_partial_session(shim_session *session)
{
    DWORD error = GetLastError();

    if (session->work != NULL)
        CloseThreadpoolWork(session->work);
    if (session->cleanup_group != NULL)
        CloseThreadpoolCleanupGroup(session->cleanup_group);
    if (session->pool != NULL)
        CloseThreadpool(session->pool);
    if (session->journal_count > 0)
        shim__journal_close(&session->journals[0].storage, TRUE);
    shim__destroy_session_heap(session);
    shim__free_session(session);
    SetLastError(error);
}

/* Runs inside the front's DLL_PROCESS_ATTACH, under the loader lock: it may
 * allocate and create the session thread (which starts running only once the
 * lock is free), but it never waits for anything. */
int shim__session_start(const shim_session_options *options, shim_session **out_session)
{
    const shim_plugin *plugin = shim_worker_plugin();
    shim_session *session = NULL;
    HANDLE thread = NULL;
    int status = SHIM_E_SYSTEM;

    if (options == NULL || out_session == NULL || options->handed_over_count > SHIM_MAX_HANDED_OVER_MODULES ||
        options->worker_reference != (HMODULE)&__ImageBase)
        return SHIM_E_INVALID_ARGUMENT;
    *out_session = NULL;
    if (plugin == NULL || plugin->on_message == NULL)
        return SHIM_E_WORKER_INVALID;

    shim__find_shutdown_flag();
    shim__fault_begin(SHIM_FAULTS_ATTACH, L"TWINSHIM_FAULT_WORKER_AT");
    shim__fault_begin(SHIM_FAULTS_JOURNAL, L"TWINSHIM_FAULT_JOURNAL_AT");
    session = SHIM__FAULTABLE(shim__allocate_session(), NULL);
    if (session == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    /* No fault point: without a heap of its own the session uses the
     * process heap, and works the same. */
    session->heap = HeapCreate(0, 0, 0);
    if (session->heap == NULL)
        session->heap = GetProcessHeap();
    shim__queue_init(&session->queue, session->heap);
    session->plugin = plugin;
    InitializeSRWLock(&session->delivery_lock);
    session->delivery_latency_ms = SHIM_DEFAULT_DELIVERY_LATENCY_MS;
    session->deferred_limit = SHIM_DEFAULT_DEFERRED_LIMIT;
    session->stop_policy = SHIM_STOP_DRAIN;
    session->accepting = 1;
    InitializeSRWLock(&session->submit_lock);
    InitializeSRWLock(&session->objects_lock);
    InitializeSRWLock(&session->pool_size_lock);

    session->max_callbacks = SHIM_DEFAULT_MAX_THREADS;
    session->message_batch = 1;
    /* The journal exists before attach returns: a post may come at once. */
    status = shim__resolve_queue_settings(&plugin->queue, &session->queue_settings);
    if (status != SHIM_OK)
        goto done;
    status = shim__open_own_journal(session, options);
    if (status != SHIM_OK)
        goto done;
    status = SHIM_E_SYSTEM;
    session->pool = SHIM__FAULTABLE(CreateThreadpool(NULL), NULL);
    if (session->pool == NULL)
        goto done;
    SetThreadpoolThreadMaximum(session->pool, (DWORD)session->max_callbacks);
    session->cleanup_group = SHIM__FAULTABLE(CreateThreadpoolCleanupGroup(), NULL);
    if (session->cleanup_group == NULL)
        goto done;
    InitializeThreadpoolEnvironment(&session->environment);
    SetThreadpoolCallbackPool(&session->environment, session->pool);
    SetThreadpoolCallbackCleanupGroup(&session->environment, session->cleanup_group, NULL);
    /* A member of the cleanup group: its close releases it. */
    session->work =
        SHIM__FAULTABLE(CreateThreadpoolWork(shim__run_queued_items, session, &session->environment), NULL);
    if (session->work == NULL)
        goto done;

    /* The reference the session thread will drop: the front took it with
     * LoadLibraryExW before this thread exists, so it cannot come too late. */
    session->own_module_reference = options->worker_reference;

    thread = SHIM__FAULTABLE(CreateThread(NULL, 0, shim__session_thread, session, 0, NULL), NULL);
    if (thread == NULL)
        goto done;
    CloseHandle(thread);

    for (unsigned i = 0; i < options->handed_over_count; i++)
        session->handed_over_modules[i] = options->handed_over_modules[i];
    session->handed_over_count = options->handed_over_count;
    shim__register_session(session);
    *out_session = session;
    status = SHIM_OK;

done:
    if (status != SHIM_OK)
        destroy_partial_session(session);
    return status;
}
