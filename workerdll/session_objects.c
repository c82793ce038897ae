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

/* The gate is closed, so nothing re-arms behind this loop. Disarming first
 * means the drain below waits only for callbacks already due, never for a
 * periodic timer that keeps firing. */
void shim__disarm_objects(shim_session *session)
{
    AcquireSRWLockShared(&session->objects_lock);
    for (session_object *object = session->objects; object != NULL; object = object->next) {
        if (object->kind == SESSION_OBJECT_TIMER)
            SetThreadpoolTimer(((shim_timer *)object)->timer, NULL, 0, 0);
        else
            SetThreadpoolWait(((shim_wait *)object)->wait, NULL, NULL);
    }
    ReleaseSRWLockShared(&session->objects_lock);
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
