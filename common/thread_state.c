#include "thread_state.h"

BOOL shim__thread_has_ended(DWORD id)
{
    HANDLE thread = OpenThread(SYNCHRONIZE, FALSE, id);
    BOOL ended;

    /* A thread that no longer exists cannot be opened. */
    if (thread == NULL)
        return GetLastError() == ERROR_INVALID_PARAMETER;
    ended = WaitForSingleObject(thread, 0) == WAIT_OBJECT_0;
    CloseHandle(thread);
    return ended;
}
