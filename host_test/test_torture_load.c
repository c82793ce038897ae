/* Torture, load and races: the example legacy front loaded, used
 * and unloaded again and again by 4 host threads at once, each cycle leaving
 * work in flight (calls whose audit records are still queued when the front
 * is freed). At the end the worker is gone, the handle and module counts are
 * back to their baseline, and the audit log holds exactly one line per call.
 *
 * Sizes (environment variables):
 *   TWINSHIM_TORTURE_CYCLES          load/use/unload cycles in all, over all the
 *                                    threads, in rounds of one cycle per thread
 *                                    (CI: 2,000; host_test/run-torture.sh: 10,000)
 *   TWINSHIM_TORTURE_CALLS           legacy_add calls per cycle (4)
 *   TWINSHIM_TORTURE_THREADS         host threads (4)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"

enum {
    CI_CYCLES = 2000,
    DEFAULT_CALLS_PER_CYCLE = 4,
    DEFAULT_THREADS = 4,
    MAX_THREADS = 64,
    /* The whole run's deadline: this much per cycle, plus TEST_DEADLINE_MS. */
    DEADLINE_MS_PER_CYCLE = 50,
};

typedef int (*legacy_add_function)(int a, int b);

static const fixture_file wrapped_installation[] = {
    { L"legacy.dll", L"legacy.dll", NULL },
    { L"original\\legacy.dll", L"legacy_orig.dll", NULL },
    { L"legacy_worker.dll", L"legacy_worker.dll", NULL },
};

/* Shared by the host threads; static, so a thread that outlives a failed
 * test never writes into a dead frame. */
static struct {
    wchar_t front_path[TEST_PATH_CAPACITY];
    LONG rounds_wanted;
    LONG calls_per_cycle;
    LONG threads;
    volatile LONG cycles_done;
    volatile LONG next_call;       /* call ids handed out: one per legacy_add call */
    volatile LONG wrong_results;   /* legacy_add answers that were not a + b */
    volatile LONG failures;        /* LoadLibrary, GetProcAddress, FreeLibrary or the barrier failed */
    volatile LONG rounds_unmapped; /* rounds after which the front was really unmapped */
    /* The barrier between rounds. */
    SRWLOCK lock;
    CONDITION_VARIABLE all_arrived;
    LONG arrived;
    LONG generation;
} run = { .lock = SRWLOCK_INIT, .all_arrived = CONDITION_VARIABLE_INIT };

/* Every host thread waits here for the others, with a deadline. The last to
 * arrive checks that the front is unmapped, and returns *last = true. False
 * when the deadline passed. */
static bool barrier_wait(bool *last)
{
    bool in_time = true;
    ULONGLONG start = GetTickCount64();
    LONG generation;

    AcquireSRWLockExclusive(&run.lock);
    generation = run.generation;
    *last = ++run.arrived == run.threads;
    if (*last) {
        /* Every thread has freed the front, and none has loaded it again. */
        if (GetModuleHandleW(L"legacy.dll") == NULL)
            InterlockedIncrement(&run.rounds_unmapped);
        run.arrived = 0;
        run.generation++;
        WakeAllConditionVariable(&run.all_arrived);
    }
    while (run.generation == generation) {
        ULONGLONG waited = GetTickCount64() - start;
        if (waited >= TEST_DEADLINE_MS) {
            in_time = false;
            break;
        }
        SleepConditionVariableSRW(&run.all_arrived, &run.lock, (DWORD)(TEST_DEADLINE_MS - waited), 0);
    }
    ReleaseSRWLockExclusive(&run.lock);
    return in_time;
}

/* One round: every thread loads the front, calls it, frees it at once (its
 * audit records still queued), then waits for the others. Within a round the
 * loads and frees of the 4 threads race each other; after it, nobody holds
 * the front, so it must be unmapped, and the next round's loads race the
 * previous session's drain. */
static DWORD WINAPI host_thread(void *unused)
{
    (void)unused;
    for (LONG round = 0; round < run.rounds_wanted; round++) {
        HMODULE front = LoadLibraryW(run.front_path);
        legacy_add_function add = NULL;
        bool last;

        if (front == NULL)
            InterlockedIncrement(&run.failures);
        else
            add = (legacy_add_function)(void (*)(void))GetProcAddress(front, "legacy_add");
        if (front != NULL && add == NULL)
            InterlockedIncrement(&run.failures);
        for (LONG i = 0; add != NULL && i < run.calls_per_cycle; i++) {
            int id = (int)InterlockedIncrement(&run.next_call) - 1;
            if (add(id, 3 * id) != 4 * id)
                InterlockedIncrement(&run.wrong_results);
        }
        if (front != NULL && !FreeLibrary(front))
            InterlockedIncrement(&run.failures);
        InterlockedIncrement(&run.cycles_done);
        if (!barrier_wait(&last)) {
            InterlockedIncrement(&run.failures);
            return 1;
        }
    }
    return 0;
}

/* Reads the audit log: lines in all, and the distinct call ids it records
 * with the right arguments and result; duplicates are counted apart. */
static long read_audit_log(const wchar_t *path, long calls, long *distinct, long *duplicates)
{
    unsigned char *seen = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, (size_t)calls + 1);
    FILE *log = _wfopen(path, L"r");
    char line[256];
    long lines = 0;

    *distinct = 0;
    *duplicates = 0;
    if (log == NULL || seen == NULL) {
        if (log != NULL)
            fclose(log);
        HeapFree(GetProcessHeap(), 0, seen);
        return -1;
    }
    while (fgets(line, sizeof line, log) != NULL) {
        int a;
        int b;
        int result;
        lines++;
        if (sscanf(line, "legacy_add(%d, %d) = %d", &a, &b, &result) != 3 || a < 0 || a >= calls ||
            b != 3 * a || result != 4 * a)
            continue;
        if (seen[a])
            (*duplicates)++;
        else
            (*distinct)++;
        seen[a] = 1;
    }
    fclose(log);
    HeapFree(GetProcessHeap(), 0, seen);
    return lines;
}

static bool one_plain_cycle(const wchar_t *folder)
{
    HMODULE front = load_from(folder, L"legacy.dll");
    legacy_add_function add;

    if (front == NULL)
        return false;
    add = (legacy_add_function)symbol_of(front, "legacy_add");
    if (add == NULL || add(-1, -3) != -4)
        return false;
    return free_library_within(front, TEST_DEADLINE_MS, NULL) &&
           module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS);
}

static void concurrent_load_use_unload_loses_nothing(void **state)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    wchar_t log_path[TEST_PATH_CAPACITY];
    wchar_t warm_up_log[TEST_PATH_CAPACITY];
    HANDLE threads[MAX_THREADS];
    unsigned long thread_count = torture_size(L"TWINSHIM_TORTURE_THREADS", DEFAULT_THREADS);
    unsigned long cycles = torture_size(L"TWINSHIM_TORTURE_CYCLES", CI_CYCLES);
    DWORD deadline_ms = TEST_DEADLINE_MS + DEADLINE_MS_PER_CYCLE * (DWORD)cycles;
    long handle_baseline;
    long module_baseline;
    long lines;
    long distinct;
    long duplicates;
    long calls;
    DWORD waited;
    LARGE_INTEGER start;
    torture_result result = { .scenario = "load-unload-4-threads", .size = cycles };

    (void)state;
    if (thread_count > MAX_THREADS)
        thread_count = MAX_THREADS;
    assert_true(fixture_folder(L"torture-load", wrapped_installation, 3, folder));
    _snwprintf(run.front_path, TEST_PATH_CAPACITY, L"%lslegacy.dll", folder);
    _snwprintf(log_path, TEST_PATH_CAPACITY, L"%lsaudit.log", folder);
    _snwprintf(warm_up_log, TEST_PATH_CAPACITY, L"%lswarm-up.log", folder);

    /* Warm-up: the first cycle maps system DLLs and creates the process's
     * lasting handles (the loader's, the heap's, the default pool's); the
     * baseline is taken after it, when nothing of ours is loaded. */
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", warm_up_log));
    assert_true(one_plain_cycle(folder));
    assert_true(one_plain_cycle(folder));
    assert_null(GetModuleHandleW(L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));
    handle_baseline = process_handle_count();
    module_baseline = process_module_count();
    assert_in_range(handle_baseline, 1, LONG_MAX);
    assert_in_range(module_baseline, 1, LONG_MAX);

    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", log_path));
    run.threads = (LONG)thread_count;
    run.rounds_wanted = (LONG)((cycles + thread_count - 1) / thread_count);
    cycles = (unsigned long)run.rounds_wanted * thread_count;
    result.size = cycles;
    run.calls_per_cycle = (LONG)torture_size(L"TWINSHIM_TORTURE_CALLS", DEFAULT_CALLS_PER_CYCLE);
    QueryPerformanceCounter(&start);
    for (unsigned long i = 0; i < thread_count; i++) {
        threads[i] = CreateThread(NULL, 0, host_thread, NULL, 0, NULL);
        assert_non_null(threads[i]);
    }
    waited = WaitForMultipleObjects((DWORD)thread_count, threads, TRUE, deadline_ms);
    if (waited == WAIT_TIMEOUT)
        print_error("host threads still running after %lu ms: %ld of %lu cycles done\n", deadline_ms,
                    run.cycles_done, cycles);
    assert_in_range(waited, WAIT_OBJECT_0, WAIT_OBJECT_0 + thread_count - 1);
    for (unsigned long i = 0; i < thread_count; i++)
        CloseHandle(threads[i]);

    /* The last session drains, then the worker unloads itself. */
    assert_true(module_gone_within(L"legacy_worker.dll", TEST_DEADLINE_MS));
    result.seconds = elapsed_since(start) / 1000.0;
    assert_null(GetModuleHandleW(L"legacy.dll"));
    assert_null(GetModuleHandleW(L"legacy_orig.dll"));

    calls = run.next_call;
    lines = read_audit_log(log_path, calls, &distinct, &duplicates);
    result.cycles = (unsigned long)run.cycles_done;
    result.calls = (unsigned long)calls;
    result.lost = calls - distinct;
    /* No tolerance: every handle a session opens (events, pool, cleanup group,
     * session thread, the audit log) is closed before the worker unloads. The
     * wait only lets the last session thread finish closing them. */
    result.handles_leaked = handles_above_baseline_after(handle_baseline, 5000);
    result.modules_leaked = process_module_count() - module_baseline;
    result.passed = run.failures == 0 && run.wrong_results == 0 && lines == calls && distinct == calls &&
                    duplicates == 0 && result.handles_leaked == 0 && result.modules_leaked == 0 &&
                    result.cycles == cycles && run.rounds_unmapped == run.rounds_wanted;
    print_torture_result(&result);
    printf("load-unload: %lu threads, %ld rounds, %ld calls per cycle, front unmapped after %ld rounds, "
           "%ld audit lines, %ld duplicates\n",
           thread_count, run.rounds_wanted, run.calls_per_cycle, run.rounds_unmapped, lines, duplicates);

    assert_int_equal(run.failures, 0);
    assert_int_equal(run.wrong_results, 0);
    assert_int_equal(result.cycles, cycles);
    assert_int_equal(run.rounds_unmapped, run.rounds_wanted);
    assert_int_equal(lines, calls);
    assert_int_equal(distinct, calls);
    assert_int_equal(duplicates, 0);
    assert_int_equal(result.handles_leaked, 0);
    assert_int_equal(result.modules_leaked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(concurrent_load_use_unload_loses_nothing),
    };
    return cmocka_run_group_tests_name("torture_load", tests, NULL, NULL);
}
