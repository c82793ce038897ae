#include "sink_report.h"

void shim__sink_report_begin(shim_report *report, const shim_sink *sink)
{
    report->length = 0;
    report->text[0] = L'\0';
    shim__report_ascii(report, "twinshim sink ");
    shim__report_wide(report, sink->label);
    shim__report_ascii(report, ": ");
}

void shim__sink_report_octets(shim_report *report, const char *octets, size_t length, size_t most)
{
    char text[2] = { 0, 0 };

    for (size_t at = 0; at < length && at < most; at++) {
        char c = octets[at]; /* above 126 fails the test, signed or not */

        text[0] = '?';
        if (c >= 32 && c < 127)
            text[0] = c;
        shim__report_ascii(report, c == '\n' ? "\\n" : c == '\r' ? "\\r" : text);
    }
    if (length > most)
        shim__report_ascii(report, "...");
}

void shim__sink_report_seconds(shim_report *report, unsigned milliseconds)
{
    char tenth[2] = { (char)('0' + milliseconds / 100u % 10u), 0 };

    if (milliseconds < 1000u) {
        shim__report_number(report, milliseconds);
        shim__report_ascii(report, " ms");
        return;
    }
    shim__report_number(report, milliseconds / 1000u);
    shim__report_ascii(report, ".");
    shim__report_ascii(report, tenth);
    shim__report_ascii(report, " s");
}

void shim__sink_report_send(shim_report *report)
{
    shim__report_ascii(report, "\n");
    shim__report_send(report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}
