/* One TCP connection of the RELP sink, on the session's own I/O handle
 * (shim_io): a ConnectEx, then at most one send and one receive pending at
 * a time. It knows nothing of RELP: it moves octets and reports each
 * completion to its owner through `events`. Each connection attempt is a
 * new connection; a closed one cancels what is pending, and once its last
 * completion has run, its socket is closed and `closed` is called. */
#ifndef TWINSHIM_SINKS_RELP_CONNECTION_H
#define TWINSHIM_SINKS_RELP_CONNECTION_H

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include "twinshim/worker.h"

#include "relp_frame.h"

/* What one receive may bring. */
#define SHIM__RELP_RECEIVE_CAPACITY 4096u
/* What the peer sent first, kept for a report when it is not RELP. */
#define SHIM__RELP_FIRST_OCTETS 48u

typedef struct relp_connection relp_connection;

/* Each runs on a pool thread, once per completed operation; `error` is a
 * Windows error code (0: success). Never two of one kind at once. */
typedef struct relp_connection_events {
    void (*connected)(void *owner, relp_connection *connection, unsigned long error);
    void (*sent)(void *owner, relp_connection *connection, unsigned long error, size_t bytes);
    void (*received)(void *owner, relp_connection *connection, unsigned long error, size_t bytes);
    /* The last completion has run; the connection is freed right after
     * (the pointer is for comparing only). */
    void (*closed)(void *owner, const relp_connection *connection);
} relp_connection_events;

typedef struct relp_operation {
    OVERLAPPED overlapped; /* first: completions hand back its address */
    int kind;
} relp_operation;

struct relp_connection {
    const relp_connection_events *events;
    void *owner;
    SOCKET socket;
    shim_io *io;
    LPFN_CONNECTEX connect_ex;
    relp_operation connect_operation;
    relp_operation send_operation;
    relp_operation receive_operation;
    /* Sending: send_buffer[send_done, send_length) is on its way while
     * `sending` (the owner's, under its lock). */
    int sending;
    size_t send_length;
    size_t send_done;
    /* The owner's: connections it has let go, to close outside its lock
     * (a close with nothing pending runs `closed` at once). */
    relp_connection *next_to_close;
    /* Receiving: the owner parses what a receive brought. */
    relp_frame_parser parser;
    char first_octets[SHIM__RELP_FIRST_OCTETS];
    size_t first_octets_length;
    char receive_buffer[SHIM__RELP_RECEIVE_CAPACITY];
    size_t send_capacity;
    char send_buffer[];
};

/* Makes a socket for `address`, binds it to the session's pool and starts
 * connecting. SHIM_OK: exactly one `connected` event follows (with an error
 * if it failed or was cancelled), and `closed` once it is closed. Else an
 * error, with the Windows error in *error, and nothing follows. */
int shim__relp_connection_open(shim_session *session, const struct sockaddr *address, int address_length,
                               size_t send_capacity, const relp_connection_events *events, void *owner,
                               relp_connection **connection, unsigned long *error);

/* Sends send_buffer[send_done, send_length). SHIM_OK: a `sent` event
 * follows. Else nothing follows: SHIM_E_SYSTEM with the Windows error in
 * *error, or shim_io_start's refusal (SHIM_E_STOPPING, SHIM_E_CLOSED). */
int shim__relp_connection_send(relp_connection *connection, unsigned long *error);

/* Receives into receive_buffer. As for sending, with a `received` event. */
int shim__relp_connection_receive(relp_connection *connection, unsigned long *error);

/* Cancels what is pending and closes; `closed` follows once the last
 * completion has run, on this thread if nothing was pending. Once per
 * connection. */
void shim__relp_connection_close(relp_connection *connection);

#endif
