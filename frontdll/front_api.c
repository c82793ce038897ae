#include "front_state.h"

int shim_front_post(const void *payload, size_t size)
{
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    return shim__front.worker->post(shim__front.session, payload, size);
}

int shim_front_status(unsigned long *system_error)
{
    int status = shim__front.status;

    if (system_error != NULL)
        *system_error = shim__front.system_error;
    /* Connected at attach; the worker knows whether its start hook failed. */
    if (status == SHIM_OK && shim__front.session != NULL)
        status = shim__front.worker->session_status(shim__front.session);
    return status;
}

FARPROC shim_front_original_symbol(const char *name)
{
    if (shim__front.original == NULL) {
        SetLastError(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    return GetProcAddress(shim__front.original, name);
}

int shim_front_set_stop_policy(shim_stop_policy policy)
{
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    return shim__front.worker->set_stop_policy(shim__front.session, policy);
}

int shim_front_set_stop_deadline(unsigned milliseconds)
{
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    return shim__front.worker->set_stop_deadline(shim__front.session, milliseconds);
}

int shim_front_get_counters(shim_session_counters *counters)
{
    if (shim__front.session == NULL)
        return SHIM_E_PASS_THROUGH;
    return shim__front.worker->get_counters(shim__front.session, counters);
}
