/* What the sections of twinshim_bench.exe share: the options, the plumbing
 * (paths, modules, timing, "worker gone"), samples and the JSON results, the
 * interleaved batches of sections 1 and 5, and the fronts and alternatives
 * they load. Each section lives in a file of its own (section_*.c). */
#ifndef TWINSHIM_BENCH_PROGRAM_H
#define TWINSHIM_BENCH_PROGRAM_H

#include <windows.h>

#include "bench_work.h"

#define MAX_ROUNDS 64
#define PATH_CAPACITY 1024
#define BATCH_DEADLINE_MS 600000u /* a batch that does not finish in 10 minutes is broken */
#define MODULE_DEADLINE_MS 60000u

typedef struct options {
    LONG callbacks;              /* section 1, per variant and round */
    int rounds;                  /* sections 1, 5 and 6 */
    int free_rounds;             /* section 2 */
    int cycle_rounds;            /* sections 3 and 4 */
    LONG throughput_callbacks;   /* section 5, per variant and round */
    int intercept_batches;       /* section 6, timed batches per host thread, variant and round */
    LONG intercept_records;      /* section 6, records per throughput run */
    int sporadic_calls;          /* section 6, calls now and then per front and round, at 0.5 ms */
    int flush_calls;             /* section 6, calls with a flush per post per round */
    int child_rounds;            /* section 7, rounds of child processes */
    unsigned idle_window_ms;     /* section 7, how long an idle child is measured */
    unsigned overload_seconds;   /* section 7, how long the overload child posts */
    const char *only;            /* run only the variant with this key (for profiling) */
    const char *generated_front; /* section 6, the folder of shimgen's front, or NULL */
    const char *sections;        /* which sections to run, as digits: "1234567" */
} options;

/* ---- Plumbing (bench_plumbing.c) ----------------------------------------- */

extern LARGE_INTEGER bench_frequency;
extern wchar_t bench_exe_path[PATH_CAPACITY];
/* Manual-reset events the sections use for their batches: 0 for the batch
 * measured, 1 for warm-ups and held callbacks, 2 for the gate. */
extern HANDLE bench_events[3];

void bench_init_plumbing(void);
/* Points TWINSHIM_JOURNAL_DIR at bench_journals\<name> beside the program,
 * emptied first: the journals of a bench process that ended are never
 * recovered into a later measurement. */
void use_journal_folder(const wchar_t *name);
__attribute__((noreturn)) void fail(const char *format, ...);
void progress(const char *format, ...);
double now_ms(void);
void bin_path(const wchar_t *file, wchar_t *path);
HMODULE load_bin(const wchar_t *file);
void (*symbol(HMODULE module, const char *name))(void);
/* True while an image is still mapped at base (VirtualQuery: no loader lock). */
BOOL image_mapped(HMODULE base);
/* Returns now_ms() at the first poll that finds the image unmapped. */
double wait_unmapped(HMODULE base, const wchar_t *name);
/* Waits until a bench_worker*.dll's session has run on_start. */
void wait_worker_ready(HMODULE worker);
void start_run(bench_run *run, LONG target, unsigned spin_us, HANDLE finished);
void wait_run(bench_run *run, const char *what);
void wait_started(bench_run *run, LONG count);

/* ---- Samples and results (bench_results.c) ------------------------------- */

/* Samples per key: a section may take several per round. */
#define MAX_SAMPLES 512

typedef struct samples {
    double value[MAX_SAMPLES];
    int count;
} samples;

void add_sample(samples *s, double value);
double median_of(const samples *s);
double min_of(const samples *s);
double max_of(const samples *s);
/* The per-round ratios numerator[i] / denominator[i]. */
samples ratios(const samples *numerator, const samples *denominator);
/* The value at fraction (0..1) of values sorted in place, nearest rank. */
double percentile_of(double *values, size_t count, double fraction);

void put_number(const char *key, double value);
void put_string(const char *key, const char *value);
/* key_median, key_min, key_max */
void put_stats(const char *key, const samples *s);
void print_results(void);

/* ---- Fronts and alternatives (bench_variants.c) --------------------------- */

/* A twinshim front, loaded, connected, its session started, and the worker
 * it loaded. */
typedef struct front {
    HMODULE module;
    HMODULE worker;
    const wchar_t *worker_name;
    bench_front_post_function post;
} front;

front load_front(const wchar_t *file, const wchar_t *worker_name);
/* Posts one message and waits for it: the session has started and its pool
 * has a thread. */
void warm_front(const front *f);
/* FreeLibrary(front), then the wait until its worker has left. */
void unload_front(front *f);

void load_alternatives(void);
bench_alt *open_alternative(bench_alt_variant variant, unsigned threads);
void close_alternative(bench_alt *alt);

/* One way to run tiny callbacks, measured in interleaved batches. */
typedef struct variant variant;
struct variant {
    const char *key;
    int (*submit)(const variant *v, bench_run *run);
    bench_front_post_function front_post;
    bench_worker_submit_function worker_submit;
    bench_alt *alt;
    samples value;
    samples submit_ns; /* the submitting thread's own time per item */
};

int submit_front_post(const variant *v, bench_run *run);
int submit_worker(const variant *v, bench_run *run);
int submit_alternative(const variant *v, bench_run *run);

/* Runs every variant once per round, in a rotating order, after a warm-up
 * round. Each round adds to value: ns per callback (scale 1e6) or, with
 * scale 0, callbacks per second. `only` skips every other variant. */
void interleave(variant *variants, int count, int rounds, LONG callbacks, double scale, const char *only);

/* ---- The sections --------------------------------------------------------- */

void per_callback_cost(const options *o); /* 1, section_per_callback.c */
void free_latency(const options *o);      /* 2, section_free_latency.c */
void lifecycle(const options *o);         /* 3 and 4, section_lifecycle.c */
void throughput(const options *o);        /* 5, section_throughput.c */
void intercept_cost(const options *o);    /* 6, section_intercept.c */
void journal_costs(const options *o);     /* 7, section_journal.c */
/* The child process of section 2; returns its exit code. */
int naive_child(LONG pending, unsigned spin_us, HANDLE about_to_free, BOOL warm);
/* The child processes of section 7 (journal_children.c); each returns its
 * exit code. intercepted: through bench_intercept.dll, else the original. */
int idle_child(BOOL intercepted, unsigned window_ms, const char *nonce);
int overload_child(unsigned seconds, unsigned work_us, const char *nonce);
int exit_child(BOOL intercepted, long calls, unsigned work_us);

#endif
