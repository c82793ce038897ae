/* Child processes that a test starts and waits for with a deadline, several
 * at a time if it likes. A child that misses its deadline is not just
 * killed: it is named (its description and process id), with how long it
 * ran, the last lines of its log and output, and the stack of each of its
 * threads (thread_stacks.h), before it is terminated. */
#ifndef TWINSHIM_CHILD_PROCESS_H
#define TWINSHIM_CHILD_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

#include <windows.h>

#define CHILD_DESCRIPTION_CAPACITY 256
#define CHILD_LOG_CAPACITY 1024
#define CHILD_MISSED_DEADLINE 0xdead

typedef struct child_process {
    /* Set by the caller before child_start. */
    wchar_t description[CHILD_DESCRIPTION_CAPACITY]; /* who it is: "run 17 of 20 (after)" */
    wchar_t log_path[CHILD_LOG_CAPACITY];            /* a log to show the tail of if late, or "" */
    wchar_t output_path[CHILD_LOG_CAPACITY];         /* where its stdout and stderr go, or "" (ours) */
    DWORD deadline_ms;
    /* Set by child_start and child_wait_any. */
    HANDLE process;
    DWORD process_id;
    LARGE_INTEGER started; /* QueryPerformanceCounter */
    LARGE_INTEGER ended;
    bool running;
    bool missed_deadline;
    DWORD exit_code; /* CHILD_MISSED_DEADLINE if it missed it */
    double elapsed_ms;
} child_process;

/* Starts bin\<program> <arguments>, inheriting handles (so that it can be
 * given a mapping). An empty description becomes the command line. Wine
 * 8 has failed a start with ERROR_INTERNAL_ERROR about once in a thousand:
 * that start is tried once more, said out loud. If TWINSHIM_CHILD_WINEDEBUG
 * is set, the child gets it as its WINEDEBUG: Wine's debug channels for the
 * children only (e.g. "+seh,+timestamp"), written to the standard error
 * the test itself got from Linux, not to output_path. */
bool child_start(child_process *child, const wchar_t *program, const wchar_t *arguments);

/* Waits until one of the running children ends or misses its deadline and
 * returns its index, with exit_code and elapsed_ms set; -1 if none runs. A
 * late child is reported (see above) and terminated. */
int child_wait_any(child_process *children, size_t count);

/* Runs bin\<program> <arguments> and waits up to deadline_ms for it. On time,
 * *exit_code gets its exit code and the result is true. Late, the child is
 * reported and terminated (exit code CHILD_MISSED_DEADLINE) and the result
 * is false. */
bool run_child_within(const wchar_t *program, const wchar_t *arguments, DWORD deadline_ms, DWORD *exit_code);

#endif
