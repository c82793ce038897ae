/* The host test, under Wine (ctest): it loads myplugin.dll as a program would,
 * calls it from several threads, unloads it, and checks that the worker
 * logged every call once and that nothing of the plugin stays loaded. It
 * also runs itself again as a program that exits right after its calls,
 * and checks that none of them is lost: each is logged by on_exit_message
 * at the exit, or, left in the journal, by the front's next start. Every
 * wait has a deadline: a hang fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>
#include <windows.h>

#include "myplugin.h"

#define THREADS 4
#define CALLS_PER_THREAD 250
#define DEADLINE_MS 30000
#define EXIT_CHILD_ARGUMENT "--exit-after-calls"

static wchar_t folder[MAX_PATH]; /* this program's folder, where the DLLs are built */
static myplugin_add_function add;
static volatile LONG wrong_results;

static void find_own_folder(void)
{
    DWORD length = GetModuleFileNameW(NULL, folder, MAX_PATH);

    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
}

/* Deletes `path` (a folder, without its trailing backslash) and all it holds. */
static void remove_tree(const wchar_t *path)
{
    wchar_t pattern[MAX_PATH];
    wchar_t child[MAX_PATH];
    WIN32_FIND_DATAW found;
    HANDLE search;

    _snwprintf(pattern, MAX_PATH, L"%ls\\*", path);
    search = FindFirstFileW(pattern, &found);
    if (search != INVALID_HANDLE_VALUE) {
        do {
            if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0)
                continue;
            _snwprintf(child, MAX_PATH, L"%ls\\%ls", path, found.cFileName);
            if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                remove_tree(child);
            else
                DeleteFileW(child);
        } while (FindNextFileW(search, &found));
        FindClose(search);
    }
    RemoveDirectoryW(path);
}

/* Points MYPLUGIN_LOG at a new, empty file in this folder, and the journal
 * at a new, empty folder of this test's own: the next session of the front
 * would deliver again what an earlier run left in its journal. */
static void log_to(const wchar_t *name, wchar_t *path)
{
    wchar_t journal[MAX_PATH];

    _snwprintf(path, MAX_PATH, L"%ls%ls", folder, name);
    DeleteFileW(path);
    SetEnvironmentVariableW(L"MYPLUGIN_LOG", path);
    _snwprintf(journal, MAX_PATH, L"%ls%ls.journal", folder, name);
    remove_tree(journal);
    SetEnvironmentVariableW(L"TWINSHIM_JOURNAL_DIR", journal);
}

static HMODULE load_front(void)
{
    wchar_t path[MAX_PATH];
    HMODULE front;

    _snwprintf(path, MAX_PATH, L"%lsmyplugin.dll", folder);
    front = LoadLibraryW(path);
    if (front != NULL)
        add = (myplugin_add_function)(void (*)(void))GetProcAddress(front, "myplugin_add");
    return front;
}

static DWORD WINAPI call_repeatedly(void *parameter)
{
    int thread = (int)(INT_PTR)parameter;

    for (int call = 0; call < CALLS_PER_THREAD; call++)
        if (add(thread, call) != thread + call)
            InterlockedIncrement(&wrong_results);
    return 0;
}

/* THREADS threads, CALLS_PER_THREAD calls each: add(thread, call). */
static BOOL call_from_threads(void)
{
    HANDLE threads[THREADS];
    BOOL finished;

    for (int i = 0; i < THREADS; i++)
        threads[i] = CreateThread(NULL, 0, call_repeatedly, (void *)(INT_PTR)i, 0, NULL);
    finished = WaitForMultipleObjects(THREADS, threads, TRUE, DEADLINE_MS) == WAIT_OBJECT_0;
    for (int i = 0; i < THREADS; i++)
        CloseHandle(threads[i]);
    return finished && wrong_results == 0;
}

static BOOL modules_gone_within(DWORD deadline_ms)
{
    ULONGLONG start = GetTickCount64();

    while (GetModuleHandleW(L"myplugin.dll") != NULL || GetModuleHandleW(L"myplugin_worker.dll") != NULL) {
        if (GetTickCount64() - start > deadline_ms)
            return FALSE;
        Sleep(1);
    }
    return TRUE;
}

/* The log's whole text, or "" before the worker has created it. */
static size_t read_log(const wchar_t *path, char *text, size_t capacity)
{
    FILE *file = _wfopen(path, L"rb");
    size_t length = 0;

    if (file != NULL) {
        length = fread(text, 1, capacity - 1, file);
        fclose(file);
    }
    text[length] = '\0';
    return length;
}

static BOOL log_contains_within(const wchar_t *path, const char *text, DWORD deadline_ms)
{
    static char contents[1 << 20];
    ULONGLONG start = GetTickCount64();

    while (read_log(path, contents, sizeof contents), strstr(contents, text) == NULL) {
        if (GetTickCount64() - start > deadline_ms)
            return FALSE;
        Sleep(10);
    }
    return TRUE;
}

/* True when the line at `line` (up to its '\n') holds `text`. */
static BOOL line_holds(const char *line, const char *text)
{
    const char *found = strstr(line, text);
    const char *end = strchr(line, '\n');

    return found != NULL && (end == NULL || found < end);
}

/* Every call add(thread, call) has its record line; a line is repeated
 * only when process exit marked it as a possible repeat. */
static void assert_every_call_logged(const char *text)
{
    static unsigned char seen[THREADS][CALLS_PER_THREAD];
    int unmarked_repeats = 0;
    const char *line = text;

    memset(seen, 0, sizeof seen);
    while (line != NULL && *line != '\0') {
        int a, b, result;

        if (sscanf(line, "record: myplugin_add(%d, %d) = %d", &a, &b, &result) == 3) {
            assert_in_range(a, 0, THREADS - 1);
            assert_in_range(b, 0, CALLS_PER_THREAD - 1);
            assert_int_equal(result, a + b);
            if (seen[a][b] && !line_holds(line, "[possible repeat]"))
                unmarked_repeats++;
            seen[a][b] = 1;
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    for (int a = 0; a < THREADS; a++)
        for (int b = 0; b < CALLS_PER_THREAD; b++)
            if (!seen[a][b])
                fail_msg("no record of myplugin_add(%d, %d)", a, b);
    assert_int_equal(unmarked_repeats, 0);
}

static void calls_are_logged_and_nothing_stays_loaded(void **state)
{
    static char text[1 << 20];
    wchar_t log[MAX_PATH];
    char last_line[64];
    HMODULE front;

    (void)state;
    log_to(L"calls.log", log);
    front = load_front();
    assert_non_null(front);
    assert_non_null(add);
    assert_true(call_from_threads());
    assert_true(log_contains_within(log, "tick: ", DEADLINE_MS)); /* the timer runs */
    assert_true(FreeLibrary(front));
    /* FreeLibrary returned at once; the worker drains, then unloads itself. */
    assert_true(modules_gone_within(DEADLINE_MS));

    read_log(log, text, sizeof text);
    assert_every_call_logged(text);
    snprintf(last_line, sizeof last_line, "stopped: %d records\n", THREADS * CALLS_PER_THREAD);
    assert_non_null(strstr(text, last_line));
}

/* The child: calls, then returns from main with records still queued. */
static int exit_after_calls(void)
{
    return load_front() != NULL && call_from_threads() ? 0 : 1;
}

static void a_program_that_exits_after_its_calls_loses_none(void **state)
{
    static char text[1 << 20];
    HMODULE front;
    wchar_t log[MAX_PATH];
    wchar_t program[MAX_PATH];
    wchar_t command_line[2 * MAX_PATH];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION child;
    DWORD exit_code = 1;

    (void)state;
    log_to(L"exit.log", log);
    GetModuleFileNameW(NULL, program, MAX_PATH);
    _snwprintf(command_line, 2 * MAX_PATH, L"\"%ls\" " EXIT_CHILD_ARGUMENT, program);
    assert_true(CreateProcessW(program, command_line, NULL, NULL, FALSE, 0, NULL, NULL, &startup, &child));
    assert_int_equal(WaitForSingleObject(child.hProcess, DEADLINE_MS), WAIT_OBJECT_0);
    GetExitCodeProcess(child.hProcess, &exit_code);
    CloseHandle(child.hThread);
    CloseHandle(child.hProcess);
    assert_int_equal(exit_code, 0);

    /* The exit handed what it could to on_exit_message; what it could not
     * (a child that exits before on_start has run) waits in the child's
     * journal, and the front's next start delivers it, marked recovered. */
    front = load_front();
    assert_non_null(front);
    assert_true(FreeLibrary(front));
    assert_true(modules_gone_within(DEADLINE_MS));
    read_log(log, text, sizeof text);
    assert_every_call_logged(text);
}

/* require_worker: the front alone, in a folder of its own, does not load. */
static void without_its_worker_the_front_refuses_to_load(void **state)
{
    wchar_t alone[MAX_PATH];
    wchar_t source[MAX_PATH];
    wchar_t target[MAX_PATH];

    (void)state;
    _snwprintf(alone, MAX_PATH, L"%lswithout-worker\\", folder);
    _snwprintf(source, MAX_PATH, L"%lsmyplugin.dll", folder);
    _snwprintf(target, MAX_PATH, L"%lsmyplugin.dll", alone);
    CreateDirectoryW(alone, NULL);
    assert_true(CopyFileW(source, target, FALSE));
    print_message("expected below: the front's report that it refuses to load\n");
    assert_null(LoadLibraryW(target));
    assert_null(GetModuleHandleW(L"myplugin.dll"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calls_are_logged_and_nothing_stays_loaded),
        cmocka_unit_test(a_program_that_exits_after_its_calls_loses_none),
        cmocka_unit_test(without_its_worker_the_front_refuses_to_load),
    };

    find_own_folder();
    if (argc == 2 && strcmp(argv[1], EXIT_CHILD_ARGUMENT) == 0)
        return exit_after_calls();
    return cmocka_run_group_tests_name("myplugin", tests, NULL, NULL);
}
