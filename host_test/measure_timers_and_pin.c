/* Measures, with today's runtime, what docs/plugin-guide.md states about
 * timers under slow message handlers and about the stop deadline's pin.
 * A measuring program, not a test: it prints what happened and asserts
 * nothing, and its Sleep calls are the measured time, not synchronisation.
 *   cmake/wine-run build/mingw-x64-gcc/bin/measure_timers_and_pin.exe [rounds]
 *
 * timers: a 100 ms periodic timer; at t = 1 s two messages whose handlers
 *   run 5 s each. How many ticks fall inside those 5 s, the longest gap
 *   between ticks, and how many fire at once when the handlers return; with
 *   the default 2 threads, then with 3 (one spare for the timer).
 * pin: a 300 ms stop deadline, two 2 s handlers running, 10 quick messages
 *   queued behind them and the timer armed; the front is unloaded. What runs
 *   after the pin (queued messages, ticks, on_stopping, on_stopped, the
 *   timer's on_closed), and what stays (the worker, threads, handles). */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include <windows.h>

#include <tlhelp32.h>

#include "measure_worker.h"
#include "test_support.h"

#define TICK_PERIOD_MS 100
#define BUSY_MS 5000
#define PIN_BUSY_MS 2000
#define PIN_DEADLINE_MS 300
#define PIN_MARKS 10

static test_post_raw_function post_raw;

static void post(measure_log *log, measure_kind kind, unsigned value, unsigned value2, int flag)
{
    measure_command command = { .kind = kind, .log = log, .value = value, .value2 = value2, .flag = flag };

    if (post_raw(&command, sizeof command) != SHIM_OK)
        printf("  (a post was refused)\n");
}

static HMODULE load_measured_pair(const wchar_t *fixture_name, measure_log *log)
{
    static const fixture_file files[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { L"measure_worker.dll", L"test_worker.dll", NULL },
    };
    wchar_t folder[TEST_PATH_CAPACITY];
    HMODULE front;

    if (!fixture_folder(fixture_name, files, 2, folder) ||
        (front = load_from(folder, L"test_front.dll")) == NULL) {
        printf("cannot lay out or load %ls\n", fixture_name);
        exit(1);
    }
    post_raw = (test_post_raw_function)(void (*)(void))GetProcAddress(front, "test_front_post_raw");
    ZeroMemory(log, sizeof *log);
    QueryPerformanceFrequency(&log->frequency);
    QueryPerformanceCounter(&log->origin);
    post(log, MEASURE_OBSERVE, 0, 0, 0);
    return front;
}

static long thread_count(void)
{
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 entry = { .dwSize = sizeof entry };
    long count = 0;

    if (snapshot == INVALID_HANDLE_VALUE)
        return -1;
    for (BOOL more = Thread32First(snapshot, &entry); more; more = Thread32Next(snapshot, &entry))
        count += entry.th32OwnerProcessID == GetCurrentProcessId();
    CloseHandle(snapshot);
    return count;
}

static int count_between(const measure_times *times, double from_ms, double to_ms)
{
    int count = 0;

    for (LONG i = 0; i < times->count && i < MEASURE_MAX_EVENTS; i++)
        count += times->at_ms[i] >= from_ms && times->at_ms[i] < to_ms;
    return count;
}

static void measure_timers(unsigned max_threads)
{
    static measure_log log;
    HMODULE front = load_measured_pair(L"measure-timers", &log);
    double busy_from;
    double longest_gap = 0;
    double gap_end = 0;
    double first_done = 1e12;
    double handlers_done = 0;
    int burst = 0;

    post(&log, MEASURE_SETTINGS, max_threads, 0, 0);
    post(&log, MEASURE_START_TIMER, TICK_PERIOD_MS, 0, 0);
    Sleep(1000);
    busy_from = measure_now_ms(&log);
    post(&log, MEASURE_BUSY, BUSY_MS, 0, 0);
    post(&log, MEASURE_BUSY, BUSY_MS, 0, 0);
    Sleep(BUSY_MS + 1500);
    FreeLibrary(front);
    if (!module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS))
        printf("  the worker did not unload\n");

    for (LONG i = 1; i < log.ticks.count && i < MEASURE_MAX_EVENTS; i++) {
        if (log.ticks.at_ms[i] - log.ticks.at_ms[i - 1] > longest_gap) {
            longest_gap = log.ticks.at_ms[i] - log.ticks.at_ms[i - 1];
            gap_end = log.ticks.at_ms[i];
        }
    }
    for (LONG i = 0; i < log.busy_ended.count; i++) {
        handlers_done = log.busy_ended.at_ms[i] > handlers_done ? log.busy_ended.at_ms[i] : handlers_done;
        first_done = log.busy_ended.at_ms[i] < first_done ? log.busy_ended.at_ms[i] : first_done;
    }
    /* Ticks that fired within 5 ms of the end of the longest gap: the backlog. */
    burst = count_between(&log.ticks, gap_end, gap_end + 5);
    printf("timers: max_threads %u, a %d ms timer, two %d ms handlers from t=%.0f ms (returned at t=%.0f and "
           "%.0f)\n",
           max_threads, TICK_PERIOD_MS, BUSY_MS, busy_from, first_done, handlers_done);
    printf("  ticks: %d in the second before, %d while both handlers ran (%d due), %d in the 1.5 s after\n",
           count_between(&log.ticks, busy_from - 1000, busy_from),
           count_between(&log.ticks, busy_from, first_done), (int)((first_done - busy_from) / TICK_PERIOD_MS),
           count_between(&log.ticks, first_done, first_done + 1500));
    printf("  longest gap between ticks %.0f ms, ending at t=%.0f ms; %d ticks began within 5 ms of its "
           "end\n",
           longest_gap, gap_end, burst);
}

static void measure_pin(int cancel)
{
    static measure_log log;
    long threads_before = thread_count();
    long handles_before = process_handle_count();
    HMODULE front = load_measured_pair(cancel ? L"measure-pin-cancel" : L"measure-pin-drain", &log);
    double freed_at;
    int marks_after_pin;

    post(&log, MEASURE_SETTINGS, 2, PIN_DEADLINE_MS, cancel);
    post(&log, MEASURE_START_TIMER, TICK_PERIOD_MS, 0, 0);
    post(&log, MEASURE_BUSY, PIN_BUSY_MS, 0, 0);
    post(&log, MEASURE_BUSY, PIN_BUSY_MS, 0, 0);
    for (int i = 0; i < PIN_MARKS; i++)
        post(&log, MEASURE_MARK, 0, 0, 0);
    Sleep(200);
    freed_at = measure_now_ms(&log);
    FreeLibrary(front);
    Sleep(PIN_BUSY_MS + 1000);

    marks_after_pin = count_between(&log.marks, log.pinned_ms, 1e12);
    printf("pin: %s policy, deadline %d ms, two %d ms handlers running, %d quick messages queued, front "
           "freed "
           "at t=%.0f ms\n",
           cancel ? "cancel" : "drain", PIN_DEADLINE_MS, PIN_BUSY_MS, PIN_MARKS, freed_at);
    printf("  stop received +%.0f ms, pinned +%.0f ms (callbacks running then: %ld), released: %s\n",
           log.stop_received_ms - freed_at, log.pinned_ms - freed_at, log.counters_at_pin.running,
           log.released_ms > 0 ? "yes" : "no");
    printf("  after the pin: %d of %d queued messages ran (first +%.0f ms, last +%.0f ms after the front was "
           "freed), %ld cancelled; %d ticks after the stop\n",
           marks_after_pin, PIN_MARKS,
           marks_after_pin ? log.marks.at_ms[log.marks.count - marks_after_pin] - freed_at : 0.0,
           marks_after_pin ? log.marks.at_ms[log.marks.count - 1] - freed_at : 0.0, log.marks_cancelled,
           count_between(&log.ticks, log.stop_received_ms, 1e12));
    printf("  on_stopping ran: %ld, on_stopped ran: %ld, timer on_closed ran: %ld; handlers returned: %ld\n",
           log.stopping, log.stopped, log.timer_closed, log.busy_ended.count);
    printf("  still loaded: worker %s, front %s; threads %ld -> %ld, handles %ld -> %ld\n",
           GetModuleHandleW(L"test_worker.dll") != NULL ? "yes" : "no",
           GetModuleHandleW(L"test_front.dll") != NULL ? "yes" : "no", threads_before, thread_count(),
           handles_before, process_handle_count());
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 1;

    setvbuf(stdout, NULL, _IONBF, 0);
    for (int round = 1; round <= rounds; round++) {
        printf("== round %d of %d\n", round, rounds);
        measure_timers(SHIM_DEFAULT_MAX_THREADS);
        measure_timers(SHIM_DEFAULT_MAX_THREADS + 1);
    }
    /* The pin lasts for the process: these come last, and the second one
     * loads the already pinned worker again. */
    measure_pin(0);
    measure_pin(1);
    return 0;
}
