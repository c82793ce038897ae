/* The worker runtime's private view of a session. One session exists per
 * attach of a front DLL; nothing here is shared between sessions, so a new
 * session can start while an older one still drains. */
#ifndef TWINSHIM_WORKER_SESSION_H
#define TWINSHIM_WORKER_SESSION_H

#include <windows.h>

#include "twinshim/protocol.h"
#include "twinshim/worker.h"

struct shim_session {
    const shim_plugin *plugin;
    void *plugin_state;

    PTP_POOL pool;
    PTP_CLEANUP_GROUP cleanup_group;
    TP_CALLBACK_ENVIRON environment;
    /* One work object for the whole session: each queued item is submitted
     * once, and each callback takes one item from the queue below. */
    PTP_WORK work;

    SRWLOCK queue_lock;
    struct work_item *queue_head;
    struct work_item *queue_tail;

    HANDLE stop_event;    /* set by signal_stop, from the front's DllMain */
    HANDLE started_event; /* set once on_start has returned */

    /* Taken before the session thread exists and dropped by that thread's
     * FreeLibraryAndExitThread, so the code it runs cannot be unmapped. */
    HMODULE own_module_reference;
    HMODULE handed_over_modules[SHIM_MAX_HANDED_OVER_MODULES];
    unsigned handed_over_count;

    /* Submitters hold it shared; the session thread takes it exclusive to
     * close the gate, so no submission can race the cleanup-group close. */
    SRWLOCK submit_lock;
    int accepting; /* written only under the exclusive lock */

    volatile LONG stop_requested;
    volatile LONG started;
    volatile LONG start_status;
    volatile LONG stop_policy;
};

/* Provided by the plugin through SHIM_DEFINE_PLUGIN. */
const shim_plugin *shim_worker_plugin(void);

int shim__session_start(const shim_session_options *options, shim_session **session);
void shim__session_signal_stop(shim_session *session);
int shim__session_status(const shim_session *session);
int shim__session_post(shim_session *session, const void *payload, size_t size);

/* The session thread's body; ends in FreeLibraryAndExitThread. */
DWORD WINAPI shim__session_thread(void *parameter);

/* The work object's callback: runs the next queued item. */
void CALLBACK shim__run_next_item(PTP_CALLBACK_INSTANCE instance, void *session, PTP_WORK work);

/* Takes every queued item off the queue and runs its cancel function. */
void shim__cancel_queued_items(shim_session *session);

/* A full-barrier read of a flag another thread sets with Interlocked*. */
static inline LONG shim__read_flag(const volatile LONG *flag)
{
    return InterlockedCompareExchange((volatile LONG *)flag, 0, 0);
}

#endif
