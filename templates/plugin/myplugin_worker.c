/* The worker: the twinshim runtime plus this plugin. The runtime gives each
 * load of the front a session, with its own thread pool; this plugin logs to
 * the file named by the environment variable MYPLUGIN_LOG (nothing is
 * written when it is unset):
 *
 *   record: myplugin_add(2, 3) = 5 [thread 42]   one per call, on a pool thread
 *   tick: 17 records so far                    every 100 ms, from a timer
 *   stopping: 20 records so far                when the front is unloaded
 *   stopped: 20 records                        after the last record
 *
 * If the process exits with records still in the journal, on_exit_message
 * writes them on the exiting thread. What a record becomes is decided in
 * format_record alone: the hooks that receive messages only pass them on. */
#include <windows.h>

#include "twinshim/worker.h"

#include "myplugin_record.h"

#define TICK_PERIOD_MS 100
#define LINE_CAPACITY 128

/* One session's log, from on_start to on_stopped. */
typedef struct session_log {
    HANDLE file;           /* INVALID_HANDLE_VALUE when MYPLUGIN_LOG is unset */
    volatile LONG records; /* records this session has logged */
} session_log;

typedef struct log_line {
    char text[LINE_CAPACITY];
    size_t length;
} log_line;

/* One writer at a time, module-wide: a session that drains and the next
 * load's session may write the same file at once, and Wine's appends are
 * not atomic between writers. Pool threads take write_lock; the exiting
 * thread may not wait for anything, so `writer` names the thread that is
 * writing, and the exit claims it with one compare-exchange. */
static SRWLOCK write_lock = SRWLOCK_INIT;
static volatile LONG writer;

/* A formatter of our own: on_exit_message may not allocate, and the C
 * library's printf family does not promise that. Text that does not fit is cut. */
static void append_text(log_line *line, const char *text)
{
    while (*text != '\0' && line->length < LINE_CAPACITY)
        line->text[line->length++] = *text++;
}

static void append_number(log_line *line, long long value)
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
    while (count > 0 && line->length < LINE_CAPACITY)
        line->text[line->length++] = digits[--count];
}

/* "record: myplugin_add(A, B) = R [thread T]", then " [possible repeat]"
 * when its handling may have begun before (the line may be in the log
 * already), and " [recovered]" when it comes from the journal of a process
 * that died or a session that stopped before it. FALSE for a message that
 * is not a record. */
static BOOL format_record(const shim_message *message, log_line *line)
{
    const myplugin_record *record = message->payload;

    if (message->size != sizeof *record)
        return FALSE;
    line->length = 0;
    append_text(line, "record: myplugin_add(");
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
    if (message->flags & SHIM_MESSAGE_RECOVERED)
        append_text(line, " [recovered]");
    append_text(line, "\n");
    return TRUE;
}

/* "<what> <count> <unit>", e.g. "tick: 17 records so far". */
static void format_count(const char *what, LONG count, const char *unit, log_line *line)
{
    line->length = 0;
    append_text(line, what);
    append_number(line, count);
    append_text(line, unit);
}

static BOOL write_to_file(const session_log *log, const log_line *line)
{
    DWORD written = 0;

    return WriteFile(log->file, line->text, (DWORD)line->length, &written, NULL) && written == line->length;
}

/* Any thread but the exiting one. */
static void write_line(const session_log *log, const log_line *line)
{
    if (log->file == INVALID_HANDLE_VALUE)
        return;
    AcquireSRWLockExclusive(&write_lock);
    InterlockedExchange(&writer, (LONG)GetCurrentThreadId());
    write_to_file(log, line);
    InterlockedExchange(&writer, 0);
    ReleaseSRWLockExclusive(&write_lock);
}

/* True once thread `id` has ended. A zero-timeout wait asks, it does not wait. */
static BOOL thread_has_ended(DWORD id)
{
    HANDLE thread = OpenThread(SYNCHRONIZE, FALSE, id);
    BOOL ended;

    if (thread == NULL)
        return GetLastError() == ERROR_INVALID_PARAMETER; /* no such thread any more */
    ended = WaitForSingleObject(thread, 0) == WAIT_OBJECT_0;
    CloseHandle(thread);
    return ended;
}

/* The exiting thread, inside DllMain: every other thread was ended where it
 * stood, so nothing here waits, and write_lock is not touched (under Wine
 * even a release can spin forever on a lock an ended thread held). A pool
 * thread ended in the middle of a write still names itself in `writer`:
 * it will never write again, so the line is written anyway. */
static int write_line_at_exit(const session_log *log, const log_line *line)
{
    /* Asked once (three wineserver round trips under Wine), not for every
     * line of a backlog: an ended thread stays ended. */
    static LONG ended_writer;
    const LONG self = (LONG)GetCurrentThreadId();
    LONG holder;
    BOOL written;

    if (log->file == INVALID_HANDLE_VALUE)
        return SHIM_OK;
    holder = InterlockedCompareExchange(&writer, self, 0);
    if (holder != 0 && (holder == self || (holder != ended_writer && !thread_has_ended((DWORD)holder))))
        return SHIM_E_PROCESS_EXITING; /* declined: it stays in the journal, counted */
    if (holder != 0)
        ended_writer = holder;
    written = write_to_file(log, line);
    if (holder == 0)
        InterlockedExchange(&writer, 0);
    return written ? SHIM_OK : SHIM_E_SYSTEM;
}

/* Pool thread: a tick of the session's timer. */
static void tick(shim_session *session, shim_timer *timer, void *context)
{
    session_log *log = context;
    log_line line;

    (void)session;
    (void)timer;
    format_count("tick: ", InterlockedCompareExchange(&log->records, 0, 0), " records so far\n", &line);
    write_line(log, &line);
}

static void free_log(session_log *log)
{
    if (log->file != INVALID_HANDLE_VALUE)
        CloseHandle(log->file);
    HeapFree(GetProcessHeap(), 0, log);
}

/* Session thread, before any callback: settings, the log, the timer. */
static int plugin_start(shim_session *session, void **plugin_state)
{
    wchar_t path[MAX_PATH];
    DWORD length = GetEnvironmentVariableW(L"MYPLUGIN_LOG", path, MAX_PATH);
    session_log *log;
    shim_timer *timer;
    int status;

    /* The session's settings, written out as the defaults they are. */
    shim_session_set_stop_policy(session, SHIM_STOP_DRAIN); /* every record queued at the stop is logged */
    shim_session_set_max_threads(session, 2);   /* callbacks at once: records and timer ticks share them */
    shim_session_set_stop_deadline(session, 0); /* 0: the stop waits for every record, however long */

    log = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *log);
    if (log == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    log->file = INVALID_HANDLE_VALUE;
    if (length > 0 && length < MAX_PATH) {
        log->file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                                FILE_ATTRIBUTE_NORMAL, NULL);
        if (log->file == INVALID_HANDLE_VALUE) {
            free_log(log);
            return SHIM_E_SYSTEM;
        }
        /* Under Wine the first write fetches the file's descriptor from the
         * wineserver, and a fetch that the exit cuts off on another thread
         * can make the next one abort the process: written once here, the
         * descriptor is cached before any exit. */
        write_to_file(log, &(log_line){ .length = 0 });
    }
    /* The stop disarms and closes the timer, and its last tick returns
     * before on_stopped: the log outlives it, no on_closed is needed. */
    status = shim_timer_create(session, tick, NULL, log, &timer);
    if (status == SHIM_OK)
        status = shim_timer_start(timer, TICK_PERIOD_MS, TICK_PERIOD_MS);
    /* SHIM_E_STOPPING: the front was unloaded while this ran. The session
     * still drains what the journal holds, without ticks; failing here would
     * leave it all in the journal until the next start. */
    if (status != SHIM_OK && status != SHIM_E_STOPPING) {
        free_log(log); /* a failed on_start gets no on_stopped */
        return status;
    }
    *plugin_state = log;
    return SHIM_OK;
}

/* Pool thread: one record posted by the front. Once this returns, the
 * record leaves the journal. */
static void plugin_message(shim_session *session, const shim_message *message)
{
    session_log *log = shim_session_get_plugin_state(session);
    log_line line;

    if (!format_record(message, &line))
        return;
    write_line(log, &line);
    InterlockedIncrement(&log->records);
}

/* Process exit, on the exiting thread: records still in the journal, and
 * records posted by other DLLs while the process exits. No waiting, no
 * allocation. What this declines stays in the journal for the next session. */
static int plugin_exit_message(shim_session *session, const shim_message *message)
{
    session_log *log = shim_session_get_plugin_state(session);
    log_line line;
    int status;

    if (!format_record(message, &line))
        return SHIM_E_INVALID_ARGUMENT;
    status = write_line_at_exit(log, &line);
    if (status == SHIM_OK)
        InterlockedIncrement(&log->records);
    return status;
}

/* Session thread, as the stop begins, before the queued records drain: the
 * place to cancel your own I/O or close a listening socket. */
static void plugin_stopping(shim_session *session, void *plugin_state)
{
    session_log *log = plugin_state;
    log_line line;

    (void)session;
    format_count("stopping: ", InterlockedCompareExchange(&log->records, 0, 0), " records so far\n", &line);
    write_line(log, &line);
}

/* Session thread, after the drain: no callback runs or will run. */
static void plugin_stopped(shim_session *session, void *plugin_state)
{
    session_log *log = plugin_state;
    log_line line;

    (void)session;
    format_count("stopped: ", log->records, " records\n", &line);
    write_line(log, &line);
    free_log(log);
}

static const shim_plugin myplugin_plugin = {
    .on_start = plugin_start,
    .on_message = plugin_message,
    .on_exit_message = plugin_exit_message,
    .on_stopping = plugin_stopping,
    .on_stopped = plugin_stopped,
};

SHIM_DEFINE_PLUGIN(myplugin_plugin)
