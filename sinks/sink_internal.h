/* What every sink shares, and how shim_sink_* reaches each kind. A sink is
 * a struct whose first member is a shim_sink; its operations do the work.
 * Layers, bottom up: decimal, the protocol pieces (relp_frame,
 * relp_response, relp_window, relp_retry, syslog_message), then the sink's parts
 * (sink_target, sink_report), then the sinks (file_sink, relp_connection
 * under relp_sink), then sink.c, the public functions. */
#ifndef TWINSHIM_SINKS_SINK_INTERNAL_H
#define TWINSHIM_SINKS_SINK_INTERNAL_H

#include <winsock2.h>
#include <windows.h>

#include "twinshim/sink.h"

#define SHIM__SINK_DEFAULT_CAPACITY 4096u
#define SHIM__SINK_DEFAULT_FACILITY 1u /* user */
#define SHIM__SINK_DEFAULT_SEVERITY 6u /* info */
#define SHIM__SINK_LABEL_CAPACITY 300u

typedef struct sink_operations {
    /* Nonzero: a write that returns SHIM_OK made the record durable (the
     * file). Zero: the sink calls shim__sink_durable later (RELP). */
    int durable_at_once;
    /* bounded: refuse with SHIM_E_FULL at capacity (shim_sink_write); a
     * delivered message is bounded by the session's deferred limit instead,
     * which a batch of messages may pass by a few, and a refusal would only
     * leave it stuck until the next session. */
    int (*write)(shim_sink *sink, const shim_sink_record *record, int bounded);
    int (*write_at_exit)(shim_sink *sink, const shim_sink_record *record);
    void (*stop)(shim_sink *sink);
    /* Frees the sink, now or once its last handle has closed. */
    void (*close)(shim_sink *sink);
} sink_operations;

struct shim_sink {
    const sink_operations *operations;
    shim_session *session;
    shim_sink_options options; /* defaults filled in; app_name points into app_name below */
    char app_name[64];
    wchar_t label[SHIM__SINK_LABEL_CAPACITY]; /* "relp://host:port" or the file's path, for reports */
    volatile LONG64 written;
    volatile LONG64 durable;
    volatile LONG64 refused;
    volatile LONG64 sent;
    volatile LONG64 resent;
    volatile LONG64 connections;
    volatile LONG64 failures;
    volatile LONG64 last_durable_sequence;
};

/* A target, read: the RELP collector's host and port, or a file's path. */
typedef struct sink_target {
    int is_relp;
    char host[256];
    unsigned short port;
    const wchar_t *path; /* the target itself, for a file */
} sink_target;

/* Reads "relp://HOST:PORT" or a path. SHIM_E_INVALID_ARGUMENT, and a
 * constant sentence in *problem, when it is neither. */
int shim__sink_read_target(const wchar_t *text, sink_target *target, const char **problem);

/* Fills the common part: options with their defaults, the label. */
void shim__sink_init(shim_sink *sink, const sink_operations *operations, shim_session *session,
                     const wchar_t *label, const shim_sink_options *options);

/* A record is durable: calls on_durable, or finishes its message (from any
 * thread, even before the on_message that deferred it has returned). Never
 * under a lock. SHIM_OK, counted; or shim_message_finish's refusal (a
 * ticket finished twice: a bug). */
int shim__sink_durable(shim_sink *sink, unsigned long long ticket, unsigned long long sequence);

/* The opening of a sink: the file sink, the RELP sink. */
int shim__file_sink_open(shim_session *session, const wchar_t *path, const shim_sink_options *options,
                         shim_sink **sink);
int shim__relp_sink_open(shim_session *session, const sink_target *target, const wchar_t *label,
                         const shim_sink_options *options, shim_sink **sink);

#endif
