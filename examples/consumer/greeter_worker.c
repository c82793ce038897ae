/* The worker: appends each greeted name to the file named by GREETER_LOG.
 *
 * This source is compiled without UNICODE (CMakeLists.txt): its TEXT() and
 * generic Win32 names are the ANSI ones. Linking twinshim must not change
 * that choice, so the build fails if TCHAR is not char here. */
#include <windows.h>

#include "twinshim/worker.h"

_Static_assert(sizeof(TCHAR) == sizeof(char), "twinshim must not define UNICODE for its consumers");

static SRWLOCK log_lock = SRWLOCK_INIT; /* shared by a draining session and its successor */

static int open_log(shim_session *session, void **state)
{
    TCHAR path[MAX_PATH];
    DWORD length = GetEnvironmentVariable(TEXT("GREETER_LOG"), path, MAX_PATH);
    HANDLE file;

    (void)session;
    if (length == 0 || length >= MAX_PATH)
        return SHIM_E_INVALID_ARGUMENT;
    file = CreateFile(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return SHIM_E_SYSTEM;
    *state = file;
    return SHIM_OK;
}

static void write_name(shim_session *session, const shim_message *message)
{
    HANDLE file = shim_session_get_plugin_state(session);
    DWORD written;

    AcquireSRWLockExclusive(&log_lock);
    WriteFile(file, message->payload, (DWORD)message->size, &written, NULL);
    WriteFile(file, "\n", 1, &written, NULL);
    ReleaseSRWLockExclusive(&log_lock);
}

static void close_log(shim_session *session, void *state)
{
    (void)session;
    CloseHandle(state);
}

static const shim_plugin greeter_plugin = {
    .on_start = open_log,
    .on_message = write_name,
    .on_stopped = close_log,
};

SHIM_DEFINE_PLUGIN(greeter_plugin)
