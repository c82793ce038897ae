/* Section 6: the host cost of an intercepted call.
 *
 * What a host thread pays when a call goes through a front that posts a
 * 64-byte record (bench_intercept.dll, built like examples/legacy's front),
 * against the direct call of the original, at 1, 2 and 4 host threads
 * calling at once; next to the same front whose plugin keeps its journal
 * in memory (bench_intercept_memory.dll, SHIM_JOURNAL_MEMORY), and the
 * common ways of handing the same record to background work without
 * twinshim (bench_handoff.c). Then the records per second that one host
 * thread gets through each of them; through the example front twice, its
 * worker taking messages in batches of BENCH_MESSAGE_BATCH, set by this
 * section (records_per_s), and one at a time, the runtime's default
 * (records_per_s_unbatched). Last, calls timed one by one
 * (section_intercept_alone.c): calls now and then (sporadic_*), the
 * delivery latency, the flush policy's cost.
 *
 * Per-call timing: each host thread times batches of BATCH_CALLS calls with
 * QueryPerformanceCounter, so a tick (100 ns under Wine) resolves a few ns
 * per call; a batch's time divided by BATCH_CALLS is one sample. An empty
 * loop, timed the same way, is the timer's own cost. p50 and p99 are taken
 * over every batch of every host thread in a round; "added" is a variant's
 * percentile minus the direct call's, in the same round; each key is the
 * median over the rounds. The mean is each host thread's whole time from
 * its first call to its last divided by its calls (stalls, wakes and waits
 * for room included), averaged over the host threads; "added" likewise.
 * What makes a mean: <kind>_stalled_percent_<n>t is the share of the host
 * threads' batch time spent in batches slower than STALL_NS_PER_CALL a call
 * (the thread lost its CPU, a page fault, a wait for room), median over the
 * rounds, for each kind and the direct call.
 * The whole section runs twice: on the machine as it is, and with one busy
 * thread per CPU started by the section (keys ending in _loaded).
 *
 * With --generated-front, the same for the front shimgen generates from
 * bench_original.dll with --intercept bench_original_add (keys generated_*),
 * timed in the same rounds. Its observing stub saves the argument
 * registers, posts a 96-byte record (export index, ordinal, thread, UTC
 * time from shim_front_utc_now, raw registers, return address) and jumps
 * to the original; its worker (the generated one, which takes up to
 * SHIM_MESSAGE_BATCH_LIMIT messages at once) writes a log line only when
 * BENCH_ORIGINAL_SHIM_LOG names a file, which the section unsets, so it
 * returns at once. The section waits for its records through the counters
 * export that bench/build-generated-front.sh adds (records_per_s_generated
 * too). */
#include <stdio.h>
#include <string.h>

#include "twinshim/status.h"
#include "twinshim/worker.h"

#include "bench_handoff.h"
#include "section_intercept.h"

#define BATCH_CALLS 32
/* A batch slower than this per call stalled: 8 µs a batch, below one page
 * fault in the bench's VM (about 13 µs), far above a batch's own cost. */
#define STALL_NS_PER_CALL 250.0
#define MAX_HOST_THREADS 4
#define BASELINE_POOL_THREADS 2 /* a session's default pool size */

static const unsigned host_thread_counts[] = { 1, 2, MAX_HOST_THREADS };
#define HOST_COUNTS ((int)(sizeof host_thread_counts / sizeof host_thread_counts[0]))

typedef enum call_kind {
    EMPTY_LOOP,
    DIRECT,
    INTERCEPTED,
    MEMORY_JOURNAL,
    GENERATED,
    RAW_SUBMIT,
    TRY_SUBMIT,
    MUTEX_QUEUE,
    CALL_KINDS
} call_kind;

#define FIRST_POSTING INTERCEPTED /* the kinds from here on hand a record over */

/* Key prefixes, in call_kind order. */
static const char *const kind_keys[CALL_KINDS] = {
    "empty_loop", "direct_call", "intercept",  "memory_journal",
    "generated",  "raw_submit",  "try_submit", "mutex_queue",
};

typedef struct call_targets {
    bench_add_function original;
    intercept_front example;    /* bench_intercept.dll: a journal file, the default */
    intercept_front memory;     /* bench_intercept_memory.dll: SHIM_JOURNAL_MEMORY */
    intercept_front flushing;   /* bench_intercept_flush.dll: SHIM_FLUSH_EVERY_POST */
    generated_front *generated; /* NULL without --generated-front */
    bench_handoff *handoffs[CALL_KINDS - RAW_SUBMIT];
} call_targets;

/* One host thread's work. Aligned to a cache line each, so that the sinks
 * of host threads do not share one. */
typedef struct host_job {
    _Alignas(64) volatile int sink;
    call_kind kind;
    const call_targets *targets;
    HANDLE go;
    int batches;
    int first_call;
    LONGLONG *batch_ticks;
    LONGLONG total_ticks; /* from the first call to the last */
} host_job;

typedef void (*calls_function)(host_job *job, int first);

static void calls_empty(host_job *job, int first)
{
    for (int i = 0; i < BATCH_CALLS; i++)
        job->sink = first + i;
}

static void calls_direct(host_job *job, int first)
{
    bench_add_function original = job->targets->original;

    for (int i = 0; i < BATCH_CALLS; i++)
        job->sink = original(first + i, 1);
}

static void calls_intercepted(host_job *job, int first)
{
    bench_add_function intercepted = job->targets->example.add;

    for (int i = 0; i < BATCH_CALLS; i++)
        job->sink = intercepted(first + i, 1);
}

static void calls_memory_journal(host_job *job, int first)
{
    bench_add_function intercepted = job->targets->memory.add;

    for (int i = 0; i < BATCH_CALLS; i++)
        job->sink = intercepted(first + i, 1);
}

static void calls_generated(host_job *job, int first)
{
    bench_add_function generated = job->targets->generated->add;

    for (int i = 0; i < BATCH_CALLS; i++)
        job->sink = generated(first + i, 1);
}

/* What a hand-written wrapper would do: call the original, build the same
 * record as the front, and hand it over. */
static void calls_handoff(host_job *job, int first)
{
    bench_add_function original = job->targets->original;
    bench_handoff *handoff = job->targets->handoffs[job->kind - RAW_SUBMIT];

    for (int i = 0; i < BATCH_CALLS; i++) {
        bench_record record;
        int result = original(first + i, 1);

        bench_fill_record(&record, first + i, 1, result);
        bench_handoff_post(handoff, &record);
        job->sink = result;
    }
}

static calls_function calls_of(call_kind kind)
{
    switch (kind) {
    case EMPTY_LOOP:
        return calls_empty;
    case DIRECT:
        return calls_direct;
    case INTERCEPTED:
        return calls_intercepted;
    case MEMORY_JOURNAL:
        return calls_memory_journal;
    case GENERATED:
        return calls_generated;
    default:
        return calls_handoff;
    }
}

static bench_record_counter *counter_of(call_kind kind, const call_targets *targets)
{
    if (kind < FIRST_POSTING || kind == GENERATED)
        return NULL;
    if (kind == INTERCEPTED)
        return targets->example.counter;
    if (kind == MEMORY_JOURNAL)
        return targets->memory.counter;
    return bench_handoff_counter(targets->handoffs[kind - RAW_SUBMIT]);
}

/* Arms the counter for `records` more (none is in flight), returns it. */
static bench_record_counter *expect_records(call_kind kind, const call_targets *targets, LONGLONG records)
{
    bench_record_counter *counter = counter_of(kind, targets);

    if (counter != NULL) {
        ResetEvent(counter->reached);
        InterlockedExchange64(&counter->target, counter->received + records);
    }
    return counter;
}

/* Returns now_ms() once every record posted has arrived (for the generated
 * front: once its session has run every record it accepted). */
static double wait_records(const bench_record_counter *counter, call_kind kind, const call_targets *targets)
{
    if (kind == GENERATED)
        return generated_front_drained(targets->generated);
    if (counter != NULL && WaitForSingleObject(counter->reached, BATCH_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("%s: only %lld of %lld records arrived", kind_keys[kind], counter->received, counter->target);
    return now_ms();
}

static BOOL kind_runs(call_kind kind, const options *o, const call_targets *targets)
{
    if (kind == GENERATED && targets->generated == NULL)
        return FALSE;
    /* The references run with any variant: its added cost is measured against them. */
    if (o->only == NULL || kind == EMPTY_LOOP || kind == DIRECT)
        return TRUE;
    return strcmp(o->only, kind_keys[kind]) == 0;
}

static DWORD WINAPI host_thread(void *parameter)
{
    host_job *job = parameter;
    calls_function calls = calls_of(job->kind);

    LARGE_INTEGER first;
    LARGE_INTEGER last;

    WaitForSingleObject(job->go, INFINITE);
    QueryPerformanceCounter(&first);
    for (int b = 0; b < job->batches; b++) {
        LARGE_INTEGER start;
        LARGE_INTEGER end;

        QueryPerformanceCounter(&start);
        calls(job, job->first_call + b * BATCH_CALLS);
        QueryPerformanceCounter(&end);
        job->batch_ticks[b] = end.QuadPart - start.QuadPart;
    }
    QueryPerformanceCounter(&last);
    job->total_ticks = last.QuadPart - first.QuadPart;
    return 0;
}

typedef struct timing_buffers {
    LONGLONG *ticks[MAX_HOST_THREADS];
    double *values; /* MAX_HOST_THREADS * batches */
} timing_buffers;

/* What time_calls measures, in ns per call. */
typedef struct call_times {
    double p50; /* of the batches */
    double p99;
    double mean;            /* each thread's whole time over its calls, averaged over the threads */
    double stalled_percent; /* of the batches' time, in batches slower than STALL_NS_PER_CALL */
} call_times;

/* `threads` host threads make `batches` batches of calls of one kind at
 * once; returns their times and waits until every record they posted has
 * arrived. */
static call_times time_calls(call_kind kind, unsigned threads, int batches, const call_targets *targets,
                             const timing_buffers *buffers)
{
    static host_job jobs[MAX_HOST_THREADS];
    HANDLE handles[MAX_HOST_THREADS];
    HANDLE go = CreateEventW(NULL, TRUE, FALSE, NULL);
    bench_record_counter *counter = expect_records(kind, targets, (LONGLONG)threads * batches * BATCH_CALLS);
    double ns_per_tick = 1e9 / (double)bench_frequency.QuadPart;
    size_t count = 0;
    double batch_time = 0.0;
    double stalled_time = 0.0;
    call_times times = { .mean = 0.0 };

    if (go == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
    for (unsigned t = 0; t < threads; t++) {
        jobs[t].kind = kind;
        jobs[t].targets = targets;
        jobs[t].go = go;
        jobs[t].batches = batches;
        jobs[t].first_call = (int)t * batches * BATCH_CALLS;
        jobs[t].batch_ticks = buffers->ticks[t];
        handles[t] = CreateThread(NULL, 0, host_thread, &jobs[t], 0, NULL);
        if (handles[t] == NULL)
            fail("CreateThread failed (error %lu)", GetLastError());
    }
    SetEvent(go);
    if (WaitForMultipleObjects(threads, handles, TRUE, BATCH_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("%s: the host threads did not finish", kind_keys[kind]);
    wait_records(counter, kind, targets);
    for (unsigned t = 0; t < threads; t++) {
        CloseHandle(handles[t]);
        for (int b = 0; b < batches; b++)
            buffers->values[count++] = (double)buffers->ticks[t][b] * ns_per_tick / BATCH_CALLS;
        times.mean += (double)jobs[t].total_ticks * ns_per_tick / ((double)batches * BATCH_CALLS) / threads;
    }
    CloseHandle(go);
    for (size_t i = 0; i < count; i++) {
        batch_time += buffers->values[i];
        if (buffers->values[i] > STALL_NS_PER_CALL)
            stalled_time += buffers->values[i];
    }
    times.stalled_percent = batch_time > 0.0 ? 100.0 * stalled_time / batch_time : 0.0;
    times.p99 = percentile_of(buffers->values, count, 0.99);
    times.p50 = percentile_of(buffers->values, count, 0.50);
    return times;
}

/* One host thread posts `records` as fast as it can; returns records per
 * second from the first call to the last record counted. */
static double records_per_second(call_kind kind, LONG records, const call_targets *targets)
{
    static host_job job;
    calls_function calls = calls_of(kind);
    LONG batches = records / BATCH_CALLS;
    bench_record_counter *counter = expect_records(kind, targets, (LONGLONG)batches * BATCH_CALLS);
    double start;
    double end;

    job.kind = kind;
    job.targets = targets;
    start = now_ms();
    for (LONG b = 0; b < batches; b++)
        calls(&job, (int)(b * BATCH_CALLS));
    end = wait_records(counter, kind, targets);
    return (double)batches * BATCH_CALLS * 1000.0 / (end - start);
}

/* The worker takes effect from its next take: no record is in flight. */
static void set_message_batch(const intercept_front *f, unsigned max_messages)
{
    int code = f->set_message_batch(max_messages);

    if (code != SHIM_OK)
        fail("%ls: bench_worker_set_message_batch(%u): %s", f->worker_name, max_messages,
             shim_status_text(code));
}

/* ---- The CPU load of the second pass ------------------------------------- */

static volatile LONG load_stop;

static DWORD WINAPI burn_cpu(void *parameter)
{
    (void)parameter;
    while (!load_stop)
        YieldProcessor();
    return 0;
}

static int start_load(HANDLE *threads, int capacity)
{
    SYSTEM_INFO system;
    int count;

    GetSystemInfo(&system);
    count = (int)system.dwNumberOfProcessors < capacity ? (int)system.dwNumberOfProcessors : capacity;
    load_stop = 0;
    for (int i = 0; i < count; i++) {
        threads[i] = CreateThread(NULL, 0, burn_cpu, NULL, 0, NULL);
        if (threads[i] == NULL)
            fail("cannot start the load (error %lu)", GetLastError());
    }
    return count;
}

static void stop_load(HANDLE *threads, int count)
{
    load_stop = 1;
    for (int i = 0; i < count; i++) {
        WaitForSingleObject(threads[i], INFINITE);
        CloseHandle(threads[i]);
    }
}

/* ---- One pass ------------------------------------------------------------- */

typedef struct pass_samples {
    samples p50[CALL_KINDS][HOST_COUNTS];
    samples p99[CALL_KINDS][HOST_COUNTS];
    samples mean[CALL_KINDS][HOST_COUNTS];
    samples stalled[CALL_KINDS][HOST_COUNTS]; /* call_times.stalled_percent */
    samples rate[CALL_KINDS];                 /* records per second, posting kinds only */
    samples rate_unbatched; /* the example front's, its worker taking one message at a time */
    alone_samples alone;    /* calls timed one by one */
} pass_samples;

/* The per-round differences a[i] - b[i]. */
static samples differences(const samples *a, const samples *b)
{
    samples out = { .count = 0 };

    for (int i = 0; i < a->count && i < b->count; i++)
        add_sample(&out, a->value[i] - b->value[i]);
    return out;
}

/* The reference rows: the empty loop, and each call less it (p50). */
static void put_references(const pass_samples *s, BOOL with_intercepted, BOOL with_generated,
                           const char *suffix)
{
    char key[96];

    for (int h = 0; h < HOST_COUNTS; h++) {
        unsigned threads = host_thread_counts[h];
        samples net;

        snprintf(key, sizeof key, "empty_loop_ns_p50_%ut%s", threads, suffix);
        put_number(key, median_of(&s->p50[EMPTY_LOOP][h]));
        net = differences(&s->p50[DIRECT][h], &s->p50[EMPTY_LOOP][h]);
        snprintf(key, sizeof key, "direct_call_ns_p50_%ut%s", threads, suffix);
        put_number(key, median_of(&net));
        if (with_intercepted) {
            net = differences(&s->p50[INTERCEPTED][h], &s->p50[EMPTY_LOOP][h]);
            snprintf(key, sizeof key, "intercept_call_ns_p50_%ut%s", threads, suffix);
            put_number(key, median_of(&net));
        }
        if (with_generated) {
            net = differences(&s->p50[GENERATED][h], &s->p50[EMPTY_LOOP][h]);
            snprintf(key, sizeof key, "generated_call_ns_p50_%ut%s", threads, suffix);
            put_number(key, median_of(&net));
        }
        snprintf(key, sizeof key, "direct_call_ns_mean_%ut%s", threads, suffix);
        put_number(key, median_of(&s->mean[DIRECT][h]));
        snprintf(key, sizeof key, "direct_call_stalled_percent_%ut%s", threads, suffix);
        put_number(key, median_of(&s->stalled[DIRECT][h]));
    }
}

/* <kind>_added_ns_<p50|p99|mean>_<n>t, and without _<n>t the largest: of
 * the three thread counts for p50 and p99, of 1 and 2 threads for the mean
 * (its target's). */
static void put_added(const pass_samples *s, call_kind k, const char *suffix)
{
    static const char *const statistics[] = { "p50", "p99", "mean" };
    char key[96];

    for (int q = 0; q < 3; q++) {
        const samples(*mine)[HOST_COUNTS] = q == 0 ? s->p50 : q == 1 ? s->p99 : s->mean;
        double largest = 0.0;

        for (int h = 0; h < HOST_COUNTS; h++) {
            samples added = differences(&mine[k][h], &mine[DIRECT][h]);
            double value = median_of(&added);

            snprintf(key, sizeof key, "%s_added_ns_%s_%ut%s", kind_keys[k], statistics[q],
                     host_thread_counts[h], suffix);
            put_number(key, value);
            if (h == 0 || ((q < 2 || host_thread_counts[h] <= 2) && value > largest))
                largest = value;
        }
        snprintf(key, sizeof key, "%s_added_ns_%s%s", kind_keys[k], statistics[q], suffix);
        put_number(key, largest);
    }
    for (int h = 0; h < HOST_COUNTS; h++) {
        snprintf(key, sizeof key, "%s_stalled_percent_%ut%s", kind_keys[k], host_thread_counts[h], suffix);
        put_number(key, median_of(&s->stalled[k][h]));
    }
}

/* The keys of the kinds that ran: one left out by --only has no key,
 * rather than a 0 that reads as a measurement. */
static void put_pass(const pass_samples *s, const options *o, const call_targets *targets,
                     const alone_targets *alone, const char *suffix)
{
    char key[96];

    put_references(s, kind_runs(INTERCEPTED, o, targets), kind_runs(GENERATED, o, targets), suffix);
    for (int k = FIRST_POSTING; k < CALL_KINDS; k++) {
        if (!kind_runs((call_kind)k, o, targets))
            continue;
        put_added(s, (call_kind)k, suffix);
        if (k == INTERCEPTED) {
            snprintf(key, sizeof key, "records_per_s_unbatched%s", suffix);
            put_number(key, median_of(&s->rate_unbatched));
            snprintf(key, sizeof key, "records_per_s%s", suffix);
        } else
            snprintf(key, sizeof key, "records_per_s_%s%s", kind_keys[k], suffix);
        put_number(key, median_of(&s->rate[k]));
    }
    alone_put(&s->alone, alone, suffix);
}

static void run_pass(const options *o, const call_targets *targets, const alone_targets *alone,
                     const timing_buffers *buffers, const char *suffix)
{
    pass_samples *s = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *s);

    if (s == NULL)
        fail("no memory for the samples");
    for (int round = -1; round < o->rounds; round++) {
        int rotation = round < 0 ? 0 : round;

        for (int i = 0; i < CALL_KINDS; i++) {
            call_kind kind = (call_kind)((i + rotation) % CALL_KINDS);

            if (!kind_runs(kind, o, targets))
                continue;
            for (int h = 0; h < HOST_COUNTS; h++) {
                call_times times =
                    time_calls(kind, host_thread_counts[h], o->intercept_batches, targets, buffers);

                if (round >= 0) {
                    add_sample(&s->p50[kind][h], times.p50);
                    add_sample(&s->p99[kind][h], times.p99);
                    add_sample(&s->mean[kind][h], times.mean);
                    add_sample(&s->stalled[kind][h], times.stalled_percent);
                }
            }
        }
        for (int i = 0; i < CALL_KINDS - FIRST_POSTING; i++) {
            call_kind kind = (call_kind)(FIRST_POSTING + (i + rotation) % (CALL_KINDS - FIRST_POSTING));
            double rate;

            if (!kind_runs(kind, o, targets))
                continue;
            rate = records_per_second(kind, o->intercept_records, targets);
            if (round >= 0)
                add_sample(&s->rate[kind], rate);
            if (kind == INTERCEPTED) {
                set_message_batch(&targets->example, 1);
                rate = records_per_second(kind, o->intercept_records, targets);
                set_message_batch(&targets->example, BENCH_MESSAGE_BATCH);
                if (round >= 0)
                    add_sample(&s->rate_unbatched, rate);
            }
        }
        alone_round(alone, rotation, &s->alone, round >= 0);
        progress(round < 0 ? "  warm-up done\n" : "  round %d of %d done\n", round + 1, o->rounds);
    }
    put_pass(s, o, targets, alone, suffix);
    HeapFree(GetProcessHeap(), 0, s);
}

/* ---- The fronts ------------------------------------------------------------- */

void intercept_front_open(intercept_front *f, const wchar_t *file, const wchar_t *worker_name)
{
    bench_front_status_function status;
    int code;

    f->file = file;
    f->worker_name = worker_name;
    f->module = load_bin(file);
    status = (bench_front_status_function)symbol(f->module, "bench_intercept_status");
    code = status();
    if (code != SHIM_OK)
        fail("%ls did not connect to its worker: %s", file, shim_status_text(code));
    f->worker = GetModuleHandleW(worker_name);
    if (f->worker == NULL)
        fail("%ls did not load %ls", file, worker_name);
    f->add = (bench_add_function)symbol(f->module, "bench_intercepted_add");
    f->counters = (bench_intercept_counters_function)symbol(f->module, "bench_intercept_counters");
    f->counter = ((bench_worker_record_counter_function)symbol(f->worker, "bench_worker_record_counter"))();
    f->set_message_batch =
        (bench_worker_set_message_batch_function)symbol(f->worker, "bench_worker_set_message_batch");
    f->watch_arrivals =
        (bench_worker_watch_arrivals_function)symbol(f->worker, "bench_worker_watch_arrivals");
    /* The session's on_start must have run: it names the session. */
    wait_worker_ready(f->worker);
    f->counter->reached = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (f->counter->reached == NULL)
        fail("CreateEvent failed (error %lu)", GetLastError());
}

void intercept_front_close(intercept_front *f)
{
    /* Every record has been counted: the plugin no longer uses the event. */
    f->counter->target = 0;
    CloseHandle(f->counter->reached);
    f->counter->reached = NULL;
    FreeLibrary(f->module);
    wait_unmapped(f->worker, f->worker_name);
    f->module = NULL;
}

void intercept_front_expect(const intercept_front *f, LONGLONG records)
{
    ResetEvent(f->counter->reached);
    InterlockedExchange64(&f->counter->target, f->counter->received + records);
}

double intercept_front_wait(const intercept_front *f, const char *what)
{
    if (WaitForSingleObject(f->counter->reached, BATCH_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("%s: only %lld of %lld records arrived through %ls", what, f->counter->received,
             f->counter->target, f->file);
    return now_ms();
}

/* What the fronts' sessions say at the end: their journal's kind (a file
 * that could not be made falls back to memory) and the drops (none while
 * the plugin keeps up). */
static void put_front_counters(const intercept_front *f, const char *key)
{
    shim_session_counters counters;
    char name[96];
    int code = f->counters(&counters);

    if (code != SHIM_OK)
        fail("%ls: the counters: %s", f->file, shim_status_text(code));
    snprintf(name, sizeof name, "%s_journal", key);
    put_string(name, counters.journal == SHIM_JOURNAL_FILE ? "file" : "memory");
    snprintf(name, sizeof name, "%s_dropped", key);
    put_number(name, (double)counters.dropped);
}

void intercept_cost(const options *o)
{
    static call_targets targets;
    static generated_front generated;
    alone_targets alone;
    HMODULE original;
    timing_buffers buffers;
    HANDLE load[64];
    int load_threads;

    progress("6. host cost of an intercepted call (64-byte record): %d batches of %d calls per host thread, "
             "variant and round, %ld records per throughput run, %d rounds; quiet, then loaded\n",
             o->intercept_batches, BATCH_CALLS, o->intercept_records, o->rounds);
    intercept_front_open(&targets.example, L"bench_intercept.dll", L"bench_worker.dll");
    intercept_front_open(&targets.memory, L"bench_intercept_memory.dll", L"bench_worker_memory.dll");
    intercept_front_open(&targets.flushing, L"bench_intercept_flush.dll", L"bench_worker_flush.dll");
    original = GetModuleHandleW(L"bench_original.dll");
    if (original == NULL)
        fail("bench_intercept.dll did not load its original");
    targets.original = (bench_add_function)symbol(original, "bench_original_add");
    /* After the lookup of bench_original.dll: the generated front has that name too. */
    targets.generated = NULL;
    if (o->generated_front != NULL) {
        generated_front_open(&generated, o->generated_front);
        targets.generated = &generated;
        progress("  with the front shimgen generated, %ls\n", generated.path);
    } else {
        progress("  no --generated-front: the generated front's variant is left out\n");
    }
    set_message_batch(&targets.example, BENCH_MESSAGE_BATCH);
    set_message_batch(&targets.memory, BENCH_MESSAGE_BATCH);
    for (int k = RAW_SUBMIT; k < CALL_KINDS; k++)
        targets.handoffs[k - RAW_SUBMIT] =
            bench_handoff_open((bench_handoff_kind)(BENCH_HANDOFF_RAW_SUBMIT + (k - RAW_SUBMIT)),
                               BASELINE_POOL_THREADS);
    for (int t = 0; t < MAX_HOST_THREADS; t++) {
        buffers.ticks[t] = HeapAlloc(GetProcessHeap(), 0, (size_t)o->intercept_batches * sizeof(LONGLONG));
        if (buffers.ticks[t] == NULL)
            fail("no memory for the timings");
    }
    buffers.values = HeapAlloc(GetProcessHeap(), 0,
                               (size_t)MAX_HOST_THREADS * (size_t)o->intercept_batches * sizeof(double));
    if (buffers.values == NULL)
        fail("no memory for the timings");

    alone.original = targets.original;
    alone.example = &targets.example;
    alone.memory = &targets.memory;
    alone.flushing = &targets.flushing;
    alone.generated = targets.generated;
    alone.run_sporadic[ALONE_EXAMPLE] = kind_runs(INTERCEPTED, o, &targets);
    alone.run_sporadic[ALONE_MEMORY] = kind_runs(MEMORY_JOURNAL, o, &targets);
    alone.run_sporadic[ALONE_GENERATED] = kind_runs(GENERATED, o, &targets);
    alone.run_flush = o->only == NULL || strcmp(o->only, "flush_every_post") == 0;
    alone.sporadic_calls = o->sporadic_calls;
    alone.flush_calls = o->flush_calls;

    run_pass(o, &targets, &alone, &buffers, "");
    progress("  the same with one busy thread per CPU\n");
    load_threads = start_load(load, (int)(sizeof load / sizeof load[0]));
    run_pass(o, &targets, &alone, &buffers, "_loaded");
    stop_load(load, load_threads);

    put_number("intercept_record_bytes", BENCH_RECORD_SIZE);
    put_number("intercept_batch_calls", BATCH_CALLS);
    put_number("intercept_batches_per_thread", o->intercept_batches);
    put_number("intercept_records_per_run", o->intercept_records);
    put_number("intercept_load_threads", load_threads);
    put_number("intercept_message_batch", BENCH_MESSAGE_BATCH);
    put_number("qpc_tick_ns", 1e9 / (double)bench_frequency.QuadPart);
    alone_put_settings(&alone);
    put_front_counters(&targets.example, "intercept");
    put_front_counters(&targets.memory, "memory_journal");
    put_front_counters(&targets.flushing, "flush_every_post");

    for (int k = RAW_SUBMIT; k < CALL_KINDS; k++)
        bench_handoff_close(targets.handoffs[k - RAW_SUBMIT]);
    for (int t = 0; t < MAX_HOST_THREADS; t++)
        HeapFree(GetProcessHeap(), 0, buffers.ticks[t]);
    HeapFree(GetProcessHeap(), 0, buffers.values);
    if (targets.generated != NULL)
        generated_front_close(targets.generated);
    intercept_front_close(&targets.flushing);
    intercept_front_close(&targets.memory);
    intercept_front_close(&targets.example);
}
