/* The RFC 5424 header that goes before each record's text:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA SP MSG
 *
 * PRI is facility * 8 + severity; TIMESTAMP is the record's time in UTC
 * with microseconds; HOSTNAME the machine's name; APP-NAME the front's file
 * name; PROCID the id of the process that made the record; MSGID and
 * STRUCTURED-DATA are left out ("-"). MSG is the record's JSON, as it is.
 * Fields hold only what RFC 5424 allows (printable US-ASCII, bounded
 * lengths): anything else is replaced by '_', and longer names are cut. */
#ifndef TWINSHIM_SINKS_SYSLOG_MESSAGE_H
#define TWINSHIM_SINKS_SYSLOG_MESSAGE_H

#include <stddef.h>

#define SHIM__SYSLOG_HOSTNAME_MAX 255u
#define SHIM__SYSLOG_APP_NAME_MAX 48u
/* "<191>1 " + timestamp (27) + the fields, their spaces and "- - ". */
#define SHIM__SYSLOG_HEADER_CAPACITY \
    (7u + 27u + 1u + SHIM__SYSLOG_HOSTNAME_MAX + 1u + SHIM__SYSLOG_APP_NAME_MAX + 1u + 10u + 5u)

typedef struct syslog_origin {
    unsigned priority;
    char hostname[SHIM__SYSLOG_HOSTNAME_MAX + 1];
    char app_name[SHIM__SYSLOG_APP_NAME_MAX + 1];
} syslog_origin;

/* facility 0-23 and severity 0-7 (larger values are cut to the largest);
 * NULL or empty names become "-". */
void shim__syslog_origin_init(syslog_origin *origin, const char *hostname, const char *app_name,
                              unsigned facility, unsigned severity);

/* Writes the header, ending with the space before MSG, into header
 * (SHIM__SYSLOG_HEADER_CAPACITY) and returns its length. utc_time is a
 * FILETIME in UTC (100 ns units since 1601); 0 writes "-". */
size_t shim__syslog_header(char *header, const syslog_origin *origin, unsigned long process_id,
                           unsigned long long utc_time);

#endif
