#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "trace_summary.h"

static int compare_durations(const void *left, const void *right)
{
    unsigned long long a = *(const unsigned long long *)left;
    unsigned long long b = *(const unsigned long long *)right;

    return (a > b) - (a < b);
}

static int compare_threads(const void *left, const void *right)
{
    return compare_durations(left, right);
}

/* Most total time first; among exports without durations, most calls. */
static int compare_exports(const void *left, const void *right)
{
    const export_summary *a = left;
    const export_summary *b = right;

    if (a->total_ns != b->total_ns)
        return a->total_ns < b->total_ns ? 1 : -1;
    if (a->calls != b->calls)
        return a->calls < b->calls ? 1 : -1;
    return (a->export_index > b->export_index) - (a->export_index < b->export_index);
}

/* Nearest rank: the smallest duration with at least `fraction` of them at or below it. */
static unsigned long long percentile(const unsigned long long *sorted, size_t count, double fraction)
{
    size_t rank = (size_t)(fraction * (double)count + 0.999999);

    if (count == 0)
        return 0;
    if (rank < 1)
        rank = 1;
    return sorted[(rank > count ? count : rank) - 1];
}

static size_t count_threads(const trace *read)
{
    unsigned long long *threads = malloc((read->call_count + 1) * sizeof *threads);
    size_t distinct = 0;

    if (threads == NULL)
        return 0;
    for (size_t index = 0; index < read->call_count; index++)
        threads[index] = read->calls[index].thread;
    qsort(threads, read->call_count, sizeof *threads, compare_threads);
    for (size_t index = 0; index < read->call_count; index++)
        distinct += index == 0 || threads[index] != threads[index - 1];
    free(threads);
    return distinct;
}

int trace_summarize(const trace *read, trace_summary *summary)
{
    size_t *fill;

    memset(summary, 0, sizeof *summary);
    summary->exports = calloc(read->export_count + 1, sizeof *summary->exports);
    summary->durations = malloc((read->call_count + 1) * sizeof *summary->durations);
    fill = calloc(read->export_count + 1, sizeof *fill);
    if (summary->exports == NULL || summary->durations == NULL || fill == NULL) {
        free(fill);
        return SHIMGEN_EXIT_INTERNAL;
    }
    summary->export_count = read->export_count;
    for (size_t index = 0; index < read->export_count; index++)
        summary->exports[index].export_index = index;
    for (size_t index = 0; index < read->call_count; index++) {
        const trace_call *call = &read->calls[index];
        export_summary *export = &summary->exports[call->export_index];

        export->calls++;
        export->failed += call->failed;
        export->timed += call->duration_ns != TRACE_NO_DURATION;
        if (index == 0 || call->time_us < summary->first_us)
            summary->first_us = call->time_us;
        if (call->time_us > summary->last_us)
            summary->last_us = call->time_us;
    }
    /* Each export's durations together, then sorted. */
    for (size_t index = 1; index < read->export_count; index++)
        summary->exports[index].first_duration =
            summary->exports[index - 1].first_duration + summary->exports[index - 1].timed;
    for (size_t index = 0; index < read->call_count; index++) {
        const trace_call *call = &read->calls[index];

        if (call->duration_ns != TRACE_NO_DURATION)
            summary->durations[summary->exports[call->export_index].first_duration +
                               fill[call->export_index]++] = call->duration_ns;
    }
    free(fill);
    for (size_t index = 0; index < read->export_count; index++) {
        export_summary *export = &summary->exports[index];
        unsigned long long *sorted = summary->durations + export->first_duration;

        qsort(sorted, export->timed, sizeof *sorted, compare_durations);
        for (size_t at = 0; at < export->timed; at++)
            export->total_ns += sorted[at];
        export->p50_ns = percentile(sorted, export->timed, 0.50);
        export->p99_ns = percentile(sorted, export->timed, 0.99);
        export->max_ns = export->timed > 0 ? sorted[export->timed - 1] : 0;
        summary->calls += export->calls;
        summary->failed += export->failed;
        summary->timed += export->timed;
        summary->total_ns += export->total_ns;
    }
    qsort(summary->exports, summary->export_count, sizeof *summary->exports, compare_exports);
    summary->threads = count_threads(read);
    return 0;
}

void trace_summary_free(trace_summary *summary)
{
    free(summary->exports);
    free(summary->durations);
    memset(summary, 0, sizeof *summary);
}

void trace_format_duration(unsigned long long nanoseconds, char *text, size_t capacity)
{
    static const char *const units[] = { "ns", "us", "ms", "s" };
    double value = (double)nanoseconds;
    size_t unit = 0;

    while (unit < 3 && value >= 1000.0) {
        value /= 1000.0;
        unit++;
    }
    if (unit == 0)
        snprintf(text, capacity, "%llu ns", nanoseconds);
    else
        snprintf(text, capacity,
                 value >= 100.0  ? "%.0f %s"
                 : value >= 10.0 ? "%.1f %s"
                                 : "%.2f %s",
                 value, units[unit]);
}

/* The clock time of day of a ts, "12:34:56.123456". */
static void format_time_of_day(unsigned long long microseconds, char *text, size_t capacity)
{
    unsigned long long second = microseconds / 1000000 % 86400;

    snprintf(text, capacity, "%02llu:%02llu:%02llu.%06llu", second / 3600, second / 60 % 60, second % 60,
             microseconds % 1000000);
}

static void print_export_row(FILE *out, const trace *read, const export_summary *export)
{
    char p50[32], p99[32], max[32], total[32];

    if (export->timed == 0) {
        fprintf(out, "%-32s %8zu %7zu %10s %10s %10s %10s\n", read->exports[export->export_index].name,
                export->calls, export->failed, "-", "-", "-", "-");
        return;
    }
    trace_format_duration(export->p50_ns, p50, sizeof p50);
    trace_format_duration(export->p99_ns, p99, sizeof p99);
    trace_format_duration(export->max_ns, max, sizeof max);
    trace_format_duration(export->total_ns, total, sizeof total);
    fprintf(out, "%-32s %8zu %7zu %10s %10s %10s %10s\n", read->exports[export->export_index].name,
            export->calls, export->failed, p50, p99, max, total);
}

void trace_print_summary(FILE *out, const char *path, const trace *read, const trace_summary *summary)
{
    char first[32], last[32], span[32], total[32];

    format_time_of_day(summary->first_us, first, sizeof first);
    format_time_of_day(summary->last_us, last, sizeof last);
    trace_format_duration((summary->last_us - summary->first_us) * 1000, span, sizeof span);
    trace_format_duration(summary->total_ns, total, sizeof total);
    fprintf(out, "%s: %zu calls of %zu exports on %zu thread%s, %s to %s UTC (%s)\n", path, summary->calls,
            summary->export_count, summary->threads, summary->threads == 1 ? "" : "s", first, last, span);
    fprintf(out, "%zu typed (%s inside the DLL), %zu observed (no duration), %zu with a nonzero last error\n",
            summary->timed, total, summary->calls - summary->timed, summary->failed);
    if (read->malformed_count > 0)
        fprintf(out, "%zu line%s skipped: not a record (the first is line %zu)\n", read->malformed_count,
                read->malformed_count == 1 ? "" : "s", read->first_malformed_line);
    fprintf(out, "\n%-32s %8s %7s %10s %10s %10s %10s\n", "export", "calls", "errors", "p50", "p99", "max",
            "total");
    for (size_t index = 0; index < summary->export_count; index++)
        print_export_row(out, read, &summary->exports[index]);
    if (read->slowest_count == 0)
        return;
    fputs("\nslowest calls:\n", out);
    for (size_t index = 0; index < read->slowest_count; index++) {
        const trace_slow_call *slow = &read->slowest[index];
        char duration[32];

        trace_format_duration(slow->call.duration_ns, duration, sizeof duration);
        fprintf(out, "%10s  %s  %s  thread %llu  %s\n", duration, read->exports[slow->call.export_index].name,
                slow->ts, slow->call.thread, slow->detail);
    }
}
