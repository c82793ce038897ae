/* The worker for legacy.dll: one record per intercepted call, written by
 * the sink library (twinshim/sink.h) to the target named by
 * TWINSHIM_EXAMPLE_LOG (no log when it is unset): a file's path, one line
 * per call; or relp://HOST:PORT, a JSON record per call sent to rsyslog,
 * each message leaving the journal once rsyslog acknowledged it. Calls
 * still in the journal when the process exits are written to the file by
 * on_exit_message (over RELP they wait for the next session). */
#include <wchar.h>

#include <windows.h>

#include "twinshim/sink.h"
#include "twinshim/worker.h"

#include "audit_record.h"

typedef struct audit_log {
    shim_sink *sink;
    int json; /* RELP: the record as JSON; a file: the line */
} audit_log;

/* Longest line or JSON record: three ints, a thread id, the sequence and
 * both marks, well under this. */
#define AUDIT_LINE_CAPACITY 256

typedef struct audit_line {
    char text[AUDIT_LINE_CAPACITY];
    size_t length;
} audit_line;

/* A formatter of our own: on_exit_message may not allocate, and the CRT's
 * printf family gives no such promise. Text that does not fit is cut. */
static void append_text(audit_line *line, const char *text)
{
    while (*text != '\0' && line->length < AUDIT_LINE_CAPACITY)
        line->text[line->length++] = *text++;
}

static void append_number(audit_line *line, long long value)
{
    char digits[24];
    size_t count = 0;
    unsigned long long magnitude = value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;

    if (value < 0)
        append_text(line, "-");
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    while (count > 0 && line->length < AUDIT_LINE_CAPACITY)
        line->text[line->length++] = digits[--count];
}

/* "legacy_add(A, B) = R [thread T]", then " [possible repeat]" for a call
 * whose handling may have begun before (its line may be in the log
 * already), and " [recovered from process P]" for a call of a process that
 * died before its record was written. */
static void format_line(const shim_message *message, audit_line *line)
{
    const audit_record *record = message->payload;

    line->length = 0;
    append_text(line, "legacy_add(");
    append_number(line, record->a);
    append_text(line, ", ");
    append_number(line, record->b);
    append_text(line, ") = ");
    append_number(line, record->result);
    append_text(line, " [thread ");
    append_number(line, (long long)record->thread_id);
    append_text(line, "]");
    if (message->flags & SHIM_MESSAGE_POSSIBLE_REPEAT)
        append_text(line, " [possible repeat]");
    if (message->flags & SHIM_MESSAGE_RECOVERED) {
        append_text(line, " [recovered from process ");
        append_number(line, (long long)message->process_id);
        append_text(line, "]");
    }
}

static void append_flag(audit_line *line, const char *name, int value)
{
    append_text(line, name);
    append_text(line, value ? "true" : "false");
}

/* The record as JSON, for a collector: {"seq":S,"export":"legacy_add",
 * "args":{"a":A,"b":B},"result":R,"thread":T,"possible_repeat":false,
 * "recovered":false}. seq, with the process (RFC 5424 PROCID), tells a
 * record sent twice. */
static void format_json(const shim_message *message, audit_line *line)
{
    const audit_record *record = message->payload;

    line->length = 0;
    append_text(line, "{\"seq\":");
    append_number(line, (long long)message->sequence);
    append_text(line, ",\"export\":\"legacy_add\",\"args\":{\"a\":");
    append_number(line, record->a);
    append_text(line, ",\"b\":");
    append_number(line, record->b);
    append_text(line, "},\"result\":");
    append_number(line, record->result);
    append_text(line, ",\"thread\":");
    append_number(line, (long long)record->thread_id);
    append_flag(line, ",\"possible_repeat\":", (message->flags & SHIM_MESSAGE_POSSIBLE_REPEAT) != 0);
    append_flag(line, ",\"recovered\":", (message->flags & SHIM_MESSAGE_RECOVERED) != 0);
    append_text(line, "}");
}

/* The log's target: a file's path, or relp://HOST:PORT for rsyslog. */
static int audit_start(shim_session *session, void **plugin_state)
{
    wchar_t target[MAX_PATH];
    DWORD length = GetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", target, MAX_PATH);
    shim_sink_options options = { .app_name = "legacy.dll" };
    audit_log *log;
    int status;

    /* Every call is audited: a stop runs the records still queued (also the
     * default, stated here because the demo counts on it). */
    if (shim_session_set_stop_policy(session, SHIM_STOP_DRAIN) != SHIM_OK)
        return SHIM_E_INVALID_ARGUMENT;
    if (length == 0 || length >= MAX_PATH)
        return SHIM_OK;
    log = HeapAlloc(GetProcessHeap(), 0, sizeof *log);
    if (log == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    log->json = _wcsnicmp(target, SHIM_SINK_RELP_PREFIX, wcslen(SHIM_SINK_RELP_PREFIX)) == 0;
    status = shim_sink_open(session, target, &options, &log->sink);
    if (status != SHIM_OK) {
        HeapFree(GetProcessHeap(), 0, log);
        return status;
    }
    *plugin_state = log;
    return SHIM_OK;
}

static void format_record(const audit_log *log, const shim_message *message, audit_line *line)
{
    if (log->json)
        format_json(message, line);
    else
        format_line(message, line);
}

/* The message leaves the journal once its record is durable: written to the
 * file, or acknowledged by rsyslog. */
static void audit_write(shim_session *session, const shim_message *message)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line;

    if (log == NULL || message->size != sizeof(audit_record))
        return;
    format_record(log, message, &line);
    shim_sink_deliver(log->sink, message, line.text, line.length);
}

/* On the exiting thread, inside DllMain: the sink appends the line to the
 * file without waiting or allocating (and declines if a thread that is still
 * alive holds the file); over RELP it declines, and the message stays in the
 * journal for the next session. */
static int audit_write_at_exit(shim_session *session, const shim_message *message)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line;
    shim_sink_record record = { .sequence = message->sequence, .process_id = message->process_id };

    if (message->size != sizeof(audit_record))
        return SHIM_E_INVALID_ARGUMENT;
    if (log == NULL)
        return SHIM_OK; /* no log asked for: nothing to write */
    format_record(log, message, &line);
    record.text = line.text;
    record.length = line.length;
    return shim_sink_write_at_exit(log->sink, &record);
}

/* After the exit's hand-over, on the exiting thread: records the runtime
 * could not hand over (a queue locked by an ended thread, a declined line)
 * are said in the log, so that every call is either there or counted. */
static void audit_trace(shim_session *session, shim_trace_event event, const shim_session_counters *counters)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line = { .length = 0 };
    shim_sink_record record = { 0 };

    if (event != SHIM_TRACE_PROCESS_EXIT || log == NULL || log->json || counters->lost_at_exit == 0)
        return;
    append_text(&line, "# process exit: ");
    append_number(&line, counters->lost_at_exit);
    append_text(&line, " audit records lost");
    record.text = line.text;
    record.length = line.length;
    shim_sink_write_at_exit(log->sink, &record);
}

static void audit_stopping(shim_session *session, void *plugin_state)
{
    audit_log *log = plugin_state;

    (void)session;
    if (log != NULL)
        shim_sink_stop(log->sink);
}

static void audit_stopped(shim_session *session, void *plugin_state)
{
    audit_log *log = plugin_state;

    (void)session;
    if (log == NULL)
        return;
    shim_sink_close(log->sink);
    HeapFree(GetProcessHeap(), 0, log);
}

static const shim_plugin audit_plugin = {
    .on_start = audit_start,
    .on_message = audit_write,
    .on_stopping = audit_stopping,
    .on_stopped = audit_stopped,
    .on_trace = audit_trace,
    .on_exit_message = audit_write_at_exit,
};

SHIM_DEFINE_PLUGIN(audit_plugin)
