/* twinshim_bench.exe: what twinshim's unload safety costs, measured side by
 * side with the alternatives, in one process (the naive front runs in child
 * processes with a deadline, since it may deadlock).
 *
 * Every section interleaves its variants (A B C A B C ...), rotating the
 * order each round, after a warm-up round that is thrown away. Each variant
 * gets the median and the min-max of its rounds; a ratio is the median of the
 * per-round ratios, so slow phases of the machine cancel out.
 *
 * Output: one flat JSON object on stdout (bench/run-bench.sh adds the
 * machine's description and writes build/bench/results.json); progress on
 * stderr. Nothing here asserts a time: a run fails only when something does
 * not happen at all (a callback that never runs, a module that never leaves).
 *
 * Usage: twinshim_bench [--quick] [--callbacks N] [--rounds N]
 *                       [--free-rounds N] [--cycle-rounds N] [--throughput-callbacks N]
 *                       [--sections 123456] [--only <variant key>]   (to profile one variant)
 *        twinshim_bench --naive-child <pending> <spin_us> <event handle> <warm 0|1>   (internal) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "twinshim/status.h"

#include "bench_work.h"

#define MAX_ROUNDS 64
#define PATH_CAPACITY 1024
#define BATCH_DEADLINE_MS 600000u /* a batch that does not finish in 10 minutes is broken */
#define MODULE_DEADLINE_MS 60000u
#define TIGHT_POLL_MS 2.0 /* see wait_unmapped */
#define CHILD_START_DEADLINE_MS 60000u
#define NAIVE_FREE_DEADLINE_MS 3000u /* about 50 times the naive drain of 10,000 items */
#define CHILD_FAILED 0xBE000000u     /* child exit codes from here up are failures */
#define FREE_SPIN_US 10u             /* work per pending callback in the FreeLibrary section */

static const LONG pending_counts[] = { 0, 100, 10000 };
#define PENDING_COUNTS ((int)(sizeof pending_counts / sizeof pending_counts[0]))
static const unsigned thread_counts[] = { 1, 2, 4 };
#define THREAD_COUNTS ((int)(sizeof thread_counts / sizeof thread_counts[0]))

typedef struct options {
    LONG callbacks;            /* section 1, per variant and round */
    int rounds;                /* sections 1 and 5 */
    int free_rounds;           /* section 2 */
    int cycle_rounds;          /* sections 3 and 4 */
    LONG throughput_callbacks; /* section 5, per variant and round */
    const char *only;          /* run only the variant with this key (for profiling) */
    const char *sections;      /* which sections to run, as digits: "12345" */
} options;

static const options *run_options;

typedef struct samples {
    double value[MAX_ROUNDS];
    int count;
} samples;

typedef struct result {
    char key[96];
    char text[160]; /* already JSON: a number or a quoted string */
} result;

static LARGE_INTEGER frequency;
static wchar_t exe_path[PATH_CAPACITY];
static wchar_t bin[PATH_CAPACITY];
static result results[512];
static int result_count;
static HANDLE events[3];

static bench_alt_open_function alt_open;
static bench_alt_submit_function alt_submit;
static bench_alt_close_function alt_close;

/* ------------------------------------------------------------------------ */
/* Plumbing                                                                  */

static DECLSPEC_NORETURN void fail(const char *format, ...)
{
    va_list arguments;

    fputs("twinshim_bench: ", stderr);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    fflush(stderr);
    exit(2);
}

static void progress(const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fflush(stderr);
}

static double now_ms(void)
{
    LARGE_INTEGER counter;

    QueryPerformanceCounter(&counter);
    return (double)counter.QuadPart * 1000.0 / (double)frequency.QuadPart;
}

static void find_folders(void)
{
    DWORD length = GetModuleFileNameW(NULL, exe_path, PATH_CAPACITY);

    if (length == 0 || length >= PATH_CAPACITY)
        fail("cannot find my own path (error %lu)", GetLastError());
    wcscpy(bin, exe_path);
    while (length > 0 && bin[length - 1] != L'\\' && bin[length - 1] != L'/')
        bin[--length] = L'\0';
}

static void bin_path(const wchar_t *file, wchar_t *path)
{
    _snwprintf(path, PATH_CAPACITY, L"%ls%ls", bin, file);
    path[PATH_CAPACITY - 1] = L'\0';
}

static HMODULE load_bin(const wchar_t *file)
{
    wchar_t path[PATH_CAPACITY];
    HMODULE module;

    bin_path(file, path);
    module = LoadLibraryW(path);
    if (module == NULL)
        fail("cannot load %ls (error %lu)", path, GetLastError());
    return module;
}

static void (*symbol(HMODULE module, const char *name))(void)
{
    void (*address)(void) = (void (*)(void))GetProcAddress(module, name);

    if (address == NULL)
        fail("no export %s (error %lu)", name, GetLastError());
    return address;
}

/* True while an image is still mapped at base. VirtualQuery does not take
 * the loader lock, so polling it does not slow down the unload it watches. */
static BOOL image_mapped(HMODULE base)
{
    MEMORY_BASIC_INFORMATION info;

    if (VirtualQuery(base, &info, sizeof info) == 0)
        return FALSE;
    return info.State == MEM_COMMIT && info.Type == MEM_IMAGE && info.AllocationBase == (void *)base;
}

/* Returns now_ms() at the first poll that finds the image unmapped. */
static double wait_unmapped(HMODULE base, const wchar_t *name)
{
    double start = now_ms();
    double now;

    while (image_mapped(base)) {
        now = now_ms();
        if (now - start > MODULE_DEADLINE_MS)
            fail("%ls is still loaded %u ms after its front was freed", name, MODULE_DEADLINE_MS);
        /* Tight for the first 2 ms (an empty unload takes about 0.2 ms),
         * then once a millisecond: a poller that spins through a long drain
         * takes a share of the CPUs the drain runs on. */
        if (now - start < TIGHT_POLL_MS)
            SwitchToThread();
        else
            Sleep(1);
    }
    now = now_ms();
    if (GetModuleHandleW(name) != NULL)
        fail("%ls is unmapped but still in the module list", name);
    return now;
}

static void start_run(bench_run *run, LONG target, unsigned spin_us, HANDLE finished)
{
    run->done = 0;
    run->started = 0;
    run->target = target;
    run->spin_us = spin_us;
    run->finished = finished;
    ResetEvent(finished);
}

static void wait_run(bench_run *run, const char *what)
{
    if (WaitForSingleObject(run->finished, BATCH_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("%s: only %ld of %ld callbacks ran", what, run->done, run->target);
}

static void wait_started(bench_run *run, LONG count)
{
    double start = now_ms();

    while (InterlockedCompareExchange(&run->started, 0, 0) < count) {
        if (now_ms() - start > MODULE_DEADLINE_MS)
            fail("the gated callbacks did not start");
        Sleep(1);
    }
}

static void add_sample(samples *s, double value)
{
    if (s->count < MAX_ROUNDS)
        s->value[s->count++] = value;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_of(const samples *s)
{
    samples sorted = *s;

    if (s->count == 0)
        return 0.0;
    qsort(sorted.value, (size_t)sorted.count, sizeof sorted.value[0], compare_doubles);
    if (sorted.count % 2 == 1)
        return sorted.value[sorted.count / 2];
    return (sorted.value[sorted.count / 2 - 1] + sorted.value[sorted.count / 2]) / 2.0;
}

static double min_of(const samples *s)
{
    double low = s->count > 0 ? s->value[0] : 0.0;

    for (int i = 1; i < s->count; i++)
        if (s->value[i] < low)
            low = s->value[i];
    return low;
}

static double max_of(const samples *s)
{
    double high = s->count > 0 ? s->value[0] : 0.0;

    for (int i = 1; i < s->count; i++)
        if (s->value[i] > high)
            high = s->value[i];
    return high;
}

/* The per-round ratios numerator[i] / denominator[i]. */
static samples ratios(const samples *numerator, const samples *denominator)
{
    samples out = { .count = 0 };

    for (int i = 0; i < numerator->count && i < denominator->count; i++)
        if (denominator->value[i] > 0.0)
            add_sample(&out, numerator->value[i] / denominator->value[i]);
    return out;
}

static result *new_result(const char *key)
{
    result *r;

    if (result_count == (int)(sizeof results / sizeof results[0]))
        fail("too many results");
    r = &results[result_count++];
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static void put_number(const char *key, double value)
{
    result *r = new_result(key);

    if (value != value || value > 1e300 || value < -1e300)
        snprintf(r->text, sizeof r->text, "null");
    else
        snprintf(r->text, sizeof r->text, "%.6g", value);
}

static void put_string(const char *key, const char *value)
{
    result *r = new_result(key);
    size_t out = 0;

    r->text[out++] = '"';
    for (const char *c = value; *c != '\0' && out + 3 < sizeof r->text; c++) {
        if (*c == '"' || *c == '\\')
            r->text[out++] = '\\';
        r->text[out++] = (char)((unsigned char)*c < 0x20 ? ' ' : *c);
    }
    r->text[out++] = '"';
    r->text[out] = '\0';
}

/* key_median, key_min, key_max */
static void put_stats(const char *key, const samples *s)
{
    char name[96];

    snprintf(name, sizeof name, "%s_median", key);
    put_number(name, median_of(s));
    snprintf(name, sizeof name, "%s_min", key);
    put_number(name, min_of(s));
    snprintf(name, sizeof name, "%s_max", key);
    put_number(name, max_of(s));
}

static void print_results(void)
{
    printf("{\n");
    for (int i = 0; i < result_count; i++)
        printf("  \"%s\": %s%s\n", results[i].key, results[i].text, i + 1 < result_count ? "," : "");
    printf("}\n");
    fflush(stdout);
}

static void load_alternatives(void)
{
    HMODULE alt = load_bin(L"bench_alt.dll");

    alt_open = (bench_alt_open_function)symbol(alt, "bench_alt_open");
    alt_submit = (bench_alt_submit_function)symbol(alt, "bench_alt_submit");
    alt_close = (bench_alt_close_function)symbol(alt, "bench_alt_close");
}

static bench_alt *open_alternative(bench_alt_variant variant, unsigned threads)
{
    bench_alt *alt = alt_open((int)variant, threads);

    if (alt == NULL)
        fail("cannot create the pool of alternative %d (error %lu)", (int)variant, GetLastError());
    return alt;
}

/* A twinshim front, loaded, connected, its session started. */
typedef struct front {
    HMODULE module;
    bench_front_post_function post;
} front;

static front load_front(const wchar_t *file)
{
    front f;
    bench_front_status_function status;
    int code;

    f.module = load_bin(file);
    f.post = (bench_front_post_function)symbol(f.module, "bench_front_post");
    status = (bench_front_status_function)symbol(f.module, "bench_front_status");
    code = status();
    if (code != SHIM_OK)
        fail("%ls did not connect to its worker: %s", file, shim_status_text(code));
    return f;
}

/* Posts one message and waits for it: the session has started and its pool
 * has a thread. */
static void warm_front(const front *f)
{
    static bench_run warm;
    bench_message message = { &warm, NULL };

    start_run(&warm, 1, 0, events[1]);
    if (f->post(&message) != SHIM_OK)
        fail("the warm-up post was refused");
    wait_run(&warm, "warm-up post");
}

/* FreeLibrary(front), then the wait until the worker has left. */
static void unload_front(front *f)
{
    HMODULE worker = GetModuleHandleW(L"bench_worker.dll");

    FreeLibrary(f->module);
    f->module = NULL;
    if (worker != NULL)
        wait_unmapped(worker, L"bench_worker.dll");
}

/* ------------------------------------------------------------------------ */
/* 1. Per-callback cost                                                      */

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

static int submit_front_post(const variant *v, bench_run *run)
{
    bench_message message = { run, NULL };

    return v->front_post(&message);
}

static int submit_worker(const variant *v, bench_run *run)
{
    return v->worker_submit(run);
}

static int submit_alternative(const variant *v, bench_run *run)
{
    return alt_submit(v->alt, run);
}

/* Submits count callbacks and waits for all of them; returns milliseconds,
 * and in *submitted_ms the time the submitting loop took. */
static double run_batch(const variant *v, LONG count, double *submitted_ms)
{
    static bench_run run;
    double start;
    double submitted;
    double end;

    start_run(&run, count, 0, events[0]);
    start = now_ms();
    for (LONG i = 0; i < count; i++)
        if (v->submit(v, &run) != 0)
            fail("%s: submission %ld refused", v->key, i);
    submitted = now_ms();
    wait_run(&run, v->key);
    end = now_ms();
    *submitted_ms = submitted - start;
    return end - start;
}

/* Runs every variant once per round, in a rotating order. */
static void interleave(variant *variants, int count, int rounds, LONG callbacks, double scale)
{
    for (int round = -1; round < rounds; round++) {
        LONG batch = round < 0 ? (callbacks / 10 > 0 ? callbacks / 10 : 1) : callbacks;

        for (int i = 0; i < count; i++) {
            variant *v = &variants[(i + (round < 0 ? 0 : round)) % count];
            double ms;
            double submitted_ms;

            if (run_options->only != NULL && strcmp(run_options->only, v->key) != 0)
                continue;
            ms = run_batch(v, batch, &submitted_ms);
            if (round >= 0) {
                add_sample(&v->value, scale > 0 ? ms * scale / (double)batch : (double)batch * 1000.0 / ms);
                add_sample(&v->submit_ns, submitted_ms * 1e6 / (double)batch);
            }
        }
        progress(round < 0 ? "  warm-up done\n" : "  round %d of %d done\n", round + 1, rounds);
    }
}

static void per_callback_cost(const options *o)
{
    enum {
        POST,
        SUBMIT,
        RAW,
        LIBRARY,
        MODULE_REF,
        PROXY,
        SIMPLE,
        VARIANTS
    };
    variant variants[VARIANTS] = {
        [SIMPLE] = { .key = "raw_simple_callback", .submit = submit_alternative },
        [POST] = { .key = "twinshim_post", .submit = submit_front_post },
        [SUBMIT] = { .key = "twinshim_submit", .submit = submit_worker },
        [RAW] = { .key = "raw", .submit = submit_alternative },
        [LIBRARY] = { .key = "callback_library", .submit = submit_alternative },
        [MODULE_REF] = { .key = "module_ref_per_item", .submit = submit_alternative },
        [PROXY] = { .key = "proxy_refcount", .submit = submit_alternative },
    };
    front f = load_front(L"bench_front.dll");
    HMODULE worker = GetModuleHandleW(L"bench_worker.dll");
    bench_worker_ready_function ready;
    double start = now_ms();
    samples ratio;
    char key[96];

    progress("1. per-callback cost: %ld callbacks per variant and round, %d rounds\n", o->callbacks,
             o->rounds);
    if (worker == NULL)
        fail("the front did not load bench_worker.dll");
    ready = (bench_worker_ready_function)symbol(worker, "bench_worker_ready");
    while (!ready()) {
        if (now_ms() - start > MODULE_DEADLINE_MS)
            fail("the worker session never started");
        Sleep(1);
    }
    variants[POST].front_post = f.post;
    variants[SUBMIT].worker_submit = (bench_worker_submit_function)symbol(worker, "bench_worker_submit");
    variants[RAW].alt = open_alternative(BENCH_ALT_RAW, 2);
    variants[LIBRARY].alt = open_alternative(BENCH_ALT_LIBRARY, 2);
    variants[MODULE_REF].alt = open_alternative(BENCH_ALT_MODULE_REF, 2);
    variants[PROXY].alt = open_alternative(BENCH_ALT_PROXY, 2);
    variants[SIMPLE].alt = open_alternative(BENCH_ALT_SIMPLE, 2);

    interleave(variants, VARIANTS, o->rounds, o->callbacks, 1e6);

    for (int i = 0; i < VARIANTS; i++) {
        snprintf(key, sizeof key, "per_callback_ns_%s", variants[i].key);
        put_stats(key, &variants[i].value);
        snprintf(key, sizeof key, "submit_ns_%s_median", variants[i].key);
        put_number(key, median_of(&variants[i].submit_ns));
    }
    ratio = ratios(&variants[POST].value, &variants[RAW].value);
    put_number("overhead_ratio_vs_raw", median_of(&ratio));
    for (int i = 0; i < VARIANTS; i++) {
        if (i == POST || i == RAW)
            continue;
        ratio = ratios(&variants[i].value, &variants[RAW].value);
        snprintf(key, sizeof key, "overhead_ratio_%s_vs_raw", variants[i].key);
        put_number(key, median_of(&ratio));
    }
    for (int i = RAW; i < VARIANTS; i++)
        alt_close(variants[i].alt);
    unload_front(&f);
}

/* ------------------------------------------------------------------------ */
/* 2. FreeLibrary(front) with pending callbacks                              */

typedef struct free_sample {
    double free_ms; /* FreeLibrary(front) */
    double gone_ms; /* FreeLibrary(front) to the worker unmapped */
    double pending; /* callbacks not yet finished when FreeLibrary was called */
} free_sample;

/* Loads bench_front.dll, queues `pending` callbacks of FREE_SPIN_US each and
 * frees the front. With hold, both pool threads are first held in gated
 * callbacks, so every one of the `pending` callbacks is still queued. */
static free_sample twinshim_free(LONG pending, BOOL hold)
{
    static bench_run held;
    static bench_run work;
    HANDLE gate = events[2];
    front f = load_front(L"bench_front.dll");
    HMODULE worker = GetModuleHandleW(L"bench_worker.dll");
    bench_message message;
    free_sample s;
    double start;

    warm_front(&f);
    if (hold) {
        bench_message gated = { &held, gate };

        ResetEvent(gate);
        start_run(&held, 2, 0, events[1]);
        for (int i = 0; i < 2; i++)
            if (f.post(&gated) != SHIM_OK)
                fail("a gated post was refused");
        wait_started(&held, 2);
    }
    start_run(&work, pending > 0 ? pending : 1, FREE_SPIN_US, events[0]);
    message.run = &work;
    message.gate = NULL;
    for (LONG i = 0; i < pending; i++)
        if (f.post(&message) != SHIM_OK)
            fail("a pending post was refused");
    s.pending = (double)(pending - InterlockedCompareExchange(&work.done, 0, 0));

    start = now_ms();
    FreeLibrary(f.module);
    s.free_ms = now_ms() - start;
    if (hold)
        SetEvent(gate);
    s.gone_ms = wait_unmapped(worker, L"bench_worker.dll") - start;
    if (work.done != pending || (hold && held.done != 2))
        fail("the worker left before its drain ended (%ld of %ld)", work.done, pending);
    return s;
}

/* Runs `twinshim_bench --naive-child` and returns its FreeLibrary time, or a
 * negative value when it did not return within the deadline. A warm child
 * has run one callback first, so its pool has a thread; a cold one queues
 * its work on a pool that has none yet, right before the unload. */
static double naive_free(LONG pending, BOOL warm)
{
    SECURITY_ATTRIBUTES inherit = { sizeof inherit, NULL, TRUE };
    HANDLE about_to_free = CreateEventW(&inherit, TRUE, FALSE, NULL);
    wchar_t command[PATH_CAPACITY + 128];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION child;
    HANDLE both[2];
    DWORD code = CHILD_FAILED;
    double ms = -1.0;

    if (about_to_free == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
    _snwprintf(command, sizeof command / sizeof command[0], L"\"%ls\" --naive-child %ld %u %lu %d", exe_path,
               pending, FREE_SPIN_US, (unsigned long)(ULONG_PTR)about_to_free, warm ? 1 : 0);
    command[sizeof command / sizeof command[0] - 1] = L'\0';
    if (!CreateProcessW(exe_path, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child))
        fail("cannot start the naive child (error %lu)", GetLastError());
    both[0] = about_to_free;
    both[1] = child.hProcess;
    if (WaitForMultipleObjects(2, both, FALSE, CHILD_START_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("the naive child failed before its FreeLibrary");
    if (WaitForSingleObject(child.hProcess, NAIVE_FREE_DEADLINE_MS) != WAIT_OBJECT_0) {
        /* Its FreeLibrary never returned: the drain inside DllMain is stuck. */
        TerminateProcess(child.hProcess, CHILD_FAILED);
        WaitForSingleObject(child.hProcess, MODULE_DEADLINE_MS);
    } else {
        GetExitCodeProcess(child.hProcess, &code);
        if (code >= CHILD_FAILED)
            fail("the naive child failed (exit code 0x%lx)", (unsigned long)code);
        ms = (double)code / 1000.0;
    }
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
    CloseHandle(about_to_free);
    return ms;
}

/* The child: load the naive front, queue `pending` callbacks, free it, exit
 * with the FreeLibrary time in microseconds. */
static int naive_child(LONG pending, unsigned spin_us, HANDLE about_to_free, BOOL warm)
{
    static bench_run warm_run;
    static bench_run work;
    HMODULE naive = load_bin(L"bench_naive.dll");
    bench_naive_post_function post = (bench_naive_post_function)symbol(naive, "bench_naive_post");
    double start;
    double ms;

    if (warm) {
        start_run(&warm_run, 1, 0, CreateEventW(NULL, TRUE, FALSE, NULL));
        post(&warm_run);
        wait_run(&warm_run, "naive warm-up");
    }
    start_run(&work, pending > 0 ? pending : 1, spin_us, CreateEventW(NULL, TRUE, FALSE, NULL));
    for (LONG i = 0; i < pending; i++)
        post(&work);
    SetEvent(about_to_free);
    start = now_ms();
    FreeLibrary(naive);
    ms = now_ms() - start;
    if (work.done != pending)
        return (int)CHILD_FAILED;
    return (int)(ms * 1000.0);
}

static void free_latency(const options *o)
{
    samples tw_free[PENDING_COUNTS] = { { .count = 0 } };
    samples tw_gone[PENDING_COUNTS] = { { .count = 0 } };
    samples tw_pending[PENDING_COUNTS] = { { .count = 0 } };
    samples held_free[PENDING_COUNTS] = { { .count = 0 } };
    samples held_gone[PENDING_COUNTS] = { { .count = 0 } };
    samples naive[PENDING_COUNTS] = { { .count = 0 } };
    samples naive_cold[PENDING_COUNTS] = { { .count = 0 } };
    int naive_deadlocks[PENDING_COUNTS] = { 0 };
    int naive_cold_deadlocks[PENDING_COUNTS] = { 0 };
    samples ratio;
    char key[96];
    const int last = PENDING_COUNTS - 1;

    progress("2. FreeLibrary(front) with 0, 100 and 10000 pending callbacks of %u us, %d rounds "
             "(the naive front in child processes, deadline %u ms)\n",
             FREE_SPIN_US, o->free_rounds, NAIVE_FREE_DEADLINE_MS);
    for (int round = -1; round < o->free_rounds; round++) {
        for (int p = 0; p < PENDING_COUNTS; p++) {
            /* Rotate which of the four variants goes first. */
            for (int k = 0; k < 4; k++) {
                int which = (k + (round < 0 ? 0 : round)) % 4;

                if (which == 0) {
                    free_sample s = twinshim_free(pending_counts[p], FALSE);
                    if (round >= 0) {
                        add_sample(&tw_free[p], s.free_ms);
                        add_sample(&tw_gone[p], s.gone_ms);
                        add_sample(&tw_pending[p], s.pending);
                    }
                } else if (which == 1) {
                    free_sample s = twinshim_free(pending_counts[p], TRUE);
                    if (round >= 0) {
                        add_sample(&held_free[p], s.free_ms);
                        add_sample(&held_gone[p], s.gone_ms);
                    }
                } else if (round >= 0) { /* no warm-up round for the child processes */
                    BOOL warm = which == 2;
                    double ms = naive_free(pending_counts[p], warm);
                    if (ms < 0)
                        (warm ? naive_deadlocks : naive_cold_deadlocks)[p]++;
                    else
                        add_sample(warm ? &naive[p] : &naive_cold[p], ms);
                }
            }
        }
        progress(round < 0 ? "  warm-up done\n" : "  round %d of %d done\n", round + 1, o->free_rounds);
    }

    for (int p = 0; p < PENDING_COUNTS; p++) {
        snprintf(key, sizeof key, "free_ms_twinshim_%ld", pending_counts[p]);
        put_stats(key, &tw_free[p]);
        snprintf(key, sizeof key, "free_ms_twinshim_held_%ld", pending_counts[p]);
        put_stats(key, &held_free[p]);
        snprintf(key, sizeof key, "pending_at_free_twinshim_%ld_median", pending_counts[p]);
        put_number(key, median_of(&tw_pending[p]));
        snprintf(key, sizeof key, "unload_ms_twinshim_%ld", pending_counts[p]);
        put_stats(key, &tw_gone[p]);
        snprintf(key, sizeof key, "unload_ms_twinshim_held_%ld", pending_counts[p]);
        put_stats(key, &held_gone[p]);
        snprintf(key, sizeof key, "free_ms_naive_%ld", pending_counts[p]);
        if (naive[p].count > 0) {
            put_stats(key, &naive[p]);
        } else {
            snprintf(key, sizeof key, "free_ms_naive_%ld_median", pending_counts[p]);
            put_string(key, "deadlock");
        }
        snprintf(key, sizeof key, "naive_deadlocks_%ld", pending_counts[p]);
        put_number(key, naive_deadlocks[p]);
        snprintf(key, sizeof key, "free_ms_naive_cold_%ld", pending_counts[p]);
        if (naive_cold[p].count > 0) {
            put_stats(key, &naive_cold[p]);
        } else {
            snprintf(key, sizeof key, "free_ms_naive_cold_%ld_median", pending_counts[p]);
            put_string(key, "deadlock");
        }
        snprintf(key, sizeof key, "naive_cold_deadlocks_%ld", pending_counts[p]);
        put_number(key, naive_cold_deadlocks[p]);
    }
    ratio = ratios(&tw_free[last], &tw_free[0]);
    put_number("free_latency_ratio_10k_vs_0", median_of(&ratio));
    ratio = ratios(&held_free[last], &held_free[0]);
    put_number("free_latency_ratio_10k_vs_0_held", median_of(&ratio));
    /* A front that deadlocks in any round deadlocks: that is its result. */
    if (naive_deadlocks[0] > 0 || naive_deadlocks[last] > 0) {
        put_string("naive_free_latency_ratio_10k_vs_0", "deadlock");
    } else {
        ratio = ratios(&naive[last], &naive[0]);
        put_number("naive_free_latency_ratio_10k_vs_0", median_of(&ratio));
    }
    if (naive_cold_deadlocks[0] > 0 || naive_cold_deadlocks[last] > 0) {
        put_string("naive_cold_free_latency_ratio_10k_vs_0", "deadlock");
    } else {
        ratio = ratios(&naive_cold[last], &naive_cold[0]);
        put_number("naive_cold_free_latency_ratio_10k_vs_0", median_of(&ratio));
    }
    put_number("naive_deadline_ms", NAIVE_FREE_DEADLINE_MS);
    put_number("free_pending_spin_us", FREE_SPIN_US);
}

/* ------------------------------------------------------------------------ */
/* 3 and 4. Unload completion; a full lifecycle against a plain DLL          */

static DWORD WINAPI empty_thread(void *parameter)
{
    (void)parameter;
    return 0;
}

/* LoadLibrary, one call, FreeLibrary, for each plain DLL in turn; returns ms. */
static double plain_cycle(const wchar_t *const *paths, int count)
{
    HMODULE modules[2];
    double start = now_ms();
    double end;

    for (int i = 0; i < count; i++) {
        bench_plain_nothing_function nothing;

        modules[i] = LoadLibraryW(paths[i]);
        if (modules[i] == NULL)
            fail("cannot load %ls (error %lu)", paths[i], GetLastError());
        nothing =
            (bench_plain_nothing_function)(void (*)(void))GetProcAddress(modules[i], "bench_plain_nothing");
        if (nothing == NULL || nothing() != 0)
            fail("the plain DLL's call failed");
    }
    for (int i = 0; i < count; i++)
        FreeLibrary(modules[i]);
    end = now_ms();
    for (int i = 0; i < count; i++)
        if (image_mapped(modules[i]))
            fail("%ls stayed mapped", paths[i]);
    return end - start;
}

static DWORD WINAPI wait_for_stop_thread(void *stop)
{
    WaitForSingleObject(stop, INFINITE);
    return 0;
}

static void CALLBACK signal_callback(PTP_CALLBACK_INSTANCE instance, void *done, PTP_WORK work)
{
    (void)instance;
    (void)work;
    SetEvent(done);
}

/* Wine resources a lifecycle could be built from, without twinshim. */
typedef enum resource_shape {
    /* What a session asks of Wine: a private pool of 2 threads, and a thread
     * that waits for a stop signal and ends the cycle by exiting. */
    PRIVATE_POOL_AND_THREAD,
    /* The floor of any design whose worker owns its pool: the pool's first
     * thread, which Wine starts when the work object is created. */
    PRIVATE_POOL_ONLY,
    /* No pool of its own: the process's default pool, whose threads outlive
     * the DLLs and were started by an earlier round. */
    DEFAULT_POOL,
    RESOURCE_SHAPES
} resource_shape;

/* The pool and the thread come first, so that their threads start while the
 * two plain DLLs load (the cheapest order); then one callback runs, the DLLs
 * are freed, and the cycle ends once the thread and the pool are gone. */
static double resources_cycle(const wchar_t *const *paths, resource_shape shape)
{
    HMODULE modules[2];
    HANDLE done = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    double start = now_ms();
    TP_CALLBACK_ENVIRON environment;
    PTP_POOL pool = NULL;
    PTP_WORK work;
    HANDLE thread = NULL;
    double end;

    if (done == NULL || stop == NULL)
        fail("cannot create the events (error %lu)", GetLastError());
    InitializeThreadpoolEnvironment(&environment);
    if (shape != DEFAULT_POOL) {
        pool = CreateThreadpool(NULL);
        if (pool == NULL)
            fail("cannot create the pool (error %lu)", GetLastError());
        SetThreadpoolThreadMaximum(pool, 2);
        SetThreadpoolCallbackPool(&environment, pool);
    }
    work = CreateThreadpoolWork(signal_callback, done, &environment);
    if (work == NULL)
        fail("cannot create the work object (error %lu)", GetLastError());
    if (shape == PRIVATE_POOL_AND_THREAD &&
        (thread = CreateThread(NULL, 0, wait_for_stop_thread, stop, 0, NULL)) == NULL)
        fail("cannot create the thread (error %lu)", GetLastError());
    for (int i = 0; i < 2; i++)
        if ((modules[i] = LoadLibraryW(paths[i])) == NULL)
            fail("cannot load %ls (error %lu)", paths[i], GetLastError());
    SubmitThreadpoolWork(work);
    WaitForSingleObject(done, INFINITE);
    for (int i = 0; i < 2; i++)
        FreeLibrary(modules[i]);
    if (thread != NULL) {
        SetEvent(stop);
        WaitForSingleObject(thread, INFINITE);
    }
    WaitForThreadpoolWorkCallbacks(work, FALSE);
    CloseThreadpoolWork(work);
    if (pool != NULL)
        CloseThreadpool(pool);
    DestroyThreadpoolEnvironment(&environment);
    end = now_ms();
    if (thread != NULL)
        CloseHandle(thread);
    CloseHandle(stop);
    CloseHandle(done);
    return end - start;
}

static void lifecycle(const options *o)
{
    enum {
        UNLOAD,
        CYCLE,
        PLAIN,
        PLAIN_TWO,
        RESOURCES, /* RESOURCE_SHAPES kinds, one per resource_shape */
        THREAD = RESOURCES + RESOURCE_SHAPES,
        KINDS
    };
    static bench_run one;
    wchar_t front_path[PATH_CAPACITY];
    wchar_t plain_path[2][PATH_CAPACITY];
    const wchar_t *plain_paths[2] = { plain_path[0], plain_path[1] };
    samples unload = { .count = 0 };
    samples unload_free = { .count = 0 };
    samples cycle = { .count = 0 };
    samples cycle_load = { .count = 0 };
    samples cycle_free = { .count = 0 };
    samples cycle_gone = { .count = 0 };
    samples plain = { .count = 0 };
    samples plain_two = { .count = 0 };
    samples resources[RESOURCE_SHAPES] = { { .count = 0 } };
    samples thread = { .count = 0 };
    samples ratio;

    progress("3-4. unload completion, full lifecycle and plain DLL, %d rounds\n", o->cycle_rounds);
    bin_path(L"bench_front.dll", front_path);
    bin_path(L"bench_plain.dll", plain_path[0]);
    bin_path(L"bench_plain_2.dll", plain_path[1]);
    for (int round = -2; round < o->cycle_rounds; round++) {
        for (int k = 0; k < KINDS; k++) {
            int which = (k + (round < 0 ? 0 : round)) % KINDS;
            double start;
            double end;

            if (which == UNLOAD) {
                /* Unload completion: FreeLibrary(front) to the worker unmapped, empty queue. */
                front f = load_front(L"bench_front.dll");
                HMODULE worker = GetModuleHandleW(L"bench_worker.dll");
                double freed;

                warm_front(&f);
                start = now_ms();
                FreeLibrary(f.module);
                freed = now_ms();
                end = wait_unmapped(worker, L"bench_worker.dll");
                if (round >= 0) {
                    add_sample(&unload, end - start);
                    add_sample(&unload_free, freed - start);
                }
            } else if (which == CYCLE) {
                /* LoadLibrary(front), one call, FreeLibrary(front), worker gone. */
                HMODULE module;
                HMODULE worker;
                bench_front_post_function post;
                bench_message message = { &one, NULL };
                double loaded;
                double freed;

                start_run(&one, 1, 0, events[0]);
                start = now_ms();
                module = LoadLibraryW(front_path);
                if (module == NULL)
                    fail("cannot load bench_front.dll (error %lu)", GetLastError());
                loaded = now_ms();
                post = (bench_front_post_function)(void (*)(void))GetProcAddress(module, "bench_front_post");
                if (post == NULL || post(&message) != SHIM_OK)
                    fail("the lifecycle's call failed");
                worker = GetModuleHandleW(L"bench_worker.dll");
                freed = now_ms();
                FreeLibrary(module);
                end = wait_unmapped(worker, L"bench_worker.dll");
                if (one.done != 1)
                    fail("the lifecycle's message was not delivered");
                if (round >= 0) {
                    add_sample(&cycle, end - start);
                    add_sample(&cycle_load, loaded - start);
                    add_sample(&cycle_free, freed - start);
                    add_sample(&cycle_gone, end - freed);
                }
            } else if (which == PLAIN || which == PLAIN_TWO) {
                double ms = plain_cycle(plain_paths, which == PLAIN ? 1 : 2);

                if (round >= 0)
                    add_sample(which == PLAIN ? &plain : &plain_two, ms);
            } else if (which < THREAD) {
                resource_shape shape = (resource_shape)(which - RESOURCES);
                double ms = resources_cycle(plain_paths, shape);

                if (round >= 0)
                    add_sample(&resources[shape], ms);
            } else {
                /* What one thread costs: CreateThread to its handle signalled. */
                HANDLE handle;

                start = now_ms();
                handle = CreateThread(NULL, 0, empty_thread, NULL, 0, NULL);
                if (handle == NULL)
                    fail("CreateThread failed (error %lu)", GetLastError());
                WaitForSingleObject(handle, INFINITE);
                CloseHandle(handle);
                end = now_ms();
                if (round >= 0)
                    add_sample(&thread, end - start);
            }
        }
    }
    put_stats("unload_completion_ms", &unload);
    put_number("unload_completion_ms", median_of(&unload));
    put_stats("unload_completion_free_ms", &unload_free);
    put_stats("cycle_ms_twinshim", &cycle);
    put_stats("cycle_ms_twinshim_load", &cycle_load);
    put_stats("cycle_ms_twinshim_to_free", &cycle_free);
    put_stats("cycle_ms_twinshim_free_to_gone", &cycle_gone);
    put_stats("cycle_ms_plain_dll", &plain);
    put_stats("cycle_ms_two_plain_dlls", &plain_two);
    put_stats("cycle_ms_same_resources", &resources[PRIVATE_POOL_AND_THREAD]);
    put_stats("cycle_ms_private_pool_floor", &resources[PRIVATE_POOL_ONLY]);
    put_stats("cycle_ms_default_pool_floor", &resources[DEFAULT_POOL]);
    put_stats("thread_create_exit_ms", &thread);
    ratio = ratios(&cycle, &plain);
    put_number("cycle_ratio_vs_plain_dll", median_of(&ratio));
    put_stats("cycle_ratio_vs_plain_dll", &ratio);
    ratio = ratios(&plain_two, &plain);
    put_number("two_plain_dlls_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&resources[PRIVATE_POOL_AND_THREAD], &plain);
    put_number("same_resources_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&cycle, &resources[PRIVATE_POOL_AND_THREAD]);
    put_number("cycle_ratio_vs_same_resources", median_of(&ratio));
    ratio = ratios(&resources[PRIVATE_POOL_ONLY], &plain);
    put_number("private_pool_floor_ratio_vs_plain_dll", median_of(&ratio));
    ratio = ratios(&resources[DEFAULT_POOL], &plain);
    put_number("default_pool_floor_ratio_vs_plain_dll", median_of(&ratio));
}

/* ------------------------------------------------------------------------ */
/* 5. Throughput with 1, 2 and 4 pool threads                                */

static void throughput(const options *o)
{
    static const wchar_t *const front_files[THREAD_COUNTS] = {
        L"bench_front_1t.dll",
        L"bench_front.dll",
        L"bench_front_4t.dll",
    };
    variant variants[2 * THREAD_COUNTS];
    front fronts[THREAD_COUNTS];
    char keys[2 * THREAD_COUNTS][48];
    char key[96];

    progress("5. throughput with 1, 2 and 4 pool threads: %ld callbacks per variant and round, %d rounds\n",
             o->throughput_callbacks, o->rounds);
    memset(variants, 0, sizeof variants);
    for (int t = 0; t < THREAD_COUNTS; t++) {
        fronts[t] = load_front(front_files[t]);
        warm_front(&fronts[t]);
        snprintf(keys[2 * t], sizeof keys[0], "twinshim_post_%ut", thread_counts[t]);
        variants[2 * t].key = keys[2 * t];
        variants[2 * t].submit = submit_front_post;
        variants[2 * t].front_post = fronts[t].post;
        snprintf(keys[2 * t + 1], sizeof keys[0], "raw_%ut", thread_counts[t]);
        variants[2 * t + 1].key = keys[2 * t + 1];
        variants[2 * t + 1].submit = submit_alternative;
        variants[2 * t + 1].alt = open_alternative(BENCH_ALT_RAW, thread_counts[t]);
    }

    interleave(variants, 2 * THREAD_COUNTS, o->rounds, o->throughput_callbacks, 0);

    for (int i = 0; i < 2 * THREAD_COUNTS; i++) {
        snprintf(key, sizeof key, "throughput_per_s_%s", variants[i].key);
        put_stats(key, &variants[i].value);
    }
    for (int t = 0; t < THREAD_COUNTS; t++) {
        samples ratio = ratios(&variants[2 * t + 1].value, &variants[2 * t].value);

        snprintf(key, sizeof key, "throughput_raw_vs_twinshim_%ut", thread_counts[t]);
        put_number(key, median_of(&ratio));
        alt_close(variants[2 * t + 1].alt);
    }
    for (int t = 0; t < THREAD_COUNTS; t++) {
        FreeLibrary(fronts[t].module);
        fronts[t].module = NULL;
    }
    {
        HMODULE worker = GetModuleHandleW(L"bench_worker.dll");
        if (worker != NULL)
            wait_unmapped(worker, L"bench_worker.dll");
    }
}

/* ------------------------------------------------------------------------ */
/* 6. Profile: the worker runtime's work path rebuilt step by step           */

static void work_path_profile(const options *o)
{
    enum {
        RAW,
        QUEUE,
        GATE,
        COUNTED,
        POST,
        QUEUE_FREELIST,
        BATCHED,
        BATCHED_FREELIST,
        VARIANTS
    };
    variant variants[VARIANTS] = {
        [QUEUE_FREELIST] = { .key = "queue_freelist", .submit = submit_alternative },
        [BATCHED_FREELIST] = { .key = "batched_drain_freelist", .submit = submit_alternative },
        [RAW] = { .key = "raw", .submit = submit_alternative },
        [QUEUE] = { .key = "queue", .submit = submit_alternative },
        [GATE] = { .key = "queue_gate", .submit = submit_alternative },
        [COUNTED] = { .key = "queue_gate_counters", .submit = submit_alternative },
        [POST] = { .key = "twinshim_post", .submit = submit_front_post },
        [BATCHED] = { .key = "batched_drain", .submit = submit_alternative },
    };
    front f = load_front(L"bench_front.dll");
    char key[96];

    progress("6. profile of the work path: %ld callbacks per variant and round, %d rounds\n", o->callbacks,
             o->rounds);
    warm_front(&f);
    variants[POST].front_post = f.post;
    variants[RAW].alt = open_alternative(BENCH_ALT_RAW, 2);
    variants[QUEUE].alt = open_alternative(BENCH_ALT_QUEUE, 2);
    variants[GATE].alt = open_alternative(BENCH_ALT_GATE, 2);
    variants[COUNTED].alt = open_alternative(BENCH_ALT_COUNTED, 2);
    variants[BATCHED].alt = open_alternative(BENCH_ALT_BATCHED, 2);
    variants[QUEUE_FREELIST].alt = open_alternative(BENCH_ALT_QUEUE_FREELIST, 2);
    variants[BATCHED_FREELIST].alt = open_alternative(BENCH_ALT_BATCHED_FREELIST, 2);

    interleave(variants, VARIANTS, o->rounds, o->callbacks, 1e6);

    for (int i = 0; i < VARIANTS; i++) {
        samples ratio = ratios(&variants[i].value, &variants[RAW].value);

        snprintf(key, sizeof key, "profile_ns_%s", variants[i].key);
        put_stats(key, &variants[i].value);
        snprintf(key, sizeof key, "profile_submit_ns_%s_median", variants[i].key);
        put_number(key, median_of(&variants[i].submit_ns));
        snprintf(key, sizeof key, "profile_ratio_%s_vs_raw", variants[i].key);
        put_number(key, median_of(&ratio));
        if (variants[i].alt != NULL)
            alt_close(variants[i].alt);
    }
    unload_front(&f);
}

/* ------------------------------------------------------------------------ */

static void describe_machine(const options *o)
{
    typedef const char *(CDECL * wine_get_version_function)(void);
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    wine_get_version_function wine_version =
        ntdll != NULL ? (wine_get_version_function)(void (*)(void))GetProcAddress(ntdll, "wine_get_version")
                      : NULL;
    SYSTEM_INFO system;

    GetSystemInfo(&system);
    put_string("wine_version", wine_version != NULL ? wine_version() : "not wine");
    put_number("cpu_count", system.dwNumberOfProcessors);
#if defined(__clang__)
    put_string("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
    put_string("compiler", "gcc " __VERSION__);
#else
    put_string("compiler", "unknown");
#endif
#ifdef NDEBUG
    put_string("build", "release");
#else
    put_string("build", "debug");
#endif
    put_number("callbacks_per_run", o->callbacks);
    put_number("rounds", o->rounds);
    put_number("free_rounds", o->free_rounds);
    put_number("cycle_rounds", o->cycle_rounds);
    put_number("throughput_callbacks_per_run", o->throughput_callbacks);
    put_number("pool_threads", 2);
}

static long number_argument(int argc, char **argv, int i)
{
    char *end = NULL;
    long value;

    if (i + 1 >= argc)
        fail("%s needs a number", argv[i]);
    value = strtol(argv[i + 1], &end, 10);
    if (end == argv[i + 1] || *end != '\0' || value <= 0)
        fail("%s needs a positive number, not %s", argv[i], argv[i + 1]);
    return value;
}

int main(int argc, char **argv)
{
    options o = {
        .callbacks = 1000000,
        .rounds = 7,
        .free_rounds = 9,
        .cycle_rounds = 21,
        .throughput_callbacks = 200000,
        .only = NULL,
        .sections = "123456",
    };
    double start;

    QueryPerformanceFrequency(&frequency);
    find_folders();
    if (argc == 6 && strcmp(argv[1], "--naive-child") == 0)
        return naive_child(strtol(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10),
                           (HANDLE)(ULONG_PTR)strtoul(argv[4], NULL, 10), strcmp(argv[5], "1") == 0);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o.callbacks = 20000;
            o.rounds = 2;
            o.free_rounds = 1;
            o.cycle_rounds = 3;
            o.throughput_callbacks = 20000;
        } else if (strcmp(argv[i], "--callbacks") == 0) {
            o.callbacks = number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--rounds") == 0) {
            o.rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--free-rounds") == 0) {
            o.free_rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--cycle-rounds") == 0) {
            o.cycle_rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--throughput-callbacks") == 0) {
            o.throughput_callbacks = number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            o.only = argv[++i];
        } else if (strcmp(argv[i], "--sections") == 0 && i + 1 < argc) {
            o.sections = argv[++i];
        } else {
            fail("unknown argument %s", argv[i]);
        }
    }
    if (o.rounds > MAX_ROUNDS || o.free_rounds > MAX_ROUNDS || o.cycle_rounds > MAX_ROUNDS)
        fail("at most %d rounds", MAX_ROUNDS);
    for (int i = 0; i < 3; i++) {
        events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (events[i] == NULL)
            fail("CreateEvent failed (error %lu)", GetLastError());
    }

    run_options = &o;
    start = now_ms();
    describe_machine(&o);
    load_alternatives();
    if (strchr(o.sections, '1') != NULL)
        per_callback_cost(&o);
    if (strchr(o.sections, '2') != NULL)
        free_latency(&o);
    if (strchr(o.sections, '3') != NULL || strchr(o.sections, '4') != NULL)
        lifecycle(&o);
    if (strchr(o.sections, '5') != NULL)
        throughput(&o);
    if (strchr(o.sections, '6') != NULL)
        work_path_profile(&o);
    put_number("total_seconds", (now_ms() - start) / 1000.0);
    print_results();
    return 0;
}
