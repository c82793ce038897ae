/* The benchmark program's plumbing: its own folder, the DLLs it loads from
 * there, the clock, and the wait for a worker to be unmapped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "bench_clock.h"
#include "bench_program.h"

#define TIGHT_POLL_MS 2.0 /* see wait_unmapped */

LARGE_INTEGER bench_frequency;
wchar_t bench_exe_path[PATH_CAPACITY];
HANDLE bench_events[3];
static wchar_t bin[PATH_CAPACITY];

void fail(const char *format, ...)
{
    va_list arguments;

    fputs("twinshim_bench: ", stderr);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    fflush(stderr);
    exit(2);
}

void progress(const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fflush(stderr);
}

double now_ms(void)
{
    LARGE_INTEGER counter;

    QueryPerformanceCounter(&counter);
    return (double)counter.QuadPart * 1000.0 / (double)bench_frequency.QuadPart;
}

void bench_init_plumbing(void)
{
    DWORD length = GetModuleFileNameW(NULL, bench_exe_path, PATH_CAPACITY);

    QueryPerformanceFrequency(&bench_frequency);
    if (length == 0 || length >= PATH_CAPACITY)
        fail("cannot find my own path (error %lu)", GetLastError());
    wcscpy(bin, bench_exe_path);
    while (length > 0 && bin[length - 1] != L'\\' && bin[length - 1] != L'/')
        bin[--length] = L'\0';
    for (int i = 0; i < 3; i++) {
        bench_events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (bench_events[i] == NULL)
            fail("CreateEvent failed (error %lu)", GetLastError());
    }
}

void bin_path(const wchar_t *file, wchar_t *path)
{
    _snwprintf(path, PATH_CAPACITY, L"%ls%ls", bin, file);
    path[PATH_CAPACITY - 1] = L'\0';
}

HMODULE load_bin(const wchar_t *file)
{
    wchar_t path[PATH_CAPACITY];
    HMODULE module;

    bin_path(file, path);
    module = LoadLibraryW(path);
    if (module == NULL)
        fail("cannot load %ls (error %lu)", path, GetLastError());
    return module;
}

void (*symbol(HMODULE module, const char *name))(void)
{
    void (*address)(void) = (void (*)(void))GetProcAddress(module, name);

    if (address == NULL)
        fail("no export %s (error %lu)", name, GetLastError());
    return address;
}

BOOL image_mapped(HMODULE base)
{
    MEMORY_BASIC_INFORMATION info;

    if (VirtualQuery(base, &info, sizeof info) == 0)
        return FALSE;
    return info.State == MEM_COMMIT && info.Type == MEM_IMAGE && info.AllocationBase == (void *)base;
}

void wait_worker_ready(HMODULE worker)
{
    bench_worker_ready_function ready = (bench_worker_ready_function)symbol(worker, "bench_worker_ready");
    double start = now_ms();

    while (!ready()) {
        if (now_ms() - start > MODULE_DEADLINE_MS)
            fail("the worker session never started");
        Sleep(1);
    }
}

double wait_unmapped(HMODULE base, const wchar_t *name)
{
    double start = now_ms();
    double now;

    while (image_mapped(base)) {
        now = now_ms();
        if (now - start > MODULE_DEADLINE_MS)
            fail("%ls is still loaded %u ms after its front was freed", name, MODULE_DEADLINE_MS);
        /* Tight for the first 2 ms (an empty unload takes about 0.2 ms),
         * then once a millisecond: a poller that spins through a long drain
         * takes a share of the CPUs the drain runs on. */
        if (now - start < TIGHT_POLL_MS)
            SwitchToThread();
        else
            Sleep(1);
    }
    now = now_ms();
    if (GetModuleHandleW(name) != NULL)
        fail("%ls is unmapped but still in the module list", name);
    return now;
}

void start_run(bench_run *run, LONG target, unsigned spin_us, HANDLE finished)
{
    run->done = 0;
    run->started = 0;
    run->target = target;
    run->spin_us = spin_us;
    run->finished = finished;
    ResetEvent(finished);
}

void wait_run(bench_run *run, const char *what)
{
    if (WaitForSingleObject(run->finished, BATCH_DEADLINE_MS) != WAIT_OBJECT_0)
        fail("%s: only %ld of %ld callbacks ran", what, run->done, run->target);
}

void wait_started(bench_run *run, LONG count)
{
    double start = now_ms();

    while (InterlockedCompareExchange(&run->started, 0, 0) < count) {
        if (now_ms() - start > MODULE_DEADLINE_MS)
            fail("the gated callbacks did not start");
        Sleep(1);
    }
}

double bench_ns_per_tsc;

void bench_calibrate_tsc(void)
{
    LARGE_INTEGER qpc_start;
    LARGE_INTEGER qpc_end;
    unsigned long long tsc_start;
    unsigned long long tsc_end;

    if (bench_ns_per_tsc > 0.0)
        return;
    QueryPerformanceCounter(&qpc_start);
    tsc_start = tsc_before();
    Sleep(200);
    QueryPerformanceCounter(&qpc_end);
    tsc_end = tsc_before();
    bench_ns_per_tsc = (double)(qpc_end.QuadPart - qpc_start.QuadPart) * 1e9 /
                       (double)bench_frequency.QuadPart / (double)(tsc_end - tsc_start);
    if (!(bench_ns_per_tsc > 0.01 && bench_ns_per_tsc < 100.0))
        fail("the time-stamp counter runs at an unlikely rate (%g ns a tick)", bench_ns_per_tsc);
}

/* Calls each(path, is_folder) for every entry of folder. */
static void for_each_entry(const wchar_t *folder, void (*each)(const wchar_t *path, BOOL is_folder))
{
    wchar_t pattern[PATH_CAPACITY];
    WIN32_FIND_DATAW entry;
    HANDLE search;

    _snwprintf(pattern, PATH_CAPACITY, L"%ls\\*", folder);
    pattern[PATH_CAPACITY - 1] = L'\0';
    search = FindFirstFileW(pattern, &entry);
    if (search == INVALID_HANDLE_VALUE)
        return;
    do {
        wchar_t path[PATH_CAPACITY];

        if (wcscmp(entry.cFileName, L".") == 0 || wcscmp(entry.cFileName, L"..") == 0)
            continue;
        _snwprintf(path, PATH_CAPACITY, L"%ls\\%ls", folder, entry.cFileName);
        path[PATH_CAPACITY - 1] = L'\0';
        each(path, (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0);
    } while (FindNextFileW(search, &entry));
    FindClose(search);
}

static void delete_file(const wchar_t *path, BOOL is_folder)
{
    if (!is_folder)
        DeleteFileW(path);
}

/* A front's folder of journals: its files, then itself. */
static void delete_front_folder(const wchar_t *path, BOOL is_folder)
{
    if (!is_folder) {
        DeleteFileW(path);
        return;
    }
    for_each_entry(path, delete_file);
    RemoveDirectoryW(path);
}

void use_journal_folder(const wchar_t *name)
{
    wchar_t folder[PATH_CAPACITY];

    bin_path(L"bench_journals", folder);
    CreateDirectoryW(folder, NULL);
    _snwprintf(folder + wcslen(folder), PATH_CAPACITY - wcslen(folder), L"\\%ls", name);
    folder[PATH_CAPACITY - 1] = L'\0';
    /* It holds a folder per front (docs/journal.md), each holding files. */
    for_each_entry(folder, delete_front_folder);
    if (!CreateDirectoryW(folder, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
        fail("cannot make the journal folder %ls (error %lu)", folder, GetLastError());
    if (!SetEnvironmentVariableW(L"TWINSHIM_JOURNAL_DIR", folder))
        fail("cannot set TWINSHIM_JOURNAL_DIR (error %lu)", GetLastError());
}
