/* The RELP transaction window: the records a sink holds, in the order it
 * took them, as two queues.
 *
 *   unsent     not sent on the current connection yet
 *   in flight  sent with a transaction number, waiting for its "rsp"
 *
 * A record leaves only when its response comes (the server answers in the
 * order it received). When a connection is lost, every record in flight
 * goes back to the front of the unsent queue, in order, to be sent again on
 * the next connection: those are the only records that may reach the server
 * twice. Transaction numbers are per connection: 1 is the open's. Nothing
 * here locks or touches a socket; the sink holds its lock around it. */
#ifndef TWINSHIM_SINKS_RELP_WINDOW_H
#define TWINSHIM_SINKS_RELP_WINDOW_H

#include <stddef.h>

/* One record: its syslog message (RFC 5424 header and the record's text),
 * kept until the server acknowledged it. */
typedef struct relp_entry {
    struct relp_entry *next;
    unsigned long long ticket;
    unsigned long long sequence;
    unsigned txnr;  /* while in flight */
    int times_sent; /* on any connection */
    size_t length;  /* of message */
    char message[];
} relp_entry;

typedef struct relp_queue {
    relp_entry *head;
    relp_entry *tail;
    size_t count;
} relp_queue;

typedef struct relp_window {
    relp_queue unsent;
    relp_queue in_flight;
    unsigned limit;     /* the most in flight at once */
    unsigned next_txnr; /* of the next command on this connection */
} relp_window;

/* Appends to a queue (also one of the caller's own). */
void shim__relp_queue_push_back(relp_queue *queue, relp_entry *entry);

void shim__relp_window_init(relp_window *window, unsigned limit);

/* The number of records held, sent or not. */
size_t shim__relp_window_held(const relp_window *window);

/* Appends a record to the unsent queue. */
void shim__relp_window_add(relp_window *window, relp_entry *entry);

/* The next command's transaction number, taken (the open takes 1). */
unsigned shim__relp_window_take_txnr(relp_window *window);

/* The record that would be sent next, or NULL when none is unsent or the
 * window is full. It stays unsent until shim__relp_window_sent. */
relp_entry *shim__relp_window_next(const relp_window *window);

/* The record shim__relp_window_next returned goes in flight, under the
 * next transaction number (stored in it). */
void shim__relp_window_sent(relp_window *window);

typedef enum relp_ack_result {
    RELP_ACK_OK = 0,    /* *entry left the window: the caller owns it */
    RELP_ACK_UNEXPECTED /* no record in flight has that number, or it is not the oldest */
} relp_ack_result;

/* The response to `txnr` came: the oldest record in flight must carry it. */
relp_ack_result shim__relp_window_acknowledge(relp_window *window, unsigned txnr, relp_entry **entry);

/* The oldest record in flight, or NULL. */
const relp_entry *shim__relp_window_oldest_in_flight(const relp_window *window);

/* A new connection: every record in flight goes back, in order, before the
 * unsent ones; the next transaction number is 1 again. Returns how many
 * went back. */
size_t shim__relp_window_restart(relp_window *window);

/* Empties both queues into one list, in order (to free them). */
relp_entry *shim__relp_window_take_all(relp_window *window);

#endif
