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

void shim__report_send(const shim_report *report, shim_report_context context)
{
    if (context == SHIM_REPORT_MAY_WAIT || IsDebuggerPresent())
        OutputDebugStringW(report->text);
}
