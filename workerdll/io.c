/* Overlapped file and socket I/O on the session's pool. Each shim_io counts
 * its pending operations, so that it can go away on its own (a closed
 * connection) or be cancelled and awaited at stop. */
#include "session.h"

void shim__io_release(shim_io *io)
{
    if (InterlockedDecrement(&io->references) != 0)
        return;
    /* The last reference: closed, and no operation pending. */
    if (shim__unlink_object(&io->object))
        shim__free_object(&io->object);
}

static void CALLBACK io_completed(PTP_CALLBACK_INSTANCE instance, void *parameter, void *overlapped,
                                  ULONG result, ULONG_PTR bytes_transferred, PTP_IO pool_io)
{
    shim_io *io = parameter;
    shim_session *session = io->object.session;
    int may_run;

    (void)instance;
    (void)pool_io;
    /* Completions of a closed handle still run: they are its cancelled
     * operations, and their OVERLAPPED belongs to the plugin. */
    may_run = shim__callback_enter(session);
    if (may_run)
        io->callback(session, io, io->object.context, overlapped, result, bytes_transferred);
    /* An operation this callback started just before a close on another
     * thread may have been issued after that close's cancel: cancel again,
     * now that it exists. The file is still open: this reference keeps
     * on_closed, where the plugin closes it, from running yet. */
    if (shim__read_flag(&io->object.closed) && shim__read_flag(&io->references) > 1)
        CancelIoEx(io->file, NULL);
    shim__io_release(io);            /* the operation's reference: io may be gone */
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
        DWORD error = GetLastError(); /* SHIM_E_SYSTEM keeps the failed call's error */

        DestroyThreadpoolEnvironment(&session->sentinel_environment);
        CloseHandle(session->io_sentinel_handle);
        session->io_sentinel_handle = NULL;
        SetLastError(error);
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

int shim_io_create(shim_session *session, HANDLE file, shim_io_function callback,
                   shim_close_function on_closed, void *context, shim_io **out_io)
{
    session_object *object;
    shim_io *io;
    int status;

    if (out_io != NULL)
        *out_io = NULL;
    if (session == NULL || file == NULL || file == INVALID_HANDLE_VALUE || callback == NULL || out_io == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__begin_object_create(session, SESSION_OBJECT_IO, sizeof *io, on_closed, context, &object);
    if (status != SHIM_OK)
        return status;
    io = (shim_io *)object;
    io->file = file;
    io->callback = callback;
    io->references = 1; /* the open handle's */
    AcquireSRWLockExclusive(&session->objects_lock);
    status = keep_io_queue_alive(session);
    ReleaseSRWLockExclusive(&session->objects_lock);
    if (status == SHIM_OK)
        io->io = CreateThreadpoolIo(file, io_completed, io, &session->environment);
    status = shim__finish_object_create(object, io->io != NULL);
    if (status == SHIM_OK)
        *out_io = io;
    return status;
}

int shim_io_start(shim_io *io)
{
    shim_session *session;
    int status;

    if (io == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    session = io->object.session;
    status = shim__begin_object_start(&io->object);
    if (status != SHIM_OK)
        return status;
    /* A pending operation keeps the session from idling (the stop waits for
     * its cancelled completion) and keeps the handle alive. */
    InterlockedIncrement(&session->outstanding);
    InterlockedIncrement(&io->references);
    StartThreadpoolIo(io->io);
    /* A close that raced this start, from the handle's own callback, may
     * have cancelled before the operation exists: do not start it. */
    if (shim__read_flag(&io->object.closed)) {
        CancelThreadpoolIo(io->io);
        shim__io_release(io); /* never the last: the caller's callback holds one */
        shim__outstanding_done(session);
        status = SHIM_E_CLOSED;
    }
    shim__gate_leave(session);
    return status;
}

int shim_io_abandon(shim_io *io)
{
    shim_session *session;

    if (io == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    session = io->object.session;
    CancelThreadpoolIo(io->io);
    shim__io_release(io); /* io may be gone after this */
    shim__outstanding_done(session);
    return SHIM_OK;
}

int shim_io_close(shim_io *io)
{
    return shim__close_object(io != NULL ? &io->object : NULL);
}
