#include <stdlib.h>
#include <string.h>

#include "report_html.h"

/* Latency bins: four a decade from 10 ns to 100 s. */
#define BINS_PER_DECADE 4
#define FIRST_DECADE 1 /* 10^1 ns */
#define HISTOGRAM_BINS (10 * BINS_PER_DECADE)
#define HISTOGRAMS_MAX 24
#define TIMELINE_ROWS_MAX 30
#define TIMELINE_BINS 200

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:78em}"
    "h1{font-size:1.4em;word-break:break-all}h2{font-size:1.15em;margin-top:2em}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:.15em .6em;text-align:right;border-bottom:1px solid #eee}"
    "th{cursor:pointer;background:#f4f4f4;user-select:none}"
    ".name{text-align:left;font-family:ui-monospace,monospace}"
    ".detail{text-align:left;font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}"
    ".histograms{display:flex;flex-wrap:wrap;gap:1em}"
    "figure{margin:0}figcaption{font-family:ui-monospace,monospace;font-size:.85em}"
    "svg text{font-size:10px;fill:#555}.note{color:#666;font-size:.9em}";

/* Sorts the exports table by the column clicked: by data-value when cells
 * have one, else by text; a second click reverses. */
static const char script[] =
    "document.querySelectorAll('table.sortable th').forEach(function(th,column){"
    "th.addEventListener('click',function(){var body=th.closest('table').tBodies[0];"
    "var rows=Array.from(body.rows);var down=th.dataset.down!=='1';th.dataset.down=down?'1':'0';"
    "rows.sort(function(a,b){var x=a.cells[column],y=b.cells[column];"
    "var p=x.dataset.value,q=y.dataset.value;var d=(p!==undefined&&q!==undefined)?(Number(p)-Number(q))"
    ":x.textContent.localeCompare(y.textContent);return down?-d:d;});"
    "rows.forEach(function(row){body.appendChild(row);});});});";

static void write_escaped(FILE *out, const char *text)
{
    for (; *text != '\0'; text++) {
        switch (*text) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*text, out);
        }
    }
}

static void write_duration_cell(FILE *out, const char *class_name, unsigned long long nanoseconds, bool known)
{
    char text[32];

    if (!known) {
        fprintf(out, "<td class=\"%s\" data-value=\"-1\">-</td>", class_name);
        return;
    }
    trace_format_duration(nanoseconds, text, sizeof text);
    fprintf(out, "<td class=\"%s\" data-value=\"%llu\">%s</td>", class_name, nanoseconds, text);
}

static void write_table(FILE *out, const trace *read, const trace_summary *summary)
{
    fputs("<h2>Where the time goes</h2>\n"
          "<p class=\"note\">Time inside the DLL, from the typed calls' durations; an observed call (no "
          "type, raw registers) has none. Errors: calls after which the thread's last error was not 0. "
          "Click a column to sort.</p>\n"
          "<table id=\"exports\" class=\"sortable\"><thead><tr><th class=\"name\">export</th><th>calls</th>"
          "<th>errors</th><th>p50</th><th>p99</th><th>max</th><th>total</th><th>share of time</th></tr>"
          "</thead>\n<tbody>\n",
          out);
    for (size_t index = 0; index < summary->export_count; index++) {
        const export_summary *export = &summary->exports[index];
        const char *name = read->exports[export->export_index].name;
        double share = summary->total_ns > 0 ? (double)export->total_ns / (double)summary->total_ns : 0.0;

        fputs("<tr data-export=\"", out);
        write_escaped(out, name);
        fputs("\"><td class=\"name\">", out);
        write_escaped(out, name);
        fprintf(out, "</td><td class=\"calls\" data-value=\"%zu\">%zu</td>", export->calls, export->calls);
        fprintf(out, "<td class=\"errors\" data-value=\"%zu\">%zu</td>", export->failed, export->failed);
        write_duration_cell(out, "p50", export->p50_ns, export->timed > 0);
        write_duration_cell(out, "p99", export->p99_ns, export->timed > 0);
        write_duration_cell(out, "max", export->max_ns, export->timed > 0);
        write_duration_cell(out, "total", export->total_ns, export->timed > 0);
        fprintf(out,
                "<td class=\"share\" data-value=\"%.6f\"><svg width=\"120\" height=\"10\">"
                "<rect width=\"120\" height=\"10\" fill=\"#eee\"/><rect width=\"%.1f\" height=\"10\" "
                "fill=\"#3a7\"/></svg> %.1f%%</td></tr>\n",
                share, share * 120.0, share * 100.0);
    }
    fputs("</tbody></table>\n", out);
}

/* The bin of a duration: 0 below 10 ns, HISTOGRAM_BINS - 1 from 100 s. */
static size_t bin_of(unsigned long long nanoseconds)
{
    double bound = 10.0;
    size_t bin = 0;

    while (bin + 1 < HISTOGRAM_BINS && (double)nanoseconds >= bound * 1.7782794100389228) {
        bound *= 1.7782794100389228; /* 10^(1/4) */
        bin++;
    }
    return bin;
}

static void write_histogram(FILE *out, const trace *read, const trace_summary *summary,
                            const export_summary *export)
{
    static const char *const decades[] = { "10ns", "100ns", "1us",   "10us", "100us",
                                           "1ms",  "10ms",  "100ms", "1s",   "10s" };
    size_t counts[HISTOGRAM_BINS] = { 0 };
    size_t largest = 1;
    const int width = 6;
    const int height = 60;

    for (size_t at = 0; at < export->timed; at++)
        counts[bin_of(summary->durations[export->first_duration + at])]++;
    for (size_t bin = 0; bin < HISTOGRAM_BINS; bin++)
        if (counts[bin] > largest)
            largest = counts[bin];
    fputs("<figure><figcaption>", out);
    write_escaped(out, read->exports[export->export_index].name);
    fprintf(out, " (%zu call%s)</figcaption><svg width=\"%d\" height=\"%d\">", export->timed,
            export->timed == 1 ? "" : "s", HISTOGRAM_BINS * width + 10, height + 16);
    for (size_t bin = 0; bin < HISTOGRAM_BINS; bin++)
        if (counts[bin] > 0) {
            int bar = (int)((double)counts[bin] / (double)largest * height + 0.5);

            fprintf(out,
                    "<rect x=\"%zu\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"#3a7\"><title>%zu</title></rect>",
                    bin * (size_t)width, height - (bar < 1 ? 1 : bar), width - 1, bar < 1 ? 1 : bar,
                    counts[bin]);
        }
    for (size_t decade = 0; decade < sizeof decades / sizeof decades[0]; decade += 2)
        fprintf(out, "<text x=\"%zu\" y=\"%d\">%s</text>", decade * BINS_PER_DECADE * (size_t)width,
                height + 12, decades[decade]);
    fputs("</svg></figure>\n", out);
}

static void write_histograms(FILE *out, const trace *read, const trace_summary *summary)
{
    size_t shown = 0;

    fputs("<h2>Latency per export</h2>\n<p class=\"note\">Durations on a log scale, four bins a decade; "
          "the exports with the most time first.</p>\n<div class=\"histograms\">\n",
          out);
    for (size_t index = 0; index < summary->export_count && shown < HISTOGRAMS_MAX; index++)
        if (summary->exports[index].timed > 0) {
            write_histogram(out, read, summary, &summary->exports[index]);
            shown++;
        }
    if (shown == 0)
        fputs("<p>No typed call: no durations.</p>\n", out);
    fputs("</div>\n", out);
}

/* One row of the timeline: the export's calls in TIMELINE_BINS bins of the
 * trace's span, darker where there are more; red where calls failed. */
static void write_timeline_row(FILE *out, const trace *read, const trace_summary *summary,
                               size_t export_index, int row, int label_width)
{
    size_t counts[TIMELINE_BINS] = { 0 };
    size_t failed[TIMELINE_BINS] = { 0 };
    unsigned long long span = summary->last_us - summary->first_us + 1;
    size_t largest = 1;

    for (size_t index = 0; index < read->call_count; index++)
        if (read->calls[index].export_index == export_index) {
            size_t bin = (size_t)((read->calls[index].time_us - summary->first_us) * TIMELINE_BINS / span);

            counts[bin]++;
            failed[bin] += read->calls[index].failed;
        }
    for (size_t bin = 0; bin < TIMELINE_BINS; bin++)
        if (counts[bin] > largest)
            largest = counts[bin];
    fprintf(out, "<text x=\"0\" y=\"%d\">", row * 14 + 10);
    write_escaped(out, read->exports[export_index].name);
    fputs("</text>", out);
    for (size_t bin = 0; bin < TIMELINE_BINS; bin++)
        if (counts[bin] > 0)
            fprintf(out,
                    "<rect x=\"%d\" y=\"%d\" width=\"3\" height=\"12\" fill=\"%s\" fill-opacity=\"%.2f\">"
                    "<title>%zu calls</title></rect>",
                    label_width + (int)bin * 3, row * 14, failed[bin] > 0 ? "#c33" : "#37a",
                    0.25 + 0.75 * (double)counts[bin] / (double)largest, counts[bin]);
}

static void write_timeline(FILE *out, const trace *read, const trace_summary *summary)
{
    const int label_width = 220;
    char span[32];
    size_t shown = summary->export_count;
    int rows;
    size_t *by_calls = malloc((summary->export_count + 1) * sizeof *by_calls);

    if (by_calls == NULL)
        return;
    if (shown > TIMELINE_ROWS_MAX)
        shown = TIMELINE_ROWS_MAX;
    rows = (int)shown;
    /* The exports with the most calls, in the table's order among them. */
    for (size_t index = 0; index < summary->export_count; index++)
        by_calls[index] = index;
    for (size_t index = 1; index < summary->export_count; index++)
        for (size_t at = index;
             at > 0 && summary->exports[by_calls[at]].calls > summary->exports[by_calls[at - 1]].calls;
             at--) {
            size_t swap = by_calls[at];

            by_calls[at] = by_calls[at - 1];
            by_calls[at - 1] = swap;
        }
    trace_format_duration((summary->last_us - summary->first_us) * 1000, span, sizeof span);
    fprintf(out,
            "<h2>Calls over time</h2>\n<p class=\"note\">%d export%s with the most calls, %d bins over the "
            "trace's %s; darker: more calls, red: a call failed.</p>\n<svg id=\"timeline\" width=\"%d\" "
            "height=\"%d\">",
            rows, shown == 1 ? "" : "s", TIMELINE_BINS, span, label_width + TIMELINE_BINS * 3 + 10,
            rows * 14 + 18);
    for (int row = 0; row < rows; row++)
        write_timeline_row(out, read, summary, summary->exports[by_calls[row]].export_index, row,
                           label_width);
    fprintf(out,
            "<text x=\"%d\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text></svg>\n",
            label_width, rows * 14 + 14, label_width + TIMELINE_BINS * 3, rows * 14 + 14, span);
    free(by_calls);
}

static void write_slowest(FILE *out, const trace *read)
{
    if (read->slowest_count == 0)
        return;
    fputs(
        "<h2>Slowest calls</h2>\n<table id=\"slowest\"><thead><tr><th>duration</th><th class=\"name\">export"
        "</th><th class=\"name\">ts</th><th>thread</th><th class=\"detail\">arguments -&gt; result</th></tr>"
        "</thead>\n<tbody>\n",
        out);
    for (size_t index = 0; index < read->slowest_count; index++) {
        const trace_slow_call *slow = &read->slowest[index];
        char duration[32];

        trace_format_duration(slow->call.duration_ns, duration, sizeof duration);
        fprintf(out, "<tr><td data-value=\"%llu\">%s</td><td class=\"name\">", slow->call.duration_ns,
                duration);
        write_escaped(out, read->exports[slow->call.export_index].name);
        fprintf(out, "</td><td class=\"name\">%s</td><td>%llu</td><td class=\"detail\">", slow->ts,
                slow->call.thread);
        write_escaped(out, slow->detail);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

void report_write_html(FILE *out, const char *path, const trace *read, const trace_summary *summary)
{
    char total[32];

    trace_format_duration(summary->total_ns, total, sizeof total);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>shimgen report: ", out);
    write_escaped(out, path);
    fprintf(out, "</title><style>%s</style></head>\n<body>\n<h1>", style);
    write_escaped(out, path);
    fprintf(out,
            "</h1>\n<p id=\"overview\"><span id=\"total-calls\" data-value=\"%zu\">%zu</span> calls of %zu "
            "exports on %zu thread%s; %zu typed (%s inside the DLL), %zu observed, <span id=\"total-errors\" "
            "data-value=\"%zu\">%zu</span> with a nonzero last error.",
            summary->calls, summary->calls, summary->export_count, summary->threads,
            summary->threads == 1 ? "" : "s", summary->timed, total, summary->calls - summary->timed,
            summary->failed, summary->failed);
    if (read->malformed_count > 0)
        fprintf(out, " %zu line%s skipped: not a record.", read->malformed_count,
                read->malformed_count == 1 ? "" : "s");
    fputs("</p>\n", out);
    write_table(out, read, summary);
    write_histograms(out, read, summary);
    write_timeline(out, read, summary);
    write_slowest(out, read);
    fprintf(out, "<script>%s</script>\n</body></html>\n", script);
}
