#include "front_state.h"

#define REPORT_CAPACITY 1024

typedef struct report_text {
    wchar_t text[REPORT_CAPACITY];
    size_t length;
} report_text;

static void append_wide(report_text *report, const wchar_t *text)
{
    while (text != NULL && *text != L'\0' && report->length + 1 < REPORT_CAPACITY)
        report->text[report->length++] = *text++;
    report->text[report->length] = L'\0';
}

static void append_ascii(report_text *report, const char *text)
{
    while (text != NULL && *text != '\0' && report->length + 1 < REPORT_CAPACITY)
        report->text[report->length++] = (wchar_t)(unsigned char)*text++;
    report->text[report->length] = L'\0';
}

static void append_number(report_text *report, unsigned long number)
{
    wchar_t digits[16];
    int count = 0;

    do {
        digits[count++] = (wchar_t)(L'0' + number % 10);
        number /= 10;
    } while (number != 0 && count < 16);
    while (count > 0 && report->length + 1 < REPORT_CAPACITY)
        report->text[report->length++] = digits[--count];
    report->text[report->length] = L'\0';
}

/* Called from DllMain: builds the text on the stack, allocates nothing. */
void shim__front_report(const char *what, int status, DWORD system_error, const wchar_t *path)
{
    report_text report = { .length = 0 };

    append_ascii(&report, "twinshim front: ");
    append_ascii(&report, what);
    append_ascii(&report, ": ");
    append_ascii(&report, shim_status_text(status));
    if (path != NULL) {
        append_ascii(&report, " (");
        append_wide(&report, path);
        append_ascii(&report, ")");
    }
    if (system_error != 0) {
        append_ascii(&report, ", Windows error ");
        append_number(&report, system_error);
    }
    append_ascii(&report, "\n");
    OutputDebugStringW(report.text);
}
