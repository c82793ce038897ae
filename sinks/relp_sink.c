/* The RELP sink: records to rsyslog's imrelp, each held until its "rsp 200".
 *
 *   waiting ──timer──> connecting ──connected──> opening ──rsp 200──> ready
 *      ^                    │                       │                   │
 *      └──── any failure: the connection closed, records in flight back ┘
 *            to the unsent queue, a report line, a backoff delay
 *
 * Every state change happens under `lock`, which is held only for memory
 * work and for starting overlapped operations: no wait, no DNS, no
 * on_durable call. One session timer serves every deadline: the next
 * attempt, the connect and open timeouts, and the oldest acknowledgement. */
#include <string.h>

#include "decimal.h"
#include "relp_connection.h"
#include "relp_frame.h"
#include "relp_response.h"
#include "relp_retry.h"
#include "relp_window.h"
#include "sink_report.h"
#include "syslog_message.h"

#define DEFAULT_WINDOW 128u
#define LARGEST_WINDOW 65536u
#define DEFAULT_RETRY_FIRST_MS 200u
#define DEFAULT_RETRY_MOST_MS 5000u
#define DEFAULT_TIMEOUT_MS 10000u
#define DEFAULT_ACK_TIMEOUT_MS 90000u
#define DEFAULT_STOP_LINGER_MS 2000u
/* A failure like the last one is said again after this long. */
#define REPEAT_REPORT_MS 60000u
/* Room for the largest frame: its header, the syslog header, the record, LF. */
#define SEND_CAPACITY \
    (SHIM__RELP_HEADER_CAPACITY + SHIM__SYSLOG_HEADER_CAPACITY + SHIM_SINK_RELP_RECORD_LIMIT + 1u)

typedef enum relp_state {
    STATE_WAITING = 0,
    STATE_CONNECTING,
    STATE_OPENING,
    STATE_READY,
    STATE_STOPPED
} relp_state;

/* Why a connection ended: one report line each. */
typedef enum relp_failure {
    FAILURE_NONE = 0,
    FAILURE_RESOLVE,
    FAILURE_REFUSED,
    FAILURE_CONNECT,
    FAILURE_CONNECT_TIMEOUT,
    FAILURE_NOT_RELP,
    FAILURE_OPEN_TIMEOUT,
    FAILURE_OPEN_REFUSED,
    FAILURE_ERROR_RESPONSE,
    FAILURE_SERVER_CLOSED,
    FAILURE_LOST,
    FAILURE_ACK_TIMEOUT
} relp_failure;

typedef struct relp_sink {
    shim_sink base;
    SRWLOCK lock;
    volatile LONG references; /* the owner's, the timer's, one per connection */
    relp_state state;
    char host[256];
    char port[8];
    int offer_syslog;
    syslog_origin origin;
    relp_window window;
    relp_retry retry;
    relp_connection *connection; /* the current one, or NULL */
    relp_connection *to_close;   /* let go under the lock, closed by unlock */
    int refused_finish_said;
    unsigned attempt; /* connection attempts begun */
    shim_timer *timer;
    ULONGLONG timer_due;   /* when the timer is armed for, 0: not armed */
    ULONGLONG retry_at;    /* waiting: the next attempt */
    ULONGLONG deadline;    /* connecting, opening: the timeout */
    ULONGLONG progress_at; /* ready: the last acknowledgement, or when one became awaited */
    /* Reports: a failure is said when it differs from the last one said,
     * or REPEAT_REPORT_MS after it. */
    relp_failure last_failure;
    unsigned long last_error;
    ULONGLONG last_report_at;
    ULONGLONG outage_began; /* the first failure since the last success, 0: none */
    unsigned failures_in_row;
    int too_large_said;
    int stop_said;
    /* A line made under the lock, sent once it is released (unlock). */
    int report_pending;
    shim_report report;
} relp_sink;

static void fail(relp_sink *sink, relp_failure failure, unsigned long error, const char *detail,
                 size_t length);

/* ---- References and the end ------------------------------------------- */

static void free_entries(relp_entry *entry)
{
    while (entry != NULL) {
        relp_entry *next = entry->next;

        HeapFree(GetProcessHeap(), 0, entry);
        entry = next;
    }
}

static void release(relp_sink *sink)
{
    if (InterlockedDecrement(&sink->references) != 0)
        return;
    free_entries(shim__relp_window_take_all(&sink->window));
    WSACleanup();
    HeapFree(GetProcessHeap(), 0, sink);
}

static void lock(relp_sink *sink)
{
    AcquireSRWLockExclusive(&sink->lock);
}

/* Releases the lock, then closes the connections let go under it and sends
 * the report line made under it, if any: a close may call back into the
 * sink at once, and writing a report may wait on a file. */
static void unlock(relp_sink *sink)
{
    shim_report report;
    int pending = sink->report_pending;
    relp_connection *to_close = sink->to_close;

    sink->to_close = NULL;
    if (pending) {
        report = sink->report;
        sink->report_pending = 0;
    }
    ReleaseSRWLockExclusive(&sink->lock);
    while (to_close != NULL) {
        relp_connection *next = to_close->next_to_close;

        shim__relp_connection_close(to_close);
        to_close = next;
    }
    if (pending)
        shim__sink_report_send(&report);
}

/* Lets the current connection go: unlock closes it. */
static void drop_connection(relp_sink *sink)
{
    if (sink->connection == NULL)
        return;
    sink->connection->next_to_close = sink->to_close;
    sink->to_close = sink->connection;
    sink->connection = NULL;
}

/* ---- The timer ---------------------------------------------------------- */

/* Makes the timer fire by `due` (a GetTickCount64 time): an earlier arm
 * stands, since its callback looks at every deadline again. */
static void arm_timer(relp_sink *sink, ULONGLONG due)
{
    ULONGLONG now = GetTickCount64();
    ULONGLONG delay = due > now ? due - now : 0;

    if (sink->timer_due != 0 && sink->timer_due <= due)
        return;
    if (shim_timer_start(sink->timer, (unsigned)(delay > MAXLONG ? MAXLONG : delay), 0) == SHIM_OK)
        sink->timer_due = due;
}

/* ---- Reports ------------------------------------------------------------ */

static void append_failure(shim_report *report, const relp_sink *sink, relp_failure failure)
{
    unsigned timeout = sink->base.options.timeout_ms;

    switch (failure) {
    case FAILURE_RESOLVE:
        shim__report_ascii(report, "the host name cannot be resolved");
        break;
    case FAILURE_REFUSED:
        shim__report_ascii(report,
                           "connection refused: nothing listens there (is rsyslog running, with imrelp on "
                           "this port?)");
        break;
    case FAILURE_CONNECT:
        shim__report_ascii(report, "connecting failed");
        break;
    case FAILURE_CONNECT_TIMEOUT:
        shim__report_ascii(report, "no connection within ");
        shim__sink_report_seconds(report, timeout);
        break;
    case FAILURE_NOT_RELP:
        shim__report_ascii(report, "the peer is not a RELP server");
        break;
    case FAILURE_OPEN_TIMEOUT:
        shim__report_ascii(report, "connected, but no answer to the RELP open within ");
        shim__sink_report_seconds(report, timeout);
        shim__report_ascii(report, ": the peer is not a RELP server (a plain TCP syslog port?)");
        break;
    case FAILURE_OPEN_REFUSED:
        shim__report_ascii(report, "the server refused the RELP session");
        break;
    case FAILURE_ERROR_RESPONSE:
        shim__report_ascii(report, "RELP error response");
        break;
    case FAILURE_SERVER_CLOSED:
        shim__report_ascii(report, "the server closed the connection");
        break;
    case FAILURE_LOST:
        shim__report_ascii(report, "the connection was lost");
        break;
    case FAILURE_ACK_TIMEOUT:
        shim__report_ascii(report, "no acknowledgement within ");
        shim__sink_report_seconds(report, sink->base.options.ack_timeout_ms);
        break;
    case FAILURE_NONE:
        break;
    }
}

static void report_failure(relp_sink *sink, relp_failure failure, unsigned long error, const char *detail,
                           size_t detail_length, unsigned delay_ms)
{
    ULONGLONG now = GetTickCount64();
    shim_report *report = &sink->report;

    if (failure == sink->last_failure && error == sink->last_error &&
        now - sink->last_report_at < REPEAT_REPORT_MS)
        return;
    sink->last_failure = failure;
    sink->last_error = error;
    sink->last_report_at = now;
    shim__sink_report_begin(report, &sink->base);
    append_failure(report, sink, failure);
    if (error != 0) {
        shim__report_ascii(report, " (error ");
        shim__report_number(report, error);
        shim__report_ascii(report, ")");
    }
    if (detail_length > 0) {
        shim__report_ascii(report, ": ");
        shim__sink_report_octets(report, detail, detail_length, 120);
    }
    if (sink->failures_in_row > 1) {
        shim__report_ascii(report, "; ");
        shim__report_number(report, sink->failures_in_row);
        shim__report_ascii(report, " failures in a row");
    }
    shim__report_ascii(report, "; ");
    shim__report_number(report, shim__relp_window_held(&sink->window));
    shim__report_ascii(report, " records kept, next attempt in ");
    shim__sink_report_seconds(report, delay_ms);
    sink->report_pending = 1;
}

static void report_recovered(relp_sink *sink)
{
    shim_report *report = &sink->report;

    if (sink->outage_began == 0)
        return;
    shim__sink_report_begin(report, &sink->base);
    shim__report_ascii(report, "RELP session open again after ");
    shim__report_number(report, sink->failures_in_row);
    shim__report_ascii(report, sink->failures_in_row == 1 ? " failure in " : " failures in ");
    shim__sink_report_seconds(report, (unsigned)(GetTickCount64() - sink->outage_began));
    shim__report_ascii(report, "; ");
    shim__report_number(report, shim__relp_window_held(&sink->window));
    shim__report_ascii(report, " records to send");
    sink->report_pending = 1;
    sink->outage_began = 0;
    sink->last_failure = FAILURE_NONE;
}

/* ---- Sending ------------------------------------------------------------ */

/* Starts sending the connection's buffer; a failure ends the connection. */
static void start_send(relp_sink *sink, relp_connection *connection)
{
    unsigned long error = 0;
    int status = shim__relp_connection_send(connection, &error);

    if (status == SHIM_OK)
        connection->sending = 1;
    else
        fail(sink, FAILURE_LOST, error, NULL, 0);
}

/* Appends one frame to the connection's send buffer; 0 if it does not fit. */
static int append_frame(relp_connection *connection, unsigned txnr, const char *command, const char *data,
                        size_t length)
{
    char header[SHIM__RELP_HEADER_CAPACITY];
    size_t header_length = shim__relp_frame_header(header, txnr, command, length);
    size_t frame_length = header_length + length + 1;
    char *out = connection->send_buffer + connection->send_length;

    if (header_length == 0 || frame_length > connection->send_capacity - connection->send_length)
        return 0;
    memcpy(out, header, header_length);
    memcpy(out + header_length, data, length);
    out[header_length + length] = '\n';
    connection->send_length += frame_length;
    return 1;
}

/* Ready, and no send pending: as many unsent records as the window and the
 * buffer allow go out in one send. */
static void pump(relp_sink *sink)
{
    relp_connection *connection = sink->connection;
    relp_entry *entry;
    int was_idle;

    if (sink->state != STATE_READY || connection == NULL || connection->sending)
        return;
    was_idle = shim__relp_window_oldest_in_flight(&sink->window) == NULL;
    connection->send_length = 0;
    connection->send_done = 0;
    while ((entry = shim__relp_window_next(&sink->window)) != NULL) {
        if (!append_frame(connection, sink->window.next_txnr, "syslog", entry->message, entry->length))
            break;
        if (entry->times_sent > 0)
            InterlockedIncrement64(&sink->base.resent);
        shim__relp_window_sent(&sink->window);
        InterlockedIncrement64(&sink->base.sent);
    }
    if (connection->send_length == 0)
        return;
    if (was_idle) {
        sink->progress_at = GetTickCount64();
        arm_timer(sink, sink->progress_at + sink->base.options.ack_timeout_ms);
    }
    start_send(sink, connection);
}

/* ---- Failures and attempts ----------------------------------------------- */

/* Ends the current connection (if any): its records in flight go back to be
 * sent again, and the next attempt comes after a backoff. */
static void fail(relp_sink *sink, relp_failure failure, unsigned long error, const char *detail,
                 size_t length)
{
    unsigned delay;

    if (sink->state == STATE_STOPPED)
        return;
    drop_connection(sink);
    shim__relp_window_restart(&sink->window);
    if (shim_session_stop_requested(sink->base.session)) {
        sink->state = STATE_STOPPED; /* the stop cancelled our I/O: not a failure to report */
        return;
    }
    /* An unload now does not wait for a collector that is not there. */
    (void)shim_session_set_stop_linger(sink->base.session, 0);
    InterlockedIncrement64(&sink->base.failures);
    sink->failures_in_row++;
    if (sink->outage_began == 0)
        sink->outage_began = GetTickCount64();
    delay = shim__relp_retry_failed(&sink->retry);
    sink->state = STATE_WAITING;
    sink->retry_at = GetTickCount64() + delay;
    arm_timer(sink, sink->retry_at);
    report_failure(sink, failure, error, detail, length, delay);
}

/* A failure whose detail is a constant sentence. */
static void fail_because(relp_sink *sink, relp_failure failure, const char *why)
{
    fail(sink, failure, 0, why, strlen(why));
}

static relp_failure failure_of_connect_error(unsigned long error)
{
    return error == ERROR_CONNECTION_REFUSED || error == WSAECONNREFUSED ? FAILURE_REFUSED : FAILURE_CONNECT;
}

static const relp_connection_events connection_events;

/* Pool thread (the timer): one attempt. The name is resolved outside the
 * lock (it may ask a DNS server); the connection is made current, and its
 * ConnectEx started, under it. Successive attempts take the resolved
 * addresses in turn. */
static void attempt_connection(relp_sink *sink)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_protocol = IPPROTO_TCP };
    struct addrinfo *addresses = NULL;
    struct addrinfo *chosen;
    relp_connection *connection = NULL;
    unsigned long error = 0;
    unsigned attempt;
    unsigned count = 0;
    int status;

    lock(sink);
    attempt = ++sink->attempt;
    sink->state = STATE_CONNECTING;
    sink->deadline = GetTickCount64() + sink->base.options.timeout_ms;
    arm_timer(sink, sink->deadline);
    unlock(sink);

    status = getaddrinfo(sink->host, sink->port, &hints, &addresses);
    lock(sink);
    if (sink->state != STATE_CONNECTING || sink->attempt != attempt) {
        unlock(sink); /* stopped, or timed out meanwhile */
        if (status == 0)
            freeaddrinfo(addresses);
        return;
    }
    if (status != 0) {
        fail(sink, FAILURE_RESOLVE, (unsigned long)status, NULL, 0);
        unlock(sink);
        return;
    }
    for (chosen = addresses; chosen != NULL; chosen = chosen->ai_next)
        count++;
    if (count == 0) {
        fail(sink, FAILURE_RESOLVE, WSAHOST_NOT_FOUND, NULL, 0);
        unlock(sink);
        freeaddrinfo(addresses);
        return;
    }
    chosen = addresses;
    for (unsigned skip = (attempt - 1) % count; skip > 0; skip--)
        chosen = chosen->ai_next;
    /* Under the lock: a completion must find the connection current. */
    InterlockedIncrement(&sink->references);
    status = shim__relp_connection_open(sink->base.session, chosen->ai_addr, (int)chosen->ai_addrlen,
                                        SEND_CAPACITY, &connection_events, sink, &connection, &error);
    if (status == SHIM_OK) {
        sink->connection = connection;
    } else {
        release(sink); /* never the last: the owner's reference stands while attempts run */
        if (status == SHIM_E_STOPPING || status == SHIM_E_CLOSED)
            sink->state = STATE_STOPPED;
        else
            fail(sink, failure_of_connect_error(error), error, NULL, 0);
    }
    unlock(sink);
    freeaddrinfo(addresses);
}

/* ---- Finishing what was acknowledged --------------------------------------
 *
 * The runtime accepts a finish from any thread, even before the on_message
 * that deferred the message has returned (an acknowledgement can come back
 * within tens of microseconds). A refusal would be a sink bug (a ticket
 * finished twice): said once, and the message stays in the journal for the
 * next session, flagged as a possible repeat. */

static void report_refused(relp_sink *sink, size_t count)
{
    shim_report report;

    shim__sink_report_begin(&report, &sink->base);
    shim__report_number(&report, count);
    shim__report_ascii(&report,
                       " acknowledged records could not be finished (the runtime refused their tickets); "
                       "their messages stay in the journal for the next session (said once)");
    shim__sink_report_send(&report);
}

/* Finishes each record of `records`, taken out of the sink. */
static void finish_durable(relp_sink *sink, relp_queue *records)
{
    size_t refused = 0;
    int say;

    while (records->head != NULL) {
        relp_entry *entry = records->head;

        records->head = entry->next;
        if (shim__sink_durable(&sink->base, entry->ticket, entry->sequence) != SHIM_OK)
            refused++;
        HeapFree(GetProcessHeap(), 0, entry);
    }
    if (refused == 0)
        return;
    lock(sink);
    say = !sink->refused_finish_said;
    sink->refused_finish_said = 1;
    unlock(sink);
    if (say)
        report_refused(sink, refused);
}

static void timer_fired(shim_session *session, shim_timer *timer, void *context)
{
    relp_sink *sink = context;
    ULONGLONG now = GetTickCount64();
    int connect_now = 0;

    (void)session;
    (void)timer;
    lock(sink);
    sink->timer_due = 0;
    switch (sink->state) {
    case STATE_WAITING:
        if (now >= sink->retry_at)
            connect_now = 1;
        else
            arm_timer(sink, sink->retry_at);
        break;
    case STATE_CONNECTING:
    case STATE_OPENING:
        if (now < sink->deadline)
            arm_timer(sink, sink->deadline);
        else
            fail(sink, sink->state == STATE_CONNECTING ? FAILURE_CONNECT_TIMEOUT : FAILURE_OPEN_TIMEOUT, 0,
                 NULL, 0);
        break;
    case STATE_READY:
        if (shim__relp_window_oldest_in_flight(&sink->window) == NULL)
            break; /* nothing awaited: the next send arms it */
        if (now - sink->progress_at < sink->base.options.ack_timeout_ms)
            arm_timer(sink, sink->progress_at + sink->base.options.ack_timeout_ms);
        else
            fail(sink, FAILURE_ACK_TIMEOUT, 0, NULL, 0);
        break;
    case STATE_STOPPED:
        break;
    }
    unlock(sink);
    if (connect_now)
        attempt_connection(sink);
}

static void timer_closed(shim_session *session, void *context)
{
    relp_sink *sink = context;

    (void)session;
    lock(sink);
    sink->timer = NULL; /* closed by the stop, if shim_sink_stop did not */
    unlock(sink);
    release(sink);
}

/* ---- Connection events --------------------------------------------------- */

static void connection_closed(void *owner, const relp_connection *connection)
{
    relp_sink *sink = owner;

    lock(sink);
    if (sink->connection == connection)
        sink->connection = NULL; /* closed by the stop, if nothing else did */
    unlock(sink);
    release(sink);
}

/* The open: "1 open LEN offers". */
static void send_open(relp_sink *sink, relp_connection *connection)
{
    char offers[SHIM__RELP_OFFERS_CAPACITY];
    size_t length = shim__relp_open_offers(offers, sink->offer_syslog);

    connection->send_length = 0;
    connection->send_done = 0;
    append_frame(connection, shim__relp_window_take_txnr(&sink->window), "open", offers, length);
    start_send(sink, connection);
}

static void start_receive(relp_sink *sink, relp_connection *connection)
{
    unsigned long error = 0;

    if (shim__relp_connection_receive(connection, &error) != SHIM_OK)
        fail(sink, FAILURE_LOST, error, NULL, 0);
}

static void connected(void *owner, relp_connection *connection, unsigned long error)
{
    relp_sink *sink = owner;

    lock(sink);
    if (connection == sink->connection && sink->state == STATE_CONNECTING) {
        if (error != 0) {
            fail(sink, failure_of_connect_error(error), error, NULL, 0);
        } else {
            sink->state = STATE_OPENING;
            sink->deadline = GetTickCount64() + sink->base.options.timeout_ms;
            arm_timer(sink, sink->deadline);
            shim__relp_window_restart(&sink->window);
            send_open(sink, connection);
            if (sink->connection == connection)
                start_receive(sink, connection);
        }
    }
    unlock(sink);
}

static void sent(void *owner, relp_connection *connection, unsigned long error, size_t bytes)
{
    relp_sink *sink = owner;

    lock(sink);
    connection->sending = 0;
    if (connection == sink->connection) {
        if (error != 0 || bytes == 0) {
            fail(sink, FAILURE_LOST, error, NULL, 0);
        } else {
            connection->send_done += bytes;
            if (connection->send_done < connection->send_length)
                start_send(sink, connection); /* the rest of a partial send */
            else
                pump(sink);
        }
    }
    unlock(sink);
}

/* The answer to the open: the session is ready, or refused. */
static void open_answered(relp_sink *sink, const relp_frame_parser *frame)
{
    relp_response response = shim__relp_read_response(frame->data, frame->data_length);
    const char *problem;

    if (frame->txnr != 1 || response.status < 0) {
        fail_because(sink, FAILURE_NOT_RELP, "its answer to the open is not a RELP response");
        return;
    }
    if (response.status != 200) {
        fail(sink, FAILURE_OPEN_REFUSED, 0, frame->data, frame->data_length);
        return;
    }
    problem = shim__relp_offers_problem(response.offers, response.offers_length);
    if (problem != NULL) {
        fail(sink, FAILURE_OPEN_REFUSED, 0, problem, strlen(problem));
        return;
    }
    sink->state = STATE_READY;
    /* An unload may again wait for the acknowledgements of what is held. */
    (void)shim_session_set_stop_linger(sink->base.session, sink->base.options.stop_linger_ms);
    InterlockedIncrement64(&sink->base.connections);
    report_recovered(sink);
    pump(sink);
}

/* A response in a ready session: the oldest record in flight is durable,
 * or refused (it stays, and the connection starts again). */
static void record_answered(relp_sink *sink, const relp_frame_parser *frame, relp_queue *durable)
{
    const relp_entry *oldest = shim__relp_window_oldest_in_flight(&sink->window);
    relp_response response = shim__relp_read_response(frame->data, frame->data_length);
    relp_entry *entry = NULL;

    if (oldest == NULL || oldest->txnr != frame->txnr || response.status < 0) {
        fail_because(sink, FAILURE_NOT_RELP, "a response that answers no record in flight");
        return;
    }
    if (response.status != 200) {
        fail(sink, FAILURE_ERROR_RESPONSE, 0, frame->data, frame->data_length);
        return;
    }
    shim__relp_window_acknowledge(&sink->window, frame->txnr, &entry);
    shim__relp_queue_push_back(durable, entry); /* on_durable runs once the lock is released */
    sink->progress_at = GetTickCount64();
    shim__relp_retry_succeeded(&sink->retry);
    sink->failures_in_row = 0;
}

static void frame_received(relp_sink *sink, const relp_frame_parser *frame, relp_queue *durable)
{
    if (frame->txnr == 0) { /* a hint: only serverclose means something */
        if (strcmp(frame->command, "serverclose") == 0)
            fail_because(sink, FAILURE_SERVER_CLOSED, "serverclose");
        return;
    }
    if (strcmp(frame->command, "rsp") != 0) {
        fail_because(sink, FAILURE_NOT_RELP, "it sent a command where only responses may come");
        return;
    }
    if (sink->state == STATE_OPENING)
        open_answered(sink, frame);
    else
        record_answered(sink, frame, durable);
}

/* Keeps what the peer sent first: a report shows it when it is not RELP. */
static void keep_first_octets(relp_connection *connection, size_t bytes)
{
    size_t room = SHIM__RELP_FIRST_OCTETS - connection->first_octets_length;
    size_t count = bytes < room ? bytes : room;

    memcpy(connection->first_octets + connection->first_octets_length, connection->receive_buffer, count);
    connection->first_octets_length += count;
}

static void parse_received(relp_sink *sink, relp_connection *connection, size_t bytes, relp_queue *durable)
{
    size_t at = 0;

    keep_first_octets(connection, bytes);
    while (at < bytes && sink->connection == connection) {
        size_t used = 0;
        relp_parse_result result =
            shim__relp_parse(&connection->parser, connection->receive_buffer + at, bytes - at, &used);

        at += used;
        if (result == RELP_PARSE_ERROR) {
            char detail[200];
            size_t length = strlen(connection->parser.error);

            memcpy(detail, connection->parser.error, length);
            /* A detail is octets with a length, not a string. */
            memcpy(detail + length, "; it sent: ", 11); // NOLINT(bugprone-not-null-terminated-result)
            length += 11;
            memcpy(detail + length, connection->first_octets, connection->first_octets_length);
            fail(sink, FAILURE_NOT_RELP, 0, detail, length + connection->first_octets_length);
        } else if (result == RELP_PARSE_FRAME) {
            frame_received(sink, &connection->parser, durable);
        }
    }
}

static void received(void *owner, relp_connection *connection, unsigned long error, size_t bytes)
{
    relp_sink *sink = owner;
    relp_queue durable = { 0 };

    lock(sink);
    if (connection == sink->connection) {
        if (error != 0)
            fail(sink, FAILURE_LOST, error, NULL, 0);
        else if (bytes == 0)
            fail(sink, FAILURE_SERVER_CLOSED, 0, NULL, 0);
        else
            parse_received(sink, connection, bytes, &durable);
        if (sink->connection == connection) {
            start_receive(sink, connection);
            pump(sink); /* the window has room again */
        }
    }
    unlock(sink);
    if (durable.head != NULL)
        finish_durable(sink, &durable);
}

static const relp_connection_events connection_events = {
    .connected = connected,
    .sent = sent,
    .received = received,
    .closed = connection_closed,
};

/* ---- The sink's operations ------------------------------------------------ */

static void report_too_large(relp_sink *sink, const shim_sink_record *record)
{
    shim_report report;

    if (InterlockedExchange((volatile LONG *)&sink->too_large_said, 1) != 0)
        return;
    shim__sink_report_begin(&report, &sink->base);
    shim__report_ascii(&report, "the record of sequence ");
    shim__report_number(&report, record->sequence);
    shim__report_ascii(&report, " has ");
    shim__report_number(&report, record->length);
    shim__report_ascii(&report, " octets, more than the RELP sink takes (65536); refused (said once)");
    shim__sink_report_send(&report);
}

static int relp_write(shim_sink *base, const shim_sink_record *record, int bounded)
{
    relp_sink *sink = (relp_sink *)base;
    relp_entry *entry;
    FILETIME now;
    unsigned long long time = record->time;
    int status = SHIM_OK;

    if (record->length > SHIM_SINK_RELP_RECORD_LIMIT) {
        report_too_large(sink, record);
        return SHIM_E_TOO_LARGE;
    }
    entry = HeapAlloc(GetProcessHeap(), 0, sizeof *entry + SHIM__SYSLOG_HEADER_CAPACITY + record->length);
    if (entry == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    if (time == 0) {
        GetSystemTimeAsFileTime(&now);
        time = ((unsigned long long)now.dwHighDateTime << 32) | now.dwLowDateTime;
    }
    entry->next = NULL;
    entry->ticket = record->ticket;
    entry->sequence = record->sequence;
    entry->txnr = 0;
    entry->times_sent = 0;
    entry->length =
        shim__syslog_header(entry->message, &sink->origin,
                            record->process_id != 0 ? record->process_id : GetCurrentProcessId(), time);
    if (record->length > 0)
        memcpy(entry->message + entry->length, record->text, record->length);
    entry->length += record->length;

    lock(sink);
    if (sink->state == STATE_STOPPED)
        status = SHIM_E_STOPPING;
    else if (bounded && shim__relp_window_held(&sink->window) >= base->options.capacity)
        status = SHIM_E_FULL;
    if (status == SHIM_OK) {
        shim__relp_window_add(&sink->window, entry);
        pump(sink);
    }
    unlock(sink);
    if (status != SHIM_OK)
        HeapFree(GetProcessHeap(), 0, entry);
    return status;
}

static int relp_write_at_exit(shim_sink *base, const shim_sink_record *record)
{
    (void)base;
    (void)record;
    return SHIM_E_PROCESS_EXITING; /* no network at exit: the message waits for the next session */
}

static void relp_stop(shim_sink *base)
{
    relp_sink *sink = (relp_sink *)base;
    shim_timer *timer;
    size_t held;
    int said;
    shim_report report;

    (void)shim_session_set_stop_linger(base->session, 0);
    lock(sink);
    sink->state = STATE_STOPPED;
    drop_connection(sink);
    shim__relp_window_restart(&sink->window);
    held = shim__relp_window_held(&sink->window);
    timer = sink->timer;
    sink->timer = NULL;
    said = sink->stop_said;
    sink->stop_said = 1;
    unlock(sink);
    if (timer != NULL)
        shim_timer_close(timer); /* timer_closed releases its reference */
    if (held == 0 || said)
        return;
    shim__sink_report_begin(&report, base);
    shim__report_ascii(&report, "stopped with ");
    shim__report_number(&report, held);
    shim__report_ascii(&report,
                       " records not acknowledged: their messages stay unfinished, for the next session");
    shim__sink_report_send(&report);
}

static void relp_close(shim_sink *base)
{
    release((relp_sink *)base);
}

static const sink_operations relp_operations = {
    .write = relp_write,
    .write_at_exit = relp_write_at_exit,
    .stop = relp_stop,
    .close = relp_close,
};

/* ---- Opening ---------------------------------------------------------------- */

static void fill_defaults(shim_sink_options *options)
{
    if (options->window == 0)
        options->window = DEFAULT_WINDOW;
    if (options->window > LARGEST_WINDOW)
        options->window = LARGEST_WINDOW;
    if (options->retry_first_ms == 0)
        options->retry_first_ms = DEFAULT_RETRY_FIRST_MS;
    if (options->retry_most_ms == 0)
        options->retry_most_ms = DEFAULT_RETRY_MOST_MS;
    if (options->timeout_ms == 0)
        options->timeout_ms = DEFAULT_TIMEOUT_MS;
    if (options->ack_timeout_ms == 0)
        options->ack_timeout_ms = DEFAULT_ACK_TIMEOUT_MS;
    if (options->stop_linger_ms == 0)
        options->stop_linger_ms = DEFAULT_STOP_LINGER_MS;
    else if (options->stop_linger_ms == SHIM_SINK_NO_STOP_LINGER)
        options->stop_linger_ms = 0;
    else if (options->stop_linger_ms > SHIM_MAX_STOP_LINGER_MS)
        options->stop_linger_ms = SHIM_MAX_STOP_LINGER_MS;
}

/* Whether the open offers the syslog command: always, except in a test
 * build (fault injection) with TWINSHIM_FAULT_RELP_NO_SYSLOG_OFFER set,
 * which makes a real rsyslog refuse the session with a RELP error. */
static int offers_syslog(void)
{
#ifdef SHIM_FAULT_INJECTION
    return GetEnvironmentVariableW(L"TWINSHIM_FAULT_RELP_NO_SYSLOG_OFFER", NULL, 0) == 0;
#else
    return 1;
#endif
}

/* The machine's name for HOSTNAME: its DNS name, else its NetBIOS name. */
static void machine_name(char *name, DWORD capacity)
{
    DWORD length = capacity;

    if (GetComputerNameExA(ComputerNameDnsFullyQualified, name, &length) && length > 0)
        return;
    length = capacity;
    if (!GetComputerNameA(name, &length))
        name[0] = '\0';
}

int shim__relp_sink_open(shim_session *session, const sink_target *target, const wchar_t *label,
                         const shim_sink_options *options, shim_sink **out_sink)
{
    relp_sink *sink;
    WSADATA winsock;
    char hostname[SHIM__SYSLOG_HOSTNAME_MAX + 1];
    int status;

    if (WSAStartup(MAKEWORD(2, 2), &winsock) != 0)
        return SHIM_E_SYSTEM;
    sink = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *sink);
    if (sink == NULL) {
        WSACleanup();
        return SHIM_E_OUT_OF_MEMORY;
    }
    shim__sink_init(&sink->base, &relp_operations, session, label, options);
    fill_defaults(&sink->base.options);
    InitializeSRWLock(&sink->lock);
    sink->references = 2; /* the owner's and the timer's */
    memcpy(sink->host, target->host, sizeof sink->host);
    sink->port[shim__decimal(sink->port, target->port, 0)] = '\0';
    sink->offer_syslog = offers_syslog();
    machine_name(hostname, sizeof hostname);
    shim__syslog_origin_init(&sink->origin, hostname, sink->base.options.app_name,
                             sink->base.options.facility, sink->base.options.severity);
    shim__relp_window_init(&sink->window, sink->base.options.window);
    shim__relp_retry_init(&sink->retry, sink->base.options.retry_first_ms, sink->base.options.retry_most_ms,
                          GetTickCount() ^ (GetCurrentProcessId() << 16));
    status = shim_timer_create(session, timer_fired, timer_closed, sink, &sink->timer);
    if (status != SHIM_OK) {
        WSACleanup();
        HeapFree(GetProcessHeap(), 0, sink);
        return status;
    }
    /* An unload before the first connection was made waits for it, and
     * for the acknowledgements: a program that runs for a moment. */
    (void)shim_session_set_stop_linger(session, sink->base.options.stop_linger_ms);
    /* The first attempt on a pool thread: opening never waits on the network. */
    sink->state = STATE_WAITING;
    sink->retry_at = GetTickCount64();
    lock(sink);
    arm_timer(sink, sink->retry_at);
    unlock(sink);
    *out_sink = &sink->base;
    return SHIM_OK;
}
