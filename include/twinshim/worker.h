/* twinshim plugin API: what a worker DLL's own code uses.
 *
 * A worker DLL is the twinshim worker runtime plus one plugin, defined with
 * SHIM_DEFINE_PLUGIN below. The runtime gives every attach of a front DLL its
 * own session: a private thread pool, a cleanup group and a session thread.
 * All plugin code runs on that session thread or on the session's pool
 * threads, never inside DllMain and never under the loader lock.
 *
 * Lifecycle of one session, all on the session thread unless said otherwise:
 *   on_start            before any callback runs; may open files, sockets, COM
 *   ... work, timer, wait and I/O callbacks run on pool threads ...
 *   (front unloaded: the stop is requested, shim_session_stop_requested turns
 *    nonzero, new work and re-arms are refused with SHIM_E_STOPPING)
 *   on_stopping         cancel your own I/O so that it can finish
 *   drain or cancel     every queued item runs, or (cancel policy) gets its
 *                       cancel function instead; running callbacks finish
 *   on_closed           of every timer, wait and I/O handle still open
 *   on_stopped          no callback is running or queued; close what on_start opened
 *   the runtime closes the pool and drops the session's module reference with
 *   FreeLibraryAndExitThread: the worker unloads when its last session is gone.
 * If the process exits first, on_exit_message receives what is still queued
 * (see there); nothing else runs.
 *
 * Conventions of every function below:
 *   - It returns SHIM_OK (0) or a negative shim_status. SHIM_E_SYSTEM means a
 *     Windows call failed: GetLastError() on the same thread then holds its
 *     error. No function blocks on the session's other callbacks.
 *   - Any thread may call it, unless its comment says otherwise.
 *   - A NULL handle or session is SHIM_E_INVALID_ARGUMENT, never a crash.
 */
#ifndef TWINSHIM_WORKER_H
#define TWINSHIM_WORKER_H

#include <stddef.h>

#include <windows.h>

#include "twinshim/counters.h"
#include "twinshim/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_session shim_session;
typedef struct shim_timer shim_timer;
typedef struct shim_wait shim_wait;
typedef struct shim_io shim_io;

/* ---- The plugin ---------------------------------------------------------- */

typedef struct shim_plugin {
    /* Session thread, before any callback runs. Return SHIM_OK, or an error
     * to refuse the session: its queued work is then cancelled, never run.
     * `*plugin_state` starts NULL; whatever is stored there is handed to the
     * other hooks and returned by shim_session_get_plugin_state. The place
     * to choose the session's settings (shim_session_set_*). May be NULL. */
    int (*on_start)(shim_session *session, void **plugin_state);

    /* Pool thread: one message posted by the front (shim_front_post). The
     * payload is a private copy, aligned for any type, valid until this
     * returns. Required. */
    void (*on_message)(shim_session *session, const void *payload, size_t size);

    /* Instead of on_message when the message is dropped (cancel policy, or
     * on_start failed). May be NULL. */
    void (*on_message_cancelled)(shim_session *session, const void *payload, size_t size);

    /* Session thread, right after the stop is requested and before the
     * drain: the place to close listening sockets or cancel I/O. Under the
     * cancel policy the queue is already empty (a message batch being run
     * is cancelled as its callback reaches each message). Not called when on_start
     * failed. May be NULL. */
    void (*on_stopping)(shim_session *session, void *plugin_state);

    /* Session thread, after the drain and after every handle's on_closed: no
     * callback runs or is queued any more. Not called when on_start failed.
     * May be NULL. */
    void (*on_stopped)(shim_session *session, void *plugin_state);

    /* Session thread: lifecycle events with a snapshot of the counters.
     * SHIM_TRACE_PROCESS_EXIT alone comes on the exiting thread, under the
     * rules of on_exit_message. May be NULL. */
    void (*on_trace)(shim_session *session, shim_trace_event event, const shim_session_counters *counters);

    /* Process exit (ExitProcess, or a return from main): the exiting thread
     * hands over, in order, every message still queued or cut off while its
     * on_message ran (possible_repeat is then nonzero: it may have been
     * handled already), then each message posted after the exit began, at
     * its post. Return SHIM_OK once the message is handled; any other value
     * declines it, and it is counted in lost_at_exit and reported.
     *
     * It runs inside DllMain, and every other thread has been ended wherever
     * it was, holding whatever locks it held. So: never wait, and never
     * wake (releasing an SRW lock or a condition variable wakes, and under
     * Wine the wake table may be locked by an ended thread); guard shared
     * state with a compare-exchange flag of your own, and decline when
     * another live thread holds it (examples/legacy/shim/audit_worker.c);
     * no thread pool, no LoadLibrary, no new threads, no heap allocation
     * (the heap's own lock may be held). Writing with WriteFile to a handle
     * opened in on_start is what it is for.
     * May be NULL: messages queued at exit are then counted as lost. */
    int (*on_exit_message)(shim_session *session, const void *payload, size_t size, int possible_repeat);
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

/* ---- The session --------------------------------------------------------- */

typedef enum shim_stop_policy {
    SHIM_STOP_DRAIN = 0, /* run everything already queued (the default) */
    SHIM_STOP_CANCEL = 1 /* drop what is queued (its cancel function runs), finish what runs */
} shim_stop_policy;

/* The most pool threads a session may have (shim_session_set_max_threads). */
#define SHIM_MAX_THREADS_LIMIT 512u
/* Pool threads of a session that never set its maximum. */
#define SHIM_DEFAULT_MAX_THREADS 2u

/* A unit of work, and what runs instead when it is dropped (cancel policy,
 * or on_start failed) so that `context` can be freed. */
typedef void (*shim_work_function)(shim_session *session, void *context);
typedef void (*shim_work_cancel_function)(shim_session *session, void *context);

/* Queues work(session, context) on the session's pool, including from a
 * callback. Returns SHIM_OK: exactly one of work and on_cancel then runs,
 * once. SHIM_E_STOPPING once the stop is requested, SHIM_E_START_FAILED
 * after on_start failed, SHIM_E_OUT_OF_MEMORY: nothing runs and the caller
 * still owns context. on_cancel may be NULL if context needs no freeing. */
int shim_session_submit(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                        void *context);

/* The stop token: nonzero once the session has been told to stop. Long
 * callbacks poll it and return early. Never blocks. A NULL session reads as
 * stopping (1), so that a loop polling it ends. */
int shim_session_stop_requested(const shim_session *session);

/* What on_start stored in *plugin_state, or NULL (also for a NULL session). */
void *shim_session_get_plugin_state(const shim_session *session);

/* Copies the session's counters. */
int shim_session_get_counters(const shim_session *session, shim_session_counters *counters);

/* The session's settings. Each takes effect if set before the stop is
 * requested (on_start is the natural place); later calls change nothing the
 * stop already read. */

/* What the stop does with queued work (default: SHIM_STOP_DRAIN).
 * SHIM_E_INVALID_ARGUMENT for any other value. */
int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy);

/* How long a stop waits for callbacks, in milliseconds, at most MAXLONG; 0
 * (the default) waits forever. When it passes, the worker module is pinned
 * (never unloaded, so code still running is never unmapped), the session is
 * abandoned as it is, and the event is traced and sent to OutputDebugString.
 * No thread is ever terminated. */
int shim_session_set_stop_deadline(shim_session *session, unsigned milliseconds);

/* The most callbacks that run at once on the session's pool, 1 to
 * SHIM_MAX_THREADS_LIMIT (default SHIM_DEFAULT_MAX_THREADS). Lowered while
 * more run, it holds from then on: a callback beyond it finishes what it
 * runs and takes nothing more. */
int shim_session_set_max_threads(shim_session *session, unsigned max_threads);

/* The most messages a callback takes from the queue at once. */
#define SHIM_MESSAGE_BATCH_LIMIT 32u

/* How many messages a callback may take at once, 1 (the default) to
 * SHIM_MESSAGE_BATCH_LIMIT; any time, from the next take on. A batch costs
 * one lock instead of one per message, and its slots are read together:
 * it helps when the callbacks, not the posting threads, are what limits a
 * short on_message (docs/benchmarks.md, section 6). What it trades: the
 * messages of a batch run one after the other on the callback that took
 * them, so a slow one delays the rest of its batch even while another
 * callback is idle; under SHIM_STOP_CANCEL they are cancelled when that
 * callback reaches them, which may be after on_stopping began; a lowered
 * maximum of threads holds once the batch is done. With more than one
 * thread allowed, a callback takes at most half of the messages it finds,
 * leaving the rest to the others. At process exit a batch is handed over
 * like the queue. Work items (shim_session_submit) are always taken alone. */
int shim_session_set_message_batch(shim_session *session, unsigned max_messages);

/* The longest delivery delay, in milliseconds. */
#define SHIM_DELIVERY_DELAY_LIMIT 1000u

/* How long a message posted while no callback is scheduled waits before one
 * starts, in milliseconds: 0 (the default: at once) to
 * SHIM_DELIVERY_DELAY_LIMIT; any time, from the next such post on.
 * Everything posted meanwhile goes to that callback, and a window that ran
 * messages starts the next itself: a host that posts now and then, and
 * would find the pool asleep at every post, pays one wake per busy stretch
 * instead of one per post (docs/plugin-guide.md, "Delivery delay"; posts
 * back to back gain nothing). What it trades: a message waits up to the
 * delay before it runs. The stop does not wait it out: a stop requested
 * meanwhile starts the callback at once. At process exit, messages still
 * waiting are handed over like the rest of the queue. The first nonzero
 * delay creates a pool timer for the session: SHIM_E_STOPPING once the stop
 * is requested, SHIM_E_SYSTEM if the timer could not be created (the
 * setting is then unchanged). */
int shim_session_set_delivery_delay(shim_session *session, unsigned milliseconds);

/* ---- Handles: timers, waits and I/O -------------------------------------
 *
 * Every handle kind follows the same rules:
 *   create   binds a callback and a context to the session. SHIM_E_STOPPING
 *            once the stop is requested. The handle is returned unarmed.
 *   start    arms it (a timer's due time, a wait's object, an I/O
 *            operation). Re-arming from its own callback is allowed.
 *            SHIM_E_STOPPING once the stop is requested, SHIM_E_CLOSED after
 *            close.
 *   close    any thread, including the handle's own callback; once per
 *            handle. Once close returns, no new timer or wait callback
 *            begins (one already running finishes); I/O operations still
 *            pending are cancelled, and their completions run with
 *            ERROR_OPERATION_ABORTED. Once its last
 *            callback has returned, on_closed(session, context) runs once,
 *            on a pool thread or the session thread, and the handle is freed:
 *            free the context there. After close returns, the handle may be
 *            used only by its own callbacks that are still running (a start
 *            from there returns SHIM_E_CLOSED).
 *   stop     the session closes every handle still open: it disarms them
 *            when the stop is requested, waits for their callbacks in the
 *            drain, and runs their on_closed before on_stopped, under either
 *            policy.
 * A callback receives its own handle; it may start, stop or close it.
 * Handles closed while the session runs are freed then: creating one handle
 * per request does not grow memory until the stop. on_closed may be NULL. */

typedef void (*shim_close_function)(shim_session *session, void *context);

typedef void (*shim_timer_function)(shim_session *session, shim_timer *timer, void *context);

int shim_timer_create(shim_session *session, shim_timer_function callback, shim_close_function on_closed,
                      void *context, shim_timer **timer);

/* Arms the timer: first in due_ms, then every period_ms (0: once; at most
 * MAXLONG). Re-arming replaces the previous setting. */
int shim_timer_start(shim_timer *timer, unsigned due_ms, unsigned period_ms);

/* Disarms the timer; a callback already running still finishes. SHIM_OK
 * also once the session stops (which disarms it anyway). */
int shim_timer_stop(shim_timer *timer);

int shim_timer_close(shim_timer *timer);

/* timed_out is nonzero when timeout_ms passed before the object was signalled. */
typedef void (*shim_wait_function)(shim_session *session, shim_wait *wait, void *context, int timed_out);

int shim_wait_create(shim_session *session, shim_wait_function callback, shim_close_function on_closed,
                     void *context, shim_wait **wait);

/* Arms the wait, once: the callback runs when `object` is signalled or after
 * timeout_ms (INFINITE: never times out). Start it again, for example from
 * the callback, to wait again. `object` must stay open while armed. */
int shim_wait_start(shim_wait *wait, HANDLE object, unsigned long timeout_ms);

/* Disarms the wait; a callback already running still finishes. */
int shim_wait_stop(shim_wait *wait);

int shim_wait_close(shim_wait *wait);

/* An overlapped operation on the handle completed: result is a Windows error
 * code (0 for success; ERROR_OPERATION_ABORTED after a cancel). */
typedef void (*shim_io_function)(shim_session *session, shim_io *io, void *context, OVERLAPPED *overlapped,
                                 unsigned long result, size_t bytes_transferred);

/* Binds `file`, a file or socket handle opened for overlapped I/O, to the
 * session's pool. It stays the caller's, but must stay open until on_closed
 * runs: close and the stop cancel pending operations through it (CancelIoEx),
 * which on a closed and reused handle value would cancel someone else's I/O.
 * Close it in on_closed. */
int shim_io_create(shim_session *session, HANDLE file, shim_io_function callback,
                   shim_close_function on_closed, void *context, shim_io **io);

/* Call before every overlapped operation on the handle, then start the
 * operation. If the operation fails at once (any error but
 * ERROR_IO_PENDING), call shim_io_abandon: no completion will come for it. */
int shim_io_start(shim_io *io);

/* Undoes one shim_io_start whose operation failed at once. */
int shim_io_abandon(shim_io *io);

/* Cancels the pending operations (their completions still run) and closes
 * the handle as for every kind above. */
int shim_io_close(shim_io *io);

#ifdef __cplusplus
}
#endif

#endif
