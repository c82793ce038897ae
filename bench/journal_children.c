/* Section 7's child processes (section_journal.c starts them). Each prints
 * "key value" lines on its standard output, a pipe the parent reads once
 * the child has ended.
 *
 *   --idle-child front|original <window ms> <nonce>
 *       loads bench_intercept.dll (the session started, one call
 *       delivered) or bench_original.dll (one call), settles for a second,
 *       then measures the CPU its process and the wineserver spend while it
 *       sleeps for the window.
 *   --overload-child <seconds> <work us> <nonce>
 *       one thread calls bench_intercepted_add flat out for the seconds,
 *       against a plugin that spends <work us> per record (slower than the
 *       host); a sampler reads the process's memory from /proc every 100 ms.
 *   --exit-child front|original <calls> <work us>
 *       makes the calls, prints the time, and returns from main: the parent
 *       times the exit from there to the end of the process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "twinshim/status.h"
#include "twinshim/worker.h"

#include "bench_program.h"
#include "bench_record.h"

#define SETTLE_MS 1000u
#define MEMORY_SAMPLE_MS 100u
#define OVERLOAD_BASELINE_MS 5000.0 /* growth is counted from here */
#define PROC_FILE_CAPACITY 8192

/* ---- Output ---------------------------------------------------------------- */

static void say(const char *key, double value)
{
    char line[160];
    int length = snprintf(line, sizeof line, "%s %.17g\n", key, value);
    DWORD written;

    if (length > 0 && length < (int)sizeof line)
        WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), line, (DWORD)length, &written, NULL);
}

/* ---- The fronts, loaded as a program would -------------------------------- */

typedef struct child_front {
    HMODULE module;
    HMODULE worker;
    bench_add_function add;
    bench_record_counter *counter;
} child_front;

static child_front load_child_front(BOOL intercepted, unsigned work_us)
{
    child_front f = { .module = NULL };

    if (!intercepted) {
        f.module = load_bin(L"bench_original.dll");
        f.add = (bench_add_function)symbol(f.module, "bench_original_add");
        return f;
    }
    f.module = load_bin(L"bench_intercept.dll");
    f.add = (bench_add_function)symbol(f.module, "bench_intercepted_add");
    f.worker = GetModuleHandleW(L"bench_worker.dll");
    if (f.worker == NULL)
        fail("bench_intercept.dll did not load bench_worker.dll");
    f.counter = ((bench_worker_record_counter_function)symbol(f.worker, "bench_worker_record_counter"))();
    ((bench_worker_set_message_work_function)symbol(f.worker, "bench_worker_set_message_work"))(work_us);
    return f;
}

/* ---- /proc, read through Wine's Z: drive ----------------------------------- */

/* A small file, whole, NUL-terminated; FALSE if it cannot be read. */
static BOOL read_proc_file(const wchar_t *path, char *text, DWORD capacity)
{
    HANDLE file =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    DWORD total = 0;
    DWORD got = 0;

    if (file == INVALID_HANDLE_VALUE)
        return FALSE;
    while (total + 1 < capacity && ReadFile(file, text + total, capacity - 1 - total, &got, NULL) && got > 0)
        total += got;
    CloseHandle(file);
    text[total] = '\0';
    for (DWORD i = 0; i < total; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    return total > 0;
}

/* The Linux process id of this process: the one whose command line holds
 * the nonce (Wine shows the Windows command line there). */
static BOOL own_linux_pid(const char *nonce, unsigned long *pid)
{
    static char text[PROC_FILE_CAPACITY];
    WIN32_FIND_DATAW entry;
    HANDLE search = FindFirstFileW(L"Z:\\proc\\*", &entry);
    BOOL found = FALSE;

    if (search == INVALID_HANDLE_VALUE)
        return FALSE;
    do {
        wchar_t path[64];

        if (entry.cFileName[0] < L'0' || entry.cFileName[0] > L'9')
            continue;
        _snwprintf(path, 64, L"Z:\\proc\\%ls\\cmdline", entry.cFileName);
        path[63] = L'\0';
        if (read_proc_file(path, text, sizeof text) && strstr(text, nonce) != NULL) {
            *pid = wcstoul(entry.cFileName, NULL, 10);
            found = TRUE;
        }
    } while (!found && FindNextFileW(search, &entry));
    FindClose(search);
    return found;
}

/* The first field of a schedstat file: nanoseconds on a CPU. */
static BOOL schedstat_ns(const wchar_t *path, unsigned long long *ns)
{
    char text[128];

    if (!read_proc_file(path, text, sizeof text))
        return FALSE;
    *ns = strtoull(text, NULL, 10);
    return TRUE;
}

/* CPU time of every thread of a Linux process, in nanoseconds. */
static BOOL process_cpu_ns(unsigned long pid, unsigned long long *ns)
{
    WIN32_FIND_DATAW entry;
    wchar_t pattern[64];
    HANDLE search;

    _snwprintf(pattern, 64, L"Z:\\proc\\%lu\\task\\*", pid);
    pattern[63] = L'\0';
    search = FindFirstFileW(pattern, &entry);
    if (search == INVALID_HANDLE_VALUE)
        return FALSE;
    *ns = 0;
    do {
        wchar_t path[96];
        unsigned long long thread_ns;

        if (entry.cFileName[0] < L'0' || entry.cFileName[0] > L'9')
            continue;
        _snwprintf(path, 96, L"Z:\\proc\\%lu\\task\\%ls\\schedstat", pid, entry.cFileName);
        path[95] = L'\0';
        if (schedstat_ns(path, &thread_ns))
            *ns += thread_ns;
    } while (FindNextFileW(search, &entry));
    FindClose(search);
    return TRUE;
}

/* The wineserver's CPU time. Wine opens files in the wineserver, so
 * /proc/self read through Z: is the wineserver that serves this process
 * (its name says so, checked). */
static BOOL wineserver_cpu_ns(unsigned long long *ns)
{
    char name[64];

    if (!read_proc_file(L"Z:\\proc\\self\\comm", name, sizeof name) || strncmp(name, "wineserver", 10) != 0)
        return FALSE;
    return schedstat_ns(L"Z:\\proc\\self\\schedstat", ns);
}

/* ---- The children ------------------------------------------------------------ */

int idle_child(BOOL intercepted, unsigned window_ms, const char *nonce)
{
    child_front f = load_child_front(intercepted, 0);
    unsigned long pid = 0;
    unsigned long long process_before;
    unsigned long long process_after;
    unsigned long long server_before;
    unsigned long long server_after;
    double start;
    double end;

    if (f.add(2, 3) != 5)
        fail("the idle child's call does not add");
    if (intercepted) {
        /* The session has started and delivered the call: idle from here. */
        wait_worker_ready(f.worker);
        while (f.counter->received < 1)
            Sleep(1);
    }
    Sleep(SETTLE_MS);
    if (!own_linux_pid(nonce, &pid))
        fail("the idle child cannot find its own process in /proc");
    start = now_ms();
    if (!process_cpu_ns(pid, &process_before) || !wineserver_cpu_ns(&server_before))
        fail("the idle child cannot read /proc/%lu or the wineserver's", pid);
    Sleep(window_ms);
    if (!process_cpu_ns(pid, &process_after) || !wineserver_cpu_ns(&server_after))
        fail("the idle child cannot read /proc/%lu or the wineserver's", pid);
    end = now_ms();
    say("process_cpu_ns", (double)(process_after - process_before));
    say("wineserver_cpu_ns", (double)(server_after - server_before));
    say("window_ns", (end - start) * 1e6);
    return 0;
}

/* A field of /proc/<pid>/status in kB ("VmRSS:", "RssAnon:"), or -1. */
static double status_kib(const char *status, const char *field)
{
    const char *at = strstr(status, field);

    return at != NULL ? strtod(at + strlen(field), NULL) : -1.0;
}

typedef struct memory_watch {
    unsigned long pid;
    volatile LONG stop;
    double start_ms;
    double resident_at_baseline;  /* kB, VmRSS at OVERLOAD_BASELINE_MS */
    double anonymous_at_baseline; /* kB, RssAnon: the heap's pages, not the journal's file pages */
    double resident_peak;         /* the most after the baseline */
    double anonymous_peak;
    int samples;
} memory_watch;

static DWORD WINAPI watch_memory(void *parameter)
{
    static char status[PROC_FILE_CAPACITY];
    memory_watch *watch = parameter;
    wchar_t path[64];
    BOOL baseline_taken = FALSE;

    _snwprintf(path, 64, L"Z:\\proc\\%lu\\status", watch->pid);
    path[63] = L'\0';
    while (!watch->stop) {
        double resident;
        double anonymous;

        Sleep(MEMORY_SAMPLE_MS);
        if (now_ms() - watch->start_ms < OVERLOAD_BASELINE_MS)
            continue;
        if (!read_proc_file(path, status, sizeof status))
            fail("cannot read /proc/%lu/status", watch->pid);
        resident = status_kib(status, "VmRSS:");
        anonymous = status_kib(status, "RssAnon:");
        if (resident < 0 || anonymous < 0)
            fail("/proc/%lu/status has no VmRSS or RssAnon", watch->pid);
        if (!baseline_taken) {
            watch->resident_at_baseline = watch->resident_peak = resident;
            watch->anonymous_at_baseline = watch->anonymous_peak = anonymous;
            baseline_taken = TRUE;
        }
        if (resident > watch->resident_peak)
            watch->resident_peak = resident;
        if (anonymous > watch->anonymous_peak)
            watch->anonymous_peak = anonymous;
        watch->samples++;
    }
    return 0;
}

int overload_child(unsigned seconds, unsigned work_us, const char *nonce)
{
    static memory_watch watch;
    child_front f = load_child_front(TRUE, work_us);
    bench_intercept_counters_function counters_of =
        (bench_intercept_counters_function)symbol(f.module, "bench_intercept_counters");
    shim_session_counters counters;
    HANDLE watcher;
    double end_ms;
    long long calls = 0;
    volatile int sink = 0;
    int code;

    if (!own_linux_pid(nonce, &watch.pid))
        fail("the overload child cannot find its own process in /proc");
    watch.start_ms = now_ms();
    end_ms = watch.start_ms + seconds * 1000.0;
    watcher = CreateThread(NULL, 0, watch_memory, &watch, 0, NULL);
    if (watcher == NULL)
        fail("CreateThread failed (error %lu)", GetLastError());
    do {
        for (int i = 0; i < 1024; i++)
            sink = f.add((int)(calls + i), 1);
        calls += 1024;
    } while (now_ms() < end_ms);
    (void)sink;
    end_ms = now_ms();
    InterlockedExchange(&watch.stop, 1);
    WaitForSingleObject(watcher, INFINITE);
    CloseHandle(watcher);
    if (watch.samples == 0)
        fail("the overload ran for less than %.0f ms: no memory after it", OVERLOAD_BASELINE_MS);
    code = counters_of(&counters);
    if (code != SHIM_OK)
        fail("the overload child's counters: %s", shim_status_text(code));

    say("seconds", (end_ms - watch.start_ms) / 1000.0);
    say("calls", (double)calls);
    say("delivered", (double)f.counter->received);
    say("dropped", (double)counters.dropped);
    say("journal_file", counters.journal == SHIM_JOURNAL_FILE ? 1.0 : 0.0);
    say("backlog_bytes", (double)counters.backlog_bytes);
    say("resident_at_baseline_kib", watch.resident_at_baseline);
    say("resident_growth_kib", watch.resident_peak - watch.resident_at_baseline);
    say("anonymous_at_baseline_kib", watch.anonymous_at_baseline);
    say("anonymous_growth_kib", watch.anonymous_peak - watch.anonymous_at_baseline);
    /* The exit hands the backlog to on_exit_message for about a second;
     * the parent clears the journal the rest stays in. */
    return 0;
}

int exit_child(BOOL intercepted, long calls, unsigned work_us)
{
    child_front f = load_child_front(intercepted, work_us);
    volatile int sink = 0;
    LARGE_INTEGER now;

    for (long i = 0; i < calls; i++)
        sink = f.add((int)i, 1);
    (void)sink;
    QueryPerformanceCounter(&now);
    say("main_returns", (double)now.QuadPart);
    return 0;
}
