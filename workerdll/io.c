/* Overlapped file and socket I/O on the session's pool. Each shim_io counts
 * its pending operations, so that it can go away on its own (a closed
 * connection) or be cancelled and awaited at stop. */
#include "session.h"

static shim_session *session_of(shim_io *io)
{
    return io->object.session;
}

/* Frees the object once it is closing and nothing is pending. Never while
 * the cleanup group closes its members: then the session releases it. */
static void finish_if_done(shim_io *io)
{
    shim_session *session = io->object.session;
    BOOL released_here = FALSE;

    if (!shim__read_flag(&io->closing) || shim__read_flag(&io->pending) != 0)
        return;
    if (InterlockedCompareExchange(&io->finished, 1, 0) != 0)
        return;
    AcquireSRWLockExclusive(&session->objects_lock);
    if (!session->group_closing) {
        for (session_object **link = &session->objects; *link != NULL; link = &(*link)->next) {
            if (*link == &io->object) {
                *link = io->object.next;
                break;
            }
        }
        CloseThreadpoolIo(io->io);
        released_here = TRUE;
    }
    ReleaseSRWLockExclusive(&session->objects_lock);
    if (!released_here)
        return;
    if (io->object.on_release != NULL)
        io->object.on_release(session, io->object.context);
    HeapFree(GetProcessHeap(), 0, io);
}

static void CALLBACK io_completed(PTP_CALLBACK_INSTANCE instance, void *parameter, void *overlapped,
                                  ULONG result, ULONG_PTR bytes_transferred, PTP_IO pool_io)
{
    shim_io *io = parameter;
    shim_session *session = io->object.session;
    int may_run;

    (void)instance;
    (void)pool_io;
    may_run = shim__callback_enter(session);
    if (may_run)
        io->callback(session, io->object.context, overlapped, result, bytes_transferred);
    InterlockedDecrement(&io->pending);
    finish_if_done(io);              /* io may be gone after this */
    shim__outstanding_done(session); /* the operation */
    shim__callback_leave(session, may_run);
}

static void CALLBACK sentinel_never_completes(PTP_CALLBACK_INSTANCE instance, void *context, void *overlapped,
                                              ULONG result, ULONG_PTR bytes, PTP_IO io)
{
    (void)instance;
    (void)context;
    (void)overlapped;
    (void)result;
    (void)bytes;
    (void)io;
}

/* Wine 8's tp_ioqueue_unlock asserts that its count of I/O objects is not
 * zero before it checks whether the object was already shut down. An I/O
 * object closed on its own whose last callback is still unwinding in ntdll
 * is shut down a second time by CloseThreadpoolCleanupGroupMembers; if it is
 * the process's last I/O object, the assert kills the process. One idle I/O
 * object outside the group keeps the count above zero until the group has
 * closed. Called with objects_lock held exclusively. */
static int keep_io_queue_alive(shim_session *session)
{
    if (session->io_sentinel != NULL)
        return SHIM_OK;
    session->io_sentinel_handle = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                                              OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    if (session->io_sentinel_handle == INVALID_HANDLE_VALUE) {
        session->io_sentinel_handle = NULL;
        return SHIM_E_SYSTEM;
    }
    InitializeThreadpoolEnvironment(&session->sentinel_environment);
    SetThreadpoolCallbackPool(&session->sentinel_environment, session->pool);
    session->io_sentinel = CreateThreadpoolIo(session->io_sentinel_handle, sentinel_never_completes, NULL,
                                              &session->sentinel_environment);
    if (session->io_sentinel == NULL) {
        DestroyThreadpoolEnvironment(&session->sentinel_environment);
        CloseHandle(session->io_sentinel_handle);
        session->io_sentinel_handle = NULL;
        return SHIM_E_SYSTEM;
    }
    return SHIM_OK;
}

void shim__close_io_sentinel(shim_session *session)
{
    if (session->io_sentinel == NULL)
        return;
    CloseThreadpoolIo(session->io_sentinel);
    DestroyThreadpoolEnvironment(&session->sentinel_environment);
    CloseHandle(session->io_sentinel_handle);
    session->io_sentinel = NULL;
}

int shim_io_create(shim_session *session, HANDLE handle, shim_io_function callback,
                   shim_cancel_function on_release, void *context, shim_io **out_io)
{
    shim_io *io;
    int status;

    if (out_io != NULL)
        *out_io = NULL;
    if (session == NULL || handle == NULL || handle == INVALID_HANDLE_VALUE || callback == NULL ||
        out_io == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    io = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *io);
    if (io == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    io->object.session = session;
    io->object.kind = SESSION_OBJECT_IO;
    io->object.on_release = on_release;
    io->object.context = context;
    io->handle = handle;
    io->callback = callback;

    status = shim__gate_enter(session);
    if (status == SHIM_OK) {
        AcquireSRWLockExclusive(&session->objects_lock);
        status = keep_io_queue_alive(session);
        ReleaseSRWLockExclusive(&session->objects_lock);
        if (status == SHIM_OK) {
            io->io = CreateThreadpoolIo(handle, io_completed, io, &session->environment);
            if (io->io != NULL)
                shim__add_object(session, &io->object);
            else
                status = SHIM_E_SYSTEM;
        }
        shim__gate_leave(session);
    }
    if (status != SHIM_OK) {
        HeapFree(GetProcessHeap(), 0, io);
        return status;
    }
    *out_io = io;
    return SHIM_OK;
}

int shim_io_start(shim_io *io)
{
    int status;

    if (io == NULL || shim__read_flag(&io->closing))
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__gate_enter(io->object.session);
    if (status != SHIM_OK)
        return status;
    /* A pending operation keeps the session from idling: the stop waits for
     * its (cancelled) completion within the deadline. */
    InterlockedIncrement(&session_of(io)->outstanding);
    InterlockedIncrement(&io->pending);
    StartThreadpoolIo(io->io);
    shim__gate_leave(io->object.session);
    return SHIM_OK;
}

void shim_io_abandon(shim_io *io)
{
    shim_session *session;

    if (io == NULL)
        return;
    session = session_of(io);
    CancelThreadpoolIo(io->io);
    InterlockedDecrement(&io->pending);
    finish_if_done(io); /* io may be gone after this */
    shim__outstanding_done(session);
}

int shim_io_close(shim_io *io)
{
    if (io == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (InterlockedExchange(&io->closing, 1) != 0)
        return SHIM_OK;
    finish_if_done(io);
    return SHIM_OK;
}
