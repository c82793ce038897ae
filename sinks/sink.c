/* The public functions: each checks its arguments and hands the sink to
 * its kind. */
#include <string.h>

#include "sink_report.h"

void shim__sink_init(shim_sink *sink, const sink_operations *operations, shim_session *session,
                     const wchar_t *label, const shim_sink_options *options)
{
    size_t length = 0;

    sink->operations = operations;
    sink->session = session;
    sink->options = *options;
    if (sink->options.facility == 0)
        sink->options.facility = SHIM__SINK_DEFAULT_FACILITY;
    if (sink->options.severity == 0)
        sink->options.severity = SHIM__SINK_DEFAULT_SEVERITY;
    if (sink->options.capacity == 0)
        sink->options.capacity = SHIM__SINK_DEFAULT_CAPACITY;
    while (options->app_name != NULL && options->app_name[length] != '\0' &&
           length + 1 < sizeof sink->app_name) {
        sink->app_name[length] = options->app_name[length];
        length++;
    }
    sink->app_name[length] = '\0';
    sink->options.app_name = sink->app_name;
    length = 0;
    while (label[length] != L'\0' && length + 1 < SHIM__SINK_LABEL_CAPACITY) {
        sink->label[length] = label[length];
        length++;
    }
    sink->label[length] = L'\0';
}

/* Counts a durable record. */
static void count_durable(shim_sink *sink, unsigned long long sequence)
{
    InterlockedIncrement64(&sink->durable);
    InterlockedExchange64(&sink->last_durable_sequence, (LONG64)sequence);
}

int shim__sink_durable(shim_sink *sink, unsigned long long ticket, unsigned long long sequence)
{
    int status = SHIM_OK;

    if (sink->options.on_durable != NULL)
        sink->options.on_durable(sink->options.context, ticket);
    else
        status = shim_message_finish(sink->session, ticket);
    if (status == SHIM_OK)
        count_durable(sink, sequence);
    return status;
}

/* A sink that could not open says why, once, with its target. */
static void report_refused_target(const wchar_t *target, const char *problem)
{
    shim_report report = { .length = 0 };

    shim__report_ascii(&report, "twinshim sink ");
    shim__report_wide(&report, target != NULL ? target : L"(none)");
    shim__report_ascii(&report, ": ");
    shim__report_ascii(&report, problem);
    shim__report_ascii(&report, "\n");
    shim__report_send(&report, SHIM_REPORT_MAY_WAIT, SHIM_REPORT_NOTICE);
}

int shim_sink_open(shim_session *session, const wchar_t *target, const shim_sink_options *options,
                   shim_sink **sink)
{
    sink_target read;
    const char *problem = NULL;
    int status;

    if (sink != NULL)
        *sink = NULL;
    if (session == NULL || options == NULL || sink == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__sink_read_target(target, &read, &problem);
    if (status != SHIM_OK) {
        report_refused_target(target, problem);
        return status;
    }
    if (read.is_relp)
        return shim__relp_sink_open(session, &read, target, options, sink);
    return shim__file_sink_open(session, read.path, options, sink);
}

/* Counts and writes one record. A sink durable at once is durable here:
 * its message finished (or on_durable called) when `finishes`, else only
 * counted (a message never deferred finishes when on_message returns). */
static int take(shim_sink *sink, const shim_sink_record *record, int bounded, int finishes)
{
    int status;

    /* Counted first, so that held (written - durable) never reads below zero. */
    InterlockedIncrement64(&sink->written);
    status = sink->operations->write(sink, record, bounded);
    if (status != SHIM_OK) {
        InterlockedDecrement64(&sink->written);
        InterlockedIncrement64(&sink->refused);
    } else if (sink->operations->durable_at_once && finishes) {
        shim__sink_durable(sink, record->ticket, record->sequence);
    } else if (sink->operations->durable_at_once) {
        count_durable(sink, record->sequence);
    }
    return status;
}

int shim_sink_write(shim_sink *sink, const shim_sink_record *record)
{
    if (sink == NULL || record == NULL || (record->text == NULL && record->length > 0)) {
        if (sink != NULL)
            InterlockedIncrement64(&sink->refused);
        return SHIM_E_INVALID_ARGUMENT;
    }
    return take(sink, record, 1, 1);
}

int shim_sink_deliver(shim_sink *sink, const shim_message *message, const char *text, size_t length)
{
    shim_sink_record record = {
        .text = text,
        .length = length,
        .sequence = message != NULL ? message->sequence : 0,
        .process_id = message != NULL ? message->process_id : 0,
    };
    int status;

    if (sink == NULL || message == NULL || (text == NULL && length > 0) || sink->options.on_durable != NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (sink->operations->durable_at_once) {
        /* Durable before on_message returns: no defer, unless the write
         * fails, and then the message stays for the next session. */
        status = take(sink, &record, 0, 0);
        if (status != SHIM_OK)
            shim_message_defer(sink->session, message, &record.ticket);
        return status;
    }
    status = shim_message_defer(sink->session, message, &record.ticket);
    if (status != SHIM_OK)
        return status;
    /* Refused: the message stays deferred, never finished in this session. */
    return take(sink, &record, 0, 1);
}

int shim_sink_write_at_exit(shim_sink *sink, const shim_sink_record *record)
{
    if (sink == NULL || record == NULL || (record->text == NULL && record->length > 0))
        return SHIM_E_INVALID_ARGUMENT;
    return sink->operations->write_at_exit(sink, record);
}

int shim_sink_stop(shim_sink *sink)
{
    if (sink == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    sink->operations->stop(sink);
    return SHIM_OK;
}

int shim_sink_close(shim_sink *sink)
{
    if (sink == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    sink->operations->stop(sink);
    sink->operations->close(sink);
    return SHIM_OK;
}

int shim_sink_get_counters(const shim_sink *sink, shim_sink_counters *counters)
{
    shim_sink *counted = (shim_sink *)sink; /* the Interlocked reads take non-const pointers */

    if (sink == NULL || counters == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    counters->written = InterlockedCompareExchange64(&counted->written, 0, 0);
    counters->durable = InterlockedCompareExchange64(&counted->durable, 0, 0);
    counters->refused = InterlockedCompareExchange64(&counted->refused, 0, 0);
    counters->sent = InterlockedCompareExchange64(&counted->sent, 0, 0);
    counters->resent = InterlockedCompareExchange64(&counted->resent, 0, 0);
    counters->connections = InterlockedCompareExchange64(&counted->connections, 0, 0);
    counters->failures = InterlockedCompareExchange64(&counted->failures, 0, 0);
    counters->last_durable_sequence =
        (unsigned long long)InterlockedCompareExchange64(&counted->last_durable_sequence, 0, 0);
    counters->held = counters->written - counters->durable;
    return SHIM_OK;
}
