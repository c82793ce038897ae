/* The sink tests' worker: each message becomes a JSON line delivered to the
 * sink named by TWINSHIM_TEST_SINK (a file's path or relp://HOST:PORT), and
 * leaves the journal once the sink made it durable.
 * TWINSHIM_TEST_SINK_{TIMEOUT_MS,ACK_TIMEOUT_MS,RETRY_FIRST_MS,
 * RETRY_MOST_MS,WINDOW,CAPACITY} set the sink's options;
 * TWINSHIM_TEST_SINK_LINGER_MS keeps every tenth on_message that long
 * after its record is written (its acknowledgement then comes first); the session's
 * deferred limit is the sink's capacity (at most the runtime's largest).
 * The host reads how many records were durable in the module's life through
 * sink_test_worker_durable, and the sink's counters through
 * sink_test_worker_counters. The sink finishes each message itself. */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include "twinshim/sink.h"
#include "twinshim/worker.h"

#include "sink_test_record.h"

#define DEFAULT_CAPACITY 4096u

static shim_sink *volatile current_sink;
static unsigned linger_ms;
static volatile LONG64 durable_before; /* of the sinks of the sessions that ended */

static unsigned option(const char *name)
{
    char text[16];
    DWORD length = GetEnvironmentVariableA(name, text, sizeof text);

    return length > 0 && length < sizeof text ? (unsigned)strtoul(text, NULL, 10) : 0;
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
    };
    unsigned deferred_limit = options.capacity != 0 ? options.capacity : DEFAULT_CAPACITY;
    shim_sink *sink = NULL;
    int status;

    if (length == 0 || length >= 512)
        return SHIM_E_INVALID_ARGUMENT;
    linger_ms = option("TWINSHIM_TEST_SINK_LINGER_MS");
    if (deferred_limit > SHIM_MAX_DEFERRED_LIMIT)
        deferred_limit = SHIM_MAX_DEFERRED_LIMIT;
    status = shim_session_set_deferred_limit(session, deferred_limit);
    if (status == SHIM_OK)
        status = shim_sink_open(session, target, &options, &sink);
    if (status != SHIM_OK)
        return status;
    *plugin_state = sink;
    InterlockedExchangePointer((void *volatile *)&current_sink, sink);
    return SHIM_OK;
}

/* {"seq":S,"pid":P,"started":T,"number":N,"filetime":F,"repeat":R,
 * "recovered":V}: S, P and T are the message's (the journal's sequence
 * number, the posting process and its start), N and F the host's. */
static int format_record(const shim_message *message, char *line, size_t capacity)
{
    const sink_test_record *record = message->payload;

    return snprintf(line, capacity,
                    "{\"seq\":%llu,\"pid\":%lu,\"started\":%llu,\"number\":%llu,\"filetime\":%llu,"
                    "\"repeat\":%s,\"recovered\":%s}",
                    message->sequence, message->process_id, message->process_started, record->number,
                    record->time, (message->flags & SHIM_MESSAGE_POSSIBLE_REPEAT) != 0 ? "true" : "false",
                    (message->flags & SHIM_MESSAGE_RECOVERED) != 0 ? "true" : "false");
}

static void sink_message(shim_session *session, const shim_message *message)
{
    shim_sink *sink = shim_session_get_plugin_state(session);
    char line[256];
    int length;

    if (sink == NULL || message->size != sizeof(sink_test_record))
        return;
    length = format_record(message, line, sizeof line);
    if (length > 0 && (size_t)length < sizeof line)
        shim_sink_deliver(sink, message, line, (size_t)length);
    /* One in ten (1, 11, 21...): the other pool thread is then free to
     * take the acknowledgement while this on_message still runs. */
    if (linger_ms != 0 && message->sequence % 10 == 1)
        Sleep(linger_ms);
}

static void sink_stopping(shim_session *session, void *plugin_state)
{
    (void)session;
    shim_sink_stop(plugin_state);
}

static void sink_stopped(shim_session *session, void *plugin_state)
{
    shim_sink_counters counters;

    (void)session;
    /* Out of sight first: a reader may miss its records for a moment, never
     * count them twice. */
    InterlockedCompareExchangePointer((void *volatile *)&current_sink, NULL, plugin_state);
    if (shim_sink_get_counters(plugin_state, &counters) == SHIM_OK)
        InterlockedExchangeAdd64(&durable_before, counters.durable);
    shim_sink_close(plugin_state);
}

/* How many records were durable in this module's life, and the sink's own
 * counters while a session runs (SHIM_E_NOT_FOUND otherwise; read them
 * before the front is freed). */
__declspec(dllexport) long long sink_test_worker_durable(void);
__declspec(dllexport) long long sink_test_worker_durable(void)
{
    shim_sink *sink = InterlockedCompareExchangePointer((void *volatile *)&current_sink, NULL, NULL);
    shim_sink_counters counters = { 0 };

    if (sink != NULL)
        shim_sink_get_counters(sink, &counters);
    return InterlockedCompareExchange64(&durable_before, 0, 0) + counters.durable;
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
