#include "echo_server.h"

static void forget(connection *client)
{
    echo_server *server = client->server;

    AcquireSRWLockExclusive(&server->connections_lock);
    if (client->previous != NULL)
        client->previous->next = client->next;
    else
        server->connections = client->next;
    if (client->next != NULL)
        client->next->previous = client->previous;
    ReleaseSRWLockExclusive(&server->connections_lock);
}

/* on_closed of a connection's shim_io: its last completion has run, so the
 * socket can go (closed earlier, its reused handle value could have another
 * socket's I/O cancelled by the close). */
static void connection_closed(shim_session *session, void *context)
{
    connection *client = context;

    (void)session;
    closesocket(client->socket);
    HeapFree(GetProcessHeap(), 0, client);
}

static void close_connection(connection *client)
{
    forget(client);
    shim_io_close(client->io);
}

/* Starts the next receive or send; closes the connection if it cannot. */
static void start_next(connection *client, DWORD bytes_to_send)
{
    DWORD flags = 0;
    int result;

    if (shim_io_start(client->io) != SHIM_OK) {
        close_connection(client); /* the session is stopping */
        return;
    }
    ZeroMemory(&client->overlapped, sizeof client->overlapped);
    client->sending = bytes_to_send != 0;
    client->buffer_view.buf = client->buffer;
    client->buffer_view.len = client->sending ? bytes_to_send : ECHO_BUFFER_SIZE;
    if (client->sending)
        result = WSASend(client->socket, &client->buffer_view, 1, NULL, 0, &client->overlapped, NULL);
    else
        result = WSARecv(client->socket, &client->buffer_view, 1, NULL, &flags, &client->overlapped, NULL);
    if (result == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING) {
        shim_io_abandon(client->io);
        close_connection(client);
    }
}

static void connection_completed(shim_session *session, shim_io *io, void *context, OVERLAPPED *overlapped,
                                 unsigned long result, size_t bytes_transferred)
{
    connection *client = context;

    (void)session;
    (void)io;
    (void)overlapped;
    if (result != 0 || (!client->sending && bytes_transferred == 0)) {
        close_connection(client); /* error, cancelled by the stop, or EOF */
        return;
    }
    /* A partial send would need a loop; echo sizes here fit one buffer. */
    start_next(client, client->sending ? 0 : (DWORD)bytes_transferred);
}

void echo_connection_open(echo_server *server, SOCKET socket)
{
    connection *client = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *client);

    if (client == NULL) {
        closesocket(socket);
        return;
    }
    client->server = server;
    client->socket = socket;
    if (shim_io_create(server->session, (HANDLE)socket, connection_completed, connection_closed, client,
                       &client->io) != SHIM_OK) {
        /* Never bound to the session: nothing else knows the socket. */
        closesocket(socket);
        HeapFree(GetProcessHeap(), 0, client);
        return;
    }
    AcquireSRWLockExclusive(&server->connections_lock);
    client->next = server->connections;
    if (client->next != NULL)
        client->next->previous = client;
    server->connections = client;
    ReleaseSRWLockExclusive(&server->connections_lock);
    start_next(client, 0);
}

/* From the stop hook: tell every client goodbye. Their pending operations
 * were already cancelled by the stop; the completions close their handles,
 * and each socket is closed in connection_closed. */
void echo_connections_shut_down(echo_server *server)
{
    AcquireSRWLockShared(&server->connections_lock);
    for (connection *client = server->connections; client != NULL; client = client->next)
        shutdown(client->socket, SD_BOTH);
    ReleaseSRWLockShared(&server->connections_lock);
}
