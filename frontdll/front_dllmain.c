#include "front_state.h"

/* The signature is the one Windows calls: lpReserved is not const there. */
/* cppcheck-suppress constParameter */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    switch (reason) {
    case DLL_PROCESS_ATTACH:
        return shim__front_attach(instance);
    case DLL_PROCESS_DETACH:
        shim__front_detach(reserved);
        break;
    default:
        break;
    }
    return TRUE;
}
