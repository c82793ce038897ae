#include <string.h>

#include "command_line.h"
#include "exit_codes.h"
#include "report_command.h"
#include "report_html.h"
#include "trace_summary.h"

int report_run(const char *path, const char *html_path, FILE *out, error_message *error)
{
    trace read;
    trace_summary summary;
    int rc = trace_read(path, &read, error);

    memset(&summary, 0, sizeof summary);
    if (rc == 0 && trace_summarize(&read, &summary) != 0)
        rc = error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    if (rc == 0 && read.call_count == 0)
        fprintf(out, "%s: no calls\n", path);
    else if (rc == 0)
        trace_print_summary(out, path, &read, &summary);
    if (rc == 0 && html_path != NULL) {
        FILE *html = fopen(html_path, "w");

        if (html == NULL) {
            rc = error_set(error, SHIMGEN_EXIT_OUTPUT, "-o %s: cannot be written", html_path);
        } else {
            report_write_html(html, path, &read, &summary);
            if (fclose(html) != 0)
                rc = error_set(error, SHIMGEN_EXIT_OUTPUT, "-o %s: cannot be written", html_path);
        }
    }
    trace_summary_free(&summary);
    trace_free(&read);
    return rc;
}

const char report_usage[] = "usage: shimgen report TRACE [-o report.html]\n";

const char report_help[] = "\n"
                           "Summarises a trace, the JSON Lines the generated worker writes (one record\n"
                           "a call; docs/shimgen.md names the fields): per export the calls, the calls\n"
                           "after which the last error was not 0, the duration's p50, p99 and maximum\n"
                           "and the total time, the exports with the most time first; then the slowest\n"
                           "calls. Observed calls (no type) have no duration. Lines that are not\n"
                           "records (a line cut by a crash) are counted and skipped.\n"
                           "  -o, --output FILE  also write a self-contained HTML page: the table, a\n"
                           "                     latency histogram per export, the calls over time\n"
                           "  --help             this text\n";

int report_main(int argc, char **argv)
{
    const char *path = NULL;
    const char *html_path = NULL;
    error_message error = { "" };

    for (int index = 1; index < argc; index++) {
        if (command_asks_for_help(argv[index])) {
            printf("%s%s\n%s", report_usage, report_help, command_exit_codes_help);
            return SHIMGEN_EXIT_OK;
        }
        if (strcmp(argv[index], "-o") == 0 || strcmp(argv[index], "--output") == 0) {
            if (index + 1 >= argc)
                return command_usage_error(report_usage, "report: %s needs a value", argv[index]);
            html_path = argv[++index];
        } else if (command_is_option(argv[index])) {
            return command_usage_error(report_usage, "report: unknown option %s", argv[index]);
        } else if (path != NULL) {
            return command_usage_error(report_usage, "report: one TRACE only, but got %s and %s", path,
                                       argv[index]);
        } else {
            path = argv[index];
        }
    }
    if (path == NULL)
        return command_usage_error(report_usage, "report: no TRACE given");
    return command_report(report_run(path, html_path, stdout, &error), path, &error);
}
