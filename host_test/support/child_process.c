#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "child_process.h"
#include "test_support.h"
#include "thread_stacks.h"

enum {
    LOG_TAIL_BYTES = 2048,
    LOG_TAIL_LINES = 12,
    TERMINATE_DEADLINE_MS = 30000,
};

/* CreateProcessW, with TWINSHIM_CHILD_WINEDEBUG as the child's WINEDEBUG
 * if it is set; ours is as it was afterwards. */
static BOOL create_process(const wchar_t *path, wchar_t *command_line, STARTUPINFOW *startup,
                           PROCESS_INFORMATION *process)
{
    enum {
        VALUE_CAPACITY = 256
    };
    static wchar_t ours[VALUE_CAPACITY];
    wchar_t childs[VALUE_CAPACITY];
    DWORD childs_length = GetEnvironmentVariableW(L"TWINSHIM_CHILD_WINEDEBUG", childs, VALUE_CAPACITY);
    DWORD ours_length;
    BOOL created;
    DWORD error;

    if (childs_length == 0 || childs_length >= VALUE_CAPACITY)
        return CreateProcessW(path, command_line, NULL, NULL, TRUE, 0, NULL, NULL, startup, process);
    ours_length = GetEnvironmentVariableW(L"WINEDEBUG", ours, VALUE_CAPACITY);
    SetEnvironmentVariableW(L"WINEDEBUG", childs);
    created = CreateProcessW(path, command_line, NULL, NULL, TRUE, 0, NULL, NULL, startup, process);
    error = GetLastError();
    SetEnvironmentVariableW(L"WINEDEBUG", ours_length != 0 && ours_length < VALUE_CAPACITY ? ours : NULL);
    SetLastError(error);
    return created;
}

bool child_start(child_process *child, const wchar_t *program, const wchar_t *arguments)
{
    SECURITY_ATTRIBUTES inherited = { .nLength = sizeof inherited, .bInheritHandle = TRUE };
    wchar_t path[TEST_PATH_CAPACITY];
    wchar_t command_line[3 * TEST_PATH_CAPACITY];
    STARTUPINFOW startup = { .cb = sizeof startup };
    PROCESS_INFORMATION process;
    HANDLE output = INVALID_HANDLE_VALUE;
    BOOL created;

    child->running = false;
    child->missed_deadline = false;
    child->exit_code = CHILD_MISSED_DEADLINE;
    child->elapsed_ms = 0;
    _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", bin_folder(), program);
    _snwprintf(command_line, 3 * TEST_PATH_CAPACITY, L"\"%ls\" %ls", path, arguments);
    if (child->description[0] == L'\0')
        _snwprintf(child->description, CHILD_DESCRIPTION_CAPACITY, L"%ls %ls", program, arguments);
    if (child->output_path[0] != L'\0') {
        output = CreateFileW(child->output_path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                             &inherited, CREATE_ALWAYS, 0, NULL);
        if (output == INVALID_HANDLE_VALUE) {
            complain("cannot create %ls: error %lu\n", child->output_path, GetLastError());
            return false;
        }
        startup.dwFlags = STARTF_USESTDHANDLES;
        startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
        startup.hStdOutput = output;
        startup.hStdError = output;
    }
    QueryPerformanceCounter(&child->started);
    /* Wine reports a process created once its Unix side is up, before any
     * DLL of the child attaches: a failed start ran no code under test. */
    created = create_process(path, command_line, &startup, &process);
    if (!created) {
        DWORD first_error = GetLastError();

        created =
            first_error == ERROR_INTERNAL_ERROR && create_process(path, command_line, &startup, &process);
        if (created)
            complain("CreateProcess(%ls) failed with error %lu and succeeded when tried again\n", path,
                     first_error);
        else
            complain("CreateProcess(%ls) failed: error %lu\n", path, GetLastError());
    }
    if (output != INVALID_HANDLE_VALUE)
        CloseHandle(output);
    if (!created)
        return false;
    CloseHandle(process.hThread);
    child->process = process.hProcess;
    child->process_id = process.dwProcessId;
    child->running = true;
    return true;
}

/* Each line of text, indented under the heading it belongs to. */
static void print_indented(const char *text)
{
    while (*text != '\0') {
        const char *end = strchr(text, '\n');
        size_t length = end != NULL ? (size_t)(end - text) : strlen(text);

        complain("    %.*s\n", (int)length, text);
        text += length + (end != NULL);
    }
}

/* The last lines of a file the child writes, however long it is. */
static void print_tail(const wchar_t *what, const wchar_t *path)
{
    HANDLE log;
    LARGE_INTEGER size;
    LARGE_INTEGER from = { .QuadPart = 0 };
    char tail[LOG_TAIL_BYTES + 1];
    DWORD read = 0;
    const char *start;
    int lines = 0;

    if (path[0] == L'\0')
        return;
    log = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                      OPEN_EXISTING, 0, NULL);
    if (log == INVALID_HANDLE_VALUE || !GetFileSizeEx(log, &size)) {
        complain("  %ls %ls: cannot be read (error %lu)\n", what, path, GetLastError());
        if (log != INVALID_HANDLE_VALUE)
            CloseHandle(log);
        return;
    }
    if (size.QuadPart > LOG_TAIL_BYTES)
        from.QuadPart = size.QuadPart - LOG_TAIL_BYTES;
    if (!SetFilePointerEx(log, from, NULL, FILE_BEGIN) || !ReadFile(log, tail, LOG_TAIL_BYTES, &read, NULL))
        read = 0;
    CloseHandle(log);
    tail[read] = '\0';
    if (read == 0) {
        complain("  %ls %ls: empty\n", what, path);
        return;
    }
    start = tail + read;
    while (start > tail && lines <= LOG_TAIL_LINES) {
        start--;
        if (*start == '\n' && start + 1 < tail + read)
            lines++;
    }
    if (lines > LOG_TAIL_LINES)
        start++;
    complain("  %ls %ls (%lld bytes), last lines:\n", what, path, (long long)size.QuadPart);
    print_indented(start);
}

static void finish(child_process *child, bool missed_deadline)
{
    QueryPerformanceCounter(&child->ended);
    child->elapsed_ms = elapsed_since(child->started);
    if (missed_deadline) {
        complain("%ls: still running after %.0f ms (its deadline: %lu ms), process %lu (%04lx)\n",
                 child->description, child->elapsed_ms, child->deadline_ms, child->process_id,
                 child->process_id);
        print_tail(L"its log", child->log_path);
        print_tail(L"its output", child->output_path);
        complain("  its threads (dbghelp, from this process):\n");
        print_thread_stacks(child->process_id);
        TerminateProcess(child->process, CHILD_MISSED_DEADLINE);
        WaitForSingleObject(child->process, TERMINATE_DEADLINE_MS);
        child->exit_code = CHILD_MISSED_DEADLINE;
    } else if (!GetExitCodeProcess(child->process, &child->exit_code)) {
        child->exit_code = CHILD_MISSED_DEADLINE;
    }
    CloseHandle(child->process);
    child->process = NULL;
    child->running = false;
    child->missed_deadline = missed_deadline;
}

int child_wait_any(child_process *children, size_t count)
{
    for (;;) {
        HANDLE handles[MAXIMUM_WAIT_OBJECTS];
        size_t index_of[MAXIMUM_WAIT_OBJECTS];
        DWORD waiting = 0;
        double soonest_ms = 0;
        DWORD waited;

        for (size_t i = 0; i < count && waiting < MAXIMUM_WAIT_OBJECTS; i++) {
            double left_ms;

            if (!children[i].running)
                continue;
            left_ms = (double)children[i].deadline_ms - elapsed_since(children[i].started);
            if (left_ms <= 0) {
                finish(&children[i], true);
                return (int)i;
            }
            soonest_ms = waiting == 0 || left_ms < soonest_ms ? left_ms : soonest_ms;
            handles[waiting] = children[i].process;
            index_of[waiting++] = i;
        }
        if (waiting == 0)
            return -1;
        waited = WaitForMultipleObjects(waiting, handles, FALSE, (DWORD)soonest_ms + 1);
        if (waited < WAIT_OBJECT_0 + waiting) {
            finish(&children[index_of[waited - WAIT_OBJECT_0]], false);
            return (int)index_of[waited - WAIT_OBJECT_0];
        }
        if (waited == WAIT_FAILED) {
            complain("WaitForMultipleObjects failed: error %lu\n", GetLastError());
            Sleep(10); /* the deadlines above still end every child */
        }
    }
}

bool run_child_within(const wchar_t *program, const wchar_t *arguments, DWORD deadline_ms, DWORD *exit_code)
{
    child_process child = { .deadline_ms = deadline_ms };

    *exit_code = CHILD_MISSED_DEADLINE;
    if (!child_start(&child, program, arguments))
        return false;
    child_wait_any(&child, 1);
    *exit_code = child.exit_code;
    return !child.missed_deadline;
}
