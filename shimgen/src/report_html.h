/* `shimgen report -o report.html`: one self-contained page (no network: inline
 * CSS, SVG and a few lines of script) with the summary's table (sortable),
 * a latency histogram per export, the calls over time and the slowest calls.
 * Every cell of the table carries its number in data-value, for tools and
 * for the test that reads the page back from a browser. */
#ifndef SHIMGEN_REPORT_HTML_H
#define SHIMGEN_REPORT_HTML_H

#include <stdio.h>

#include "trace_summary.h"

void report_write_html(FILE *out, const char *path, const trace *read, const trace_summary *summary);

#endif
