#include "session.h"

static void report(const char *text)
{
    OutputDebugStringA(text);
}

static void stop_accepting_work(shim_session *session)
{
    /* Once this returns no submitter is inside SubmitThreadpoolWork and none
     * will enter: closing the cleanup group cannot race a submit
     * (Wine asserts on that race; Windows raises). */
    AcquireSRWLockExclusive(&session->submit_lock);
    session->accepting = 0;
    ReleaseSRWLockExclusive(&session->submit_lock);
}

static DECLSPEC_NORETURN void release_session(shim_session *session)
{
    HMODULE own_module_reference = session->own_module_reference;

    CloseThreadpoolCleanupGroup(session->cleanup_group);
    CloseThreadpool(session->pool);
    DestroyThreadpoolEnvironment(&session->environment);
    CloseHandle(session->started_event);
    CloseHandle(session->stop_event);
    for (unsigned i = 0; i < session->handed_over_count; i++)
        FreeLibrary(session->handed_over_modules[i]);
    HeapFree(GetProcessHeap(), 0, session);

    /* FreeLibrary and thread exit in one call: no instruction of this module
     * runs after its reference is dropped, so the unload cannot race us. */
    FreeLibraryAndExitThread(own_module_reference, 0);
}

DWORD WINAPI shim__session_thread(void *parameter)
{
    shim_session *session = parameter;
    const shim_plugin *plugin = session->plugin;
    int start_status = SHIM_OK;
    BOOL cancel;

    /* This thread runs only after the loader lock is released: hooks may do
     * what DllMain must not (files, sockets, COM, LoadLibrary). */
    if (plugin->on_start != NULL && plugin->on_start(session, &session->plugin_state) != SHIM_OK)
        start_status = SHIM_E_START_FAILED;
    InterlockedExchange(&session->start_status, start_status);
    InterlockedExchange(&session->started, 1);
    SetEvent(session->started_event);
    if (start_status != SHIM_OK)
        report("twinshim worker: the plugin's start hook failed; queued work will be cancelled\n");

    WaitForSingleObject(session->stop_event, INFINITE);
    stop_accepting_work(session);

    if (start_status == SHIM_OK && plugin->on_stopping != NULL)
        plugin->on_stopping(session, session->plugin_state);
    cancel = start_status != SHIM_OK || shim__read_flag(&session->stop_policy) == SHIM_STOP_CANCEL;
    /* Cancel: drop the queue now, without waiting for running callbacks;
     * the pool's pending callbacks then find it empty. */
    if (cancel)
        shim__cancel_queued_items(session);
    /* Waits for every callback of the session's work object to return. */
    CloseThreadpoolCleanupGroupMembers(session->cleanup_group, cancel, NULL);
    if (start_status == SHIM_OK && plugin->on_stopped != NULL)
        plugin->on_stopped(session, session->plugin_state);

    release_session(session);
}
