/* The worker for legacy.dll: one line per intercepted call, appended to the
 * file named by TWINSHIM_EXAMPLE_LOG (no log when it is unset). Calls still
 * queued when the process exits are written by on_exit_message. */
#include <windows.h>

#include "twinshim/worker.h"

#include "audit_record.h"

/* Module-wide, not per session: a draining session and its successor may
 * append to the same file at once, and Wine appends with fstat then pwrite,
 * which is not atomic between two writers. log_writer names the thread that
 * is writing: pool threads set it under log_lock; process exit claims it
 * alone (audit_write_at_exit). */
static SRWLOCK log_lock = SRWLOCK_INIT;
static volatile LONG log_writer;

typedef struct audit_log {
    HANDLE file;
} audit_log;

/* Longest line: three ints, a thread id and both marks, well under this. */
#define AUDIT_LINE_CAPACITY 192

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
static void format_record(const shim_message *message, audit_line *line)
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
    append_text(line, "\n");
}

static BOOL write_line(const audit_log *log, const audit_line *line)
{
    DWORD written = 0;

    return WriteFile(log->file, line->text, (DWORD)line->length, &written, NULL) && written == line->length;
}

static int audit_start(shim_session *session, void **plugin_state)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetEnvironmentVariableW(L"TWINSHIM_EXAMPLE_LOG", path, MAX_PATH);
    audit_log *log;

    /* Every call is audited: a stop runs the records still queued (also the
     * default, stated here because the demo counts on it). */
    if (shim_session_set_stop_policy(session, SHIM_STOP_DRAIN) != SHIM_OK)
        return SHIM_E_INVALID_ARGUMENT;
    if (length == 0 || length >= MAX_PATH)
        return SHIM_OK;
    log = HeapAlloc(GetProcessHeap(), 0, sizeof *log);
    if (log == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    log->file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                            FILE_ATTRIBUTE_NORMAL, NULL);
    if (log->file == INVALID_HANDLE_VALUE) {
        HeapFree(GetProcessHeap(), 0, log);
        return SHIM_E_SYSTEM;
    }
    /* Under Wine, a write fetches the file's descriptor from the wineserver
     * the first time, and a thread the exit ends in the middle of another
     * fetch leaves its descriptor behind for the next one to receive: a
     * first write at exit then aborts the process. Written once here, the
     * descriptor is cached before any exit (docs/wine-vs-windows.md,
     * section 15). */
    {
        DWORD written = 0;

        WriteFile(log->file, "", 0, &written, NULL);
    }
    *plugin_state = log;
    return SHIM_OK;
}

static void audit_write(shim_session *session, const shim_message *message)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line;

    if (log == NULL || message->size != sizeof(audit_record))
        return;
    format_record(message, &line);
    AcquireSRWLockExclusive(&log_lock);
    InterlockedExchange(&log_writer, (LONG)GetCurrentThreadId());
    write_line(log, &line);
    InterlockedExchange(&log_writer, 0);
    ReleaseSRWLockExclusive(&log_lock);
}

/* True when thread `id` has ended: the exit ended it, and it will not write
 * again. A zero-timeout wait asks, it does not wait. A thread that no longer
 * exists cannot be opened. */
static BOOL thread_has_ended(DWORD id)
{
    HANDLE thread = OpenThread(SYNCHRONIZE, FALSE, id);
    BOOL ended;

    if (thread == NULL)
        return GetLastError() == ERROR_INVALID_PARAMETER;
    ended = WaitForSingleObject(thread, 0) == WAIT_OBJECT_0;
    CloseHandle(thread);
    return ended;
}

/* On the exiting thread, inside DllMain: the other threads were ended where
 * they stood, so nothing here waits. log_lock is not touched: under Wine 8
 * even releasing an SRW lock got with a try goes through RtlWakeAddressAll,
 * which spins forever on a hash-bucket lock that an ended thread may hold.
 * The exit claims log_writer instead, with one compare-exchange. If a pool
 * thread holds it, that thread was ended inside its write (often, when the
 * exit comes with records queued): once it has ended, nobody else can
 * append, so the line is written anyway. Any other holder: declined. The
 * line is on the stack; WriteFile goes to the handle on_start opened. */
/* Writes a line at exit if the log can be had without waiting (see above).
 * A writer found ended stays ended: asked once (three wineserver round
 * trips), not for every line of a large backlog. */
static int write_line_at_exit(const audit_log *log, const audit_line *line)
{
    static LONG ended_writer;
    const LONG self = (LONG)GetCurrentThreadId();
    LONG writer = InterlockedCompareExchange(&log_writer, self, 0);
    BOOL written;

    if (writer == 0) {
        written = write_line(log, line);
        InterlockedExchange(&log_writer, 0);
    } else if (writer != self && (writer == ended_writer || thread_has_ended((DWORD)writer))) {
        ended_writer = writer;
        written = write_line(log, line);
    } else {
        return SHIM_E_PROCESS_EXITING;
    }
    return written ? SHIM_OK : SHIM_E_SYSTEM;
}

static int audit_write_at_exit(shim_session *session, const shim_message *message)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line;

    if (message->size != sizeof(audit_record))
        return SHIM_E_INVALID_ARGUMENT;
    if (log == NULL)
        return SHIM_OK; /* no log asked for: nothing to write */
    format_record(message, &line);
    return write_line_at_exit(log, &line);
}

/* After the exit's hand-over, on the exiting thread: records the runtime
 * could not hand over (a queue locked by an ended thread, a declined line)
 * are said in the log, so that every call is either there or counted. */
static void audit_trace(shim_session *session, shim_trace_event event, const shim_session_counters *counters)
{
    const audit_log *log = shim_session_get_plugin_state(session);
    audit_line line = { .length = 0 };

    if (event != SHIM_TRACE_PROCESS_EXIT || log == NULL || counters->lost_at_exit == 0)
        return;
    append_text(&line, "# process exit: ");
    append_number(&line, counters->lost_at_exit);
    append_text(&line, " audit records lost\n");
    write_line_at_exit(log, &line);
}

static void audit_stopped(shim_session *session, void *plugin_state)
{
    audit_log *log = plugin_state;

    (void)session;
    if (log == NULL)
        return;
    CloseHandle(log->file);
    HeapFree(GetProcessHeap(), 0, log);
}

static const shim_plugin audit_plugin = {
    .on_start = audit_start,
    .on_message = audit_write,
    .on_stopped = audit_stopped,
    .on_trace = audit_trace,
    .on_exit_message = audit_write_at_exit,
};

SHIM_DEFINE_PLUGIN(audit_plugin)
