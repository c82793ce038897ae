/* The host of the sink tests: loads sink_test_front.dll from FOLDER and runs
 * the steps it is given, in order, printing what happened, so that a
 * script can drive it against a real rsyslog and check the outcome. Every
 * wait has a deadline; a missed one ends the program with exit code 2.
 *
 *   sink_host FOLDER STEP...
 *     post:N             post N records, numbered on from the last (1, 2...)
 *     durable:N:S        wait up to S seconds until N records are durable
 *     file:PATH:S        wait up to S seconds until PATH exists
 *     touch:PATH         create PATH (empty)
 *     report:S:TEXT      wait up to S seconds until the report file
 *                        (TWINSHIM_REPORT) holds TEXT
 *     idle:S             let S seconds pass (a window to observe, such as
 *                        the attempts a refusing server gets)
 *     counters           print the sink's counters
 *     status:N:S         wait up to S seconds until the front's status is N
 *                        (-4: the plugin's start failed)
 *     free:S             FreeLibrary the front; fail if the worker is still
 *                        loaded after S seconds
 *     load               load the front again (after free: a new session)
 *     kill               TerminateProcess itself (exit code 9)
 *     legacy             as the first step: FOLDER holds the legacy example
 *                        (legacy.dll and its worker), not sink_test_front.dll
 *     legacy:N           N calls to the example's legacy_add (loaded once);
 *                        free:S then frees it
 * PATH may be a Linux path (/tmp/x, read as Z:\tmp\x under Wine). */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "twinshim/sink.h"

typedef int (*post_function)(unsigned long long number);
typedef int (*status_function)(unsigned long *system_error);
typedef long long (*durable_function)(void);
typedef int (*counters_function)(shim_sink_counters *counters);

#define EXIT_MISSED_DEADLINE 2
#define EXIT_KILLED 9
#define POLL_MS 10

static const char *front_folder;
static HMODULE front;
static HMODULE legacy; /* the legacy example's front instead (step legacy:N) */
static post_function post;
static unsigned long long posted;

static double seconds_since(ULONGLONG start)
{
    return (double)(GetTickCount64() - start) / 1000.0;
}

/* "/tmp/x" as "Z:\tmp\x"; any other path as it is. */
static void windows_path(const char *path, wchar_t *out, size_t capacity)
{
    size_t length = 0;

    if (path[0] == '/' && capacity > 2) {
        out[length++] = L'Z';
        out[length++] = L':';
    }
    for (; *path != '\0' && length + 1 < capacity; path++)
        out[length++] = *path == '/' ? L'\\' : (wchar_t)(unsigned char)*path;
    out[length] = L'\0';
}

static FARPROC worker_symbol(const char *name)
{
    HMODULE worker = GetModuleHandleW(L"sink_test_worker.dll");

    return worker != NULL ? GetProcAddress(worker, name) : NULL;
}

static long long durable_now(void)
{
    durable_function durable = (durable_function)(void (*)(void))worker_symbol("sink_test_worker_durable");

    return durable != NULL ? durable() : -1;
}

static int load_front(void)
{
    wchar_t path[MAX_PATH];
    unsigned long error = 0;
    status_function status;
    int result;

    windows_path(front_folder, path, MAX_PATH - 24);
    wcscat(path, L"\\sink_test_front.dll");
    front = LoadLibraryW(path);
    if (front == NULL) {
        printf("load failed: error %lu\n", GetLastError());
        return 0;
    }
    post = (post_function)(void (*)(void))GetProcAddress(front, "sink_test_front_post");
    status = (status_function)(void (*)(void))GetProcAddress(front, "sink_test_front_status");
    result = status(&error);
    printf("pid %lu\nfront status %d (error %lu)\n", GetCurrentProcessId(), result, error);
    return post != NULL;
}

static int step_post(const char *count_text)
{
    unsigned long long count = strtoull(count_text, NULL, 10);
    ULONGLONG start = GetTickCount64();

    for (unsigned long long index = 0; index < count; index++) {
        int status = post(posted + 1);

        if (status != 0) {
            printf("post %llu failed: %d\n", posted + 1, status);
            return 1;
        }
        posted++;
    }
    printf("posted %llu (%llu in all) in %.3f s\n", count, posted, seconds_since(start));
    return 0;
}

static int step_durable(const char *arguments)
{
    long long target = strtoll(arguments, NULL, 10);
    const char *colon = strchr(arguments, ':');
    ULONGLONG deadline = (ULONGLONG)(colon != NULL ? atof(colon + 1) * 1000.0 : 30000.0);
    ULONGLONG start = GetTickCount64();

    while (durable_now() < target) {
        if (GetTickCount64() - start >= deadline) {
            printf("durable: %lld of %lld after %.1f s: deadline missed\n", durable_now(), target,
                   seconds_since(start));
            return EXIT_MISSED_DEADLINE;
        }
        Sleep(POLL_MS);
    }
    printf("durable %lld after %.3f s\n", durable_now(), seconds_since(start));
    return 0;
}

static int step_file(const char *arguments)
{
    char path[MAX_PATH];
    wchar_t windows[MAX_PATH];
    const char *colon = strrchr(arguments, ':');
    size_t length = colon != NULL ? (size_t)(colon - arguments) : strlen(arguments);
    ULONGLONG deadline = (ULONGLONG)(colon != NULL ? atof(colon + 1) * 1000.0 : 30000.0);
    ULONGLONG start = GetTickCount64();

    if (length >= sizeof path)
        return 1;
    memcpy(path, arguments, length);
    path[length] = '\0';
    windows_path(path, windows, MAX_PATH);
    while (GetFileAttributesW(windows) == INVALID_FILE_ATTRIBUTES) {
        if (GetTickCount64() - start >= deadline) {
            printf("file %s: not there after %.1f s: deadline missed\n", path, seconds_since(start));
            return EXIT_MISSED_DEADLINE;
        }
        Sleep(POLL_MS);
    }
    printf("file %s after %.3f s\n", path, seconds_since(start));
    return 0;
}

static int step_touch(const char *path)
{
    wchar_t windows[MAX_PATH];
    HANDLE file;

    windows_path(path, windows, MAX_PATH);
    file = CreateFileW(windows, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE) {
        printf("touch %s failed: error %lu\n", path, GetLastError());
        return 1;
    }
    CloseHandle(file);
    return 0;
}

/* True when the file at `path` holds `text`. */
static int file_holds(const wchar_t *path, const char *text)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    static char contents[1 << 20];
    DWORD read = 0;
    int found;

    if (file == INVALID_HANDLE_VALUE)
        return 0;
    found = ReadFile(file, contents, sizeof contents - 1, &read, NULL);
    CloseHandle(file);
    if (!found)
        return 0;
    contents[read] = '\0';
    return strstr(contents, text) != NULL;
}

static int step_report(const char *arguments)
{
    wchar_t path[MAX_PATH];
    const char *colon = strchr(arguments, ':');
    ULONGLONG deadline = (ULONGLONG)(atof(arguments) * 1000.0);
    ULONGLONG start = GetTickCount64();

    if (colon == NULL || GetEnvironmentVariableW(L"TWINSHIM_REPORT", path, MAX_PATH) == 0)
        return 1;
    while (!file_holds(path, colon + 1)) {
        if (GetTickCount64() - start >= deadline) {
            printf("report: no \"%s\" after %.1f s: deadline missed\n", colon + 1, seconds_since(start));
            return EXIT_MISSED_DEADLINE;
        }
        Sleep(POLL_MS);
    }
    printf("report \"%s\" after %.3f s\n", colon + 1, seconds_since(start));
    return 0;
}

static int step_counters(void)
{
    counters_function get = (counters_function)(void (*)(void))worker_symbol("sink_test_worker_counters");
    shim_sink_counters counters;

    if (get == NULL || get(&counters) != 0) {
        printf("counters: no sink\n");
        return 1;
    }
    printf("counters written %lld durable %lld held %lld refused %lld sent %lld resent %lld connections %lld "
           "failures %lld last %llu\n",
           counters.written, counters.durable, counters.held, counters.refused, counters.sent,
           counters.resent, counters.connections, counters.failures, counters.last_durable_sequence);
    return 0;
}

static int step_free(const char *seconds)
{
    ULONGLONG deadline = (ULONGLONG)(atof(seconds) * 1000.0);
    ULONGLONG start = GetTickCount64();

    const wchar_t *worker = legacy != NULL ? L"legacy_worker.dll" : L"sink_test_worker.dll";

    FreeLibrary(legacy != NULL ? legacy : front);
    front = legacy = NULL;
    while (GetModuleHandleW(worker) != NULL) {
        if (GetTickCount64() - start >= deadline) {
            printf("free: the worker is still loaded after %.1f s: deadline missed\n", seconds_since(start));
            return EXIT_MISSED_DEADLINE;
        }
        Sleep(POLL_MS);
    }
    printf("freed in %.3f s\n", seconds_since(start));
    return 0;
}

static int step_status(const char *arguments)
{
    status_function status = (status_function)(void (*)(void))GetProcAddress(front, "sink_test_front_status");
    int expected = atoi(arguments);
    const char *colon = strchr(arguments, ':');
    ULONGLONG deadline = (ULONGLONG)(colon != NULL ? atof(colon + 1) * 1000.0 : 30000.0);
    ULONGLONG start = GetTickCount64();

    while (status(NULL) != expected) {
        if (GetTickCount64() - start >= deadline) {
            printf("status: %d, not %d, after %.1f s: deadline missed\n", status(NULL), expected,
                   seconds_since(start));
            return EXIT_MISSED_DEADLINE;
        }
        Sleep(POLL_MS);
    }
    printf("status %d after %.3f s\n", expected, seconds_since(start));
    return 0;
}

static int step_idle(const char *seconds)
{
    Sleep((DWORD)(atof(seconds) * 1000.0));
    return 0;
}

/* Ends the process at once, as Task Manager or a watchdog would: no
 * detach, no exit hand-over; the journal keeps what was posted. */
static int step_kill(void)
{
    printf("killing the process\n");
    TerminateProcess(GetCurrentProcess(), EXIT_KILLED);
    return EXIT_KILLED;
}

/* The legacy example's front, legacy.dll, from FOLDER: N calls to its
 * legacy_add(i, 10 i), each checked, as its legacy program makes them. */
static int step_legacy(const char *count_text)
{
    typedef int (*add_function)(int a, int b);
    wchar_t path[MAX_PATH];
    add_function add;
    int count = atoi(count_text);

    windows_path(front_folder, path, MAX_PATH - 16);
    wcscat(path, L"\\legacy.dll");
    if (legacy == NULL)
        legacy = LoadLibraryW(path);
    add = legacy != NULL ? (add_function)(void (*)(void))GetProcAddress(legacy, "legacy_add") : NULL;
    if (add == NULL) {
        printf("legacy.dll: not loaded (error %lu)\n", GetLastError());
        return 1;
    }
    printf("pid %lu\n", GetCurrentProcessId());
    for (int call = 0; call < count; call++) {
        if (add(call, 10 * call) != 11 * call) {
            printf("legacy_add(%d, %d) is wrong\n", call, 10 * call);
            return 1;
        }
    }
    printf("legacy_add called %d times\n", count);
    return 0;
}

static int run_step(const char *step)
{
    if (strncmp(step, "post:", 5) == 0)
        return step_post(step + 5);
    if (strncmp(step, "durable:", 8) == 0)
        return step_durable(step + 8);
    if (strncmp(step, "file:", 5) == 0)
        return step_file(step + 5);
    if (strncmp(step, "touch:", 6) == 0)
        return step_touch(step + 6);
    if (strncmp(step, "report:", 7) == 0)
        return step_report(step + 7);
    if (strncmp(step, "status:", 7) == 0)
        return step_status(step + 7);
    if (strncmp(step, "idle:", 5) == 0)
        return step_idle(step + 5);
    if (strcmp(step, "counters") == 0)
        return step_counters();
    if (strncmp(step, "free:", 5) == 0)
        return step_free(step + 5);
    if (strncmp(step, "legacy:", 7) == 0)
        return step_legacy(step + 7);
    if (strcmp(step, "legacy") == 0)
        return 0; /* only as the first step: no sink_test_front.dll to load */
    if (strcmp(step, "load") == 0)
        return load_front() ? 0 : 1;
    if (strcmp(step, "kill") == 0)
        return step_kill();
    printf("unknown step %s\n", step);
    return 1;
}

int main(int argc, char **argv)
{
    /* Lines end in LF alone, for the script that reads them. */
    _setmode(_fileno(stdout), _O_BINARY);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        printf("usage: sink_host FOLDER STEP...\n");
        return 1;
    }
    front_folder = argv[1];
    if (strcmp(argv[2 < argc ? 2 : 1], "legacy") != 0 && !load_front())
        return 1;
    for (int index = 2; index < argc; index++) {
        int result = run_step(argv[index]);

        if (result != 0)
            return result;
    }
    return 0;
}
