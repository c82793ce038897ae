/* twinshim_bench_typed.exe: what a typed stub adds to a call (shimgen wrap
 * --header, docs/shimgen.md), back to back on one host thread, against the
 * direct call of the same original in the same process and rounds.
 *
 * The front is the one bench/build-generated-front.sh generates from the
 * release build's bench_original.dll with --header bench/bench_typed.h: its
 * typed stubs record the arguments and the result, the last error, and the
 * call's duration and start from the front's record clock (two counter
 * readings), and post the record; its worker, the generated one with no log
 * file named, returns at once. Variants, interleaved and rotated each round
 * after a warm-up round:
 *   add4       bench_original_add4(a, b, c, d): four ints and an int result;
 *   string     bench_original_name(name), name a 16-byte string the stub
 *              copies into the record (the bounded, fault-proof read);
 *   unreadable bench_original_name(0x10): the copy faults and its own handler
 *              recovers; the original does not read the name.
 * Each is timed in batches of BATCH_CALLS with QueryPerformanceCounter; a
 * batch's time over BATCH_CALLS is one sample; p50 and p99 over a round's
 * batches; "added" is the typed call's percentile less the direct call's in
 * the same round; each key is the median over the rounds. Between variants
 * the program waits until the front's session has handled every record.
 *
 * Output: one JSON object on stdout (keys typed_*; bench/run-bench.sh merges
 * them into results.json); progress on stderr.
 * Usage: twinshim_bench_typed <front folder> [--rounds N] [--batches N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_generated.h"

#define BATCH_CALLS 32
#define UNREADABLE_BATCHES_DIVISOR 10 /* an exception is costly: fewer batches of those */

typedef int (*add4_function)(int a, int b, int c, int d);
typedef int (*name_function)(const char *name);

typedef enum variant_kind {
    ADD4,
    STRING,
    UNREADABLE,
    VARIANT_KINDS
} variant_kind;

static const char *const variant_keys[VARIANT_KINDS] = { "typed_added_ns", "typed_string_added_ns",
                                                         "typed_unreadable_added_ns" };

typedef struct targets {
    add4_function add4[2]; /* direct, typed */
    name_function name[2];
} targets;

static volatile int sink;
static const char sixteen_bytes[] = "sixteen-byte-arg";

/* One batch of the variant, direct (0) or typed (1). */
static void calls(const targets *t, variant_kind kind, int typed, int first)
{
    const char *name = kind == STRING ? sixteen_bytes : (const char *)(ULONG_PTR)0x10;

    if (kind == ADD4)
        for (int i = 0; i < BATCH_CALLS; i++)
            sink = t->add4[typed](first + i, 1, 2, 3);
    else
        for (int i = 0; i < BATCH_CALLS; i++)
            sink = t->name[typed](name);
}

/* p50 and p99 in ns per call over `batches` batches. */
static void time_variant(const targets *t, variant_kind kind, int typed, int batches, double *values,
                         double *p50, double *p99)
{
    double ns_per_tick = 1e9 / (double)bench_frequency.QuadPart;

    for (int b = 0; b < batches; b++) {
        LARGE_INTEGER start;
        LARGE_INTEGER end;

        QueryPerformanceCounter(&start);
        calls(t, kind, typed, b * BATCH_CALLS);
        QueryPerformanceCounter(&end);
        values[b] = (double)(end.QuadPart - start.QuadPart) * ns_per_tick / BATCH_CALLS;
    }
    *p99 = percentile_of(values, (size_t)batches, 0.99);
    *p50 = percentile_of(values, (size_t)batches, 0.50);
}

int main(int argc, char **argv)
{
    static generated_front front;
    samples added_p50[VARIANT_KINDS] = { { .count = 0 } };
    samples added_p99[VARIANT_KINDS] = { { .count = 0 } };
    samples direct_p50 = { .count = 0 };
    int rounds = 7;
    int batches = 2000;
    const char *folder = NULL;
    targets t;
    HMODULE original;
    double *values;
    double start;

    bench_init_plumbing();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc)
            batches = atoi(argv[++i]);
        else if (folder == NULL && argv[i][0] != '-')
            folder = argv[i];
        else
            fail("usage: twinshim_bench_typed <front folder> [--rounds N] [--batches N]");
    }
    if (folder == NULL || rounds < 1 || rounds > MAX_ROUNDS || batches < UNREADABLE_BATCHES_DIVISOR)
        fail("usage: twinshim_bench_typed <front folder> [--rounds 1..%d] [--batches N]", MAX_ROUNDS);
    values = malloc((size_t)batches * sizeof *values);
    if (values == NULL)
        fail("no memory for the samples");
    generated_front_open(&front, folder);
    original = GetModuleHandleW(L"bench_original_orig.dll");
    if (original == NULL)
        fail("the typed front did not load bench_original_orig.dll");
    t.add4[0] = (add4_function)symbol(original, "bench_original_add4");
    t.add4[1] = (add4_function)symbol(front.module, "bench_original_add4");
    t.name[0] = (name_function)symbol(original, "bench_original_name");
    t.name[1] = (name_function)symbol(front.module, "bench_original_name");
    progress("typed stubs: %d rounds of %d batches of %d calls per variant (a tenth for the unreadable "
             "one)\n",
             rounds, batches, BATCH_CALLS);
    start = now_ms();
    for (int round = -1; round < rounds; round++) {
        for (int i = 0; i < VARIANT_KINDS; i++) {
            variant_kind kind = (variant_kind)((i + (round < 0 ? 0 : round)) % VARIANT_KINDS);
            int count = kind == UNREADABLE ? batches / UNREADABLE_BATCHES_DIVISOR : batches;
            double p50[2];
            double p99[2];

            for (int typed = 0; typed < 2; typed++) {
                time_variant(&t, kind, typed, count, values, &p50[typed], &p99[typed]);
                generated_front_drained(&front);
            }
            if (round < 0)
                continue;
            add_sample(&added_p50[kind], p50[1] - p50[0]);
            add_sample(&added_p99[kind], p99[1] - p99[0]);
            if (kind == ADD4)
                add_sample(&direct_p50, p50[0]);
        }
        progress(round < 0 ? "  warm-up done\n" : "  round %d of %d done\n", round + 1, rounds);
    }
    for (int kind = 0; kind < VARIANT_KINDS; kind++) {
        char key[64];

        snprintf(key, sizeof key, "%s_p50", variant_keys[kind]);
        put_number(key, median_of(&added_p50[kind]));
        snprintf(key, sizeof key, "%s_p99", variant_keys[kind]);
        put_number(key, median_of(&added_p99[kind]));
    }
    put_number("typed_direct_call_ns_p50", median_of(&direct_p50));
    put_number("typed_rounds", rounds);
    put_number("typed_batch_calls", BATCH_CALLS);
    put_number("typed_seconds", (now_ms() - start) / 1000.0);
    /* Every typed call posted its record: the front's session counted them. */
    {
        shim_session_counters counters;

        if (front.counters(&counters) != 0)
            fail("the typed front's counters");
        put_number("typed_records", (double)counters.completed);
    }
    generated_front_close(&front);
    free(values);
    print_results();
    return 0;
}
