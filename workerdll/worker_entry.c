/* The worker's one export: the front connects through it. */
#include "session.h"

/* Read by tools from the file (see SHIM_PROTOCOL_TAG), never by code. */
__attribute__((used)) static const char protocol_tag[] = SHIM_PROTOCOL_TAG;

static const shim_worker_interface worker_interface = {
    .protocol_version = SHIM_PROTOCOL_VERSION,
    .start_session = shim__session_start,
    .signal_stop = shim__session_signal_stop,
    .post = shim__session_post,
    .session_status = shim__session_status,
    .get_counters = shim_session_get_counters,
    .deliver_at_exit = shim__session_deliver_at_exit,
    .post_at_exit = shim__session_post_at_exit,
};

__declspec(dllexport) int shim_worker_connect(uint32_t requested_version,
                                              const shim_worker_interface **out_interface)
{
    if (out_interface == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    *out_interface = NULL;
    if (requested_version != SHIM_PROTOCOL_VERSION)
        return SHIM_E_VERSION_MISMATCH;
    *out_interface = &worker_interface;
    return SHIM_OK;
}

/* The signature is the one Windows calls: lpReserved is not const there. */
/* cppcheck-suppress constParameter */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    /* Fails harmlessly for images with TLS callbacks (mingw's often have one). */
    if (reason == DLL_PROCESS_ATTACH) {
        DisableThreadLibraryCalls(instance);
        shim__delivery_attach();
    }
    /* An unload (not exit): every session of this worker has ended. */
    if (reason == DLL_PROCESS_DETACH && reserved == NULL)
        shim__delivery_detach();
    /* Process exit: sessions whose front is already gone (still draining)
     * hand over what they hold; the others did so in their front's detach. */
    if (reason == DLL_PROCESS_DETACH && reserved != NULL)
        shim__deliver_all_at_exit();
    return TRUE;
}
