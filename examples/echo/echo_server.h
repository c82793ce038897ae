/* The echo worker's state: a listening socket with AcceptEx calls in flight,
 * and the open connections, each bound to the session's pool. */
#ifndef ECHO_SERVER_H
#define ECHO_SERVER_H

#include <winsock2.h>
#include <mswsock.h>
#include <windows.h>

#include "twinshim/worker.h"

#define ECHO_ACCEPTS_IN_FLIGHT 16
#define ECHO_BUFFER_SIZE 1024
#define ECHO_ADDRESS_SIZE (sizeof(SOCKADDR_IN) + 16)

typedef struct echo_server echo_server;

typedef struct accept_slot {
    OVERLAPPED overlapped; /* first: completions hand back this address */
    echo_server *server;
    SOCKET socket; /* the socket AcceptEx accepts into */
    char addresses[2 * ECHO_ADDRESS_SIZE];
} accept_slot;

typedef struct connection {
    OVERLAPPED overlapped; /* first: one operation at a time, receive or send */
    echo_server *server;
    struct connection *previous;
    struct connection *next;
    SOCKET socket;
    shim_io *io;
    int sending;
    WSABUF buffer_view;
    char buffer[ECHO_BUFFER_SIZE];
} connection;

struct echo_server {
    shim_session *session;
    SOCKET listener;
    shim_io *listener_io;
    LPFN_ACCEPTEX accept_ex;
    accept_slot slots[ECHO_ACCEPTS_IN_FLIGHT];
    SRWLOCK connections_lock;
    connection *connections;
};

/* Connections: receive, echo back, repeat; closed on error, EOF or stop. */
void echo_connection_open(echo_server *server, SOCKET socket);
void echo_connections_shut_down(echo_server *server);

#endif
