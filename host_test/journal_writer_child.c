/* A program that leaves a dead journal behind, and one that recovers dead
 * journals, with test_front.dll and test_worker.dll of a fixture folder
 * (host_test/test_journal_recovery.c, host_test/journal-full-disk.sh):
 *   journal_writer_child.exe write <folder> <first> <count> [<size> [live]]
 *       holds the session's start (TWINSHIM_TEST_HOLD_START), posts numbered
 *       messages first .. first + count - 1 of <size> bytes (8 to 32;
 *       default 8), then TerminateProcess on itself: every message is in
 *       its journal, none delivered. With "live", the start is not held:
 *       the session delivers while the messages are posted, and the
 *       journal is left as the death found it (the fuzzer's seeds);
 *   journal_writer_child.exe recover <folder> <tally file> [<ready> <go>]
 *       loads the front, frees it and waits until its worker is gone (the
 *       session delivered what the dead journals of its front held), then
 *       writes its numbered_tally to <tally file>. With the names of two
 *       events, it sets <ready> once the front is loaded, and its session's
 *       start waits for <go> (so that two recoverers look at the same
 *       journals at the same moment);
 *   journal_writer_child.exe exit-while-recovering <folder> <first> <count> <tally file>
 *       counts into a tally mapped from <tally file> (so that it outlives
 *       the process) and holds on_message of every recovered message
 *       (TWINSHIM_TEST_RECOVERED_GATE, never set); loads the front, waits
 *       until a callback is held inside the first recovered message, posts
 *       numbered messages first .. first + count - 1 of its own, then
 *       returns from main: what the exit hands to on_exit_message is
 *       marked in the tally;
 *   journal_writer_child.exe on-memory <folder> <count>
 *       loads the front, checks that its session runs on a memory journal,
 *       posts <count> numbered messages of 32 bytes (waiting for room when
 *       the journal is full) and checks that each was delivered once.
 * The journal folder is TWINSHIM_JOURNAL_DIR, as the parent set it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "journal_support.h"
#include "test_support.h"

static numbered_tally tally;
/* Events the session's start waits for, kept for the life of the process. */
static HANDLE start_event;
/* Never set: a recovered message's on_message waits for it until the exit
 * ends its thread. */
static HANDLE recovered_gate;

/* A fault in this child (or in the runtime it loaded) is said on standard
 * error, with the module it happened in, before the process ends with the
 * exception's code: the test prints it. */
static LONG WINAPI say_where_it_failed(EXCEPTION_POINTERS *exception)
{
    const EXCEPTION_RECORD *record = exception->ExceptionRecord;
    wchar_t module_path[MAX_PATH] = L"?";
    HMODULE module = NULL;

    if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           (LPCWSTR)record->ExceptionAddress, &module))
        GetModuleFileNameW(module, module_path, MAX_PATH);
    fprintf(stderr, "journal_writer_child: exception %#lx at %p (%ls+%#llx), thread %lu\n",
            (unsigned long)record->ExceptionCode, record->ExceptionAddress, module_path,
            (unsigned long long)((ULONG_PTR)record->ExceptionAddress - (ULONG_PTR)module),
            GetCurrentThreadId());
    if (record->ExceptionCode == EXCEPTION_ACCESS_VIOLATION && record->NumberParameters >= 2)
        fprintf(stderr, "journal_writer_child: %s address %#llx\n",
                record->ExceptionInformation[0] ? "writing" : "reading",
                (unsigned long long)record->ExceptionInformation[1]);
    fflush(stderr);
    return EXCEPTION_EXECUTE_HANDLER;
}

static int set_variable_to_address(const wchar_t *variable, const void *address)
{
    wchar_t text[32];

    _snwprintf(text, 32, L"%llu", (unsigned long long)(ULONG_PTR)address);
    return SetEnvironmentVariableW(variable, text);
}

static int set_tally_variable(void)
{
    return set_variable_to_address(TEST_TALLY_VARIABLE, &tally);
}

static int write_and_die(const wchar_t *folder, UINT32 first, UINT32 count, size_t size, BOOL live)
{
    unsigned char message[32];
    shim_session_counters counters;
    test_front front;

    if (size < sizeof(numbered_message) || size > sizeof message)
        return WRITER_CHILD_BAD_USAGE;
    /* Never set: on_start waits for it until the process is gone. */
    start_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (start_event == NULL)
        return WRITER_CHILD_SETUP_FAILED;
    if ((!live && !set_variable_to_address(TEST_WORKER_HOLD_START_VARIABLE, start_event)) ||
        !set_tally_variable() || !load_test_front(folder, &front) || front.status(NULL) != SHIM_OK)
        return WRITER_CHILD_SETUP_FAILED;
    for (UINT32 i = 0; i < count; i++) {
        fill_numbered_message(message, first + i, size);
        if (front.post_raw(message, size) != SHIM_OK)
            return WRITER_CHILD_POST_FAILED;
    }
    /* Held: nothing was delivered, the journal holds every message. */
    if (front.get_counters(&counters) != SHIM_OK || counters.journal != SHIM_JOURNAL_FILE ||
        (!live && counters.completed != 0))
        return WRITER_CHILD_SETUP_FAILED;
    TerminateProcess(GetCurrentProcess(), WRITER_CHILD_TERMINATED);
    return WRITER_CHILD_SETUP_FAILED;
}

static int recover(const wchar_t *folder, const wchar_t *tally_path, const wchar_t *ready_name,
                   const wchar_t *go_name)
{
    test_front front;
    HANDLE file;
    DWORD written = 0;

    if (go_name != NULL) {
        start_event = OpenEventW(SYNCHRONIZE, FALSE, go_name);
        if (start_event == NULL || !set_variable_to_address(TEST_WORKER_HOLD_START_VARIABLE, start_event))
            return WRITER_CHILD_SETUP_FAILED;
    }
    if (!set_tally_variable() || !load_test_front(folder, &front))
        return WRITER_CHILD_SETUP_FAILED;
    if (ready_name != NULL) {
        HANDLE ready = OpenEventW(EVENT_MODIFY_STATE, FALSE, ready_name);

        if (ready == NULL || !SetEvent(ready))
            return WRITER_CHILD_SETUP_FAILED;
        CloseHandle(ready);
    }
    /* The stop drains every journal the session took over. */
    FreeLibrary(front.module);
    if (!module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS))
        return WRITER_CHILD_SETUP_FAILED;
    file = CreateFileW(tally_path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return WRITER_CHILD_SETUP_FAILED;
    if (!WriteFile(file, &tally, sizeof tally, &written, NULL) || written != sizeof tally) {
        CloseHandle(file);
        return WRITER_CHILD_SETUP_FAILED;
    }
    CloseHandle(file);
    return WRITER_CHILD_DONE;
}

/* A tally in a file mapping of its own, zeroed: what the worker counts
 * into it is in the file however the process ends. */
static numbered_tally *map_tally_file(const wchar_t *path)
{
    HANDLE file =
        CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, 0, NULL);
    HANDLE mapping;
    numbered_tally *mapped;

    if (file == INVALID_HANDLE_VALUE)
        return NULL;
    mapping = CreateFileMappingW(file, NULL, PAGE_READWRITE, 0, sizeof *mapped, NULL);
    CloseHandle(file);
    if (mapping == NULL)
        return NULL;
    mapped = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, sizeof *mapped);
    CloseHandle(mapping);
    if (mapped != NULL)
        memset((void *)mapped, 0, sizeof *mapped);
    return mapped;
}

static int exit_while_recovering(const wchar_t *folder, UINT32 first, UINT32 count, const wchar_t *tally_path)
{
    numbered_tally *mapped = map_tally_file(tally_path);
    unsigned char message[sizeof(numbered_message)];
    test_front front;
    DWORD start;

    recovered_gate = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (mapped == NULL || recovered_gate == NULL || !set_variable_to_address(TEST_TALLY_VARIABLE, mapped) ||
        !set_variable_to_address(TEST_WORKER_RECOVERED_GATE_VARIABLE, recovered_gate) ||
        !load_test_front(folder, &front) || front.status(NULL) != SHIM_OK)
        return WRITER_CHILD_SETUP_FAILED;
    for (start = GetTickCount(); InterlockedCompareExchange(&mapped->held, 0, 0) == 0; Sleep(1)) {
        if (GetTickCount() - start > TEST_DEADLINE_MS)
            return WRITER_CHILD_SETUP_FAILED;
    }
    for (UINT32 i = 0; i < count; i++) {
        fill_numbered_message(message, first + i, sizeof message);
        if (front.post_raw(message, sizeof message) != SHIM_OK)
            return WRITER_CHILD_POST_FAILED;
    }
    return WRITER_CHILD_EXITED;
}

static int run_on_memory(const wchar_t *folder, UINT32 count)
{
    unsigned char message[32];
    shim_session_counters counters;
    test_front front;
    DWORD start;

    if (count > TEST_TALLY_NUMBERS)
        return WRITER_CHILD_BAD_USAGE;
    if (!set_tally_variable() || !load_test_front(folder, &front) || front.status(NULL) != SHIM_OK ||
        front.get_counters(&counters) != SHIM_OK)
        return WRITER_CHILD_SETUP_FAILED;
    printf("journal: %s\n", counters.journal == SHIM_JOURNAL_MEMORY ? "memory" : "file");
    if (counters.journal != SHIM_JOURNAL_MEMORY)
        return WRITER_CHILD_NOT_ON_MEMORY;
    for (UINT32 i = 0; i < count; i++) {
        fill_numbered_message(message, i, sizeof message);
        if (front.post_raw(message, sizeof message) != SHIM_OK)
            return WRITER_CHILD_POST_FAILED;
    }
    for (start = GetTickCount(); InterlockedCompareExchange(&tally.delivered, 0, 0) < (LONG)count;) {
        if (GetTickCount() - start > TEST_DEADLINE_MS)
            break;
        Sleep(1);
    }
    front.get_counters(&counters);
    FreeLibrary(front.module);
    if (!module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS))
        return WRITER_CHILD_SETUP_FAILED;
    printf("posted %lu, delivered %ld, dropped %lld, damaged %ld\n", (unsigned long)count, tally.delivered,
           counters.dropped, tally.damaged);
    for (UINT32 i = 0; i < count; i++) {
        if (tally.seen[i] != 1) {
            printf("message %lu delivered %ld times\n", (unsigned long)i, tally.seen[i]);
            return WRITER_CHILD_LOST;
        }
    }
    return tally.delivered == (LONG)count && tally.damaged == 0 && counters.dropped == 0 ? WRITER_CHILD_DONE
                                                                                         : WRITER_CHILD_LOST;
}

int wmain(int argc, wchar_t **argv)
{
    SetUnhandledExceptionFilter(say_where_it_failed);
    if (argc >= 5 && wcscmp(argv[1], L"write") == 0)
        return write_and_die(argv[2], (UINT32)wcstoul(argv[3], NULL, 10), (UINT32)wcstoul(argv[4], NULL, 10),
                             argc >= 6 ? (size_t)wcstoul(argv[5], NULL, 10) : sizeof(numbered_message),
                             argc >= 7 && wcscmp(argv[6], L"live") == 0);
    if ((argc == 4 || argc == 6) && wcscmp(argv[1], L"recover") == 0)
        return recover(argv[2], argv[3], argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
    if (argc == 6 && wcscmp(argv[1], L"exit-while-recovering") == 0)
        return exit_while_recovering(argv[2], (UINT32)wcstoul(argv[3], NULL, 10),
                                     (UINT32)wcstoul(argv[4], NULL, 10), argv[5]);
    if (argc == 4 && wcscmp(argv[1], L"on-memory") == 0)
        return run_on_memory(argv[2], (UINT32)wcstoul(argv[3], NULL, 10));
    return WRITER_CHILD_BAD_USAGE;
}
