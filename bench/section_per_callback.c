/* Section 1: the per-callback cost of tiny callbacks on a pool of 2 threads,
 * through a twinshim front (shim_front_post), through a plugin
 * (shim_session_submit), and through the alternatives of bench_alt.dll. */
#include <stdio.h>

#include "twinshim/status.h"

#include "bench_program.h"

void per_callback_cost(const options *o)
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
    front f = load_front(L"bench_front.dll", L"bench_worker.dll");
    HMODULE worker = f.worker;
    samples ratio;
    char key[96];

    progress("1. per-callback cost: %ld callbacks per variant and round, %d rounds\n", o->callbacks,
             o->rounds);
    wait_worker_ready(worker);
    variants[POST].front_post = f.post;
    variants[SUBMIT].worker_submit = (bench_worker_submit_function)symbol(worker, "bench_worker_submit");
    variants[RAW].alt = open_alternative(BENCH_ALT_RAW, 2);
    variants[LIBRARY].alt = open_alternative(BENCH_ALT_LIBRARY, 2);
    variants[MODULE_REF].alt = open_alternative(BENCH_ALT_MODULE_REF, 2);
    variants[PROXY].alt = open_alternative(BENCH_ALT_PROXY, 2);
    variants[SIMPLE].alt = open_alternative(BENCH_ALT_SIMPLE, 2);

    interleave(variants, VARIANTS, o->rounds, o->callbacks, 1e6, o->only);

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
        close_alternative(variants[i].alt);
    unload_front(&f);
}
