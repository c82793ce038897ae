/* twinshim_bench.exe: what twinshim's unload safety costs, measured side by
 * side with the alternatives, in one process (the naive front runs in child
 * processes with a deadline, since it may deadlock).
 *
 * Every section interleaves its variants (A B C A B C ...), rotating the
 * order each round, after a warm-up round that is thrown away. Each variant
 * gets the median and the min-max of its rounds; a ratio is the median of the
 * per-round ratios, so slow phases of the machine cancel out.
 *
 * Sections: 1 per-callback cost, 2 FreeLibrary with pending work, 3-4 unload
 * completion and lifecycle, 5 throughput by pool size, 6 host cost of an
 * intercepted call, 7 the journal seen from outside the process (an idle
 * session's CPU, memory under overload, the exit). Each lives in
 * section_*.c.
 *
 * Output: one flat JSON object on stdout (bench/run-bench.sh adds the
 * machine's description and writes build/bench/results.json); progress on
 * stderr. Nothing here asserts a time: a run fails only when something does
 * not happen at all (a callback that never runs, a module that never leaves).
 *
 * Usage: twinshim_bench [--quick] [--callbacks N] [--rounds N]
 *                       [--free-rounds N] [--cycle-rounds N] [--throughput-callbacks N]
 *                       [--intercept-batches N] [--intercept-records N]
 *                       [--sporadic-calls N] [--flush-calls N]
 *                       [--child-rounds N] [--idle-window-ms N] [--overload-seconds N]
 *                       [--sections 1234567] [--only <variant key>]   (to profile one variant)
 *                       [--generated-front <folder>]   (section 6: shimgen's front, its worker, its original)
 *        twinshim_bench --naive-child <pending> <spin_us> <event handle> <warm 0|1>   (internal)
 *        twinshim_bench --idle-child|--overload-child|--exit-child ...   (internal: journal_children.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_program.h"

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

static void parse_options(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->callbacks = 20000;
            o->rounds = 2;
            o->free_rounds = 1;
            o->cycle_rounds = 3;
            o->throughput_callbacks = 20000;
            o->intercept_batches = 200;
            o->intercept_records = 20000;
            o->sporadic_calls = 100;
            o->flush_calls = 8;
            o->child_rounds = 2;
            o->idle_window_ms = 1000;
            o->overload_seconds = 8;
        } else if (strcmp(argv[i], "--callbacks") == 0) {
            o->callbacks = number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--rounds") == 0) {
            o->rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--free-rounds") == 0) {
            o->free_rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--cycle-rounds") == 0) {
            o->cycle_rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--throughput-callbacks") == 0) {
            o->throughput_callbacks = number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--intercept-batches") == 0) {
            o->intercept_batches = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--intercept-records") == 0) {
            o->intercept_records = number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--sporadic-calls") == 0) {
            o->sporadic_calls = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--flush-calls") == 0) {
            o->flush_calls = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--child-rounds") == 0) {
            o->child_rounds = (int)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--idle-window-ms") == 0) {
            o->idle_window_ms = (unsigned)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--overload-seconds") == 0) {
            o->overload_seconds = (unsigned)number_argument(argc, argv, i++);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            o->only = argv[++i];
        } else if (strcmp(argv[i], "--generated-front") == 0 && i + 1 < argc) {
            o->generated_front = argv[++i];
        } else if (strcmp(argv[i], "--sections") == 0 && i + 1 < argc) {
            o->sections = argv[++i];
        } else {
            fail("unknown argument %s", argv[i]);
        }
    }
    if (o->rounds > MAX_ROUNDS || o->free_rounds > MAX_ROUNDS || o->cycle_rounds > MAX_ROUNDS ||
        o->child_rounds > MAX_ROUNDS)
        fail("at most %d rounds", MAX_ROUNDS);
    if (o->sporadic_calls > 1000000 || o->flush_calls > 100000 || o->idle_window_ms > 600000 ||
        o->overload_seconds > 3600 || o->overload_seconds < 6)
        fail("--sporadic-calls at most 1000000, --flush-calls at most 100000, "
             "--idle-window-ms at most 600000, --overload-seconds 6 to 3600");
    if (o->intercept_batches > 1000000 || o->intercept_records < 32)
        fail("--intercept-batches at most 1000000, --intercept-records at least 32");
}

int main(int argc, char **argv)
{
    options o = {
        .callbacks = 1000000,
        .rounds = 7,
        .free_rounds = 9,
        .cycle_rounds = 21,
        .throughput_callbacks = 200000,
        .intercept_batches = 2000,
        .intercept_records = 200000,
        .sporadic_calls = 1000,
        .flush_calls = 40,
        .child_rounds = 5,
        .idle_window_ms = 3000,
        .overload_seconds = 60,
        .only = NULL,
        .generated_front = NULL,
        .sections = "1234567",
    };
    double start;

    bench_init_plumbing();
    if (argc == 6 && strcmp(argv[1], "--naive-child") == 0)
        return naive_child(strtol(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10),
                           (HANDLE)(ULONG_PTR)strtoul(argv[4], NULL, 10), strcmp(argv[5], "1") == 0);
    if (argc == 5 && strcmp(argv[1], "--idle-child") == 0)
        return idle_child(strcmp(argv[2], "front") == 0, (unsigned)strtoul(argv[3], NULL, 10), argv[4]);
    if (argc == 5 && strcmp(argv[1], "--overload-child") == 0)
        return overload_child((unsigned)strtoul(argv[2], NULL, 10), (unsigned)strtoul(argv[3], NULL, 10),
                              argv[4]);
    if (argc == 5 && strcmp(argv[1], "--exit-child") == 0)
        return exit_child(strcmp(argv[2], "front") == 0, strtol(argv[3], NULL, 10),
                          (unsigned)strtoul(argv[4], NULL, 10));
    parse_options(argc, argv, &o);
    use_journal_folder(L"main");

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
        intercept_cost(&o);
    if (strchr(o.sections, '7') != NULL)
        journal_costs(&o);
    put_number("total_seconds", (now_ms() - start) / 1000.0);
    print_results();
    return 0;
}
