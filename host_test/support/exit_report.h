/* What a child that exits with test jobs in flight reports to the test that
 * started it: a block of memory shared between the two (an inherited file
 * mapping), so the child's worker counts into it up to the last moment of
 * the exit, and the test reads it once the child has ended. */
#ifndef TWINSHIM_EXIT_REPORT_H
#define TWINSHIM_EXIT_REPORT_H

#include "test_support.h"

typedef struct exit_report {
    job_counters cut_off;  /* jobs running, held at a gate, when the exit came */
    job_counters queued;   /* jobs queued behind them */
    job_counters observer; /* the TEST_JOB_OBSERVE and TEST_JOB_SETTINGS */
    test_settings settings;
    volatile LONG trace_events;
    shim_session_counters counters_at_last_event;
} exit_report;

/* How many jobs the child posts in all: the first EXIT_REPORT_CUT_OFF (one
 * per pool thread: the child sets the session's maximum to that) are cut
 * off, the rest stay queued. Enough that the queue's first block fills:
 * a test_job takes two slots, so exit walks past a block's padding slot
 * and into the next block. */
#define EXIT_REPORT_JOBS 100
#define EXIT_REPORT_CUT_OFF 1

#endif
