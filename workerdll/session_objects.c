/* The session's timers and waits: created into its cleanup group, disarmed
 * first when it stops, released after its drain. */
#include "session.h"

void shim__add_object(shim_session *session, session_object *object)
{
    AcquireSRWLockExclusive(&session->objects_lock);
    object->next = session->objects;
    session->objects = object;
    ReleaseSRWLockExclusive(&session->objects_lock);
}

void shim__remove_object(shim_session *session, session_object *object)
{
    AcquireSRWLockExclusive(&session->objects_lock);
    for (session_object **link = &session->objects; *link != NULL; link = &(*link)->next) {
        if (*link == object) {
            *link = object->next;
            break;
        }
    }
    ReleaseSRWLockExclusive(&session->objects_lock);
}

/* The gate is closed, so nothing re-arms behind this loop. Disarming first
 * means the drain below waits only for callbacks already due, never for a
 * periodic timer that keeps firing. */
void shim__disarm_objects(shim_session *session)
{
    AcquireSRWLockShared(&session->objects_lock);
    for (session_object *object = session->objects; object != NULL; object = object->next) {
        switch (object->kind) {
        case SESSION_OBJECT_TIMER:
            SetThreadpoolTimer(((shim_timer *)object)->timer, NULL, 0, 0);
            break;
        case SESSION_OBJECT_WAIT:
            SetThreadpoolWait(((shim_wait *)object)->wait, NULL, NULL);
            break;
        case SESSION_OBJECT_IO:
            /* Pending operations complete with ERROR_OPERATION_ABORTED. */
            CancelIoEx(((shim_io *)object)->handle, NULL);
            break;
        }
    }
    ReleaseSRWLockShared(&session->objects_lock);
}

/* An operation started just before the gate closed may be issued just after
 * the first CancelIoEx: the stop repeats this until the session is idle. */
BOOL shim__cancel_pending_io(shim_session *session)
{
    BOOL any = FALSE;

    AcquireSRWLockShared(&session->objects_lock);
    for (session_object *object = session->objects; object != NULL; object = object->next) {
        if (object->kind == SESSION_OBJECT_IO) {
            CancelIoEx(((shim_io *)object)->handle, NULL);
            any = TRUE;
        }
    }
    ReleaseSRWLockShared(&session->objects_lock);
    return any;
}

/* After CloseThreadpoolCleanupGroupMembers, which already closed the pool
 * objects (closing them again is forbidden): only our bookkeeping is left. */
void shim__release_objects(shim_session *session)
{
    session_object *object = session->objects;

    session->objects = NULL;
    while (object != NULL) {
        session_object *next = object->next;
        if (object->on_release != NULL)
            object->on_release(session, object->context);
        HeapFree(GetProcessHeap(), 0, object);
        object = next;
    }
}
