#include "../common/fault_injection.h"
#include "front_state.h"

HANDLE shim__module_release_thread(HMODULE module, BOOL start_suspended)
{
    /* FreeLibrary has the thread-start shape on every Windows ABI: one
     * pointer-sized argument, a 32-bit result, WINAPI. The thread runs only
     * kernel32 code, so it is safe whatever happens to this module. */
    LPTHREAD_START_ROUTINE release = (LPTHREAD_START_ROUTINE)(void (*)(void))FreeLibrary;

    if (module == NULL)
        return NULL;
    return SHIM__FAULTABLE(CreateThread(NULL, 0, release, module, start_suspended ? CREATE_SUSPENDED : 0,
                                        NULL),
                           NULL);
}
