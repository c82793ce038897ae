/* Torture: hosts that free the front from awkward places, with work
 * in flight, and still see the worker drain and unload:
 *   - from one of the host's own thread-pool callbacks (TrySubmitThreadpoolCallback),
 *     with FreeLibrary and with FreeLibraryWhenCallbackReturns;
 *   - from DLL_THREAD_DETACH of another module (fixtures/thread_detach_freer.c,
 *     which says why that is allowed and why it is dangerous).
 * Each is repeated TWINSHIM_TORTURE_FREE_CYCLES times (CI: 50;
 * host_test/run-torture.sh: 1,000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

enum {
    JOBS = 100,
    CI_CYCLES = 50
};

typedef void (*arm_function)(HMODULE module, DWORD thread_id, volatile LONG *result);

typedef enum free_method {
    FREE_IN_POOL_CALLBACK,
    FREE_WHEN_POOL_CALLBACK_RETURNS,
    FREE_IN_THREAD_DETACH
} free_method;

/* What the host's pool callback is asked to do. Static: a late callback must
 * not write into a dead frame. */
static struct {
    HMODULE front;
    free_method method;
    volatile LONG result; /* 1: freed, -1: FreeLibrary failed */
} request;

static void CALLBACK free_front_in_callback(PTP_CALLBACK_INSTANCE instance, void *context)
{
    (void)context;
    if (request.method == FREE_WHEN_POOL_CALLBACK_RETURNS) {
        FreeLibraryWhenCallbackReturns(instance, request.front);
        InterlockedExchange(&request.result, 1);
        return;
    }
    InterlockedExchange(&request.result, FreeLibrary(request.front) ? 1 : -1);
}

static DWORD WINAPI marked_thread(void *unused)
{
    (void)unused;
    return 0; /* its exit is what frees the front, in another module's DllMain */
}

static void free_front_by(free_method method, HMODULE freer)
{
    static job_counters counters;
    test_front front;
    test_job job = job_for(&counters, NULL);

    memset((void *)&counters, 0, sizeof counters);
    load_front_and_worker(L"torture-free-from-callback", &front);
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(front.post_job(&job), SHIM_OK);
    request.front = front.module;
    request.method = method;
    InterlockedExchange(&request.result, 0);

    if (method == FREE_IN_THREAD_DETACH) {
        arm_function arm = (arm_function)symbol_of(freer, "thread_detach_freer_arm");
        DWORD thread_id;
        HANDLE thread = CreateThread(NULL, 0, marked_thread, NULL, CREATE_SUSPENDED, &thread_id);
        assert_non_null(arm);
        assert_non_null(thread);
        arm(front.module, thread_id, &request.result);
        ResumeThread(thread);
        assert_int_equal(WaitForSingleObject(thread, TEST_DEADLINE_MS), WAIT_OBJECT_0);
        CloseHandle(thread);
    } else {
        assert_true(TrySubmitThreadpoolCallback(free_front_in_callback, NULL, NULL));
    }
    /* The host's callback or thread may be done before its FreeLibrary is:
     * wait for the front itself to go. */
    assert_true(counter_reaches_within(&request.result, 1, TEST_DEADLINE_MS));
    assert_true(module_gone_within(L"test_front.dll", TEST_DEADLINE_MS));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
    assert_int_equal(counters.ran, JOBS);
    assert_int_equal(counters.cancelled, 0);
}

static void repeat(free_method method, const char *scenario)
{
    unsigned long cycles = torture_size(L"TWINSHIM_TORTURE_FREE_CYCLES", CI_CYCLES);
    HMODULE freer = NULL;
    long handle_baseline;
    long module_baseline;
    LARGE_INTEGER start;
    torture_result result = { .scenario = scenario, .size = cycles };

    if (method == FREE_IN_THREAD_DETACH) {
        freer = load_from(bin_folder(), L"thread_detach_freer.dll");
        assert_non_null(freer);
    }
    free_front_by(method, freer); /* warm-up */
    handle_baseline = process_handle_count();
    module_baseline = process_module_count();
    QueryPerformanceCounter(&start);
    for (unsigned long cycle = 0; cycle < cycles; cycle++) {
        free_front_by(method, freer);
        result.cycles++;
    }
    result.seconds = elapsed_since(start) / 1000.0;
    result.calls = cycles * JOBS;
    /* free_front_by already checked every job ran: reaching here means none was lost. */
    result.lost = 0;
    result.handles_leaked = handles_above_baseline_after(handle_baseline, 5000);
    result.modules_leaked = process_module_count() - module_baseline;
    result.passed = result.handles_leaked == 0 && result.modules_leaked == 0;
    print_torture_result(&result);
    assert_int_equal(result.handles_leaked, 0);
    assert_int_equal(result.modules_leaked, 0);
    if (freer != NULL)
        assert_true(FreeLibrary(freer));
}

static void free_from_host_pool_callback(void **state)
{
    (void)state;
    repeat(FREE_IN_POOL_CALLBACK, "free-in-host-pool-callback");
}

static void free_when_host_pool_callback_returns(void **state)
{
    (void)state;
    repeat(FREE_WHEN_POOL_CALLBACK_RETURNS, "free-when-host-callback-returns");
}

static void free_from_thread_detach_of_another_module(void **state)
{
    (void)state;
    repeat(FREE_IN_THREAD_DETACH, "free-in-thread-detach");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(free_from_host_pool_callback),
        isolated_test(free_when_host_pool_callback_returns),
        isolated_test(free_from_thread_detach_of_another_module),
    };
    return cmocka_run_group_tests_name("torture_free_from_callback", tests, NULL, NULL);
}
