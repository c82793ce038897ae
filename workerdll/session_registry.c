/* The worker's live sessions. Process exit reaches a draining session only
 * through here: its front is already unloaded, so no front detach will
 * hand its queue over. */
#include "session.h"

/* In the worker's image, like the signal lock: no holder takes another
 * lock, so DllMain may take it to register a session. */
static SRWLOCK registry_lock = SRWLOCK_INIT;
static shim_session *live_sessions;

void shim__register_session(shim_session *session)
{
    AcquireSRWLockExclusive(&registry_lock);
    session->next_live = live_sessions;
    live_sessions = session;
    ReleaseSRWLockExclusive(&registry_lock);
}

void shim__unregister_session(shim_session *session)
{
    AcquireSRWLockExclusive(&registry_lock);
    for (shim_session **link = &live_sessions; *link != NULL; link = &(*link)->next_live) {
        if (*link == session) {
            *link = session->next_live;
            break;
        }
    }
    ReleaseSRWLockExclusive(&registry_lock);
}

void shim__deliver_all_at_exit(void)
{
    /* A thread the exit ended may hold the lock: then the list cannot be
     * trusted, and the sessions' fronts have delivered what they could. Not
     * released: see exit_delivery.c. */
    if (!TryAcquireSRWLockShared(&registry_lock))
        return;
    for (shim_session *session = live_sessions; session != NULL; session = session->next_live)
        shim__session_deliver_at_exit(session);
}
