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
 *   (front unloaded: after the stop linger, if the plugin set one, the stop
 *    is requested, shim_session_stop_requested turns nonzero, new work and
 *    re-arms are refused with SHIM_E_STOPPING)
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

/* ---- Messages ------------------------------------------------------------ */

/* A message as the plugin receives it: one shim_front_post of some front
 * process, taken from the session's journal. */
typedef struct shim_message {
    /* A copy of what was posted, aligned for any type. Valid until the hook
     * returns; for a message on_message deferred, until it is finished. */
    const void *payload;
    size_t size;
    /* 1, 2, 3... in the order the journal's messages were taken, per
     * journal (one per process and front; a journal a later process
     * adopted numbers on). A message delivered again keeps its number: a
     * sink tells a repeat by it, with the process id and start time. */
    unsigned long long sequence;
    unsigned flags; /* SHIM_MESSAGE_* */
    /* The process that posted it: this one, or a dead one's (recovered). */
    unsigned long process_id;
    unsigned long long process_started; /* that process's creation time, FILETIME */
} shim_message;

/* Its handling may have begun before (an on_message cut off by the death of
 * the process, a deferred message never finished): it may be a repeat. */
#define SHIM_MESSAGE_POSSIBLE_REPEAT 0x1u
/* From the journal of a process that died (or a session that stopped
 * before finishing it), delivered by a later session of the same front. */
#define SHIM_MESSAGE_RECOVERED 0x2u

/* ---- The session's queue: chosen before the first post ------------------ */

/* Where messages wait between the post and the plugin. */
typedef enum shim_journal_kind {
    /* A file mapped into the process (the default): a message whose post
     * returned survives the death of the process, whatever kills it, and
     * the next session of the same front delivers it (docs/journal.md). */
    SHIM_JOURNAL_FILE = 0,
    /* Process memory: lost if the process dies; still bounded. */
    SHIM_JOURNAL_MEMORY = 1
} shim_journal_kind;

/* What a post does when the journal is full. Every message dropped is
 * counted (counters.dropped) and reported. */
typedef enum shim_full_policy {
    /* The poster waits for room, up to full_wait_ms, then the message is
     * dropped (the default). A poster under the loader lock never waits;
     * after a wait that ran out, posts drop at once until the plugin has
     * made room again. */
    SHIM_FULL_WAIT = 0,
    SHIM_FULL_DROP = 1 /* dropped at once */
} shim_full_policy;

/* When a message reaches the disk. The journal's pages survive the death
 * of the process without any flush; an operating system crash or a power
 * cut loses what the system had not written yet (seconds of messages). */
typedef enum shim_flush_policy {
    SHIM_FLUSH_NEVER = 0,     /* the system writes when it will (the default) */
    SHIM_FLUSH_EVERY_POST = 1 /* each post returns once its message is on disk: milliseconds a post */
} shim_flush_policy;

/* The most messages a journal holds is capacity / (32 + size rounded up to
 * 64) bytes. */
#define SHIM_DEFAULT_JOURNAL_CAPACITY_KIB 4096u
#define SHIM_MIN_JOURNAL_CAPACITY_KIB 64u
#define SHIM_MAX_JOURNAL_CAPACITY_KIB (1024u * 1024u)
#define SHIM_DEFAULT_MESSAGE_LIMIT 65536u
#define SHIM_DEFAULT_FULL_WAIT_MS 1000u
#define SHIM_MAX_FULL_WAIT_MS 60000u

/* Read when the session starts (inside the front's attach), so that posts
 * made before on_start have a place: zero in every field means the
 * defaults. A value out of range refuses the session (the front then
 * passes through, and says why). */
typedef struct shim_queue_settings {
    shim_journal_kind journal;
    /* The journal's size in KiB: SHIM_MIN_JOURNAL_CAPACITY_KIB to
     * SHIM_MAX_JOURNAL_CAPACITY_KIB, a multiple of 4; 0 for the default. */
    unsigned capacity_kib;
    /* The largest message, in bytes: a bigger post gets SHIM_E_TOO_LARGE.
     * At most a quarter of the capacity; 0 for SHIM_DEFAULT_MESSAGE_LIMIT. */
    unsigned message_limit;
    shim_full_policy when_full;
    /* SHIM_FULL_WAIT's bound, at most SHIM_MAX_FULL_WAIT_MS; 0 for the default. */
    unsigned full_wait_ms;
    shim_flush_policy flush;
} shim_queue_settings;

/* ---- The plugin ---------------------------------------------------------- */

typedef struct shim_plugin {
    /* Session thread, before any callback runs. Return SHIM_OK, or an error
     * to refuse the session: its work items are then cancelled, never run,
     * and its messages stay in the journal for the next session.
     * `*plugin_state` starts NULL; whatever is stored there is handed to the
     * other hooks and returned by shim_session_get_plugin_state. The place
     * to choose the session's settings (shim_session_set_*). May be NULL. */
    int (*on_start)(shim_session *session, void **plugin_state);

    /* Pool thread: one message posted by a front (shim_front_post), in post
     * order per posting process. Messages of journals left by dead processes
     * come first (SHIM_MESSAGE_RECOVERED). Once it returns, the message is
     * finished and leaves the journal, unless it called shim_message_defer.
     * Required. */
    void (*on_message)(shim_session *session, const shim_message *message);

    /* Instead of on_message when the message is dropped (the cancel policy).
     * May be NULL. */
    void (*on_message_cancelled)(shim_session *session, const shim_message *message);

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
     * hands over, in order, every message still in the session's journals
     * (flagged SHIM_MESSAGE_POSSIBLE_REPEAT when its on_message may have
     * begun, or it was deferred), then each message posted after the exit
     * began, at its post. The first messages may be those of dead
     * processes, from the journals this session recovered or adopted:
     * flagged SHIM_MESSAGE_RECOVERED, as on_message gets them (never follow
     * their pointers).
     * For at most about a second in all: what is left stays in the journal
     * for the next session (with SHIM_JOURNAL_MEMORY, it is lost), counted
     * and reported. Return SHIM_OK once the message is handled; any other
     * value declines it, and it stays in the journal (memory: it is lost),
     * counted.
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
     * May be NULL: messages then stay in the journal (memory: lost). */
    int (*on_exit_message)(shim_session *session, const shim_message *message);

    /* The session's queue (see shim_queue_settings): all zero for the
     * defaults, a journal file of 4 MiB. */
    shim_queue_settings queue;
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
 * (the default) waits forever. The wait begins after on_stopping returns.
 * When it passes, the worker module is pinned (never unloaded, so code still
 * running is never unmapped), the session is abandoned as it is, and the
 * event is traced and sent to OutputDebugString. No thread is ever
 * terminated. After the pin, running callbacks finish, and under
 * SHIM_STOP_DRAIN the messages and work items still queued run too, as pool
 * threads come free (timer ticks already due as well); on_stopped and the
 * handles' on_closed never run. What the session holds stays until the
 * process ends: its pool and threads, its memory, its journal, what
 * on_start opened, a wrapper's original DLL. docs/plugin-guide.md, "The stop deadline", has
 * the measurements. */
int shim_session_set_stop_deadline(shim_session *session, unsigned milliseconds);

/* The most callbacks that run at once on the session's pool, 1 to
 * SHIM_MAX_THREADS_LIMIT (default SHIM_DEFAULT_MAX_THREADS). Lowered while
 * more run, it holds from then on: a callback beyond it finishes what it
 * runs and takes nothing more. Callbacks of every kind count: while this
 * many slow messages run, timer ticks wait for a thread and then run at
 * once, late (measured: none of 50 ticks of a 100 ms timer during two 5 s
 * handlers with 2 threads, then 50 within 5 ms). Allow one thread more than
 * the callbacks that may be slow to keep a timer on time. */
int shim_session_set_max_threads(shim_session *session, unsigned max_threads);

/* The most messages a callback takes from the queue at once. */
#define SHIM_MESSAGE_BATCH_LIMIT 32u

/* How many messages a callback may take at once, 1 (the default) to
 * SHIM_MESSAGE_BATCH_LIMIT; any time, from the next take on. A batch costs
 * one lock instead of one per message: it helps when the callbacks, not the
 * posting threads, are what limits a short on_message (docs/benchmarks.md,
 * section 6). What it trades: the messages of a batch run one after the
 * other on the callback that took them, so a slow one delays the rest of
 * its batch even while another callback is idle; under SHIM_STOP_CANCEL
 * they are cancelled when that callback reaches them, which may be after
 * on_stopping began. Work items (shim_session_submit) are always taken
 * alone. */
int shim_session_set_message_batch(shim_session *session, unsigned max_messages);

/* The bounds of shim_session_set_delivery_latency, in milliseconds. */
#define SHIM_DEFAULT_DELIVERY_LATENCY_MS 20u
#define SHIM_MIN_DELIVERY_LATENCY_MS 4u
#define SHIM_MAX_DELIVERY_LATENCY_MS 1000u

/* How long a message may wait in the journal before a callback looks at
 * it, in milliseconds (default SHIM_DEFAULT_DELIVERY_LATENCY_MS); any time.
 * A post does not wake the pool: it writes its message and returns, and the
 * session thread looks for messages four times per latency while it finds
 * some, every three quarters of it while it finds none, so a program that
 * calls now and then pays nanoseconds, not a thread wake, per call. A post
 * wakes a callback itself only when the journal fills past an eighth of
 * its capacity. What it trades: a message waits up to three quarters of the
 * latency before its callback starts (more when the machine is busy), and
 * an idle session wakes its session thread 4000 / (3 x latency) times a
 * second. */
int shim_session_set_delivery_latency(shim_session *session, unsigned milliseconds);

/* The longest linger of shim_session_set_stop_linger. */
#define SHIM_MAX_STOP_LINGER_MS 60000u

/* Puts off the stop that the front's unload signals by up to `milliseconds`
 * (0, the default: no linger; at most SHIM_MAX_STOP_LINGER_MS), for a
 * plugin whose messages become durable later than on_message returns: a
 * sink that waits for a collector's acknowledgements. Meanwhile the session
 * runs as before the stop: shim_session_stop_requested says 0, messages
 * are delivered at once and then as they come, and handles, I/O and timers
 * work. The linger ends, and the stop is requested, as soon as no message
 * of the session's journals is unfinished, when the plugin sets the linger
 * to 0 (at any time: a sink whose collector is down), or when it has
 * lasted this long. Call it from the plugin's hooks and callbacks, or from
 * a thread that holds a reference to the worker of its own: a linger set
 * to 0 lets the session end, and the worker unload, before the call has
 * returned into the worker's code. Not at process exit, which hands over at
 * once as always. The stop deadline (shim_session_set_stop_deadline) counts
 * from after the linger. The sink library's RELP sink sets it
 * (shim_sink_options.stop_linger_ms). */
int shim_session_set_stop_linger(shim_session *session, unsigned milliseconds);

/* The most deferred messages of shim_session_set_deferred_limit. */
#define SHIM_DEFAULT_DEFERRED_LIMIT 1024u
#define SHIM_MAX_DEFERRED_LIMIT 65536u

/* The most messages that may be deferred and not yet finished at once, 1 to
 * SHIM_MAX_DEFERRED_LIMIT (default SHIM_DEFAULT_DEFERRED_LIMIT). While it
 * is reached, no message is delivered: the journal holds the backlog. */
int shim_session_set_deferred_limit(shim_session *session, unsigned limit);

/* ---- Finishing a message later --------------------------------------------
 *
 * A sink that has finished with a message only when something else says so
 * (a collector's acknowledgement, a transaction's commit) defers it: the
 * message then stays in the journal, its payload valid and unchanged, until
 * the plugin finishes it, from any thread. A message deferred and never
 * finished when the session stops stays in the journal: the next session of
 * the same front delivers it again (SHIM_MESSAGE_RECOVERED |
 * SHIM_MESSAGE_POSSIBLE_REPEAT), and so does a process exit (handed to
 * on_exit_message, flagged SHIM_MESSAGE_POSSIBLE_REPEAT, first). */

typedef unsigned long long shim_message_ticket;

/* Only inside on_message, for the message it was given: once on_message
 * returns, the message is not finished. *ticket names it for
 * shim_message_finish. SHIM_E_INVALID_ARGUMENT outside on_message or for
 * another message. */
int shim_message_defer(shim_session *session, const shim_message *message, shim_message_ticket *ticket);

/* Any thread that keeps the worker loaded (the plugin's callbacks, or one
 * that holds its own reference), once per ticket: the deferred message is
 * done and leaves the journal. During a stop's linger, the last finish may
 * let the session end, and the worker unload, before the call has
 * returned. SHIM_E_INVALID_ARGUMENT for a ticket that names no deferred
 * message of this session (finished already, or never deferred). */
int shim_message_finish(shim_session *session, shim_message_ticket ticket);

/* ---- Handles: timers, waits and I/O -------------------------------------
 *
 * Every handle kind follows the same rules:
 *   create   binds a callback and a context to the session. SHIM_E_STOPPING
 *            once the stop is requested and on_start has returned (while
 *            on_start runs, creating and starting still work: the stop
 *            that follows it closes the handle like the others). The
 *            handle is returned unarmed.
 *   start    arms it (a timer's due time, a wait's object, an I/O
 *            operation). Re-arming from its own callback is allowed.
 *            SHIM_E_STOPPING as for create, SHIM_E_CLOSED after close.
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
