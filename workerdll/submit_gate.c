/* The gate every submission and re-arm passes: it refuses work once the
 * session stops, and the stop closes it before it closes the pool. */
#include "session.h"

int shim__gate_enter(shim_session *session)
{
    AcquireSRWLockShared(&session->submit_lock);
    /* While on_start runs, a stop already requested waits for it: what it
     * creates and arms is disarmed and closed by that stop like the rest,
     * and a plugin need not treat a quick unload as a failed start. */
    if (!session->accepting ||
        (shim__read_flag(&session->stop_requested) && shim__read_flag(&session->started))) {
        ReleaseSRWLockShared(&session->submit_lock);
        return shim__refuse(session, SHIM_E_STOPPING);
    }
    if (shim__read_flag(&session->started) && shim__read_flag(&session->start_status) != SHIM_OK) {
        ReleaseSRWLockShared(&session->submit_lock);
        return shim__refuse(session, SHIM_E_START_FAILED);
    }
    return SHIM_OK;
}

void shim__gate_leave(shim_session *session)
{
    ReleaseSRWLockShared(&session->submit_lock);
}

int shim__refuse(shim_session *session, int status)
{
    InterlockedIncrement64(&session->refused);
    return status;
}
