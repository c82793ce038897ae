/* Reports for people: a line of text built on the stack (no allocation, so
 * it works inside DllMain and at process exit), and where it is sent. */
#ifndef TWINSHIM_REPORT_H
#define TWINSHIM_REPORT_H

#include <stddef.h>
#include <wchar.h>

#include <windows.h>

#define SHIM_REPORT_CAPACITY 1024

typedef struct shim_report {
    wchar_t text[SHIM_REPORT_CAPACITY];
    size_t length;
} shim_report;

/* Each appends, truncating at the capacity; the text stays terminated. */
void shim__report_ascii(shim_report *report, const char *text);
void shim__report_wide(shim_report *report, const wchar_t *text);
void shim__report_number(shim_report *report, unsigned long long number);

/* How a report may be sent. */
typedef enum shim_report_context {
    /* Any thread outside DllMain: OutputDebugString, which may wait. */
    SHIM_REPORT_MAY_WAIT,
    /* Under the loader lock or at process exit: OutputDebugString waits
     * there on the DBWinMutex and its buffer events (up to 10 s on Windows
     * with a listener), so the report goes only to an attached debugger,
     * which takes it as an exception without that wait. */
    SHIM_REPORT_NO_WAIT
} shim_report_context;

/* How much a report matters to the person running the program. */
typedef enum shim_report_severity {
    /* Pass-through, start failures, losses at exit: the program still works. */
    SHIM_REPORT_NOTICE,
    /* The front refuses to load, so the program fails to start or its
     * LoadLibrary fails: also written to the process's standard error. */
    SHIM_REPORT_FATAL
} shim_report_severity;

/* The environment variable that makes reports visible without a debugger:
 * "stderr" (the process's standard error), "file" (a file next to the
 * reporting DLL, named after it: legacy.dll.twinshim.log), or an absolute
 * path to append to. */
#define SHIM_REPORT_VARIABLE L"TWINSHIM_REPORT"

/* Sends the report to a debugger (see the context), and where
 * SHIM_REPORT_VARIABLE says. Writes are appends of the whole line. */
void shim__report_send(const shim_report *report, shim_report_context context, shim_report_severity severity);

#endif
