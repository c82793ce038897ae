/* `shimgen report`: the numbers a person reads first, per export and for the
 * whole trace, and the terminal summary that prints them. Exports are
 * ordered by total time, so the first rows are where the time goes. */
#ifndef SHIMGEN_TRACE_SUMMARY_H
#define SHIMGEN_TRACE_SUMMARY_H

#include <stdio.h>

#include "trace_reader.h"

typedef struct export_summary {
    size_t export_index; /* into trace.exports */
    size_t calls;
    size_t failed; /* calls with a nonzero last error */
    size_t timed;  /* typed calls: those with a duration */
    unsigned long long p50_ns, p99_ns, max_ns, total_ns;
    /* This export's durations, ascending: summary.durations[first_duration ...]. */
    size_t first_duration;
} export_summary;

typedef struct trace_summary {
    export_summary *exports; /* by total time, then by calls */
    size_t export_count;
    unsigned long long *durations; /* every timed call's, grouped by export */
    size_t calls, failed, timed;
    unsigned long long total_ns;
    unsigned long long first_us, last_us; /* ts of the first and last call */
    size_t threads;
} trace_summary;

/* Returns 0 or SHIMGEN_EXIT_INTERNAL (out of memory). Free with
 * trace_summary_free even on failure. */
int trace_summarize(const trace *read, trace_summary *summary);

void trace_summary_free(trace_summary *summary);

/* "1.23 ms": a duration to three significant digits. */
void trace_format_duration(unsigned long long nanoseconds, char *text, size_t capacity);

/* The terminal summary: the trace in one line, a table of the exports and
 * the slowest calls. */
void trace_print_summary(FILE *out, const char *path, const trace *read, const trace_summary *summary);

#endif
