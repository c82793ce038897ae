/* Section 6's parts: the example fronts it calls, shared by
 * section_intercept.c (calls back to back, records per second) and
 * section_intercept_alone.c (calls timed one by one: calls now and then,
 * the delivery latency, the flush policy's cost). */
#ifndef TWINSHIM_BENCH_SECTION_INTERCEPT_H
#define TWINSHIM_BENCH_SECTION_INTERCEPT_H

#include "bench_generated.h"
#include "bench_program.h"
#include "bench_record.h"

/* A bench_intercept*.dll, loaded and connected, and the worker it loaded. */
typedef struct intercept_front {
    const wchar_t *file;
    const wchar_t *worker_name;
    HMODULE module;
    HMODULE worker;
    bench_add_function add; /* bench_intercepted_add */
    bench_record_counter *counter;
    bench_worker_set_message_batch_function set_message_batch;
    bench_worker_watch_arrivals_function watch_arrivals;
    bench_intercept_counters_function counters;
} intercept_front;

/* Loads the front, waits until its session's on_start has run. */
void intercept_front_open(intercept_front *f, const wchar_t *file, const wchar_t *worker_name);
/* FreeLibrary, then the wait until its worker has left. */
void intercept_front_close(intercept_front *f);
/* Arms the front's counter for `records` more (none is in flight). */
void intercept_front_expect(const intercept_front *f, LONGLONG records);
/* Returns now_ms() once every record armed for has arrived. */
double intercept_front_wait(const intercept_front *f, const char *what);

/* ---- Calls timed one by one (section_intercept_alone.c) ------------------ */

#define SPORADIC_SPACINGS 2 /* 0.5 ms and 5 ms between calls */

/* The fronts of calls now and then: the example front (its plugin's
 * journal a file), the same with a memory journal, the generated front. */
typedef enum alone_front {
    ALONE_EXAMPLE,
    ALONE_MEMORY,
    ALONE_GENERATED,
    ALONE_FRONTS
} alone_front;

typedef struct alone_targets {
    bench_add_function original;
    const intercept_front *example;
    const intercept_front *memory;    /* the example front's plugin, SHIM_JOURNAL_MEMORY */
    const intercept_front *flushing;  /* the example front's plugin, a flush per post */
    const generated_front *generated; /* NULL without --generated-front */
    BOOL run_sporadic[ALONE_FRONTS];  /* what --only leaves */
    BOOL run_flush;
    int sporadic_calls; /* per front and round, at 0.5 ms; a fifth at 5 ms */
    int flush_calls;    /* per round */
} alone_targets;

/* One pass's per-round values; each key is the median over the rounds. */
typedef struct alone_samples {
    samples direct_p50[SPORADIC_SPACINGS];
    samples preempted_percent[SPORADIC_SPACINGS]; /* of the example front's calls */
    /* The added p50 of the pairs whose thread kept its CPU, per front. */
    samples kept_cpu_added_p50[ALONE_FRONTS][SPORADIC_SPACINGS];
    samples added_p50[ALONE_FRONTS][SPORADIC_SPACINGS];
    samples added_p90[ALONE_FRONTS][SPORADIC_SPACINGS];
    samples latency_p50[SPORADIC_SPACINGS]; /* ms, example front */
    samples latency_p99[SPORADIC_SPACINGS];
    samples latency_max[SPORADIC_SPACINGS];
    samples flush_p50; /* µs: the flushing front's call */
    samples flush_added_p50;
    samples flush_added_mean;
} alone_samples;

/* One round of every measurement that runs; `keep` is FALSE for the
 * warm-up round. */
void alone_round(const alone_targets *t, int rotation, alone_samples *s, BOOL keep);
/* The keys of one pass (suffix "" or "_loaded"). */
void alone_put(const alone_samples *s, const alone_targets *t, const char *suffix);
/* The counts and spacings, once. */
void alone_put_settings(const alone_targets *t);

#endif
