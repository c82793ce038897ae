/* The worker for legacy.dll: one line per intercepted call, appended to the
 * file named by TWINSHIM_EXAMPLE_LOG (no log when it is unset). */
#include <stdio.h>

#include <windows.h>

#include "twinshim/worker.h"

#include "audit_record.h"

/* Module-wide, not per session: a draining session and its successor may
 * append to the same file at once, and appends through two handles are not
 * atomic under Wine. */
static SRWLOCK log_lock = SRWLOCK_INIT;

typedef struct audit_log {
    HANDLE file;
} audit_log;

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
    *plugin_state = log;
    return SHIM_OK;
}

static void audit_write(shim_session *session, const void *payload, size_t size)
{
    audit_log *log = shim_session_get_plugin_state(session);
    const audit_record *record = payload;
    char line[128];
    int length;
    DWORD written;

    if (log == NULL || size != sizeof *record)
        return;
    length = snprintf(line, sizeof line, "legacy_add(%d, %d) = %d [thread %lu]\n", record->a, record->b,
                      record->result, record->thread_id);
    if (length <= 0 || (size_t)length >= sizeof line)
        return;
    AcquireSRWLockExclusive(&log_lock);
    WriteFile(log->file, line, (DWORD)length, &written, NULL);
    ReleaseSRWLockExclusive(&log_lock);
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
};

SHIM_DEFINE_PLUGIN(audit_plugin)
