/* The sink tests' worker: each record becomes a JSON line written to the
 * sink named by TWINSHIM_TEST_SINK (a file's path or relp://HOST:PORT).
 * TWINSHIM_TEST_SINK_{TIMEOUT_MS,ACK_TIMEOUT_MS,RETRY_FIRST_MS,
 * RETRY_MOST_MS,WINDOW,CAPACITY} set the sink's options. The host reads how many records are
 * durable through sink_test_worker_counters. */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include "twinshim/sink.h"
#include "twinshim/worker.h"

#include "sink_test_record.h"

static shim_sink *volatile current_sink;
static volatile LONG64 durable_records;

static unsigned option(const char *name)
{
    char text[16];
    DWORD length = GetEnvironmentVariableA(name, text, sizeof text);

    return length > 0 && length < sizeof text ? (unsigned)strtoul(text, NULL, 10) : 0;
}

static void record_durable(void *context, unsigned long long ticket)
{
    (void)context;
    (void)ticket;
    InterlockedIncrement64(&durable_records);
}

static int sink_start(shim_session *session, void **plugin_state)
{
    wchar_t target[512];
    DWORD length = GetEnvironmentVariableW(L"TWINSHIM_TEST_SINK", target, 512);
    shim_sink_options options = {
        .app_name = "sink_test_front.dll",
        .timeout_ms = option("TWINSHIM_TEST_SINK_TIMEOUT_MS"),
        .ack_timeout_ms = option("TWINSHIM_TEST_SINK_ACK_TIMEOUT_MS"),
        .retry_first_ms = option("TWINSHIM_TEST_SINK_RETRY_FIRST_MS"),
        .retry_most_ms = option("TWINSHIM_TEST_SINK_RETRY_MOST_MS"),
        .window = option("TWINSHIM_TEST_SINK_WINDOW"),
        .capacity = option("TWINSHIM_TEST_SINK_CAPACITY"),
        .on_durable = record_durable,
    };
    shim_sink *sink = NULL;
    int status;

    if (length == 0 || length >= 512)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim_sink_open(session, target, &options, &sink);
    if (status != SHIM_OK)
        return status;
    *plugin_state = sink;
    InterlockedExchangePointer((void *volatile *)&current_sink, sink);
    return SHIM_OK;
}

/* {"seq":N,"ts":T,"pid":P,"text":"record N"}: the number is the host's. */
static int format_record(const sink_test_record *record, char *line, size_t capacity)
{
    return snprintf(line, capacity, "{\"seq\":%llu,\"filetime\":%llu,\"pid\":%lu,\"text\":\"record %llu\"}",
                    record->number, record->time, GetCurrentProcessId(), record->number);
}

static void sink_message(shim_session *session, const void *payload, size_t size)
{
    const sink_test_record *record = payload;
    shim_sink *sink = shim_session_get_plugin_state(session);
    char line[160];
    int length;

    if (sink == NULL || size != sizeof *record)
        return;
    length = format_record(record, line, sizeof line);
    if (length > 0) {
        shim_sink_record written = {
            .text = line,
            .length = (size_t)length,
            .sequence = record->number,
            .time = record->time,
            .ticket = record->number,
        };

        shim_sink_write(sink, &written);
    }
}

static void sink_stopping(shim_session *session, void *plugin_state)
{
    (void)session;
    shim_sink_stop(plugin_state);
}

static void sink_stopped(shim_session *session, void *plugin_state)
{
    (void)session;
    InterlockedCompareExchangePointer((void *volatile *)&current_sink, NULL, plugin_state);
    shim_sink_close(plugin_state);
}

/* How many records are durable in this module's life, and the sink's own
 * counters while a session runs (SHIM_E_NOT_FOUND otherwise). */
__declspec(dllexport) long long sink_test_worker_durable(void);
__declspec(dllexport) long long sink_test_worker_durable(void)
{
    return InterlockedCompareExchange64(&durable_records, 0, 0);
}

__declspec(dllexport) int sink_test_worker_counters(shim_sink_counters *counters);
__declspec(dllexport) int sink_test_worker_counters(shim_sink_counters *counters)
{
    shim_sink *sink = InterlockedCompareExchangePointer((void *volatile *)&current_sink, NULL, NULL);

    return sink != NULL ? shim_sink_get_counters(sink, counters) : SHIM_E_NOT_FOUND;
}

static const shim_plugin sink_test_plugin = {
    .on_start = sink_start,
    .on_message = sink_message,
    .on_stopping = sink_stopping,
    .on_stopped = sink_stopped,
};

SHIM_DEFINE_PLUGIN(sink_test_plugin)
