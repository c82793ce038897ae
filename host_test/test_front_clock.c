/* shim_front_utc_now against GetSystemTimePreciseAsFileTime, on two threads
 * at once for 300 ms: long enough for the counter's rate to be measured
 * (10 ms) and for anchors to be replaced (about every 0.1 s). Each reading
 * must lie between the precise times read just before and just after it,
 * give or take 1 ms; a wrong rate or a torn anchor leaves that window
 * within milliseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"

#define RUN_UNITS 3000000ull /* 300 ms in FILETIME units */
#define TOLERANCE_UNITS 10000ull

typedef unsigned long long (*utc_now_function)(void);

typedef struct clock_check {
    utc_now_function utc_now;
    LONG readings;
    LONG outside; /* readings outside their window */
    unsigned long long worst_units;
} clock_check;

static unsigned long long precise_now(void)
{
    FILETIME now;

    GetSystemTimePreciseAsFileTime(&now);
    return (unsigned long long)now.dwHighDateTime << 32 | now.dwLowDateTime;
}

static DWORD WINAPI compare_clocks(void *parameter)
{
    clock_check *check = parameter;
    unsigned long long start = precise_now();
    unsigned long long before = start;

    while (before - start < RUN_UNITS) {
        unsigned long long reading;
        unsigned long long after;
        unsigned long long off = 0;

        before = precise_now();
        reading = check->utc_now();
        after = precise_now();
        if (reading + TOLERANCE_UNITS < before)
            off = before - reading;
        else if (reading > after + TOLERANCE_UNITS)
            off = reading - after;
        check->readings++;
        check->outside += off != 0;
        if (off > check->worst_units)
            check->worst_units = off;
    }
    return 0;
}

static void the_front_clock_follows_the_precise_clock(void **state)
{
    clock_check checks[2] = { { .readings = 0 }, { .readings = 0 } };
    test_front front;
    HANDLE second;

    (void)state;
    load_front_and_worker(L"front-clock", &front);
    checks[0].utc_now = (utc_now_function)(void (*)(void))GetProcAddress(front.module, "test_front_utc_now");
    assert_non_null(checks[0].utc_now);
    checks[1].utc_now = checks[0].utc_now;
    second = CreateThread(NULL, 0, compare_clocks, &checks[1], 0, NULL);
    assert_win32(second != NULL);
    compare_clocks(&checks[0]);
    assert_int_equal(WaitForSingleObject(second, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(second);
    for (int i = 0; i < 2; i++) {
        if (checks[i].outside != 0)
            print_error("thread %d: %ld of %ld readings outside their window, the worst by %llu00 ns\n", i,
                        checks[i].outside, checks[i].readings, checks[i].worst_units);
        assert_int_equal(checks[i].outside, 0);
        assert_true(checks[i].readings > 1000);
    }
    assert_true(free_library_within(front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(the_front_clock_follows_the_precise_clock),
    };
    return cmocka_run_group_tests_name("front_clock", tests, NULL, NULL);
}
