/* twinshim sinks: where a worker's records go, and when they are done.
 *
 * A record is one JSON object in UTF-8, the line of a JSON Lines file
 * without its line break, that the plugin made from one message. A sink
 * takes records one at a time and says when each is durable:
 *   file  (the default) the line was appended to the file: WriteFile
 *         returned, so it survives the death of the process (with
 *         flush_each, FlushFileBuffers returned too: it survives a crash of
 *         the machine);
 *   relp  rsyslog acknowledged it (RELP "rsp 200"): it is in rsyslog's
 *         queue. What rsyslog then guarantees is its queue's business
 *         (docs/sinks.md).
 * A message leaves the journal only once its record is durable: in
 * on_message, shim_sink_deliver writes the record; the file sink makes it
 * durable at once (the message is finished when on_message returns), the
 * RELP sink defers the message (shim_message_defer) and finishes it
 * (shim_message_finish) on the acknowledgement. A message whose record
 * is not durable when the session stops or the process dies is never
 * finished: the next session gets it again, flagged as a possible repeat,
 * and writes it again. So a record may arrive twice (its sequence number
 * tells), and is never lost.
 *
 * The RELP sink is a client on the session's own I/O and timer handles
 * (twinshim/worker.h): it connects, opens a RELP session, keeps up to
 * `window` records unacknowledged, and after any failure (connection
 * refused, lost, not a RELP server, an error response, no answer in time)
 * says so in one report line, keeps every record and connects again after a
 * backoff with jitter. Nothing in it waits: writing never waits on the
 * network, and the stop cancels its I/O like any other.
 *
 * Link the library with the worker: target_link_libraries(my_worker PRIVATE
 * twinshim::sinks). Every function returns SHIM_OK or a negative
 * shim_status; a NULL sink is SHIM_E_INVALID_ARGUMENT. */
#ifndef TWINSHIM_SINK_H
#define TWINSHIM_SINK_H

#include <stddef.h>
#include <wchar.h>

#include "twinshim/status.h"
#include "twinshim/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_sink shim_sink;

/* The target's prefix that chooses the RELP sink: "relp://HOST:PORT", where
 * HOST is a name, an IPv4 address or an IPv6 address in brackets. Any other
 * target is the path of a JSON Lines file. */
#define SHIM_SINK_RELP_PREFIX L"relp://"

/* The longest record text the RELP sink takes (RELP's frame limit is 128
 * KiB; rsyslog's own limit, maxMessageSize, must be at least this plus the
 * 400-octet syslog header for records this long to arrive whole). */
#define SHIM_SINK_RELP_RECORD_LIMIT (64u * 1024u)
/* shim_sink_options.stop_linger_ms: no linger. */
#define SHIM_SINK_NO_STOP_LINGER 0xFFFFFFFFu

/* Once per record written with SHIM_OK, when it is durable. The file sink
 * calls it inside shim_sink_write; the RELP sink on a pool thread of the
 * session. Never under a lock of the sink: it may call shim_sink_write. A
 * sink whose on_durable is NULL finishes the message itself:
 * shim_message_finish(session, ticket). */
typedef void (*shim_sink_durable_function)(void *context, unsigned long long ticket);

/* Every field may be left 0 (or NULL) for its default. */
typedef struct shim_sink_options {
    /* RFC 5424 APP-NAME: the front's file name ("legacy.dll"). NULL: "-". */
    const char *app_name;
    /* RFC 5424 facility 1-23 (0: 1, user) and severity 0-7 (0: 6, info;
     * programs have no use for 0, emergency, or for facility 0, kernel). */
    unsigned facility;
    unsigned severity;
    /* The most records shim_sink_write lets a sink hold, not yet durable
     * (default 4096): above it, SHIM_E_FULL. shim_sink_deliver is bounded by
     * the session's deferred limit instead (shim_session_set_deferred_limit). */
    unsigned capacity;
    /* RELP: the most records sent and not yet acknowledged (default 128,
     * librelp's). */
    unsigned window;
    /* RELP: the first and the longest delay before connecting again
     * (defaults 200 ms and 5000 ms). */
    unsigned retry_first_ms;
    unsigned retry_most_ms;
    /* RELP: the longest wait for a connection or for the answer to the
     * open before the attempt is given up (default 10000 ms). */
    unsigned timeout_ms;
    /* RELP: the longest wait for the oldest acknowledgement before the
     * connection is given up and its records sent again (default 90000 ms,
     * omrelp's: rsyslog holds acknowledgements back while its queue is
     * full, and a shorter wait would resend what it is still taking). */
    unsigned ack_timeout_ms;
    /* RELP: how long the front's unload may wait for the collector to
     * acknowledge what the session still holds (the session's stop linger,
     * shim_session_set_stop_linger: default 2000 ms, at most
     * SHIM_MAX_STOP_LINGER_MS; SHIM_SINK_NO_STOP_LINGER: none). The program
     * never waits for it. While no connection is up (a failure, the
     * collector down) the sink ends the linger at once: those records wait
     * in the journal for the next session. */
    unsigned stop_linger_ms;
    /* File: FlushFileBuffers after each record, before on_durable. */
    int flush_each;
    /* Called once per durable record, with `context`; NULL (the usual):
     * the ticket is a message's, and the sink finishes it. A plugin that
     * sets it finishes the message itself. */
    shim_sink_durable_function on_durable;
    void *context;
} shim_sink_options;

/* One record, as the plugin made it from one message. */
typedef struct shim_sink_record {
    const char *text; /* the JSON object, without a line break; copied */
    size_t length;
    /* The message's sequence number: in reports, and the last acknowledged
     * one in the counters. */
    unsigned long long sequence;
    /* The process that posted the message (RFC 5424 PROCID): for a
     * recovered message, the process that died. 0: this process. */
    unsigned long process_id;
    /* When the record was made, a FILETIME in UTC (RFC 5424 TIMESTAMP).
     * 0: when the sink takes it. */
    unsigned long long time;
    /* Handed back to on_durable: the message's ticket (shim_message_defer). */
    unsigned long long ticket;
} shim_sink_record;

/* Opens a sink for `target` (see SHIM_SINK_RELP_PREFIX) in the session, for
 * example in on_start. The file is opened (created if missing) here; the
 * RELP sink starts connecting here, and records written before the
 * connection is up wait in it. SHIM_E_INVALID_ARGUMENT for an empty target
 * or a RELP target that is not HOST:PORT (and a report line says which);
 * SHIM_E_SYSTEM when the file cannot be opened or a handle
 * cannot be made; SHIM_E_STOPPING for the RELP sink once the session's
 * stop was requested (its handles are refused: the messages wait for the
 * next session). A file sink opens even then: the drain still delivers. */
int shim_sink_open(shim_session *session, const wchar_t *target, const shim_sink_options *options,
                   shim_sink **sink);

/* Only inside on_message, for its message, with the record made from it,
 * for a sink without on_durable (else SHIM_E_INVALID_ARGUMENT): writes the
 * record with the message's sequence number and process, and the message
 * leaves the journal once the record is durable. The file sink writes it
 * at once: the message is finished when on_message returns. The RELP sink
 * defers it (shim_message_defer) and finishes it on the acknowledgement.
 * SHIM_OK; or shim_message_defer's refusal, and nothing is written; or
 * the write's refusal (said in the report where it matters), and the
 * message stays deferred, unfinished: the next session gets it again. What
 * the sink holds is bounded by the session's deferred limit
 * (shim_session_set_deferred_limit): at the limit the runtime stops
 * delivering, and the journal holds the backlog. */
int shim_sink_deliver(shim_sink *sink, const shim_message *message, const char *text, size_t length);

/* Takes one record; any thread, never waits on the network. SHIM_OK: the
 * record is the sink's (the text was copied) and, once it is durable,
 * on_durable runs for it, or without on_durable the sink finishes its
 * ticket, which must then be a deferred message's; never if the session
 * stops first. Errors, where nothing more happens for it: SHIM_E_FULL (capacity records are held),
 * SHIM_E_TOO_LARGE (RELP, above SHIM_SINK_RELP_RECORD_LIMIT),
 * SHIM_E_STOPPING (after shim_sink_stop), SHIM_E_OUT_OF_MEMORY,
 * SHIM_E_SYSTEM (the file write failed: GetLastError says why). */
int shim_sink_write(shim_sink *sink, const shim_sink_record *record);

/* For on_exit_message, under its rules (no heap, no waiting). The file sink
 * appends the line, unless a thread that is still alive holds the file
 * (SHIM_E_PROCESS_EXITING). The RELP sink cannot send at exit and returns
 * SHIM_E_PROCESS_EXITING: the message stays for the next session. */
int shim_sink_write_at_exit(shim_sink *sink, const shim_sink_record *record);

/* From on_stopping. The RELP sink opens no new connection, closes the
 * current one (the stop cancels its I/O anyway) and refuses writes from
 * now on (SHIM_E_STOPPING): records not yet durable stay unfinished, for
 * the next session. The file sink goes on writing: the drain still
 * delivers messages after on_stopping. */
int shim_sink_stop(shim_sink *sink);

/* From on_stopped (every handle of the session is closed by then): frees
 * the sink and what it held. Its held records are forgotten, not finished. */
int shim_sink_close(shim_sink *sink);

typedef struct shim_sink_counters {
    long long written;                        /* records taken (shim_sink_write, shim_sink_deliver) */
    long long durable;                        /* made durable: on_durable called, or message finished */
    long long held;                           /* taken and not durable yet */
    long long refused;                        /* writes that returned an error */
    long long sent;                           /* RELP: record frames sent, resends included */
    long long resent;                         /* RELP: records sent again after a lost connection */
    long long connections;                    /* RELP: sessions opened (the open answered 200) */
    long long failures;                       /* RELP: connections and sessions that failed */
    unsigned long long last_durable_sequence; /* of the latest record made durable */
} shim_sink_counters;

int shim_sink_get_counters(const shim_sink *sink, shim_sink_counters *counters);

#ifdef __cplusplus
}
#endif

#endif
