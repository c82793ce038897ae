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

static void complain(const char *format, ...)
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

bool load_test_front(const wchar_t *folder, test_front *front)
{
    front->module = load_from(folder, L"test_front.dll");
    if (front->module == NULL)
        return false;
    front->post_job = (test_post_job_function)symbol_of(front->module, "test_front_post_job");
    front->status = (test_status_function)symbol_of(front->module, "test_front_status");
    front->set_stop_policy =
        (test_set_stop_policy_function)symbol_of(front->module, "test_front_set_stop_policy");
    front->set_stop_deadline =
        (test_set_stop_deadline_function)symbol_of(front->module, "test_front_set_stop_deadline");
    front->get_counters = (test_get_counters_function)symbol_of(front->module, "test_front_get_counters");
    front->multiply = (test_multiply_function)symbol_of(front->module, "test_front_multiply");
    return front->post_job && front->status && front->set_stop_policy && front->set_stop_deadline &&
           front->get_counters && front->multiply;
}

test_job job_for(job_counters *counters, HANDLE gate)
{
    test_job job = {
        .started = &counters->started,
        .ran = &counters->ran,
        .cancelled = &counters->cancelled,
        .saw_stop = &counters->saw_stop,
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

/* ---- The torture suite (issue 6) ---- */

#define SYSTEM_HANDLE_INFORMATION_CLASS 16
#define STATUS_INFO_LENGTH_MISMATCH_VALUE ((LONG)0xC0000004L)

/* The layout of SystemHandleInformation, as Windows and Wine return it. */
typedef struct system_handle_entry {
    ULONG owner_process_id;
    BYTE object_type;
    BYTE flags;
    USHORT handle;
    void *object;
    ACCESS_MASK granted_access;
} system_handle_entry;

typedef struct system_handle_table {
    ULONG count;
    system_handle_entry entries[1];
} system_handle_table;

typedef LONG(WINAPI *query_system_information_function)(ULONG, void *, ULONG, ULONG *);

static long handles_from_system_table(void)
{
    query_system_information_function query =
        (query_system_information_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                                          "NtQuerySystemInformation");
    ULONG capacity = 1 << 20;
    long count = -1;

    if (query == NULL)
        return -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        system_handle_table *table = HeapAlloc(GetProcessHeap(), 0, capacity);
        ULONG needed = 0;
        LONG status;

        if (table == NULL)
            return -1;
        status = query(SYSTEM_HANDLE_INFORMATION_CLASS, table, capacity, &needed);
        if (status == STATUS_INFO_LENGTH_MISMATCH_VALUE) {
            HeapFree(GetProcessHeap(), 0, table);
            capacity = needed > capacity ? needed + 65536 : capacity * 2;
            continue;
        }
        if (status >= 0) {
            DWORD self = GetCurrentProcessId();
            count = 0;
            for (ULONG i = 0; i < table->count; i++)
                if (table->entries[i].owner_process_id == self)
                    count++;
        }
        HeapFree(GetProcessHeap(), 0, table);
        break;
    }
    return count;
}

long process_handle_count(void)
{
    DWORD count = 0;

    if (GetProcessHandleCount(GetCurrentProcess(), &count) && count != 0)
        return (long)count;
    return handles_from_system_table();
}

typedef BOOL(WINAPI *enum_process_modules_function)(HANDLE, HMODULE *, DWORD, DWORD *);

long process_module_count(void)
{
    enum_process_modules_function enumerate =
        (enum_process_modules_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                                      "K32EnumProcessModules");
    static HMODULE modules[1024];
    DWORD needed = 0;

    if (enumerate == NULL || !enumerate(GetCurrentProcess(), modules, sizeof modules, &needed))
        return -1;
    /* HMODULE points to an opaque struct: its size is the array's element size. */
    return (long)(needed / sizeof modules[0]); /* NOLINT(bugprone-sizeof-expression) */
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

bool run_child_within(const wchar_t *program, const wchar_t *arguments, DWORD deadline_ms, DWORD *exit_code)
{
    wchar_t path[TEST_PATH_CAPACITY];
    wchar_t command_line[3 * TEST_PATH_CAPACITY];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION process;
    DWORD waited;

    *exit_code = 0xdead;
    _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", bin_folder(), program);
    _snwprintf(command_line, 3 * TEST_PATH_CAPACITY, L"\"%ls\" %ls", path, arguments);
    if (!CreateProcessW(path, command_line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process)) {
        complain("CreateProcess(%ls) failed: error %lu\n", path, GetLastError());
        return false;
    }
    waited = WaitForSingleObject(process.hProcess, deadline_ms);
    if (waited != WAIT_OBJECT_0) {
        complain("%ls %ls did not exit within %lu ms\n", program, arguments, deadline_ms);
        TerminateProcess(process.hProcess, 0xdead);
        WaitForSingleObject(process.hProcess, TEST_DEADLINE_MS);
    } else {
        GetExitCodeProcess(process.hProcess, exit_code);
    }
    CloseHandle(process.hThread);
    CloseHandle(process.hProcess);
    return waited == WAIT_OBJECT_0;
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
