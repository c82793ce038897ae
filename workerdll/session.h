/* The worker runtime's private view of a session. One session exists per
 * attach of a front DLL; nothing here is shared between sessions, so a new
 * session can start while an older one still drains. */
#ifndef TWINSHIM_WORKER_SESSION_H
#define TWINSHIM_WORKER_SESSION_H

#include <stddef.h>

#include <windows.h>

#include "twinshim/worker.h"

#include "../common/protocol.h"
#include "item_queue.h"
#include "journal_file.h"
#include "message_ring.h"

/* Posts run on many host threads at once: what they read, what they write
 * and what the pool's callbacks write sit on separate cache lines, so that a
 * post never waits for a line another CPU just wrote. */
#define SHIM_CACHE_LINE 64

/* A pool callback, as process exit may find it: the work item it runs,
 * and the message whose on_message runs (so that exit marks that one alone
 * as a possible repeat). */
typedef struct consumer_slot {
    _Alignas(SHIM_CACHE_LINE) volatile LONG in_use;
    /* Written last when a batch is taken, first when it is done: the batch
     * is the slot's while this is nonzero. */
    volatile LONG64 batch_first_plus_one;
    queue_batch batch;
    /* Where in the batch (in slots) the entry that runs or runs next is. */
    volatile LONG batch_next;
    /* The ticket + 1 of the message in on_message, or 0. */
    volatile LONG64 delivering;
} consumer_slot;

/* The most journals of dead processes one session delivers; more wait for
 * the next session. */
#define SHIM_MAX_RECOVERED_JOURNALS 15
/* journals[0] is the session's own; recovered ones follow. */
#define SHIM_MAX_JOURNALS (1 + SHIM_MAX_RECOVERED_JOURNALS)

/* A journal whose messages the session delivers. */
typedef struct session_journal {
    message_ring ring;
    journal_file storage;
    /* Recovered: a dead process's journal, its messages flagged so. */
    int recovered;
    /* A recovered journal's tail, which no one moves: read instead of the
     * mapped header by looks that hold no lock, since the session thread
     * may unmap the journal under them once it is drained. */
    uint64_t recovered_tail;
    /* The own journal, adopted from a dead process at attach: records
     * before this position are dead processes', delivered as recovered;
     * 0 otherwise. */
    uint64_t adopted_end;
    /* Messages the journal had held when the session opened it: the
     * session's own posts are counted from there. */
    long long messages_at_open;
    /* Set by a consumer once every record is finished and no batch of it is
     * being run; the session thread then closes (and removes) it. */
    volatile LONG drained;
    /* Batches taken from it and not yet released (under the delivery lock). */
    LONG batches_running;
    /* Set under the delivery lock before the journal is unmapped. */
    volatile LONG closed;
} session_journal;

/* The padding between the groups below is the point (see above). */
struct shim_session { /* NOLINT(clang-analyzer-optin.performance.Padding) */
    /* Read by every post, written rarely: this line and the producers' line
     * of journals[0].ring are all of the session a post reads (a call made
     * now and then finds each line cold). */
    _Alignas(SHIM_CACHE_LINE) volatile LONG stop_requested;
    volatile LONG started;
    volatile LONG start_status;
    /* The plugin's queue settings, defaults filled in (session_start.c). */
    shim_queue_settings queue_settings;
    /* A post that ends past a multiple of this many journal bytes looks
     * whether a callback is scheduled (a power of two). */
    unsigned long long wake_span;
    /* The front's stop signal while a linger puts the stop off: the session
     * thread then requests the stop itself (session_thread.c). */
    volatile LONG stop_signalled;
    volatile LONG stop_linger_ms; /* shim_session_set_stop_linger */
    volatile LONG max_callbacks;  /* the pool's thread maximum */
    volatile LONG message_batch;  /* the most messages a callback takes at once */
    const shim_plugin *plugin;
    /* One work object for the whole session. Its callbacks run the
     * journals' messages and the queue's work items; at most max_callbacks
     * are submitted at a time (scheduled). */
    PTP_WORK work;

    /* Written by the pool's callbacks, read by posts past a wake span and by
     * the session thread's look. */
    _Alignas(SHIM_CACHE_LINE) volatile LONG scheduled; /* callbacks submitted and not yet returned */
    volatile LONG deferred_now;                        /* messages deferred and not finished */
    volatile LONG undecided; /* messages taken whose on_message has not returned: each may defer */
    volatile LONG deferred_limit;
    volatile LONG delivery_latency_ms;

    /* Posts after a full journal's wait ran out drop at once until the
     * release point moves past where it was then (message_post.c). */
    _Alignas(SHIM_CACHE_LINE) volatile LONG full_wait_gave_up;
    volatile LONG64 gave_up_at_release;
    volatile LONG64 dropped;
    volatile LONG64 dropped_reported;
    /* Posts waiting for room in a full journal, asleep on room_made until
     * a callback moves the release point (message_post.c). The session's
     * own, not session_signals.c's condition variable: every session
     * thread sleeps on that one, and a release would wake them all. */
    volatile LONG room_waiters;
    SRWLOCK room_lock;
    CONDITION_VARIABLE room_made;

    /* The session's journals: its own first, then those of dead processes
     * (added by the session thread; journal_count is read with acquire).
     * Consumers take messages under delivery_lock. */
    session_journal journals[SHIM_MAX_JOURNALS];
    volatile LONG journal_count;
    _Alignas(SHIM_CACHE_LINE) SRWLOCK delivery_lock;
    /* SHIM_JOURNAL_FILE, or SHIM_JOURNAL_MEMORY when the plugin chose it or
     * the file could not be made (journal_failure then says why). */
    int journal_kind;
    int journal_failure;
    DWORD journal_failure_error;
    journal_identity identity;

    /* Work items (shim_session_submit) and the runtime's own: producers
     * claim and publish without a lock; callbacks take entries under the
     * queue's own lock (item_queue.h). */
    item_queue queue;

    /* Written by the pool's callbacks. */
    _Alignas(SHIM_CACHE_LINE) volatile LONG64 completed;
    volatile LONG64 cancelled;
    volatile LONG running;
    volatile LONG peak_running;
    /* Running callbacks of every kind plus pending I/O and handle closes.
     * The session is idle when it is zero and no item is queued. */
    volatile LONG outstanding;

    _Alignas(SHIM_CACHE_LINE) consumer_slot consumers[SHIM_MAX_THREADS_LIMIT];

    void *plugin_state;
    /* Queue blocks, large payloads and handles come from a heap of the
     * session's own: a thread that process exit ends inside an allocation
     * then holds this heap's lock, not the process heap's, which code that
     * runs at exit (other DLLs' detach, the CRT's) may need. Destroyed with
     * the session; the process heap if it could not be created. */
    HANDLE heap;
    PTP_POOL pool;
    PTP_CLEANUP_GROUP cleanup_group;
    TP_CALLBACK_ENVIRON environment;

    /* Process exit: set once its queued messages were handed over. */
    volatile LONG exit_delivered;
    /* The worker's list of live sessions (session_registry.c). */
    struct shim_session *next_live;

    /* The front's reference, handed over before the session thread exists
     * and dropped by that thread's FreeLibraryAndExitThread, so the code it
     * runs cannot be unmapped. */
    HMODULE own_module_reference;
    HMODULE handed_over_modules[SHIM_MAX_HANDED_OVER_MODULES];
    unsigned handed_over_count;

    /* Handle operations hold it shared; the session thread takes it
     * exclusive to close the gate, so no re-arm can race the group close. */
    SRWLOCK submit_lock;
    int accepting; /* written only under the exclusive lock */

    /* Timers, waits and I/O of this session, released after its drain. */
    SRWLOCK objects_lock;
    struct session_object *objects;

    /* An I/O object outside the cleanup group, alive until after the group
     * closes (see io.c, keep_io_queue_alive). Created with the session's
     * first shim_io. */
    TP_CALLBACK_ENVIRON sentinel_environment;
    HANDLE io_sentinel_handle;
    PTP_IO io_sentinel;

    volatile LONG stop_policy;
    volatile LONG stop_deadline_ms; /* 0: wait forever */
    /* Set once two callbacks were wanted at the same time: from then on the
     * pool keeps max_callbacks threads (session_settings.c). */
    volatile LONG threads_reserved;
    SRWLOCK pool_size_lock;

    volatile LONG64 refused;
    volatile LONG64 stop_requested_ms;
    volatile LONG64 stop_finished_ms;
    volatile LONG module_pinned;
    volatile LONG64 delivered_at_exit;
    volatile LONG64 lost_at_exit;
    volatile LONG64 recovered;
    volatile LONG64 skipped;
    volatile LONG64 kept_in_journal;
    volatile LONG64 posted_at_close; /* the own journal's posts, once it is closed */
    volatile LONG64 callbacks_scheduled;
    volatile LONG64 handle_callbacks;
    /* Set under objects_lock before the cleanup group closes its members:
     * from then on no object may be closed on its own. */
    int group_closing;
};

_Static_assert(offsetof(struct shim_session, wake_span) + sizeof(unsigned long long) <= SHIM_CACHE_LINE,
               "what a post reads of the session is one line");

typedef enum session_object_kind {
    SESSION_OBJECT_TIMER,
    SESSION_OBJECT_WAIT,
    SESSION_OBJECT_IO
} session_object_kind;

/* What every handle shares: the session's list link, the close hook and
 * the close state. */
typedef struct session_object {
    struct session_object *next;
    shim_session *session;
    session_object_kind kind;
    shim_close_function on_closed;
    void *context;
    volatile LONG closed; /* the plugin called close: set once */
} session_object;

struct shim_timer {
    session_object object; /* first: a shim_timer is a session_object */
    PTP_TIMER timer;
    shim_timer_function callback;
};

struct shim_wait {
    session_object object;
    PTP_WAIT wait;
    shim_wait_function callback;
};

struct shim_io {
    session_object object;
    PTP_IO io;
    HANDLE file;
    shim_io_function callback;
    /* One while open, plus one per started operation that has not completed
     * or been abandoned. Whoever drops it to zero frees the object. */
    volatile LONG references;
};

int shim__session_start(const shim_session_options *options, shim_session **session);
void shim__session_signal_stop(shim_session *session);
int shim__session_status(const shim_session *session);
int shim__session_post(shim_session *session, const void *payload, size_t size);

/* Queues a work item: work(session, context) on a pool callback. */
int shim__queue_item(shim_session *session, shim_work_function work, shim_work_cancel_function on_cancel,
                     void *context);
/* Queues the runtime's own work: it runs even when queued work is dropped,
 * is not counted, and is never handed to the plugin at exit. */
int shim__queue_runtime_item(shim_session *session, shim_work_function work, void *context);

/* Brackets every timer, wait and I/O callback: waits for on_start, counts it
 * as running and as outstanding. Returns nonzero when the plugin's callback
 * may run (on_start succeeded). */
int shim__callback_enter(shim_session *session);
void shim__callback_leave(shim_session *session, int completed);

/* The same for a work callback, which runs a batch of queued items: the
 * queue itself, not the outstanding count, says whether items remain. */
int shim__batch_enter(shim_session *session);
void shim__batch_leave(shim_session *session);

/* outstanding - 1; wakes the session thread when the stopped session is idle. */
void shim__outstanding_done(shim_session *session);

/* Refusals are counted; returns status for convenience. */
int shim__refuse(shim_session *session, int status);

/* Enters the submit gate: returns SHIM_OK with the gate held shared, or the
 * reason for refusal (gate not held). Leave with shim__gate_leave. */
int shim__gate_enter(shim_session *session);
void shim__gate_leave(shim_session *session);

/* Allocates a handle of `size` bytes whose first member is a session_object,
 * fills in what every kind shares, and enters the gate: on SHIM_OK the gate
 * is held and the caller creates its pool object, then calls
 * shim__finish_object_create. Otherwise *object is NULL. */
int shim__begin_object_create(shim_session *session, session_object_kind kind, size_t size,
                              shim_close_function on_closed, void *context, session_object **object);
/* Leaves the gate; with created nonzero the object joins the session's
 * list, otherwise it is freed and SHIM_E_SYSTEM returned (last error kept). */
int shim__finish_object_create(session_object *object, BOOL created);
/* Arming a handle: begin returns SHIM_OK with the gate held (else the
 * refusal); the caller arms its pool object; finish undoes the arm if a
 * close raced it, leaves the gate and returns SHIM_OK or SHIM_E_CLOSED. */
int shim__begin_object_start(session_object *object);
int shim__finish_object_start(session_object *object);
/* shim_*_stop and shim_*_close of every kind. */
int shim__stop_object(session_object *object);
int shim__close_object(session_object *object);
/* Drops one reference of an I/O handle; the last frees it (io.c). */
void shim__io_release(shim_io *io);
/* Unlinks the object and closes its pool object, unless the cleanup group
 * is closing (then the stop releases it and this returns FALSE). */
BOOL shim__unlink_object(session_object *object);
/* Runs on_closed and frees the object. */
void shim__free_object(session_object *object);
/* A relative due time of `milliseconds` in the pool's FILETIME format. */
FILETIME shim__relative_time(unsigned long milliseconds);
/* After the cleanup group has closed: closes the I/O sentinel, if any. */
void shim__close_io_sentinel(shim_session *session);
/* Stop, step 1: disarm every timer and wait, cancel all I/O (gate closed). */
void shim__disarm_objects(shim_session *session);
/* CancelIoEx on every I/O handle; FALSE when the session has none. */
BOOL shim__cancel_pending_io(shim_session *session);
/* Stop, last step: on_closed for each object, then free it (after the drain). */
void shim__release_objects(shim_session *session);

void shim__trace(shim_session *session, shim_trace_event event);

/* Waiting for a session's flags (session_signals.c). Whoever changes
 * stop_requested, started or outstanding-to-zero wakes the waiters. */
typedef BOOL (*shim_session_ready_function)(const shim_session *session);
void shim__wake_session_waiters(void);
/* Waits until ready(session) or milliseconds pass (INFINITE: no limit);
 * returns ready(session) as last seen. */
BOOL shim__wait_for_session(shim_session *session, shim_session_ready_function ready, DWORD milliseconds);
/* Microseconds from the performance counter: for intervals that must be
 * right to the millisecond (GetTickCount64 moves in ticks). */
ULONGLONG shim__clock_us(void);
BOOL shim__session_has_started(const shim_session *session);
BOOL shim__session_stop_was_requested(const shim_session *session);
/* The front signalled the stop: it was requested, or a linger puts it off. */
BOOL shim__session_stop_was_signalled(const shim_session *session);
/* The linger was set to 0: it ends at once. */
BOOL shim__session_linger_was_ended(const shim_session *session);
BOOL shim__session_is_idle(const shim_session *session);

/* The session thread's body; ends in FreeLibraryAndExitThread. */
DWORD WINAPI shim__session_thread(void *parameter);

/* The pool callback (consumers.c): runs messages and work items until
 * neither has anything for it. */
void CALLBACK shim__run_queued_items(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work);
/* One more callback, if fewer than max_callbacks are scheduled. */
void shim__add_consumer(shim_session *session);
/* A callback, if none is scheduled and on_start has returned: after a
 * seq_cst fence, so that what the caller published is seen by it or by a
 * callback that leaves (message_post.c). */
void shim__wake_consumer(shim_session *session);
/* Wakes the posts waiting for room, if any: after the release point of
 * the session's own journal moved (message_post.c). */
void shim__wake_room_waiters(shim_session *session);
/* Whether a callback has something to do now. */
BOOL shim__has_work_for_callbacks(shim_session *session);
/* A callback for what waits now, instead of at the session thread's next
 * look: at the start, at a linger, at the drain. */
void shim__start_consumer_if_work_waits(shim_session *session);

/* True when no callback is scheduled and none has anything to do. */
BOOL shim__queue_is_idle(const shim_session *session);

/* Work items (work_items.c): runs (or cancels) one, FALSE if none. */
BOOL shim__run_work_item(shim_session *session, consumer_slot *slot);

/* Messages (message_delivery.c). The thread slot of shim_message_defer,
 * from the worker's DllMain. */
void shim__delivery_attach(void);
void shim__delivery_detach(void);
/* Takes a batch from the journals (recovered ones first) and runs it, or
 * with cancelling, hands each to on_message_cancelled. FALSE if there was
 * none (or delivery is held back). */
BOOL shim__run_message_batch(shim_session *session, consumer_slot *slot, BOOL cancelling);
/* The stop under the cancel policy: every message waiting is cancelled. */
void shim__cancel_queued_messages(shim_session *session);
/* Whether a callback would find a message it may take now. */
BOOL shim__messages_deliverable(shim_session *session);
/* While deferred messages reach the session's limit, none is delivered. */
BOOL shim__delivery_paused(const shim_session *session);
shim_message_ticket shim__ticket_of(unsigned journal_index, uint64_t position);
/* The message a record holds, as the plugin sees it. */
void shim__message_of(const session_journal *journal, const journal_entry *entry, shim_message *message);
/* Whether a dead process wrote the record at `position`: every record of
 * a recovered journal, and the first ones of an adopted own journal. */
BOOL shim__written_by_dead_process(const session_journal *journal, uint64_t position);

/* The session's journals (session_journal.c). */
int shim__resolve_queue_settings(const shim_queue_settings *wanted, shim_queue_settings *settings);
/* At attach: the session's own journal, a file or memory. */
int shim__open_own_journal(shim_session *session, const shim_session_options *options);
/* On the session thread: says why the journal is in memory, if it is. */
void shim__report_journal_start(shim_session *session);
/* What the session thread keeps between its looks. */
typedef struct session_watch {
    uint64_t stuck_position; /* a head claimed and not published, or UINT64_MAX */
    ULONGLONG stuck_since;
    uint64_t taken_at_last_look;
    ULONGLONG wrote_ahead_at;   /* the last long write ahead of the posts */
    uint64_t tail_at_last_look; /* posts came since when the tail moved */
} session_watch;
/* The session thread's look: wakes a callback for messages waiting, skips
 * a claim whose producer is gone, writes ahead of the posts, closes
 * drained recovered journals, reports drops. TRUE when messages waited or
 * were taken since the last. */
BOOL shim__look_at_journals(shim_session *session, session_watch *watch);
/* The end of the stop: closes each journal, removing those with nothing
 * unfinished. */
void shim__close_journals(shim_session *session);
/* The messages of a journal not finished yet, counted by a walk (not for a
 * hot path). */
long long shim__unfinished_messages(const session_journal *journal);
/* TRUE while any open journal of the session holds a message not finished. */
BOOL shim__session_has_unfinished_messages(shim_session *session);
/* Messages posted into the own journal so far. */
long long shim__messages_posted(shim_session *session);
/* Recovery (journal_recovery.c): takes over dead journals of this front. */
void shim__recover_dead_journals(shim_session *session);

/* TRUE inside DllMain and other loader calls on this thread (loader_lock.c). */
BOOL shim__holds_loader_lock(void);
/* TRUE once process exit has begun: every other thread may have been ended
 * holding any lock (loader_lock.c; the lookup is made at session start). */
void shim__find_shutdown_flag(void);
BOOL shim__process_is_exiting(void);

/* Makes the pool keep max_callbacks threads, once. */
void shim__reserve_pool_threads(shim_session *session);

/* A session aligned to SHIM_CACHE_LINE, zeroed; and its release. */
shim_session *shim__allocate_session(void);
void shim__free_session(shim_session *session);
/* Frees every item and handle the session still has, all at once. */
void shim__destroy_session_heap(shim_session *session);

/* Process exit (exit_delivery.c). */
void shim__session_deliver_at_exit(shim_session *session);
int shim__session_post_at_exit(shim_session *session, const void *payload, size_t size);

/* The worker's live sessions, for process exit (session_registry.c). */
void shim__register_session(shim_session *session);
void shim__unregister_session(shim_session *session);
void shim__deliver_all_at_exit(void);

/* Takes every queued work item off the queue and runs its cancel function. */
void shim__cancel_queued_items(shim_session *session);

/* Nonzero once queued items are to be dropped rather than run: the stop
 * was requested under the cancel policy, or on_start failed. */
int shim__dropping_queued_items(const shim_session *session);

/* An acquire read of a value other threads change with Interlocked*: it
 * sees everything written before the write it reads, without a locked
 * instruction on the hot path. */
static inline LONG shim__read_flag(const volatile LONG *flag)
{
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static inline LONG64 shim__read_flag64(const volatile LONG64 *flag)
{
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

#endif
