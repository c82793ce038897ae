/* What exit_hang_child tells test_exit_hang while it runs, in memory the
 * two share (an inherited file mapping): how far it got, so that a child
 * that misses its deadline says where it stopped, and what its exit had to
 * hand over, so that a slow run says why it was slow. */
#ifndef TWINSHIM_EXIT_HANG_PROGRESS_H
#define TWINSHIM_EXIT_HANG_PROGRESS_H

#include <windows.h>

#define EXIT_HANG_CALLERS 2

typedef enum exit_hang_phase {
    EXIT_HANG_NOT_STARTED = 0,
    EXIT_HANG_LOADING,         /* loading legacy.dll and detach_caller.dll */
    EXIT_HANG_PLUGIN_STARTING, /* waiting for the audit log's first line */
    EXIT_HANG_CALLING,         /* the callers run; the exit comes next */
    EXIT_HANG_EXITING,         /* ExitProcess was called */
} exit_hang_phase;

typedef struct exit_hang_progress {
    volatile LONG phase; /* an exit_hang_phase */
    volatile LONG main_calls;
    volatile LONG calls_made[EXIT_HANG_CALLERS];
    volatile LONG in_call[EXIT_HANG_CALLERS]; /* 1 from before legacy_add to after it */
    volatile LONG calls_allowed_ahead;        /* of main_calls, for each caller */
    /* QueryPerformanceCounter as the callers were started, and just before
     * ExitProcess. */
    volatile LONG64 calling_began;
    volatile LONG64 exit_began;
    /* The audit log's size as the main thread began its own calls: the
     * lines after it were written by the pool in the last moments, or at
     * exit. */
    volatile LONG64 log_bytes_before_exit;
} exit_hang_progress;

#endif
