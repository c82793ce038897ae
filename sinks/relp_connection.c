#include "relp_connection.h"

enum operation_kind {
    OPERATION_CONNECT = 1,
    OPERATION_SEND,
    OPERATION_RECEIVE
};

static void completed(shim_session *session, shim_io *io, void *context, OVERLAPPED *overlapped,
                      unsigned long result, size_t bytes)
{
    relp_connection *connection = context;
    const relp_operation *operation = (const relp_operation *)overlapped;

    (void)session;
    (void)io;
    switch (operation->kind) {
    case OPERATION_CONNECT:
        /* So that shutdown and getpeername work on a ConnectEx socket; this
         * option takes no value (Winsock's SO_UPDATE_CONNECT_CONTEXT). */
        if (result == 0) {
            // cppcheck-suppress nullPointer
            setsockopt(connection->socket, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0);
        }
        connection->events->connected(connection->owner, connection, result);
        break;
    case OPERATION_SEND:
        connection->events->sent(connection->owner, connection, result, bytes);
        break;
    default:
        connection->events->received(connection->owner, connection, result, bytes);
        break;
    }
}

/* on_closed of the shim_io: no operation is pending any more, so the
 * socket can go (closed any earlier, its reused handle value could have
 * another socket's I/O cancelled by the close). */
static void connection_closed(shim_session *session, void *context)
{
    relp_connection *connection = context;
    const relp_connection_events *events = connection->events;
    void *owner = connection->owner;

    (void)session;
    closesocket(connection->socket);
    if (events != NULL) /* NULL: it never opened, and its owner was told so */
        events->closed(owner, connection);
    HeapFree(GetProcessHeap(), 0, connection);
}

static LPFN_CONNECTEX find_connect_ex(SOCKET socket)
{
    GUID connect_ex_id = WSAID_CONNECTEX;
    LPFN_CONNECTEX connect_ex = NULL;
    DWORD returned = 0;

    if (WSAIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &connect_ex_id, sizeof connect_ex_id,
                 &connect_ex, sizeof connect_ex, &returned, NULL, NULL) != 0)
        return NULL;
    return connect_ex;
}

/* A socket of the address's family, bound to any local address (ConnectEx
 * wants a bound socket), with Nagle off: the sink batches frames itself,
 * and an acknowledgement must not wait for a delayed ACK. */
static SOCKET make_socket(const struct sockaddr *address, unsigned long *error)
{
    SOCKET result = WSASocketW(address->sa_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    struct sockaddr_storage local = { .ss_family = (short)address->sa_family };
    int local_length =
        address->sa_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : (int)sizeof(struct sockaddr_in);
    BOOL no_delay = TRUE;

    if (result == INVALID_SOCKET) {
        *error = (unsigned long)WSAGetLastError();
        return INVALID_SOCKET;
    }
    if (bind(result, (struct sockaddr *)&local, local_length) != 0) {
        *error = (unsigned long)WSAGetLastError();
        closesocket(result);
        return INVALID_SOCKET;
    }
    setsockopt(result, IPPROTO_TCP, TCP_NODELAY, (const char *)&no_delay, sizeof no_delay);
    return result;
}

int shim__relp_connection_open(shim_session *session, const struct sockaddr *address, int address_length,
                               size_t send_capacity, const relp_connection_events *events, void *owner,
                               relp_connection **out_connection, unsigned long *error)
{
    relp_connection *connection;
    int status;

    *out_connection = NULL;
    *error = 0;
    connection = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *connection + send_capacity);
    if (connection == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    connection->events = events;
    connection->owner = owner;
    connection->send_capacity = send_capacity;
    connection->connect_operation.kind = OPERATION_CONNECT;
    connection->send_operation.kind = OPERATION_SEND;
    connection->receive_operation.kind = OPERATION_RECEIVE;
    shim__relp_parser_reset(&connection->parser);
    connection->socket = make_socket(address, error);
    if (connection->socket == INVALID_SOCKET) {
        HeapFree(GetProcessHeap(), 0, connection);
        return SHIM_E_SYSTEM;
    }
    connection->connect_ex = find_connect_ex(connection->socket);
    status = connection->connect_ex != NULL ? SHIM_OK : SHIM_E_SYSTEM;
    if (status != SHIM_OK)
        *error = (unsigned long)WSAGetLastError();
    if (status == SHIM_OK)
        status = shim_io_create(session, (HANDLE)connection->socket, completed, connection_closed, connection,
                                &connection->io);
    if (status == SHIM_OK)
        status = shim_io_start(connection->io);
    if (status != SHIM_OK) {
        if (status == SHIM_E_SYSTEM && *error == 0)
            *error = GetLastError();
        if (connection->io != NULL) {
            connection->events = NULL; /* connection_closed frees it, without an event */
            shim_io_close(connection->io);
            return status;
        }
        closesocket(connection->socket);
        HeapFree(GetProcessHeap(), 0, connection);
        return status;
    }
    if (!connection->connect_ex(connection->socket, address, address_length, NULL, 0, NULL,
                                &connection->connect_operation.overlapped) &&
        WSAGetLastError() != ERROR_IO_PENDING) {
        *error = (unsigned long)WSAGetLastError();
        shim_io_abandon(connection->io);
        connection->events = NULL;
        shim_io_close(connection->io);
        return SHIM_E_SYSTEM;
    }
    *out_connection = connection;
    return SHIM_OK;
}

int shim__relp_connection_send(relp_connection *connection, unsigned long *error)
{
    WSABUF view = { .buf = connection->send_buffer + connection->send_done,
                    .len = (ULONG)(connection->send_length - connection->send_done) };
    int status = shim_io_start(connection->io);

    *error = 0;
    if (status != SHIM_OK)
        return status;
    ZeroMemory(&connection->send_operation.overlapped, sizeof connection->send_operation.overlapped);
    if (WSASend(connection->socket, &view, 1, NULL, 0, &connection->send_operation.overlapped, NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING) {
        *error = (unsigned long)WSAGetLastError();
        shim_io_abandon(connection->io);
        return SHIM_E_SYSTEM;
    }
    return SHIM_OK;
}

int shim__relp_connection_receive(relp_connection *connection, unsigned long *error)
{
    WSABUF view = { .buf = connection->receive_buffer, .len = SHIM__RELP_RECEIVE_CAPACITY };
    DWORD flags = 0;
    int status = shim_io_start(connection->io);

    *error = 0;
    if (status != SHIM_OK)
        return status;
    ZeroMemory(&connection->receive_operation.overlapped, sizeof connection->receive_operation.overlapped);
    if (WSARecv(connection->socket, &view, 1, NULL, &flags, &connection->receive_operation.overlapped,
                NULL) != 0 &&
        WSAGetLastError() != WSA_IO_PENDING) {
        *error = (unsigned long)WSAGetLastError();
        shim_io_abandon(connection->io);
        return SHIM_E_SYSTEM;
    }
    return SHIM_OK;
}

void shim__relp_connection_close(relp_connection *connection)
{
    shim_io_close(connection->io);
}
