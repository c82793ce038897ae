/* The front's record clock (frontdll/front_clock.c): timestamps against
 * GetSystemTimePreciseAsFileTime, durations against QueryPerformanceCounter,
 * and the events Wine cannot produce on demand, through the clock's fault
 * injection (TWINSHIM_FAULT_CLOCK_*, read at attach): a preemption inside
 * an anchor, a clock set forward, a counter that changes speed.
 *
 * A timestamp must lie between the precise times read just before and just
 * after it, give or take 1 ms; a wrong rate or a torn anchor leaves that
 * window within milliseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"

#define RUN_UNITS 3000000ull /* 300 ms in FILETIME units */
/* 1.5 s: past the anchor that ends the clock's first 0.1 s, and past the
 * next one, a second later. */
#define LONG_RUN_UNITS 15000000ull
#define TOLERANCE_UNITS 10000ull
#define STEP_MS 10000ull
#define STEP_UNITS (STEP_MS * 10000ull)

typedef unsigned long long (*clock_read_function)(void);
typedef unsigned long long (*counter_ns_function)(unsigned long long start, unsigned long long end);
typedef unsigned long long (*counter_utc_function)(unsigned long long counter);

typedef struct front_clock {
    test_front front;
    clock_read_function utc_now;
    clock_read_function counter_now;
    counter_ns_function counter_ns;
    counter_utc_function counter_utc;
} front_clock;

typedef struct clock_check {
    clock_read_function utc_now;
    unsigned long long run_units;  /* how long to compare; 0: RUN_UNITS */
    unsigned long long step_units; /* a reading may also be this far ahead */
    LONG readings;
    LONG stepped;      /* readings that were step_units ahead */
    LONG outside;      /* readings outside their window */
    LONG stepped_back; /* a reading without the step after one with it */
    unsigned long long worst_units;
} clock_check;

static unsigned long long precise_now(void)
{
    FILETIME now;

    GetSystemTimePreciseAsFileTime(&now);
    return (unsigned long long)now.dwHighDateTime << 32 | now.dwLowDateTime;
}

static double qpc_ms(void)
{
    LARGE_INTEGER now;
    LARGE_INTEGER frequency;

    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return (double)now.QuadPart * 1000.0 / (double)frequency.QuadPart;
}

/* Loads test_front.dll (and its worker) from a fixture folder of its own:
 * a fresh mapping, so a clock that starts at this attach. */
static void load_clock(const wchar_t *fixture_name, front_clock *clock)
{
    load_front_and_worker(fixture_name, &clock->front);
    clock->utc_now = (clock_read_function)symbol_of(clock->front.module, "test_front_utc_now");
    clock->counter_now = (clock_read_function)symbol_of(clock->front.module, "test_front_counter_now");
    clock->counter_ns = (counter_ns_function)symbol_of(clock->front.module, "test_front_counter_ns");
    clock->counter_utc = (counter_utc_function)symbol_of(clock->front.module, "test_front_counter_utc");
}

/* The same with a change the clock's fault injection makes `after_ms`
 * after attach: `variable` (TWINSHIM_FAULT_CLOCK_*) set to `value`. */
static void load_clock_changing(const wchar_t *fixture_name, const wchar_t *variable, const wchar_t *value,
                                const wchar_t *after_ms, front_clock *clock)
{
    assert_win32(SetEnvironmentVariableW(variable, value));
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_FAULT_CLOCK_AFTER_MS", after_ms));
    load_clock(fixture_name, clock);
}

static void unload_clock(front_clock *clock)
{
    assert_true(free_library_within(clock->front.module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}

static unsigned long long distance(unsigned long long reading, unsigned long long before,
                                   unsigned long long after)
{
    if (reading + TOLERANCE_UNITS < before)
        return before - reading;
    if (reading > after + TOLERANCE_UNITS)
        return reading - after;
    return 0;
}

/* Reads the front's clock between two precise readings for 300 ms, or
 * the check's run_units. */
static DWORD WINAPI compare_clocks(void *parameter)
{
    clock_check *check = parameter;
    unsigned long long run_units = check->run_units != 0 ? check->run_units : RUN_UNITS;
    unsigned long long start = precise_now();
    unsigned long long before = start;

    while (before - start < run_units) {
        unsigned long long reading;
        unsigned long long after;
        unsigned long long off;

        before = precise_now();
        reading = check->utc_now();
        after = precise_now();
        off = distance(reading, before, after);
        if (off != 0 && check->step_units != 0 &&
            distance(reading, before + check->step_units, after + check->step_units) == 0) {
            off = 0;
            check->stepped++;
        } else if (off == 0 && check->stepped != 0) {
            check->stepped_back++;
        }
        check->readings++;
        check->outside += off != 0;
        if (off > check->worst_units)
            check->worst_units = off;
    }
    return 0;
}

static void expect_inside(const clock_check *check, const char *what)
{
    if (check->outside != 0)
        print_error("%s: %ld of %ld readings outside their window, the worst by %llu00 ns\n", what,
                    check->outside, check->readings, check->worst_units);
    assert_int_equal(check->outside, 0);
    assert_true(check->readings > 1000);
}

/* On two threads for 1.5 s: through the first anchors, then a second's
 * extrapolation from one anchor, and the anchor after it. */
static void the_front_clock_follows_the_precise_clock(void **state)
{
    clock_check checks[2] = { { .run_units = LONG_RUN_UNITS }, { .run_units = LONG_RUN_UNITS } };
    front_clock clock;
    HANDLE second;

    (void)state;
    load_clock(L"front-clock", &clock);
    checks[0].utc_now = clock.utc_now;
    checks[1].utc_now = clock.utc_now;
    second = CreateThread(NULL, 0, compare_clocks, &checks[1], 0, NULL);
    assert_win32(second != NULL);
    compare_clocks(&checks[0]);
    assert_int_equal(WaitForSingleObject(second, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(second);
    expect_inside(&checks[0], "thread 0");
    expect_inside(&checks[1], "thread 1");
    unload_clock(&clock);
}

/* The counter's nanoseconds for a sleep, against QPC's, as a ratio. */
static double duration_ratio(const front_clock *clock, DWORD sleep_ms)
{
    double qpc_start = qpc_ms();
    unsigned long long start = clock->counter_now();
    unsigned long long end;
    double qpc_elapsed;

    Sleep(sleep_ms);
    end = clock->counter_now();
    qpc_elapsed = qpc_ms() - qpc_start;
    return (double)clock->counter_ns(start, end) / (qpc_elapsed * 1e6);
}

/* Durations are the counter's, at the rate measured against QPC; a span far
 * longer than any anchor neither wraps nor saturates early. */
static void durations_come_from_the_counter(void **state)
{
    front_clock clock;
    unsigned long long start;
    double per_tick;
    double far_ns;
    double ratio;

    (void)state;
    load_clock(L"front-clock-durations", &clock);
    Sleep(5);
    ratio = duration_ratio(&clock, 50);
    print_message("a 50 ms sleep measured as %.4f of QPC's time\n", ratio);
    assert_true(ratio > 0.98 && ratio < 1.02);
    assert_int_equal(clock.counter_ns(1000, 1000), 0);
    assert_int_equal(clock.counter_ns(1000, 999), 0);

    /* 2^50 ticks (days at GHz rates): the same ns per tick as a short span. */
    start = clock.counter_now();
    Sleep(20);
    per_tick = (double)clock.counter_ns(start, clock.counter_now()) / (double)(clock.counter_now() - start);
    far_ns = (double)clock.counter_ns(0, 1ull << 50);
    print_message("%.4f ns per tick; 2^50 ticks are %.0f ns\n", per_tick, far_ns);
    assert_true(far_ns / (double)(1ull << 50) > per_tick * 0.98);
    assert_true(far_ns / (double)(1ull << 50) < per_tick * 1.02);
    /* A reading an hour away from the anchor: an hour away in the time of day. */
    {
        unsigned long long now = clock.counter_now();
        unsigned long long hour_ticks = (unsigned long long)(3600e9 / per_tick);
        double hours = (double)(clock.counter_utc(now + hour_ticks) - clock.counter_utc(now)) / 36e9;

        print_message("an hour of ticks is %.5f h of the time of day\n", hours);
        assert_true(hours > 0.99 && hours < 1.01);
    }
    unload_clock(&clock);
}

typedef struct first_call {
    clock_read_function utc_now;
    counter_ns_function counter_ns;
    clock_read_function counter_now;
    HANDLE ready;
    HANDLE go;
    HANDLE done;
} first_call;

static DWORD WINAPI make_first_call(void *parameter)
{
    first_call *call = parameter;
    unsigned long long start;

    SetEvent(call->ready);
    WaitForSingleObject(call->go, INFINITE);
    start = call->counter_now();
    (void)call->utc_now();
    (void)call->counter_ns(start, call->counter_now());
    SetEvent(call->done);
    return 0;
}

/* A thread that holds an application lock may make the first intercepted
 * call while a DllMain waits for that lock: the clock's first use must not
 * wait for the loader lock, which that DllMain holds. Here this thread holds
 * the loader lock itself while another makes the clock's first calls. */
static void the_first_call_takes_no_loader_lock(void **state)
{
    typedef LONG(NTAPI * lock_function)(ULONG flags, ULONG * result, ULONG_PTR * magic);
    typedef LONG(NTAPI * unlock_function)(ULONG flags, ULONG_PTR magic);
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    lock_function lock = (lock_function)(void (*)(void))GetProcAddress(ntdll, "LdrLockLoaderLock");
    unlock_function unlock = (unlock_function)(void (*)(void))GetProcAddress(ntdll, "LdrUnlockLoaderLock");
    front_clock clock;
    first_call call;
    HANDLE thread;
    ULONG_PTR magic = 0;
    DWORD waited;

    (void)state;
    assert_non_null(lock);
    assert_non_null(unlock);
    load_clock(L"front-clock-first-call", &clock);
    call.utc_now = clock.utc_now;
    call.counter_ns = clock.counter_ns;
    call.counter_now = clock.counter_now;
    call.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    call.go = CreateEventW(NULL, TRUE, FALSE, NULL);
    call.done = CreateEventW(NULL, TRUE, FALSE, NULL);
    assert_win32(call.ready != NULL && call.go != NULL && call.done != NULL);
    /* Started first: a new thread's attach takes the loader lock. */
    thread = CreateThread(NULL, 0, make_first_call, &call, 0, NULL);
    assert_win32(thread != NULL);
    assert_int_equal(WaitForSingleObject(call.ready, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    assert_int_equal(lock(0, NULL, &magic), 0);
    SetEvent(call.go);
    waited = WaitForSingleObject(call.done, TEST_DEADLINE_MS);
    unlock(0, magic);
    assert_int_equal(waited, WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(thread, TEST_DEADLINE_MS), WAIT_OBJECT_0);
    CloseHandle(thread);
    CloseHandle(call.ready);
    CloseHandle(call.go);
    CloseHandle(call.done);
    unload_clock(&clock);
}

/* The anchor's first precise reading stalls 0.9 ms after it has read the
 * time, as a preemption between the readings would: an anchor that trusted
 * it would pair that time with a counter 0.9 ms later, and the rate
 * measured from it 1 ms on would be several times too high. */
static void an_interrupted_anchor_is_not_trusted(void **state)
{
    clock_check check = { .readings = 0 };
    front_clock clock;

    (void)state;
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_FAULT_CLOCK_STALL_US", L"900"));
    load_clock(L"front-clock-stall", &clock);
    check.utc_now = clock.utc_now;
    compare_clocks(&check);
    expect_inside(&check, "after a stalled anchor");
    unload_clock(&clock);
}

/* The time of day is set 10 s forward 300 ms after attach, after the
 * anchors of the clock's first 0.1 s. Timestamps follow it within an
 * anchor's second, the step is in no duration, and the rate is not
 * measured across it: a rate that counted it would run the clock a hundred
 * times fast until the next anchor. */
static void a_forward_clock_step_is_no_elapsed_time(void **state)
{
    clock_check check = { .run_units = LONG_RUN_UNITS };
    front_clock clock;
    unsigned long long start;
    double qpc_start;
    double measured_ms;
    double qpc_elapsed_ms;

    (void)state;
    load_clock_changing(L"front-clock-step", L"TWINSHIM_FAULT_CLOCK_STEP_MS", L"10000", L"300", &clock);
    qpc_start = qpc_ms();
    start = clock.counter_now();
    check.utc_now = clock.utc_now;
    check.step_units = STEP_UNITS;
    compare_clocks(&check);
    measured_ms = (double)clock.counter_ns(start, clock.counter_now()) / 1e6;
    qpc_elapsed_ms = qpc_ms() - qpc_start;
    print_message("%ld of %ld readings after the step; the 1.5 s spanning it measured %.1f ms (QPC %.1f "
                  "ms)\n",
                  check.stepped, check.readings, measured_ms, qpc_elapsed_ms);
    expect_inside(&check, "across a step of the clock");
    assert_true(check.stepped > 0);
    assert_int_equal(check.stepped_back, 0);
    assert_true(measured_ms > qpc_elapsed_ms * 0.98 && measured_ms < qpc_elapsed_ms * 1.02);
    unload_clock(&clock);
}

/* The counter runs twice as fast from 100 ms after attach (the TSC of a
 * migrated virtual machine, or a bad reading). The rate follows in steps
 * of at most 1/64 an anchor, so one odd measurement cannot swing it: 0.5 s
 * later (five anchors, taken every 0.1 s here instead of every second) a
 * duration reads below twice its real length, still far above it. */
static void a_rate_change_is_followed_in_bounded_steps(void **state)
{
    front_clock clock;
    double before;
    double after;

    (void)state;
    assert_win32(SetEnvironmentVariableW(L"TWINSHIM_FAULT_CLOCK_ANCHOR_MS", L"100"));
    load_clock_changing(L"front-clock-fast", L"TWINSHIM_FAULT_CLOCK_FAST", L"2", L"100", &clock);
    before = duration_ratio(&clock, 20);
    Sleep(150);
    for (int i = 0; i < 10; i++) {
        (void)clock.utc_now(); /* lets anchors be taken */
        Sleep(50);
    }
    after = duration_ratio(&clock, 20);
    print_message("durations against QPC: %.3f before the speed-up, %.3f 0.6 s after it\n", before, after);
    assert_true(before > 0.95 && before < 1.05);
    /* Followed (anchors were taken), but by at most 1/64 an anchor. */
    assert_true(after > 1.6 && after < 1.95);
    unload_clock(&clock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(the_front_clock_follows_the_precise_clock),
        isolated_test(durations_come_from_the_counter),
        isolated_test(the_first_call_takes_no_loader_lock),
        isolated_test(an_interrupted_anchor_is_not_trusted),
        isolated_test(a_forward_clock_step_is_no_elapsed_time),
        isolated_test(a_rate_change_is_followed_in_bounded_steps),
    };
    return cmocka_run_group_tests_name("front_clock", tests, NULL, NULL);
}
