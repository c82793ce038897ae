/* The JSON Lines file sink: each record is appended as one line, with one
 * WriteFile, and is durable once that returned (and FlushFileBuffers, with
 * flush_each). */
#include <string.h>

#include "../common/thread_state.h"
#include "sink_report.h"

/* Module-wide, not per sink: a draining session and its successor may
 * append to the same file at once, and Wine appends with fstat then pwrite,
 * which is not atomic between two writers. file_writer names the thread
 * that is writing: writers set it under file_lock; the process exit claims
 * it alone (append_at_exit). */
static SRWLOCK file_lock = SRWLOCK_INIT;
static volatile LONG file_writer;

/* Lines up to this long are built on the stack; longer ones on the heap. */
#define LINE_ON_STACK 4096u

typedef struct file_sink {
    shim_sink base;
    HANDLE file;
    volatile LONG failing; /* the last write failed: said once, until one succeeds */
} file_sink;

static BOOL write_all(HANDLE file, const char *bytes, size_t length)
{
    while (length > 0) {
        DWORD chunk = length > 0x40000000u ? 0x40000000u : (DWORD)length;
        DWORD written = 0;

        if (!WriteFile(file, bytes, chunk, &written, NULL) || written == 0)
            return FALSE;
        bytes += written;
        length -= written;
    }
    return TRUE;
}

static void report_write(file_sink *sink, BOOL written, DWORD error)
{
    shim_report report;

    if (InterlockedExchange(&sink->failing, written ? 0 : 1) == (written ? 0 : 1))
        return; /* no change since the last line */
    shim__sink_report_begin(&report, &sink->base);
    if (written) {
        shim__report_ascii(&report, "writing works again");
    } else {
        shim__report_ascii(&report, "writing a record failed (error ");
        shim__report_number(&report, error);
        shim__report_ascii(&report, "); the record is not durable and its message stays unfinished");
    }
    shim__sink_report_send(&report);
}

static int file_write(shim_sink *base, const shim_sink_record *record, int bounded)
{
    file_sink *sink = (file_sink *)base;
    char on_stack[LINE_ON_STACK];
    char *line = on_stack;
    size_t length = record->length + 1;
    BOOL written;
    DWORD error;

    (void)bounded; /* it holds nothing */
    if (length > LINE_ON_STACK) {
        line = HeapAlloc(GetProcessHeap(), 0, length);
        if (line == NULL)
            return SHIM_E_OUT_OF_MEMORY;
    }
    if (record->length > 0)
        memcpy(line, record->text, record->length);
    line[record->length] = '\n';
    AcquireSRWLockExclusive(&file_lock);
    InterlockedExchange(&file_writer, (LONG)GetCurrentThreadId());
    written = write_all(sink->file, line, length);
    if (written && base->options.flush_each)
        written = FlushFileBuffers(sink->file);
    error = written ? 0 : GetLastError();
    InterlockedExchange(&file_writer, 0);
    ReleaseSRWLockExclusive(&file_lock);
    if (line != on_stack)
        HeapFree(GetProcessHeap(), 0, line);
    if (sink->failing || !written)
        report_write(sink, written, error);
    if (!written) {
        SetLastError(error);
        return SHIM_E_SYSTEM;
    }
    return SHIM_OK; /* durable: shim_sink_write and shim_sink_deliver say so */
}

/* On the exiting thread inside DllMain: the other threads were ended where
 * they stood. file_lock is not touched (under Wine 8 even releasing an SRW
 * lock wakes through RtlWakeAddressAll, which spins on a bucket lock an
 * ended thread may hold); the exit claims file_writer with one
 * compare-exchange instead. If a writer holds it, the exit ended it inside
 * its write: once it has ended nobody else appends. Any other holder:
 * declined. No heap: a long line goes in two writes, with nobody left to
 * write between them. */
static int file_write_at_exit(shim_sink *base, const shim_sink_record *record)
{
    /* A writer found ended stays ended: asked once (three wineserver round
     * trips), not for every line of a large backlog. */
    static LONG ended_writer;
    file_sink *sink = (file_sink *)base;
    const LONG self = (LONG)GetCurrentThreadId();
    LONG writer = InterlockedCompareExchange(&file_writer, self, 0);
    char on_stack[LINE_ON_STACK];
    BOOL written;

    if (writer != 0 && (writer == self || (writer != ended_writer && !shim__thread_has_ended((DWORD)writer))))
        return SHIM_E_PROCESS_EXITING;
    if (writer != 0)
        ended_writer = writer;
    if (record->length + 1 <= LINE_ON_STACK) {
        if (record->length > 0)
            memcpy(on_stack, record->text, record->length);
        on_stack[record->length] = '\n';
        written = write_all(sink->file, on_stack, record->length + 1);
    } else {
        written = write_all(sink->file, record->text, record->length) && write_all(sink->file, "\n", 1);
    }
    if (written && base->options.flush_each)
        written = FlushFileBuffers(sink->file);
    if (writer == 0)
        InterlockedExchange(&file_writer, 0);
    if (!written)
        return SHIM_E_SYSTEM;
    InterlockedIncrement64(&base->written);
    InterlockedIncrement64(&base->durable);
    return SHIM_OK;
}

static void file_stop(shim_sink *base)
{
    (void)base; /* every write finishes in its own call: nothing to stop */
}

static void file_close(shim_sink *base)
{
    file_sink *sink = (file_sink *)base;

    CloseHandle(sink->file);
    HeapFree(GetProcessHeap(), 0, sink);
}

static const sink_operations file_operations = {
    .durable_at_once = 1,
    .write = file_write,
    .write_at_exit = file_write_at_exit,
    .stop = file_stop,
    .close = file_close,
};

int shim__file_sink_open(shim_session *session, const wchar_t *path, const shim_sink_options *options,
                         shim_sink **out_sink)
{
    file_sink *sink = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *sink);
    shim_report report;
    DWORD written = 0;
    DWORD error;

    if (sink == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    shim__sink_init(&sink->base, &file_operations, session, path, options);
    sink->file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, NULL);
    if (sink->file == INVALID_HANDLE_VALUE) {
        error = GetLastError();
        shim__sink_report_begin(&report, &sink->base);
        shim__report_ascii(&report, "the file cannot be opened for appending (error ");
        shim__report_number(&report, error);
        shim__report_ascii(&report, ")");
        shim__sink_report_send(&report);
        HeapFree(GetProcessHeap(), 0, sink);
        SetLastError(error);
        return SHIM_E_SYSTEM;
    }
    /* Under Wine, a write fetches the file's descriptor from the wineserver
     * the first time, and a thread the exit ends in the middle of another
     * fetch leaves its descriptor behind for the next one to receive: a
     * first write at exit then aborts the process. Written once here, the
     * descriptor is cached before any exit (docs/wine-vs-windows.md,
     * section 15). */
    WriteFile(sink->file, "", 0, &written, NULL);
    *out_sink = &sink->base;
    return SHIM_OK;
}
