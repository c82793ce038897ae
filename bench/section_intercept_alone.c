/* Section 6, calls timed one by one with the time-stamp counter
 * (bench_clock.h), each alone, a measured call and a reference call
 * alternating on one host thread, so that both meet the same machine:
 *
 * - Calls now and then (keys sporadic_*): a call through a front every
 *   0.5 ms and every 5 ms, the direct call of the original halfway between
 *   two of them, the thread busy (spinning) in between, as a program busy
 *   with its own work. Added p50 and p90: the front's percentile minus the
 *   direct call's, in the same run. For the example front, the same front
 *   with its plugin's journal in memory, and the generated front.
 * - The delivery latency (delivery_latency_ms_*), from the same calls of
 *   the example front: from just before the call that posts a record to
 *   its arrival in on_message (bench_worker_watch_arrivals: the plugin
 *   stamps it by the record's call number).
 * - The flush policy's cost (flush_every_post_*): the example front's
 *   plugin built with SHIM_FLUSH_EVERY_POST, against the same front with
 *   the default policy, calls back to back, alternating. */
#include <math.h>
#include <stdio.h>

#include "bench_clock.h"
#include "section_intercept.h"

/* A stretch this long between two reads of the counter in a spin: the
 * thread lost its CPU (another thread ran there), so caches may be cold. */
#define PREEMPTED_NS 20000.0

static const unsigned spacing_us[SPORADIC_SPACINGS] = { 500, 5000 };
static const char *const spacing_names[SPORADIC_SPACINGS] = { "500us", "5ms" };
static const char *const front_keys[ALONE_FRONTS] = { "intercept", "memory_journal", "generated" };

/* What one run of alternating calls gives back, per call. */
typedef struct alternation {
    int calls;
    double *measured_ns;
    double *reference_ns;
    LONGLONG *posted; /* QueryPerformanceCounter before each measured call, or NULL */
    int preempted;    /* measured calls whose thread lost its CPU since the call before */
    /* The pairs in which the thread kept its CPU through both spins before
     * them (kept of them, in call order). */
    double *kept_measured_ns;
    double *kept_reference_ns;
    int kept;
} alternation;

static void *allocate(size_t bytes)
{
    void *memory = HeapAlloc(GetProcessHeap(), 0, bytes);

    if (memory == NULL)
        fail("no memory for %zu bytes of timings", bytes);
    return memory;
}

static alternation new_alternation(int calls, BOOL stamped)
{
    alternation a = { .calls = calls };

    a.measured_ns = allocate((size_t)calls * sizeof(double));
    a.reference_ns = allocate((size_t)calls * sizeof(double));
    a.posted = stamped ? allocate((size_t)calls * sizeof(LONGLONG)) : NULL;
    a.kept_measured_ns = allocate((size_t)calls * sizeof(double));
    a.kept_reference_ns = allocate((size_t)calls * sizeof(double));
    return a;
}

static void free_alternation(alternation *a)
{
    HeapFree(GetProcessHeap(), 0, a->measured_ns);
    HeapFree(GetProcessHeap(), 0, a->reference_ns);
    HeapFree(GetProcessHeap(), 0, a->kept_measured_ns);
    HeapFree(GetProcessHeap(), 0, a->kept_reference_ns);
    if (a->posted != NULL)
        HeapFree(GetProcessHeap(), 0, a->posted);
}

/* measured(i, 1), then reference(i, 1), for i = 0 .. calls-1, each timed
 * alone; the thread spins gap_us after each call before the next. */
static void alternate(bench_add_function measured, bench_add_function reference, unsigned gap_us,
                      alternation *a)
{
    unsigned long long gap = (unsigned long long)((double)gap_us * 1000.0 / bench_ns_per_tsc);
    unsigned long long preempted = (unsigned long long)(PREEMPTED_NS / bench_ns_per_tsc);
    unsigned long long longest = 0; /* of the spin before the measured call */
    volatile int sink = 0;

    a->preempted = 0;
    a->kept = 0;
    for (int i = 0; i < a->calls; i++) {
        unsigned long long start;
        unsigned long long end;
        BOOL kept_cpu = longest <= preempted;

        if (a->posted != NULL) {
            LARGE_INTEGER now;

            QueryPerformanceCounter(&now);
            a->posted[i] = now.QuadPart;
        }
        start = tsc_before();
        sink = measured(i, 1);
        end = tsc_after();
        a->measured_ns[i] = (double)(end - start) * bench_ns_per_tsc;
        if (!kept_cpu)
            a->preempted++;
        kept_cpu = tsc_spin_until(end + gap) <= preempted && kept_cpu;

        start = tsc_before();
        sink = reference(i, 1);
        end = tsc_after();
        a->reference_ns[i] = (double)(end - start) * bench_ns_per_tsc;
        if (kept_cpu) {
            a->kept_measured_ns[a->kept] = a->measured_ns[i];
            a->kept_reference_ns[a->kept++] = a->reference_ns[i];
        }
        longest = tsc_spin_until(end + gap);
    }
    (void)sink;
}

static double mean_of(const double *values, int count)
{
    double sum = 0.0;

    for (int i = 0; i < count; i++)
        sum += values[i];
    return count > 0 ? sum / count : 0.0;
}

/* Calls per run at a spacing: a fifth as many at 5 ms as at 0.5 ms. */
static int sporadic_calls(const alone_targets *t, int spacing)
{
    return spacing == 0 ? t->sporadic_calls : (t->sporadic_calls + 4) / 5;
}

/* One run of calls now and then through one front. */
static void sporadic_run(const alone_targets *t, alone_front which, int spacing, alone_samples *s, BOOL keep)
{
    int calls = sporadic_calls(t, spacing);
    BOOL example = which == ALONE_EXAMPLE;
    BOOL generated = which == ALONE_GENERATED;
    /* An example front's records are counted by its plugin; the generated
     * front's session counts them. */
    const intercept_front *front = which == ALONE_MEMORY ? t->memory : t->example;
    alternation a = new_alternation(calls, example);
    LONGLONG *arrived = example ? allocate((size_t)calls * sizeof(LONGLONG)) : NULL;

    if (!generated)
        intercept_front_expect(front, calls);
    if (example) {
        for (int i = 0; i < calls; i++)
            arrived[i] = 0;
        front->watch_arrivals(arrived, calls);
    }
    alternate(generated ? t->generated->add : front->add, t->original, spacing_us[spacing] / 2, &a);
    if (generated)
        generated_front_drained(t->generated);
    else
        intercept_front_wait(front, "calls now and then");
    if (example)
        front->watch_arrivals(NULL, 0);

    if (keep) {
        double front_p50 = percentile_of(a.measured_ns, (size_t)calls, 0.50);
        double front_p90 = percentile_of(a.measured_ns, (size_t)calls, 0.90);
        double direct_p50 = percentile_of(a.reference_ns, (size_t)calls, 0.50);
        double direct_p90 = percentile_of(a.reference_ns, (size_t)calls, 0.90);

        add_sample(&s->added_p50[which][spacing], front_p50 - direct_p50);
        add_sample(&s->added_p90[which][spacing], front_p90 - direct_p90);
        if (a.kept > 0)
            add_sample(&s->kept_cpu_added_p50[which][spacing],
                       percentile_of(a.kept_measured_ns, (size_t)a.kept, 0.50) -
                           percentile_of(a.kept_reference_ns, (size_t)a.kept, 0.50));
        if (example) {
            add_sample(&s->direct_p50[spacing], direct_p50);
            add_sample(&s->preempted_percent[spacing], 100.0 * a.preempted / calls);
        }
    }
    if (keep && example) {
        double *latency_ms = a.measured_ns; /* reused: the call times are read */

        for (int i = 0; i < calls; i++) {
            if (arrived[i] == 0)
                fail("the record of call %d never arrived", i);
            latency_ms[i] = (double)(arrived[i] - a.posted[i]) * 1000.0 / (double)bench_frequency.QuadPart;
        }
        add_sample(&s->latency_p50[spacing], percentile_of(latency_ms, (size_t)calls, 0.50));
        add_sample(&s->latency_p99[spacing], percentile_of(latency_ms, (size_t)calls, 0.99));
        add_sample(&s->latency_max[spacing], percentile_of(latency_ms, (size_t)calls, 1.0));
    }
    if (arrived != NULL)
        HeapFree(GetProcessHeap(), 0, arrived);
    free_alternation(&a);
}

/* The flushing front and the default one, back to back, alternating. */
static void flush_run(const alone_targets *t, alone_samples *s, BOOL keep)
{
    alternation a = new_alternation(t->flush_calls, FALSE);

    intercept_front_expect(t->flushing, t->flush_calls);
    intercept_front_expect(t->example, t->flush_calls);
    alternate(t->flushing->add, t->example->add, 0, &a);
    intercept_front_wait(t->flushing, "calls with a flush per post");
    intercept_front_wait(t->example, "calls beside those with a flush per post");
    if (keep) {
        double flush_mean = mean_of(a.measured_ns, a.calls);
        double default_mean = mean_of(a.reference_ns, a.calls);
        double flush_p50 = percentile_of(a.measured_ns, (size_t)a.calls, 0.50);
        double default_p50 = percentile_of(a.reference_ns, (size_t)a.calls, 0.50);

        add_sample(&s->flush_p50, flush_p50 / 1000.0);
        add_sample(&s->flush_added_p50, (flush_p50 - default_p50) / 1000.0);
        add_sample(&s->flush_added_mean, (flush_mean - default_mean) / 1000.0);
    }
    free_alternation(&a);
}

void alone_round(const alone_targets *t, int rotation, alone_samples *s, BOOL keep)
{
    bench_calibrate_tsc();
    for (int i = 0; i < SPORADIC_SPACINGS; i++) {
        int spacing = (i + rotation) % SPORADIC_SPACINGS;

        for (int j = 0; j < ALONE_FRONTS; j++) {
            alone_front which = (alone_front)((j + rotation) % ALONE_FRONTS);

            if (t->run_sporadic[which])
                sporadic_run(t, which, spacing, s, keep);
        }
    }
    if (t->run_flush)
        flush_run(t, s, keep);
}

/* key + suffix = value */
static void put_keyed(const char *key, const char *suffix, double value)
{
    char name[96];

    snprintf(name, sizeof name, "%s%s", key, suffix);
    put_number(name, value);
}

void alone_put(const alone_samples *s, const alone_targets *t, const char *suffix)
{
    char key[96];

    for (int f = 0; f < ALONE_FRONTS; f++) {
        double largest[2] = { 0.0, 0.0 };

        if (!t->run_sporadic[f])
            continue;
        for (int sp = 0; sp < SPORADIC_SPACINGS; sp++) {
            double p50 = median_of(&s->added_p50[f][sp]);
            double p90 = median_of(&s->added_p90[f][sp]);

            snprintf(key, sizeof key, "sporadic_%s_added_ns_p50_%s", front_keys[f], spacing_names[sp]);
            put_keyed(key, suffix, p50);
            snprintf(key, sizeof key, "sporadic_%s_added_ns_p90_%s", front_keys[f], spacing_names[sp]);
            put_keyed(key, suffix, p90);
            /* No pair kept its CPU: null in the results, not 0. */
            snprintf(key, sizeof key, "sporadic_%s_added_ns_p50_%s_kept_cpu", front_keys[f],
                     spacing_names[sp]);
            put_keyed(key, suffix,
                      s->kept_cpu_added_p50[f][sp].count > 0 ? median_of(&s->kept_cpu_added_p50[f][sp])
                                                             : NAN);
            if (sp == 0 || p50 > largest[0])
                largest[0] = p50;
            if (sp == 0 || p90 > largest[1])
                largest[1] = p90;
        }
        snprintf(key, sizeof key, "sporadic_%s_added_ns_p50", front_keys[f]);
        put_keyed(key, suffix, largest[0]);
        snprintf(key, sizeof key, "sporadic_%s_added_ns_p90", front_keys[f]);
        put_keyed(key, suffix, largest[1]);
    }
    if (t->run_sporadic[ALONE_EXAMPLE]) {
        double largest = 0.0;

        for (int sp = 0; sp < SPORADIC_SPACINGS; sp++) {
            double p99 = median_of(&s->latency_p99[sp]);

            snprintf(key, sizeof key, "sporadic_direct_call_ns_p50_%s", spacing_names[sp]);
            put_keyed(key, suffix, median_of(&s->direct_p50[sp]));
            snprintf(key, sizeof key, "sporadic_preempted_percent_%s", spacing_names[sp]);
            put_keyed(key, suffix, median_of(&s->preempted_percent[sp]));
            snprintf(key, sizeof key, "delivery_latency_ms_p50_%s", spacing_names[sp]);
            put_keyed(key, suffix, median_of(&s->latency_p50[sp]));
            snprintf(key, sizeof key, "delivery_latency_ms_p99_%s", spacing_names[sp]);
            put_keyed(key, suffix, p99);
            snprintf(key, sizeof key, "delivery_latency_ms_max_%s", spacing_names[sp]);
            put_keyed(key, suffix, max_of(&s->latency_max[sp]));
            if (sp == 0 || p99 > largest)
                largest = p99;
        }
        put_keyed("delivery_latency_ms_p99", suffix, largest);
    }
    if (t->run_flush) {
        put_keyed("flush_every_post_call_us_p50", suffix, median_of(&s->flush_p50));
        put_keyed("flush_every_post_added_us_p50", suffix, median_of(&s->flush_added_p50));
        put_keyed("flush_every_post_added_us_mean", suffix, median_of(&s->flush_added_mean));
    }
}

void alone_put_settings(const alone_targets *t)
{
    put_number("sporadic_calls_500us", sporadic_calls(t, 0));
    put_number("sporadic_calls_5ms", sporadic_calls(t, 1));
    put_number("flush_every_post_calls", t->flush_calls);
    put_number("tsc_ns_per_tick", bench_ns_per_tsc);
}
