/* The DLLs the sections measure (twinshim fronts and bench_alt.dll's
 * alternatives) and the interleaved batches of tiny callbacks. */
#include <string.h>

#include "twinshim/status.h"

#include "bench_program.h"

static bench_alt_open_function alt_open;
static bench_alt_submit_function alt_submit;
static bench_alt_close_function alt_close;

front load_front(const wchar_t *file, const wchar_t *worker_name)
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
    f.worker_name = worker_name;
    f.worker = GetModuleHandleW(worker_name);
    if (f.worker == NULL)
        fail("%ls did not load %ls", file, worker_name);
    return f;
}

void warm_front(const front *f)
{
    static bench_run warm;
    bench_message message = { &warm, NULL };

    start_run(&warm, 1, 0, bench_events[1]);
    if (f->post(&message) != SHIM_OK)
        fail("the warm-up post was refused");
    wait_run(&warm, "warm-up post");
}

void unload_front(front *f)
{
    FreeLibrary(f->module);
    f->module = NULL;
    wait_unmapped(f->worker, f->worker_name);
}

void load_alternatives(void)
{
    HMODULE alt = load_bin(L"bench_alt.dll");

    alt_open = (bench_alt_open_function)symbol(alt, "bench_alt_open");
    alt_submit = (bench_alt_submit_function)symbol(alt, "bench_alt_submit");
    alt_close = (bench_alt_close_function)symbol(alt, "bench_alt_close");
}

bench_alt *open_alternative(bench_alt_variant variant, unsigned threads)
{
    bench_alt *alt = alt_open((int)variant, threads);

    if (alt == NULL)
        fail("cannot create the pool of alternative %d (error %lu)", (int)variant, GetLastError());
    return alt;
}

void close_alternative(bench_alt *alt)
{
    alt_close(alt);
}

int submit_front_post(const variant *v, bench_run *run)
{
    bench_message message = { run, NULL };

    return v->front_post(&message);
}

int submit_worker(const variant *v, bench_run *run)
{
    return v->worker_submit(run);
}

int submit_alternative(const variant *v, bench_run *run)
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

    start_run(&run, count, 0, bench_events[0]);
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

void interleave(variant *variants, int count, int rounds, LONG callbacks, double scale, const char *only)
{
    for (int round = -1; round < rounds; round++) {
        LONG batch = round < 0 ? (callbacks / 10 > 0 ? callbacks / 10 : 1) : callbacks;

        for (int i = 0; i < count; i++) {
            variant *v = &variants[(i + (round < 0 ? 0 : round)) % count];
            double ms;
            double submitted_ms;

            if (only != NULL && strcmp(only, v->key) != 0)
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
