/* What timers, waits and I/O handles share: creation into the session's
 * cleanup group, the close state, disarming when the session stops and the
 * release of what is still open after its drain. */
#include "session.h"

int shim__begin_object_create(shim_session *session, session_object_kind kind, size_t size,
                              shim_close_function on_closed, void *context, session_object **out_object)
{
    session_object *object;
    int status;

    *out_object = NULL;
    object = HeapAlloc(session->heap, HEAP_ZERO_MEMORY, size);
    if (object == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    object->session = session;
    object->kind = kind;
    object->on_closed = on_closed;
    object->context = context;
    status = shim__gate_enter(session);
    if (status != SHIM_OK) {
        HeapFree(session->heap, 0, object);
        return status;
    }
    *out_object = object;
    return SHIM_OK;
}

int shim__finish_object_create(session_object *object, BOOL created)
{
    shim_session *session = object->session;

    if (created) {
        AcquireSRWLockExclusive(&session->objects_lock);
        object->next = session->objects;
        session->objects = object;
        ReleaseSRWLockExclusive(&session->objects_lock);
    }
    shim__gate_leave(session);
    if (!created) {
        DWORD error = GetLastError();

        HeapFree(session->heap, 0, object);
        SetLastError(error);
        return SHIM_E_SYSTEM;
    }
    return SHIM_OK;
}

static void close_later(session_object *object);

/* Disarms a timer or wait; cancels an I/O handle's pending operations (the
 * handle is still open: the plugin closes it only in on_closed). */
static void disarm(session_object *object)
{
    switch (object->kind) {
    case SESSION_OBJECT_TIMER:
        SetThreadpoolTimer(((shim_timer *)object)->timer, NULL, 0, 0);
        break;
    case SESSION_OBJECT_WAIT:
        SetThreadpoolWait(((shim_wait *)object)->wait, NULL, NULL);
        break;
    case SESSION_OBJECT_IO:
        CancelIoEx(((shim_io *)object)->file, NULL);
        break;
    }
}

int shim__begin_object_start(session_object *object)
{
    if (shim__read_flag(&object->closed))
        return SHIM_E_CLOSED;
    return shim__gate_enter(object->session);
}

int shim__finish_object_start(session_object *object)
{
    int status = SHIM_OK;

    /* Checked again after arming: a close that raced this start (from the
     * handle's own callback) has either disarmed after the arm, or is seen
     * here and the arm undone. */
    if (shim__read_flag(&object->closed)) {
        disarm(object);
        status = SHIM_E_CLOSED;
    }
    shim__gate_leave(object->session);
    return status;
}

int shim__stop_object(session_object *object)
{
    int status;

    if (object == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__begin_object_start(object);
    if (status == SHIM_E_STOPPING)
        return SHIM_OK; /* the stop disarms it anyway */
    if (status != SHIM_OK)
        return status;
    /* Through the gate: once the stop closes the group, the pool object must
     * not be touched. */
    disarm(object);
    shim__gate_leave(object->session);
    return SHIM_OK;
}

int shim__close_object(session_object *object)
{
    shim_session *session;

    if (object == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    session = object->session;
    if (InterlockedExchange(&object->closed, 1) != 0)
        return SHIM_E_CLOSED;
    /* Refused: the stop has disarmed, or is about to disarm, every object,
     * and releases each after the drain. */
    if (shim__gate_enter(session) != SHIM_OK)
        return SHIM_OK;
    disarm(object);
    if (object->kind == SESSION_OBJECT_IO)
        shim__io_release((shim_io *)object);
    else
        close_later(object);
    /* object may be gone by now */
    shim__gate_leave(session);
    return SHIM_OK;
}

static void close_pool_object(session_object *object)
{
    switch (object->kind) {
    case SESSION_OBJECT_TIMER:
        CloseThreadpoolTimer(((shim_timer *)object)->timer);
        break;
    case SESSION_OBJECT_WAIT:
        CloseThreadpoolWait(((shim_wait *)object)->wait);
        break;
    case SESSION_OBJECT_IO:
        CloseThreadpoolIo(((shim_io *)object)->io);
        break;
    }
}

BOOL shim__unlink_object(session_object *object)
{
    shim_session *session = object->session;
    BOOL unlinked = FALSE;

    /* Exclusive: the stop's disarm walks the list under the shared lock and
     * must not touch a pool object closed behind it. */
    AcquireSRWLockExclusive(&session->objects_lock);
    if (!session->group_closing) {
        for (session_object **link = &session->objects; *link != NULL; link = &(*link)->next) {
            if (*link == object) {
                *link = object->next;
                break;
            }
        }
        close_pool_object(object);
        unlinked = TRUE;
    }
    ReleaseSRWLockExclusive(&session->objects_lock);
    return unlinked;
}

void shim__free_object(session_object *object)
{
    if (object->on_closed != NULL)
        object->on_closed(object->session, object->context);
    HeapFree(object->session->heap, 0, object);
}

FILETIME shim__relative_time(unsigned long milliseconds)
{
    /* Relative times are negative, in 100-nanosecond units. */
    LARGE_INTEGER due = { .QuadPart = -(LONGLONG)milliseconds * 10000 };
    FILETIME time = { .dwLowDateTime = due.LowPart, .dwHighDateTime = (DWORD)due.HighPart };

    return time;
}

/* The gate is closed, so nothing re-arms behind this loop. Disarming first
 * means the drain below waits only for callbacks already due, never for a
 * periodic timer that keeps firing. */
void shim__disarm_objects(shim_session *session)
{
    AcquireSRWLockShared(&session->objects_lock);
    for (session_object *object = session->objects; object != NULL; object = object->next)
        disarm(object);
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
            CancelIoEx(((shim_io *)object)->file, NULL);
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

        shim__free_object(object);
        object = next;
    }
}

/* A queued runtime item, run by a pool callback (or, when queued work is
 * dropped, by whoever drops it): never inside one of the handle's own
 * callbacks, which the wait below would deadlock. */
static void close_object(shim_session *session, void *context)
{
    session_object *object = context;

    (void)session;
    /* Disarmed again, then waited for: a callback that re-armed it just
     * before close disarms itself (see the start functions), and callbacks
     * already queued are cancelled or run to their end here. */
    if (object->kind == SESSION_OBJECT_TIMER) {
        SetThreadpoolTimer(((shim_timer *)object)->timer, NULL, 0, 0);
        WaitForThreadpoolTimerCallbacks(((shim_timer *)object)->timer, TRUE);
    } else if (object->kind == SESSION_OBJECT_WAIT) {
        SetThreadpoolWait(((shim_wait *)object)->wait, NULL, NULL);
        WaitForThreadpoolWaitCallbacks(((shim_wait *)object)->wait, TRUE);
    }
    if (shim__unlink_object(object))
        shim__free_object(object);
}

/* Through the session's own queue, whose work object is a member of its
 * cleanup group: the stop waits for it like for any queued item. If it
 * cannot be queued, the handle stays listed and the stop releases it. */
static void close_later(session_object *object)
{
    shim__queue_runtime_item(object->session, close_object, object);
}
