#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

/* Polling interval of the deadline waits below: each checks the real
 * condition again, the sleep only yields the CPU between checks. */
#define POLL_INTERVAL_MS 1

void complain(const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fflush(stderr);
}

const wchar_t *bin_folder(void)
{
    static wchar_t folder[TEST_PATH_CAPACITY];
    DWORD length;

    if (folder[0] != L'\0')
        return folder;
    length = GetModuleFileNameW(NULL, folder, TEST_PATH_CAPACITY);
    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    return folder;
}

static bool empty_folder(const wchar_t *folder)
{
    wchar_t pattern[TEST_PATH_CAPACITY];
    wchar_t path[TEST_PATH_CAPACITY];
    WIN32_FIND_DATAW found;
    HANDLE search;

    _snwprintf(pattern, TEST_PATH_CAPACITY, L"%ls*", folder);
    search = FindFirstFileW(pattern, &found);
    if (search == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND;
    do {
        if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            continue;
        _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", folder, found.cFileName);
        if (!DeleteFileW(path)) {
            complain("cannot delete %ls: error %lu\n", path, GetLastError());
            FindClose(search);
            return false;
        }
    } while (FindNextFileW(search, &found));
    FindClose(search);
    return true;
}

static bool write_file(const wchar_t *path, const char *contents)
{
    HANDLE file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    DWORD written = 0;
    bool ok;

    if (file == INVALID_HANDLE_VALUE)
        return false;
    ok = WriteFile(file, contents, (DWORD)strlen(contents), &written, NULL) != 0;
    CloseHandle(file);
    return ok;
}

bool fixture_folder(const wchar_t *name, const fixture_file *files, size_t count, wchar_t *folder)
{
    wchar_t fixtures[TEST_PATH_CAPACITY];
    wchar_t source[TEST_PATH_CAPACITY];
    wchar_t target[TEST_PATH_CAPACITY];

    _snwprintf(fixtures, TEST_PATH_CAPACITY, L"%lsfixtures\\", bin_folder());
    _snwprintf(folder, TEST_PATH_CAPACITY, L"%ls%ls\\", fixtures, name);
    CreateDirectoryW(fixtures, NULL);
    if (!CreateDirectoryW(folder, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
        complain("cannot create %ls: error %lu\n", folder, GetLastError());
        return false;
    }
    if (!empty_folder(folder))
        return false;
    for (size_t i = 0; i < count; i++) {
        _snwprintf(target, TEST_PATH_CAPACITY, L"%ls%ls", folder, files[i].name);
        if (files[i].contents != NULL) {
            if (!write_file(target, files[i].contents)) {
                complain("cannot write %ls: error %lu\n", target, GetLastError());
                return false;
            }
            continue;
        }
        _snwprintf(source, TEST_PATH_CAPACITY, L"%ls%ls", bin_folder(), files[i].source);
        if (!CopyFileW(source, target, FALSE)) {
            complain("cannot copy %ls to %ls: error %lu\n", source, target, GetLastError());
            return false;
        }
    }
    return true;
}

typedef struct load_request {
    wchar_t path[TEST_PATH_CAPACITY];
    HMODULE module;
    DWORD error;
} load_request;

static DWORD WINAPI load_library_thread(void *parameter)
{
    load_request *request = parameter;

    request->module = LoadLibraryW(request->path);
    request->error = request->module == NULL ? GetLastError() : 0;
    return 0;
}

/* On another thread, with a deadline: a deadlock at attach fails the test. */
/* Vectored: it sees the fault before the loader's own handler catches it. */
static LONG WINAPI end_at_access_violation(EXCEPTION_POINTERS *exception)
{
    const EXCEPTION_RECORD *record = exception->ExceptionRecord;
    HMODULE module = NULL;
    wchar_t module_path[MAX_PATH] = L"?";

    if (record->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           (LPCWSTR)record->ExceptionAddress, &module))
        GetModuleFileNameW(module, module_path, MAX_PATH);
    complain("access violation at %p (%ls+%#llx), thread %lu\n", record->ExceptionAddress, module_path,
             (unsigned long long)((ULONG_PTR)record->ExceptionAddress - (ULONG_PTR)module),
             GetCurrentThreadId());
    TerminateProcess(GetCurrentProcess(), TEST_EXIT_ACCESS_VIOLATION);
    return EXCEPTION_CONTINUE_SEARCH;
}

bool end_process_at_access_violation(void)
{
    return AddVectoredExceptionHandler(1, end_at_access_violation) != NULL;
}

HMODULE load_from(const wchar_t *folder, const wchar_t *file)
{
    static load_request request; /* static: a stuck loader thread keeps using it */
    HANDLE thread;
    DWORD waited;

    _snwprintf(request.path, TEST_PATH_CAPACITY, L"%ls%ls", folder, file);
    request.module = NULL;
    thread = CreateThread(NULL, 0, load_library_thread, &request, 0, NULL);
    if (thread == NULL) {
        complain("CreateThread failed: error %lu\n", GetLastError());
        return NULL;
    }
    waited = WaitForSingleObject(thread, TEST_DEADLINE_MS);
    CloseHandle(thread);
    if (waited != WAIT_OBJECT_0) {
        complain("LoadLibrary(%ls) did not return within %d ms\n", request.path, TEST_DEADLINE_MS);
        return NULL;
    }
    if (request.module == NULL)
        complain("LoadLibrary(%ls) failed: error %lu\n", request.path, request.error);
    return request.module;
}

void (*symbol_of(HMODULE module, const char *name))(void)
{
    void (*symbol)(void) = (void (*)(void))GetProcAddress(module, name);

    if (symbol == NULL)
        complain("GetProcAddress(%s) failed: error %lu\n", name, GetLastError());
    return symbol;
}

double elapsed_since(LARGE_INTEGER start)
{
    LARGE_INTEGER now;
    LARGE_INTEGER frequency;

    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return (double)(now.QuadPart - start.QuadPart) * 1000.0 / (double)frequency.QuadPart;
}

static DWORD WINAPI free_library_thread(void *module)
{
    return FreeLibrary(module) ? 0 : GetLastError();
}

bool free_library_within(HMODULE module, DWORD deadline_ms, double *elapsed_ms)
{
    LARGE_INTEGER start;
    HANDLE thread;
    DWORD waited;

    QueryPerformanceCounter(&start);
    thread = CreateThread(NULL, 0, free_library_thread, module, 0, NULL);
    if (thread == NULL) {
        complain("CreateThread failed: error %lu\n", GetLastError());
        return false;
    }
    waited = WaitForSingleObject(thread, deadline_ms);
    if (elapsed_ms != NULL)
        *elapsed_ms = elapsed_since(start);
    CloseHandle(thread);
    if (waited != WAIT_OBJECT_0)
        complain("FreeLibrary did not return within %lu ms\n", deadline_ms);
    return waited == WAIT_OBJECT_0;
}

bool module_gone_within(const wchar_t *name, DWORD deadline_ms)
{
    DWORD start = GetTickCount();

    while (GetModuleHandleW(name) != NULL) {
        if (GetTickCount() - start > deadline_ms) {
            complain("%ls is still loaded after %lu ms\n", name, deadline_ms);
            return false;
        }
        Sleep(POLL_INTERVAL_MS);
    }
    return true;
}

bool counter_reaches_within(volatile LONG *counter, LONG target, DWORD deadline_ms)
{
    DWORD start = GetTickCount();

    while (InterlockedCompareExchange(counter, 0, 0) < target) {
        if (GetTickCount() - start > deadline_ms) {
            complain("counter is %ld, not %ld, after %lu ms\n", *counter, target, deadline_ms);
            return false;
        }
        Sleep(POLL_INTERVAL_MS);
    }
    return true;
}

bool status_reported_within(volatile LONG *status, DWORD deadline_ms)
{
    DWORD start = GetTickCount();

    while (InterlockedCompareExchange(status, 0, 0) == TEST_STATUS_PENDING) {
        if (GetTickCount() - start > deadline_ms) {
            complain("no status reported after %lu ms\n", deadline_ms);
            return false;
        }
        Sleep(POLL_INTERVAL_MS);
    }
    return true;
}

bool load_test_front(const wchar_t *folder, test_front *front)
{
    front->module = load_from(folder, L"test_front.dll");
    if (front->module == NULL)
        return false;
    front->post_job = (test_post_job_function)symbol_of(front->module, "test_front_post_job");
    front->post_raw = (test_post_raw_function)symbol_of(front->module, "test_front_post_raw");
    front->status = (test_status_function)symbol_of(front->module, "test_front_status");
    front->get_counters = (test_get_counters_function)symbol_of(front->module, "test_front_get_counters");
    front->multiply = (test_multiply_function)symbol_of(front->module, "test_front_multiply");
    return front->post_job && front->post_raw && front->status && front->get_counters && front->multiply;
}

bool file_filled_within(const wchar_t *variable, DWORD deadline_ms)
{
    wchar_t path[TEST_PATH_CAPACITY];
    DWORD start = GetTickCount();
    DWORD length = GetEnvironmentVariableW(variable, path, TEST_PATH_CAPACITY);

    if (length == 0 || length >= TEST_PATH_CAPACITY)
        return false;
    do {
        WIN32_FILE_ATTRIBUTE_DATA data;

        if (GetFileAttributesExW(path, GetFileExInfoStandard, &data) &&
            (data.nFileSizeLow != 0 || data.nFileSizeHigh != 0))
            return true;
        Sleep(1); /* polling with a deadline: the file is the only signal */
    } while (GetTickCount() - start < deadline_ms);
    return false;
}

test_job job_for(job_counters *counters, HANDLE gate)
{
    test_job job = {
        .started = &counters->started,
        .ran = &counters->ran,
        .cancelled = &counters->cancelled,
        .saw_stop = &counters->saw_stop,
        .at_exit = &counters->at_exit,
        .repeated_at_exit = &counters->repeated_at_exit,
        .gate = gate,
    };
    return job;
}

bool front_and_worker_folder(const wchar_t *fixture_name, wchar_t *folder)
{
    static const fixture_file front_and_worker[] = {
        { L"test_front.dll", L"test_front.dll", NULL },
        { L"test_worker.dll", L"test_worker.dll", NULL },
    };

    return fixture_folder(fixture_name, front_and_worker, 2, folder);
}

void load_front_and_worker(const wchar_t *fixture_name, test_front *front)
{
    wchar_t folder[TEST_PATH_CAPACITY];
    unsigned long system_error = 1;

    assert_true(front_and_worker_folder(fixture_name, folder));
    assert_true(load_test_front(folder, front));
    assert_int_equal(front->status(&system_error), SHIM_OK);
    assert_int_equal(system_error, 0);
}

bool bits_set_within(volatile LONG *flags, LONG mask, DWORD deadline_ms)
{
    DWORD start = GetTickCount();

    while ((InterlockedCompareExchange(flags, 0, 0) & mask) != mask) {
        if (GetTickCount() - start > deadline_ms) {
            complain("flags are 0x%lx, not all of 0x%lx, after %lu ms\n", *flags, mask, deadline_ms);
            return false;
        }
        Sleep(POLL_INTERVAL_MS);
    }
    return true;
}

void apply_settings(test_front *front, test_settings *settings)
{
    /* Static: a worker that outlives a failed test must not write into a dead frame. */
    static job_counters counters;
    test_job job = job_for(&counters, NULL);
    LONG ran_before = counters.ran;

    job.kind = TEST_JOB_SETTINGS;
    job.settings = settings;
    assert_int_equal(front->post_job(&job), SHIM_OK);
    assert_true(counter_reaches_within(&counters.ran, ran_before + 1, TEST_DEADLINE_MS));
}

int apply_one_setting(test_front *front, size_t member_offset, unsigned value)
{
    /* Static, as apply_settings asks. */
    static test_settings settings;
    test_setting *setting = (test_setting *)((char *)&settings + member_offset);

    memset((void *)&settings, 0, sizeof settings);
    *setting = (test_setting){ TRUE, value, TEST_STATUS_PENDING };
    apply_settings(front, &settings);
    return (int)setting->status;
}

void set_stop_policy(test_front *front, shim_stop_policy policy)
{
    assert_int_equal(setting_status(front, stop_policy, (unsigned)policy), SHIM_OK);
}

void set_stop_deadline(test_front *front, unsigned milliseconds)
{
    assert_int_equal(setting_status(front, stop_deadline_ms, milliseconds), SHIM_OK);
}

void assert_either_at(long long value, long long first, long long second, const char *expression,
                      const char *file, int line)
{
    if (value == first || value == second)
        return;
    print_error("%s is %lld, expected %lld or %lld\n", expression, value, first, second);
    _fail(file, line);
}

void assert_win32_at(int succeeded, const char *expression, const char *file, int line)
{
    DWORD error = GetLastError();

    if (succeeded)
        return;
    print_error("%s failed: error %lu\n", expression, error);
    _fail(file, line);
}

size_t busy_heap_blocks(void)
{
    HANDLE heaps[64];
    DWORD count = GetProcessHeaps(64, heaps);
    size_t busy = 0;

    assert_in_range(count, 1, 64);
    for (DWORD i = 0; i < count; i++) {
        PROCESS_HEAP_ENTRY entry = { .lpData = NULL };

        if (!HeapLock(heaps[i]))
            continue;
        while (HeapWalk(heaps[i], &entry))
            if (entry.wFlags & PROCESS_HEAP_ENTRY_BUSY)
                busy++;
        HeapUnlock(heaps[i]);
    }
    return busy;
}

/* ---- Isolation of one test from the next ---- */

#define MAX_GATES 64

static HANDLE gates[MAX_GATES];
static size_t gate_count;

HANDLE new_gate(void)
{
    HANDLE gate = CreateEventW(NULL, TRUE, FALSE, NULL);

    assert_win32(gate != NULL);
    assert_in_range(gate_count, 0, MAX_GATES - 1);
    gates[gate_count++] = gate;
    return gate;
}

/* What a test may change, as the setup found it. */
static struct {
    wchar_t current_directory[TEST_PATH_CAPACITY];
    wchar_t dll_directory[TEST_PATH_CAPACITY];
    UINT error_mode;
    wchar_t *environment; /* a copy of the block: NAME=VALUE\0 ... \0 */
} saved;

/* The modules a test loads: the fronts it frees itself, then what each
 * front's session releases on its own once the front is gone. */
static const wchar_t *const freed_by_tests[] = { L"test_front.dll", L"legacy.dll", L"echo_front.dll",
                                                 L"thread_detach_freer.dll" };
static const wchar_t *const released_later[] = { L"test_worker.dll", L"legacy_worker.dll", L"echo_worker.dll",
                                                 L"legacy_orig.dll" };

static wchar_t *copy_environment(void)
{
    wchar_t *block = GetEnvironmentStringsW();
    wchar_t *copy;
    size_t length = 0;

    if (block == NULL)
        return NULL;
    while (block[length] != L'\0' || block[length + 1] != L'\0')
        length++;
    length += 2;
    copy = HeapAlloc(GetProcessHeap(), 0, length * sizeof *copy);
    if (copy != NULL)
        memcpy(copy, block, length * sizeof *copy);
    FreeEnvironmentStringsW(block);
    return copy;
}

/* Calls visit(name, value) for each variable of an environment block, with
 * `entry` as scratch space; skips the hidden per-drive "=C:" entries, which
 * follow the current directory. */
static void each_variable(const wchar_t *block, void (*visit)(const wchar_t *name, const wchar_t *value))
{
    static wchar_t entry[32768];

    for (const wchar_t *at = block; *at != L'\0'; at += wcslen(at) + 1) {
        wchar_t *equals;

        if (at[0] == L'=' || wcslen(at) >= 32768)
            continue;
        wcscpy(entry, at);
        equals = wcschr(entry, L'=');
        if (equals == NULL)
            continue;
        *equals = L'\0';
        visit(entry, equals + 1);
    }
}

static void remove_variable(const wchar_t *name, const wchar_t *value)
{
    (void)value;
    SetEnvironmentVariableW(name, NULL);
}

static void set_variable(const wchar_t *name, const wchar_t *value)
{
    SetEnvironmentVariableW(name, value);
}

int save_process_state(void **state)
{
    static bool faults_end_the_process;

    (void)state;
    /* Once per process: a fault in a DllMain (a front's detach at
     * FreeLibrary) would otherwise be caught by Wine's loader, unseen. */
    if (!faults_end_the_process && !(faults_end_the_process = end_process_at_access_violation()))
        return -1;
    gate_count = 0;
    if (GetCurrentDirectoryW(TEST_PATH_CAPACITY, saved.current_directory) == 0)
        return -1;
    if (GetDllDirectoryW(TEST_PATH_CAPACITY, saved.dll_directory) >= TEST_PATH_CAPACITY)
        return -1;
    saved.error_mode = GetErrorMode();
    saved.environment = copy_environment();
    return saved.environment != NULL ? 0 : -1;
}

/* Frees what the test left loaded and waits for its sessions to release the
 * rest. False if something of ours is still loaded after the deadline. */
static bool unload_everything(void)
{
    bool all_gone = true;

    for (size_t i = 0; i < sizeof freed_by_tests / sizeof freed_by_tests[0]; i++) {
        HMODULE module;
        for (int tries = 0; tries < 16 && (module = GetModuleHandleW(freed_by_tests[i])) != NULL; tries++) {
            complain("teardown: %ls was still loaded\n", freed_by_tests[i]);
            if (!free_library_within(module, TEST_DEADLINE_MS, NULL))
                break;
        }
        all_gone = all_gone && GetModuleHandleW(freed_by_tests[i]) == NULL;
    }
    for (size_t i = 0; i < sizeof released_later / sizeof released_later[0]; i++)
        all_gone = module_gone_within(released_later[i], TEST_DEADLINE_MS) && all_gone;
    return all_gone;
}

int restore_process_state(void **state)
{
    wchar_t *now = copy_environment();
    bool all_gone;

    (void)state;
    for (size_t i = 0; i < gate_count; i++)
        SetEvent(gates[i]);
    all_gone = unload_everything();
    /* A job still waits at its gate if its worker did not go: the gates
     * stay open for it, never closed under it. */
    if (all_gone)
        for (size_t i = 0; i < gate_count; i++)
            CloseHandle(gates[i]);
    gate_count = 0;

    SetCurrentDirectoryW(saved.current_directory);
    SetDllDirectoryW(saved.dll_directory[0] != L'\0' ? saved.dll_directory : NULL);
    SetErrorMode(saved.error_mode);
    if (now != NULL) {
        each_variable(now, remove_variable);
        HeapFree(GetProcessHeap(), 0, now);
    }
    each_variable(saved.environment, set_variable);
    HeapFree(GetProcessHeap(), 0, saved.environment);
    saved.environment = NULL;
    return all_gone && now != NULL ? 0 : -1;
}

/* ---- Torture: sizes, leak counts, child processes and the result line ---- */

/* Handle values a count looks past the highest valid one it has seen in
 * this process before it stops (see handles_by_probing). */
#define HANDLE_PROBE_WINDOW 2048u

/* Counts this process's handles by asking about each handle value in turn
 * (GetHandleInformation, one wineserver request each under Wine). Wine
 * gives a new handle the lowest free slot (alloc_entry, server/handle.c),
 * so handles stay packed from 4 up: the count stops HANDLE_PROBE_WINDOW
 * values past the highest valid one seen by any count of this process so
 * far, and misses only a handle above a hole that wide (the process had
 * that many more handles open at once, between two counts). Not
 * NtQuerySystemInformation(SystemHandleInformation): Wine 8's wineserver
 * crashes on it while any process has an empty handle table, and every
 * program connected to it then exits with status 0 (docs/wine-vs-windows.md,
 * section 21). */
static long handles_by_probing(void)
{
    static ULONG_PTR highest_seen;
    ULONG_PTR highest_valid = highest_seen;
    long count = 0;

    for (ULONG_PTR value = 4; value <= highest_valid + (ULONG_PTR)HANDLE_PROBE_WINDOW * 4; value += 4) {
        DWORD flags;

        if (GetHandleInformation((HANDLE)value, &flags)) {
            count++;
            if (value > highest_valid)
                highest_valid = value;
        }
    }
    highest_seen = highest_valid;
    return count;
}

long process_handle_count(void)
{
    DWORD count = 0;

    if (GetProcessHandleCount(GetCurrentProcess(), &count) && count != 0)
        return (long)count;
    return handles_by_probing();
}

/* ntdll's LdrEnumerateLoadedModules: its callback gets each module's loader
 * entry (not read here), with the loader lock held. */
typedef void(NTAPI *module_callback)(void *entry, void *context, BOOLEAN *stop);
typedef LONG(NTAPI *enumerate_loaded_modules_function)(void *reserved, module_callback callback,
                                                       void *context);

static void NTAPI count_module(void *entry, void *context, BOOLEAN *stop)
{
    (void)entry;
    *stop = FALSE; /* every module */
    ++*(long *)context;
}

long process_module_count(void)
{
    /* Under the loader lock: Wine's EnumProcessModules and toolhelp walk the
     * module list without it, and can loop for ever while a worker unloads
     * on its session thread (docs/wine-vs-windows.md, section 18). */
    enumerate_loaded_modules_function enumerate =
        (enumerate_loaded_modules_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                                          "LdrEnumerateLoadedModules");
    long count = 0;

    if (enumerate == NULL || enumerate(NULL, count_module, &count) < 0)
        return -1;
    return count;
}

unsigned long torture_size(const wchar_t *variable, unsigned long ci_default)
{
    wchar_t text[32];
    DWORD length = GetEnvironmentVariableW(variable, text, 32);
    unsigned long value;

    if (length == 0 || length >= 32)
        return ci_default;
    value = wcstoul(text, NULL, 10);
    return value > 0 ? value : ci_default;
}

void print_torture_result(const torture_result *result)
{
    char lost[32] = "n/a";
    char handles[32] = "n/a";
    char modules[32] = "n/a";

    if (!result->process_ends) {
        snprintf(lost, sizeof lost, "%ld", result->lost);
        snprintf(handles, sizeof handles, "%ld", result->handles_leaked);
        snprintf(modules, sizeof modules, "%ld", result->modules_leaked);
    }
    printf("torture-result: scenario=%s size=%lu cycles=%lu calls=%lu lost=%s handles_leaked=%s "
           "modules_leaked=%s failures=%ld seconds=%.1f result=%s\n",
           result->scenario, result->size, result->cycles, result->calls, lost, handles, modules,
           result->failures, result->seconds, result->passed ? "pass" : "fail");
    fflush(stdout);
}

long handles_above_baseline_after(long baseline, DWORD deadline_ms)
{
    DWORD start = GetTickCount();
    long count = process_handle_count();

    while (count > baseline && GetTickCount() - start < deadline_ms) {
        Sleep(10);
        count = process_handle_count();
    }
    return count - baseline;
}

/* Deletes every file of folder and of the folders just below it (a
 * journal folder's front folders), then those folders; the folder itself
 * stays. */
static bool empty_two_levels(const wchar_t *folder)
{
    wchar_t pattern[TEST_PATH_CAPACITY];
    wchar_t below[TEST_PATH_CAPACITY];
    WIN32_FIND_DATAW found;
    HANDLE search;
    bool emptied = empty_folder(folder);

    _snwprintf(pattern, TEST_PATH_CAPACITY, L"%ls*", folder);
    search = FindFirstFileW(pattern, &found);
    if (search == INVALID_HANDLE_VALUE)
        return emptied;
    do {
        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || wcscmp(found.cFileName, L".") == 0 ||
            wcscmp(found.cFileName, L"..") == 0)
            continue;
        _snwprintf(below, TEST_PATH_CAPACITY, L"%ls%ls\\", folder, found.cFileName);
        emptied = empty_folder(below) && emptied;
        if (!RemoveDirectoryW(below)) {
            complain("cannot remove %ls: error %lu\n", below, GetLastError());
            emptied = false;
        }
    } while (FindNextFileW(search, &found));
    FindClose(search);
    return emptied;
}

bool fresh_journal_folder(const wchar_t *name, wchar_t *folder)
{
    wchar_t journals[TEST_PATH_CAPACITY];

    _snwprintf(journals, TEST_PATH_CAPACITY, L"%lsjournals\\", bin_folder());
    _snwprintf(folder, TEST_PATH_CAPACITY, L"%ls%ls\\", journals, name);
    CreateDirectoryW(journals, NULL);
    if (!CreateDirectoryW(folder, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
        complain("cannot create %ls: error %lu\n", folder, GetLastError());
        return false;
    }
    return empty_two_levels(folder) && SetEnvironmentVariableW(L"TWINSHIM_JOURNAL_DIR", folder);
}

long journal_files_in(const wchar_t *folder, const wchar_t *pattern)
{
    wchar_t search_pattern[TEST_PATH_CAPACITY];
    wchar_t below[TEST_PATH_CAPACITY];
    WIN32_FIND_DATAW found;
    HANDLE fronts;
    long count = 0;

    _snwprintf(search_pattern, TEST_PATH_CAPACITY, L"%ls*", folder);
    fronts = FindFirstFileW(search_pattern, &found);
    if (fronts == INVALID_HANDLE_VALUE)
        return 0;
    do {
        WIN32_FIND_DATAW file;
        HANDLE files;

        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || found.cFileName[0] == L'.')
            continue;
        _snwprintf(below, TEST_PATH_CAPACITY, L"%ls%ls\\%ls", folder, found.cFileName, pattern);
        files = FindFirstFileW(below, &file);
        if (files == INVALID_HANDLE_VALUE)
            continue;
        do {
            count++;
        } while (FindNextFileW(files, &file));
        FindClose(files);
    } while (FindNextFileW(fronts, &found));
    FindClose(fronts);
    return count;
}
