/* What a session has done so far: read by the plugin
 * (shim_session_get_counters), by the front (shim_front_get_counters) and
 * handed to the plugin's trace hook. */
#ifndef TWINSHIM_COUNTERS_H
#define TWINSHIM_COUNTERS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_session_counters {
    long long submitted;         /* work items and messages accepted */
    long long completed;         /* work items and messages whose callback ran to the end */
    long long cancelled;         /* work items and messages dropped: their cancel function ran */
    long long refused;           /* submissions and re-arms refused */
    long running;                /* callbacks running now */
    long peak_running;           /* the most that ever ran at once */
    long long stop_requested_ms; /* GetTickCount64 when the stop was requested, or 0 */
    long long stop_finished_ms;  /* GetTickCount64 when the drain ended or gave up, or 0 */
    int module_pinned;           /* nonzero: the stop deadline passed and the worker was pinned */
    long long delivered_at_exit; /* messages handed to on_exit_message that it accepted */
    long long lost_at_exit;      /* messages and work items process exit left undone and could not keep */
    /* The journal (twinshim/worker.h, shim_queue_settings). */
    int journal;               /* the session's journal: SHIM_JOURNAL_FILE, or SHIM_JOURNAL_MEMORY */
    long long dropped;         /* messages the full journal refused: never silent, also reported */
    long long recovered;       /* messages of dead processes' journals delivered by this session */
    long long deferred;        /* messages deferred and not finished, now */
    long long kept_in_journal; /* messages left in the journal for the next session by the stop or exit */
    long long skipped;         /* records skipped: claims never published, torn records of a dead journal */
    long long backlog_bytes; /* journal bytes in use now: what posts wrote and the plugin has not finished */
    long long callbacks_scheduled; /* pool callbacks the session started for messages and work items */
    long long handle_callbacks;    /* timer, wait and I/O callbacks that ran to the end */
} shim_session_counters;

typedef enum shim_trace_event {
    SHIM_TRACE_SESSION_STARTED = 1, /* on_start returned */
    SHIM_TRACE_STOP_RECEIVED,       /* the session thread woke to stop */
    SHIM_TRACE_DRAIN_FINISHED,      /* no callback runs or is queued any more */
    SHIM_TRACE_MODULE_RELEASED,     /* about to drop the module reference */
    SHIM_TRACE_MODULE_PINNED,       /* the stop deadline passed: the worker stays loaded */
    SHIM_TRACE_PROCESS_EXIT,        /* the exit handed over what was queued (exiting thread) */
    SHIM_TRACE_LINGER_ENDED         /* a stop's linger ended: the stop is requested now */
} shim_trace_event;

#ifdef __cplusplus
}
#endif

#endif
