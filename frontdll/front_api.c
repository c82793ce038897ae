/* The front API a front's own code calls (twinshim/front.h). */
#include "front_state.h"

/* Defined here, next to the post that reads it on every call: GCC for
 * mingw-w64 reaches another file's data through a pointer in .rdata (a
 * .refptr), one more page that a call made now and then finds cold. On a
 * line of its own, so that the post reads one. */
_Alignas(64) front_state shim__front = { .status = SHIM_E_PASS_THROUGH };

int shim_front_post(const void *payload, size_t size)
{
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    /* Once exit has begun the pool's threads are gone and their locks may be
     * held: the message goes to the plugin on this thread instead. */
    if (shim__front.shutdown_in_progress != NULL && shim__front.shutdown_in_progress())
        return shim__front.worker->post_at_exit(shim__front.session, payload, size);
    return shim__front.post(shim__front.session, payload, size);
}

int shim_front_status(unsigned long *system_error)
{
    int status = shim__front.status;

    if (system_error != NULL)
        *system_error = shim__front.system_error;
    /* Connected at attach; the worker knows whether its start hook failed.
     * Only SHIM_OK is success: a positive value is a foreign worker's. */
    if (status == SHIM_OK && shim__front.session != NULL) {
        status = shim__front.worker->session_status(shim__front.session);
        if (status > 0)
            status = SHIM_E_WORKER_INVALID;
    }
    return status;
}

int shim_front_get_original_symbol(const char *name, FARPROC *address)
{
    if (address != NULL)
        *address = NULL;
    if (name == NULL || address == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__front.original == NULL)
        return SHIM_E_NOT_FOUND;
    *address = GetProcAddress(shim__front.original, name);
    return *address != NULL ? SHIM_OK : SHIM_E_NOT_FOUND;
}

int shim_front_get_counters(shim_session_counters *counters)
{
    if (counters == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    return shim__front.worker->get_counters(shim__front.session, counters);
}
