/* A sink's report lines, one per event that a person running the program
 * should see: "twinshim sink relp://127.0.0.1:2514: connection refused
 * (error 10061); 12 records kept, next attempt in 0.4 s". They go where
 * every twinshim report goes (TWINSHIM_REPORT, a debugger). Built on the
 * stack: no allocation. */
#ifndef TWINSHIM_SINKS_SINK_REPORT_H
#define TWINSHIM_SINKS_SINK_REPORT_H

#include "../common/report.h"
#include "sink_internal.h"

/* Starts a line: "twinshim sink <label>: ". */
void shim__sink_report_begin(shim_report *report, const shim_sink *sink);

/* Appends octets as text: line breaks as \n and \r, any other octet that
 * is not printable ASCII as '?'; at most `most` of them, cut with "..."
 * when longer. */
void shim__sink_report_octets(shim_report *report, const char *octets, size_t length, size_t most);

/* Appends a duration: "250 ms" below a second, else "2.5 s". */
void shim__sink_report_seconds(shim_report *report, unsigned milliseconds);

/* Ends the line and sends it (from a pool or session thread: it may wait). */
void shim__sink_report_send(shim_report *report);

#endif
