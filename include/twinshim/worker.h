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

#include <windows.h>

#include "twinshim/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_session shim_session;
typedef struct shim_timer shim_timer;
typedef struct shim_wait shim_wait;
typedef struct shim_io shim_io;

typedef enum shim_stop_policy {
    SHIM_STOP_DRAIN = 0, /* run everything already queued (the default) */
    SHIM_STOP_CANCEL = 1 /* drop what is queued (its cancel function runs), finish what runs */
} shim_stop_policy;

/* A unit of work; runs on a pool thread of `session`. */
typedef void (*shim_work_function)(shim_session *session, void *context);

/* Runs instead of the work function when the work is dropped (cancel policy,
 * or a session whose start hook failed), so `context` can be freed. */
typedef void (*shim_cancel_function)(shim_session *session, void *context);

/* Per-session counters (shim_session_get_counters, and the trace hook). */
typedef struct shim_session_counters {
    long long submitted;         /* work items accepted (shim_submit, shim_front_post) */
    long long completed;         /* callbacks of any kind that ran to the end */
    long long cancelled;         /* work items dropped: their cancel function ran */
    long long refused;           /* submissions and re-arms refused */
    long running;                /* callbacks running now */
    long peak_running;           /* the most that ever ran at once */
    long long stop_requested_ms; /* GetTickCount64 when the stop was signalled, or 0 */
    long long stop_finished_ms;  /* GetTickCount64 when the drain ended or gave up, or 0 */
    int module_pinned;           /* nonzero: the stop deadline passed and the worker was pinned */
} shim_session_counters;

typedef enum shim_trace_event {
    SHIM_TRACE_SESSION_STARTED = 1, /* on_start returned (see the counters) */
    SHIM_TRACE_STOP_RECEIVED,       /* the session thread woke to stop */
    SHIM_TRACE_DRAIN_FINISHED,      /* no callback runs or is queued any more */
    SHIM_TRACE_MODULE_RELEASED,     /* about to drop the module reference */
    SHIM_TRACE_MODULE_PINNED        /* the stop deadline passed: the worker stays loaded */
} shim_trace_event;

typedef void (*shim_timer_function)(shim_session *session, void *context);

/* timed_out is nonzero when the wait's timeout passed before the handle was signalled. */
typedef void (*shim_wait_function)(shim_session *session, void *context, int timed_out);

/* An overlapped operation on a shim_io handle completed (result is a Windows
 * error code, 0 for success; ERROR_OPERATION_ABORTED after a cancel). */
typedef void (*shim_io_function)(shim_session *session, void *context, OVERLAPPED *overlapped,
                                 unsigned long result, size_t bytes_transferred);

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

    /* Session thread: lifecycle events with a snapshot of the counters. Never
     * called under the loader lock. May be NULL. */
    void (*on_trace)(shim_session *session, shim_trace_event event, const shim_session_counters *counters);
} shim_plugin;

/* The worker runtime asks for the plugin through this function, which
 * SHIM_DEFINE_PLUGIN defines. */
const shim_plugin *shim_worker_plugin(void);

/* Defines the worker's one plugin. Use it once, in one source file of the
 * worker DLL: SHIM_DEFINE_PLUGIN(my_plugin) where my_plugin is a shim_plugin. */
#define SHIM_DEFINE_PLUGIN(plugin_variable) \
    const shim_plugin *shim_worker_plugin(void) \
    { \
        return &(plugin_variable); \
    }

/* Queues work(session, context) on the session's pool. Any thread may call it,
 * including a work callback. Never blocks on other work.
 * Returns SHIM_OK (then exactly one of work or on_cancel will run, once),
 * SHIM_E_STOPPING once the session stops (nothing runs: the caller still owns
 * context), SHIM_E_INVALID_ARGUMENT, SHIM_E_OUT_OF_MEMORY or SHIM_E_SYSTEM.
 * on_cancel may be NULL if context needs no freeing. */
int shim_submit(shim_session *session, shim_work_function work, shim_cancel_function on_cancel,
                void *context);

/* The stop token: nonzero once the session has been told to stop. Long
 * callbacks poll it and return early. Any thread; never blocks. */
int shim_stop_requested(const shim_session *session);

/* What on_start stored in *plugin_state. Any thread. */
void *shim_session_plugin_state(const shim_session *session);

/* Changes what the stop does with queued work; takes effect if called before
 * the drain begins. Any thread. Returns SHIM_OK or SHIM_E_INVALID_ARGUMENT. */
int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy);

/* Sets how long a stop waits for running callbacks, in milliseconds; 0 (the
 * default) waits forever. When it passes, the worker module is pinned (it is
 * never unloaded, so code still running is never unmapped), the session is
 * abandoned as it is, and the event is traced and sent to OutputDebugString.
 * No thread is ever terminated. Takes effect if called before the stop. */
int shim_session_set_stop_deadline(shim_session *session, unsigned milliseconds);

/* Copies the session's counters. Any thread. */
int shim_session_get_counters(const shim_session *session, shim_session_counters *counters);

/* Timers and waits belong to their session: the stop disarms them, waits for
 * their callbacks, closes them, and then calls on_release(session, context)
 * once for each, under either policy, so the context can be freed. There is
 * no separate close: they live until the session stops. on_release may be
 * NULL. Creating one during the stop returns SHIM_E_STOPPING. */
int shim_timer_create(shim_session *session, shim_timer_function callback, shim_cancel_function on_release,
                      void *context, shim_timer **timer);

/* Arms the timer: first in due_ms, then every period_ms (0: once). Re-arming
 * replaces the previous setting. During the stop: SHIM_E_STOPPING. */
int shim_timer_set(shim_timer *timer, unsigned due_ms, unsigned period_ms);

/* Disarms the timer; a callback already running still finishes. */
int shim_timer_cancel(shim_timer *timer);

int shim_wait_create(shim_session *session, shim_wait_function callback, shim_cancel_function on_release,
                     void *context, shim_wait **wait);

/* Arms the wait, once: the callback runs when handle is signalled or after
 * timeout_ms (INFINITE: never times out). Call it again, for example from the
 * callback, to wait again. The handle must stay open while armed. During the
 * stop: SHIM_E_STOPPING. */
int shim_wait_set(shim_wait *wait, HANDLE handle, unsigned long timeout_ms);

/* Binds a file or socket handle, opened for overlapped I/O, to the session's
 * pool: completions of its operations run callback(session, context, ...).
 * The handle stays the caller's to close; close it in on_release, which runs
 * once the object is gone (after shim_io_close and its last completion, or
 * at the end of the stop). At stop, each handle's pending operations are
 * cancelled with CancelIoEx and their completions awaited. */
int shim_io_create(shim_session *session, HANDLE handle, shim_io_function callback,
                   shim_cancel_function on_release, void *context, shim_io **io);

/* Call before every overlapped operation on the handle. SHIM_E_STOPPING once
 * the session stops: then do not start the operation. */
int shim_io_start(shim_io *io);

/* Call when an operation started with shim_io_start failed at once (any
 * error but ERROR_IO_PENDING): no completion will come for it. */
void shim_io_abandon(shim_io *io);

/* No more operations will be started. The object goes, and on_release runs,
 * once its pending operations have completed; cancel them (CancelIoEx, or
 * closesocket) to hurry that. Any thread, including its own callback. */
int shim_io_close(shim_io *io);

#ifdef __cplusplus
}
#endif

#endif
