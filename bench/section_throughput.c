/* Section 5: throughput of tiny callbacks with 1, 2 and 4 pool threads,
 * twinshim (a front and worker per pool size) against the raw pool. */
#include <stdio.h>
#include <string.h>

#include "bench_program.h"

static const unsigned thread_counts[] = { 1, 2, 4 };
#define THREAD_COUNTS ((int)(sizeof thread_counts / sizeof thread_counts[0]))

void throughput(const options *o)
{
    /* The pool size is the worker's setting: one worker per size. */
    static const wchar_t *const front_files[THREAD_COUNTS] = {
        L"bench_front_1t.dll",
        L"bench_front.dll",
        L"bench_front_4t.dll",
    };
    static const wchar_t *const worker_files[THREAD_COUNTS] = {
        L"bench_worker_1t.dll",
        L"bench_worker.dll",
        L"bench_worker_4t.dll",
    };
    variant variants[2 * THREAD_COUNTS];
    front fronts[THREAD_COUNTS];
    char keys[2 * THREAD_COUNTS][48];
    char key[96];

    progress("5. throughput with 1, 2 and 4 pool threads: %ld callbacks per variant and round, %d rounds\n",
             o->throughput_callbacks, o->rounds);
    memset(variants, 0, sizeof variants);
    for (int t = 0; t < THREAD_COUNTS; t++) {
        fronts[t] = load_front(front_files[t], worker_files[t]);
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

    interleave(variants, 2 * THREAD_COUNTS, o->rounds, o->throughput_callbacks, 0, o->only);

    for (int i = 0; i < 2 * THREAD_COUNTS; i++) {
        snprintf(key, sizeof key, "throughput_per_s_%s", variants[i].key);
        put_stats(key, &variants[i].value);
    }
    for (int t = 0; t < THREAD_COUNTS; t++) {
        samples ratio = ratios(&variants[2 * t + 1].value, &variants[2 * t].value);

        snprintf(key, sizeof key, "throughput_raw_vs_twinshim_%ut", thread_counts[t]);
        put_number(key, median_of(&ratio));
        close_alternative(variants[2 * t + 1].alt);
    }
    for (int t = 0; t < THREAD_COUNTS; t++)
        unload_front(&fronts[t]);
}
