/* What a RELP client says in its "open", and how it reads the server's
 * "rsp" frames (doc/relp.md in librelp, "Command rsp" and "OFFERS"):
 *
 *   RSP-DATA = STATUS [SP HUMAN-TEXT] [LF OFFERS]   STATUS: 200 is OK, the rest errors
 *   OFFERS   = OFFER *(LF OFFER)                    OFFER: NAME ["=" VALUE *("," VALUE)]
 *
 * Text in, verdicts out: nothing here touches a socket. */
#ifndef TWINSHIM_SINKS_RELP_RESPONSE_H
#define TWINSHIM_SINKS_RELP_RESPONSE_H

#include <stddef.h>

/* The open's offers, room enough for any. */
#define SHIM__RELP_OFFERS_CAPACITY 128u

/* Writes the offers of the "open" command into offers
 * (SHIM__RELP_OFFERS_CAPACITY) and returns their length: relp_version=0 (as
 * librelp offers; the server answers with the version it takes),
 * relp_software, and commands=syslog unless offer_syslog is 0 (tests make a
 * real rsyslog refuse the open that way). */
size_t shim__relp_open_offers(char *offers, int offer_syslog);

typedef struct relp_response {
    int status;       /* 200, 500...; -1 when the data is not a response */
    const char *text; /* the human-readable text after the status, not terminated */
    size_t text_length;
    const char *offers; /* what follows the first line feed, not terminated */
    size_t offers_length;
} relp_response;

/* Splits an "rsp" frame's data into its parts, which point into data. */
relp_response shim__relp_read_response(const char *data, size_t length);

/* NULL when the server's offers (the open's response) allow what the sink
 * does: a relp_version and the syslog command. Otherwise a constant
 * sentence saying what is missing. */
const char *shim__relp_offers_problem(const char *offers, size_t length);

#endif
