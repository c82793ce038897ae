/* twinshim plugin API: what a worker DLL's own code uses.
 *
 * A worker DLL is the twinshim worker runtime plus one plugin, defined with
 * SHIM_DEFINE_PLUGIN below. The runtime gives every attach of a front DLL its
 * own session: a private thread pool, a cleanup group and a session thread.
 * All plugin code runs on that session thread or on the session's pool
 * threads, never inside DllMain and never under the loader lock.
 *
 * Lifecycle of one session, all on the session thread unless said otherwise:
 *   on_start            before any work callback runs; may open files, sockets, COM
 *   ... work callbacks run on pool threads ...
 *   (front unloaded: the stop is signalled, shim_stop_requested turns true,
 *    new work is refused with SHIM_E_STOPPING)
 *   on_stopping         stop was signalled; cancel your own I/O so work can finish
 *   drain or cancel     every queued callback runs, or (cancel policy) gets its
 *                       cancel function instead; running callbacks finish
 *   on_stopped          no callback is running or queued; close what on_start opened
 *   the runtime closes the pool and drops the session's module reference with
 *   FreeLibraryAndExitThread: the worker unloads when its last session is gone.
 */
#ifndef TWINSHIM_WORKER_H
#define TWINSHIM_WORKER_H

#include <stddef.h>

#include "twinshim/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_session shim_session;

typedef enum shim_stop_policy {
    SHIM_STOP_DRAIN = 0, /* run everything already queued (the default) */
    SHIM_STOP_CANCEL = 1 /* drop what is queued (its cancel function runs), finish what runs */
} shim_stop_policy;

/* A unit of work; runs on a pool thread of `session`. */
typedef void (*shim_work_function)(shim_session *session, void *context);

/* Runs instead of the work function when the work is dropped (cancel policy,
 * or a session whose start hook failed), so `context` can be freed. */
typedef void (*shim_cancel_function)(shim_session *session, void *context);

typedef struct shim_plugin {
    /* Session thread, before any work runs. Return SHIM_OK, or an error to
     * refuse the session: its queued work is then cancelled, never run.
     * `*plugin_state` starts NULL; whatever is stored there is handed to the
     * other hooks and returned by shim_session_plugin_state. May be NULL. */
    int (*on_start)(shim_session *session, void **plugin_state);

    /* Pool thread: one message posted by the front (shim_front_post). The
     * payload is a private copy, valid until this returns. Required. */
    void (*on_message)(shim_session *session, const void *payload, size_t size);

    /* Instead of on_message when the message is dropped. May be NULL. */
    void (*on_message_cancelled)(shim_session *session, const void *payload, size_t size);

    /* Session thread, right after the stop is signalled and before the drain:
     * the place to close listening sockets or cancel I/O. May be NULL.
     * Not called when on_start failed. */
    void (*on_stopping)(shim_session *session, void *plugin_state);

    /* Session thread, after the drain: no callback runs or is queued any more.
     * Not called when on_start failed. May be NULL. */
    void (*on_stopped)(shim_session *session, void *plugin_state);
} shim_plugin;

/* Defines the worker's one plugin. Use it once, in one source file of the
 * worker DLL: SHIM_DEFINE_PLUGIN(my_plugin); where my_plugin is a shim_plugin. */
#define SHIM_DEFINE_PLUGIN(plugin_variable) \
    const shim_plugin *shim_worker_plugin(void) { return &(plugin_variable); }

/* Queues work(session, context) on the session's pool. Any thread may call it,
 * including a work callback. Never blocks on other work.
 * Returns SHIM_OK (then exactly one of work or on_cancel will run, once),
 * SHIM_E_STOPPING once the session stops (nothing runs: the caller still owns
 * context), SHIM_E_INVALID_ARGUMENT, SHIM_E_OUT_OF_MEMORY or SHIM_E_SYSTEM.
 * on_cancel may be NULL if context needs no freeing. */
int shim_submit(shim_session *session, shim_work_function work,
                shim_cancel_function on_cancel, void *context);

/* The stop token: nonzero once the session has been told to stop. Long
 * callbacks poll it and return early. Any thread; never blocks. */
int shim_stop_requested(const shim_session *session);

/* What on_start stored in *plugin_state. Any thread. */
void *shim_session_plugin_state(const shim_session *session);

/* Changes what the stop does with queued work; takes effect if called before
 * the drain begins. Any thread. Returns SHIM_OK or SHIM_E_INVALID_ARGUMENT. */
int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy);

#ifdef __cplusplus
}
#endif

#endif
