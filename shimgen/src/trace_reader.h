/* `shimgen report`: a trace (the JSON Lines a generated worker writes, fields
 * in docs/shimgen.md) read into calls, each reduced to what the report
 * counts, and the slowest calls kept whole. A line that is not a record (a
 * line cut by a crash, another program's) is counted and skipped. */
#ifndef SHIMGEN_TRACE_READER_H
#define SHIMGEN_TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error_message.h"

#define TRACE_NO_DURATION (~0ull) /* an observed call's: its stub does not see it return */
#define TRACE_NAME_MAX 256
#define TRACE_DETAIL_MAX 320
#define TRACE_SLOWEST_MAX 10

typedef struct trace_call {
    size_t export_index; /* into trace.exports */
    unsigned long long thread;
    unsigned long long time_us; /* ts, in microseconds since 1970-01-01 UTC */
    unsigned long long duration_ns;
    bool failed; /* a nonzero last error after the call */
} trace_call;

typedef struct trace_export {
    char name[TRACE_NAME_MAX];
    unsigned long long ordinal;
} trace_export;

/* One of the slowest calls, with what the line said of it. */
typedef struct trace_slow_call {
    trace_call call;
    char ts[40];
    char detail[TRACE_DETAIL_MAX]; /* "args" (and " -> result"), as JSON, cut */
} trace_slow_call;

typedef struct trace {
    trace_call *calls;
    size_t call_count;
    trace_export *exports;
    size_t export_count;
    size_t line_count;
    size_t malformed_count;
    size_t first_malformed_line;
    trace_slow_call slowest[TRACE_SLOWEST_MAX]; /* slowest first */
    size_t slowest_count;
    /* Internal: capacities and the name index. */
    size_t call_capacity;
    size_t export_capacity;
    size_t *name_index;
    size_t name_index_size;
} trace;

/* Reads a trace file. Returns 0, SHIMGEN_EXIT_UNREADABLE (cannot be read),
 * SHIMGEN_EXIT_MALFORMED (not one line of it is a record) or
 * SHIMGEN_EXIT_INTERNAL, with the reason in `error`. Free with trace_free
 * even on failure. */
int trace_read(const char *path, trace *read, error_message *error);

void trace_free(trace *read);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS.ffffffZ" to microseconds since 1970; false
 * for another form. */
bool trace_parse_time(const char *text, unsigned long long *microseconds);

#endif
