/* The echo worker: a loopback TCP echo service on thread-pool I/O, with no
 * thread per connection. It listens on 127.0.0.1 at the port named by
 * TWINSHIM_ECHO_PORT, from its start hook to its stop hook. */
#include <stdlib.h>

#include "echo_server.h"

static void post_accept(accept_slot *slot)
{
    echo_server *server = slot->server;
    DWORD received = 0;

    slot->socket = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    if (slot->socket == INVALID_SOCKET)
        return;
    if (shim_io_start(server->listener_io) != SHIM_OK) {
        closesocket(slot->socket); /* stopping */
        return;
    }
    ZeroMemory(&slot->overlapped, sizeof slot->overlapped);
    if (!server->accept_ex(server->listener, slot->socket, slot->addresses, 0, ECHO_ADDRESS_SIZE,
                           ECHO_ADDRESS_SIZE, &received, &slot->overlapped) &&
        WSAGetLastError() != ERROR_IO_PENDING) {
        shim_io_abandon(server->listener_io);
        closesocket(slot->socket);
    }
}

static void accept_completed(shim_session *session, shim_io *io, void *context, OVERLAPPED *overlapped,
                             unsigned long result, size_t bytes_transferred)
{
    echo_server *server = context;
    accept_slot *slot = (accept_slot *)overlapped;

    (void)session;
    (void)io;
    (void)bytes_transferred;
    if (result != 0) {
        closesocket(slot->socket); /* the listener was closed, or the stop cancelled it */
        return;
    }
    setsockopt(slot->socket, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&server->listener,
               sizeof server->listener);
    echo_connection_open(server, slot->socket);
    post_accept(slot);
}

/* on_closed of the listener's shim_io: no AcceptEx is pending any more, so
 * its socket can go. Closed any earlier, the socket's handle value could be
 * reused by another socket whose I/O the close would then cancel. */
static void listener_closed(shim_session *session, void *context)
{
    echo_server *server = context;

    (void)session;
    closesocket(server->listener);
}

static SOCKET listen_on_loopback(unsigned short port)
{
    SOCKET listener = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKADDR_IN address = { .sin_family = AF_INET, .sin_port = htons(port) };

    if (listener == INVALID_SOCKET)
        return INVALID_SOCKET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (SOCKADDR *)&address, sizeof address) != 0 || listen(listener, SOMAXCONN) != 0) {
        closesocket(listener);
        return INVALID_SOCKET;
    }
    return listener;
}

static int echo_start(shim_session *session, void **plugin_state)
{
    GUID accept_ex_id = WSAID_ACCEPTEX;
    char port_text[16];
    WSADATA winsock;
    echo_server *server;
    DWORD returned = 0;
    long port;

    if (GetEnvironmentVariableA("TWINSHIM_ECHO_PORT", port_text, sizeof port_text) == 0)
        return SHIM_E_INVALID_ARGUMENT;
    port = strtol(port_text, NULL, 10);
    if (port <= 0 || port > 65535)
        return SHIM_E_INVALID_ARGUMENT;
    /* A stop drops what is queued, and up to four completions run at once. */
    if (shim_session_set_stop_policy(session, SHIM_STOP_CANCEL) != SHIM_OK ||
        shim_session_set_max_threads(session, 4) != SHIM_OK)
        return SHIM_E_INVALID_ARGUMENT;
    if (WSAStartup(MAKEWORD(2, 2), &winsock) != 0)
        return SHIM_E_SYSTEM;
    server = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *server);
    if (server == NULL) {
        WSACleanup();
        return SHIM_E_OUT_OF_MEMORY;
    }
    server->session = session;
    InitializeSRWLock(&server->connections_lock);
    server->listener = listen_on_loopback((unsigned short)port);
    if (server->listener == INVALID_SOCKET ||
        WSAIoctl(server->listener, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_ex_id, sizeof accept_ex_id,
                 &server->accept_ex, sizeof server->accept_ex, &returned, NULL, NULL) != 0 ||
        shim_io_create(session, (HANDLE)server->listener, accept_completed, listener_closed, server,
                       &server->listener_io) != SHIM_OK) {
        if (server->listener != INVALID_SOCKET)
            closesocket(server->listener);
        HeapFree(GetProcessHeap(), 0, server);
        WSACleanup();
        return SHIM_E_SYSTEM;
    }
    for (int i = 0; i < ECHO_ACCEPTS_IN_FLIGHT; i++) {
        server->slots[i].server = server;
        post_accept(&server->slots[i]);
    }
    *plugin_state = server;
    return SHIM_OK;
}

/* The stop hook: no new clients (the close cancels the pending AcceptEx
 * calls; listener_closed closes the socket), and every open connection is
 * shut down. */
static void echo_stopping(shim_session *session, void *plugin_state)
{
    echo_server *server = plugin_state;

    (void)session;
    shim_io_close(server->listener_io);
    echo_connections_shut_down(server);
}

static void echo_stopped(shim_session *session, void *plugin_state)
{
    (void)session;
    HeapFree(GetProcessHeap(), 0, plugin_state);
    WSACleanup();
}

static void echo_message(shim_session *session, const shim_message *message)
{
    (void)session;
    (void)message;
}

static const shim_plugin echo_plugin = {
    .on_start = echo_start,
    .on_message = echo_message,
    .on_stopping = echo_stopping,
    .on_stopped = echo_stopped,
};

SHIM_DEFINE_PLUGIN(echo_plugin)
