#include <string.h>

#include "report.h"

void shim__report_wide(shim_report *report, const wchar_t *text)
{
    while (text != NULL && *text != L'\0' && report->length + 1 < SHIM_REPORT_CAPACITY)
        report->text[report->length++] = *text++;
    report->text[report->length] = L'\0';
}

void shim__report_ascii(shim_report *report, const char *text)
{
    while (text != NULL && *text != '\0' && report->length + 1 < SHIM_REPORT_CAPACITY)
        report->text[report->length++] = (wchar_t)(unsigned char)*text++;
    report->text[report->length] = L'\0';
}

void shim__report_number(shim_report *report, unsigned long long number)
{
    wchar_t digits[24];
    int count = 0;

    do {
        digits[count++] = (wchar_t)(L'0' + number % 10);
        number /= 10;
    } while (number != 0 && count < 24);
    while (count > 0 && report->length + 1 < SHIM_REPORT_CAPACITY)
        report->text[report->length++] = digits[--count];
    report->text[report->length] = L'\0';
}

extern IMAGE_DOS_HEADER __ImageBase;

#define REPORT_FILE_SUFFIX L".twinshim.log"

static void write_line(HANDLE file, const shim_report *report)
{
    char line[SHIM_REPORT_CAPACITY * 3];
    int length = WideCharToMultiByte(CP_UTF8, 0, report->text, (int)report->length, line, (int)sizeof line,
                                     NULL, NULL);
    DWORD written;

    if (length > 0)
        WriteFile(file, line, (DWORD)length, &written, NULL);
}

/* The reporting DLL's own path plus the suffix, in path (capacity MAX_PATH
 * and more); FALSE if it does not fit. */
static BOOL report_file_next_to_module(wchar_t *path, DWORD capacity)
{
    DWORD length = GetModuleFileNameW((HMODULE)&__ImageBase, path, capacity);
    size_t suffix_length = sizeof REPORT_FILE_SUFFIX / sizeof(wchar_t);

    if (length == 0 || length >= capacity || capacity - length < suffix_length)
        return FALSE;
    memcpy(path + length, REPORT_FILE_SUFFIX, suffix_length * sizeof(wchar_t));
    return TRUE;
}

static void append_to_file(const wchar_t *path, const shim_report *report)
{
    HANDLE file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL, NULL);

    if (file == INVALID_HANDLE_VALUE)
        return;
    write_line(file, report);
    CloseHandle(file);
}

static void write_to_stderr(const shim_report *report)
{
    HANDLE error_output = GetStdHandle(STD_ERROR_HANDLE);

    if (error_output != NULL && error_output != INVALID_HANDLE_VALUE)
        write_line(error_output, report);
}

void shim__report_send(const shim_report *report, shim_report_context context, shim_report_severity severity)
{
    wchar_t destination[MAX_PATH + 32];
    DWORD length = GetEnvironmentVariableW(SHIM_REPORT_VARIABLE, destination, MAX_PATH + 32);
    BOOL to_stderr = severity == SHIM_REPORT_FATAL;

    if (context == SHIM_REPORT_MAY_WAIT || IsDebuggerPresent())
        OutputDebugStringW(report->text);
    if (length > 0 && length < MAX_PATH + 32) {
        BOOL next_to_module = lstrcmpiW(destination, L"file") == 0;

        if (lstrcmpiW(destination, L"stderr") == 0)
            to_stderr = TRUE;
        else if (!next_to_module || report_file_next_to_module(destination, MAX_PATH + 32))
            append_to_file(destination, report); /* "file" resolved, or a path as given */
    }
    if (to_stderr)
        write_to_stderr(report);
}
