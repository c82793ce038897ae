/* Helpers the journal's tests share (journal_support.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "journal_support.h"

void use_tally(numbered_tally *tally)
{
    wchar_t text[32];

    memset((void *)tally, 0, sizeof *tally);
    _snwprintf(text, 32, L"%llu", (unsigned long long)(ULONG_PTR)tally);
    assert_win32(SetEnvironmentVariableW(TEST_TALLY_VARIABLE, text));
}

void run_journal_writer(const wchar_t *arguments, DWORD expected_exit_code)
{
    DWORD exit_code = 0;

    assert_true(run_child_within(JOURNAL_WRITER_CHILD, arguments, JOURNAL_CHILD_DEADLINE_MS, &exit_code));
    if (exit_code != expected_exit_code)
        print_error("journal_writer_child.exe %ls: exit code %#lx, expected %#lx\n", arguments, exit_code,
                    expected_exit_code);
    assert_int_equal(exit_code, expected_exit_code);
}

void leave_dead_journal(const wchar_t *front_folder, unsigned first, unsigned count)
{
    wchar_t arguments[2 * TEST_PATH_CAPACITY];

    /* The folder ends in a backslash: doubled before the closing quote. */
    _snwprintf(arguments, 2 * TEST_PATH_CAPACITY, L"write \"%ls\\\" %u %u", front_folder, first, count);
    run_journal_writer(arguments, WRITER_CHILD_TERMINATED);
}

void front_journal_folder(const wchar_t *journals, const wchar_t *except, wchar_t *folder)
{
    wchar_t pattern[TEST_PATH_CAPACITY];
    WIN32_FIND_DATAW found;
    HANDLE search;
    int count = 0;

    _snwprintf(pattern, TEST_PATH_CAPACITY, L"%lstest_front.dll-*", journals);
    search = FindFirstFileW(pattern, &found);
    assert_true(search != INVALID_HANDLE_VALUE);
    do {
        wchar_t candidate[TEST_PATH_CAPACITY];

        _snwprintf(candidate, TEST_PATH_CAPACITY, L"%ls%ls\\", journals, found.cFileName);
        if (except != NULL && _wcsicmp(candidate, except) == 0)
            continue;
        wcscpy(folder, candidate);
        count++;
    } while (FindNextFileW(search, &found));
    FindClose(search);
    assert_int_equal(count, 1);
}

void only_file(const wchar_t *folder, const wchar_t *pattern, wchar_t *path)
{
    wchar_t search_pattern[TEST_PATH_CAPACITY];
    WIN32_FIND_DATAW found;
    HANDLE search;
    int count = 0;

    _snwprintf(search_pattern, TEST_PATH_CAPACITY, L"%ls%ls", folder, pattern);
    search = FindFirstFileW(search_pattern, &found);
    assert_true(search != INVALID_HANDLE_VALUE);
    do {
        _snwprintf(path, TEST_PATH_CAPACITY, L"%ls%ls", folder, found.cFileName);
        count++;
    } while (FindNextFileW(search, &found));
    FindClose(search);
    assert_int_equal(count, 1);
}

unsigned char *read_whole_file(const wchar_t *path, size_t *size)
{
    HANDLE file =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER length;
    unsigned char *bytes;
    DWORD read = 0;

    assert_true(file != INVALID_HANDLE_VALUE);
    assert_win32(GetFileSizeEx(file, &length));
    assert_in_range(length.QuadPart, 0, 64 * 1024 * 1024);
    bytes = malloc((size_t)length.QuadPart + 1);
    assert_non_null(bytes);
    assert_win32(ReadFile(file, bytes, (DWORD)length.QuadPart, &read, NULL));
    CloseHandle(file);
    assert_int_equal(read, (DWORD)length.QuadPart);
    *size = (size_t)length.QuadPart;
    return bytes;
}

void write_whole_file(const wchar_t *path, const void *bytes, size_t size)
{
    HANDLE file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD written = 0;

    assert_true(file != INVALID_HANDLE_VALUE);
    assert_win32(size == 0 || WriteFile(file, bytes, (DWORD)size, &written, NULL));
    CloseHandle(file);
    assert_int_equal(written, (DWORD)size);
}

bool file_exists(const wchar_t *path)
{
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

char *read_report(const wchar_t *path)
{
    size_t size;
    char *text;

    if (!file_exists(path)) {
        text = calloc(1, 1);
        assert_non_null(text);
        return text;
    }
    text = (char *)read_whole_file(path, &size);
    text[size] = '\0';
    return text;
}

void assert_reported_within(const wchar_t *report_path, const char *text)
{
    DWORD start = GetTickCount();

    for (;;) {
        char *report = read_report(report_path);
        const char *line = strstr(report, text);
        bool found = line != NULL;
        bool late = !found && GetTickCount() - start > TEST_DEADLINE_MS;

        if (found)
            print_message("  reported: %s", line);
        if (late)
            print_error("no report line with \"%s\" in:\n%s\n", text, report);
        free(report);
        if (found)
            return;
        assert_false(late);
        Sleep(1);
    }
}

void unload_test_front(const test_front *front)
{
    assert_true(free_library_within(front->module, TEST_DEADLINE_MS, NULL));
    assert_true(module_gone_within(L"test_worker.dll", TEST_DEADLINE_MS));
}
