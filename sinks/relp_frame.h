/* RELP framing (doc/relp.md in librelp, "RELP FRAME"):
 *
 *   FRAME   = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *   TXNR    = 1*9DIGIT      1 to 999,999,999, then 1 again; 0 only for hints
 *   COMMAND = 1*32ALPHA     open, syslog, close, rsp, serverclose ...
 *   DATALEN = 1*9DIGIT      octets of DATA; 0: no SP and no DATA
 *
 * Writing a frame's header, and reading frames back one octet at a time
 * from whatever a receive returned. Nothing here touches a socket. */
#ifndef TWINSHIM_SINKS_RELP_FRAME_H
#define TWINSHIM_SINKS_RELP_FRAME_H

#include <stddef.h>

/* The largest transaction number: the one after it is 1. */
#define SHIM__RELP_TXNR_MAX 999999999u
#define SHIM__RELP_COMMAND_CAPACITY 32u
/* "999999999 " + command + " 999999999 ": room for any header. */
#define SHIM__RELP_HEADER_CAPACITY (10u + SHIM__RELP_COMMAND_CAPACITY + 11u)
/* The most data a frame from the server may carry. Its frames are
 * responses: a status line and, for the open, its offers (about 100 octets
 * from rsyslog); anything far larger is not a RELP server talking. */
#define SHIM__RELP_RESPONSE_CAPACITY 4096u

/* The transaction number after `txnr`. */
unsigned shim__relp_next_txnr(unsigned txnr);

/* Writes the header of a frame carrying data_length octets into header
 * (SHIM__RELP_HEADER_CAPACITY): "TXNR SP COMMAND SP DATALEN", then SP when
 * there is data. The frame is this header, the data, and one LF. Returns
 * the header's length, or 0 for a command that is not 1-32 letters, a txnr
 * above the maximum, or data longer than 999,999,999 octets. */
size_t shim__relp_frame_header(char *header, unsigned txnr, const char *command, size_t data_length);

typedef enum relp_parse_result {
    RELP_PARSE_MORE = 0, /* every octet given was used: the frame goes on */
    RELP_PARSE_FRAME,    /* a whole frame is in the parser's fields */
    RELP_PARSE_ERROR     /* not RELP: the parser's error says why */
} relp_parse_result;

typedef struct relp_frame_parser {
    int state;
    size_t digits; /* of the number being read */
    /* The last frame, once RELP_PARSE_FRAME is returned. */
    unsigned txnr;
    char command[SHIM__RELP_COMMAND_CAPACITY + 1];
    size_t command_length;
    size_t data_length;
    size_t data_received;
    char data[SHIM__RELP_RESPONSE_CAPACITY];
    const char *error; /* a constant sentence, once RELP_PARSE_ERROR is returned */
} relp_frame_parser;

/* Ready for the first octet of a frame. */
void shim__relp_parser_reset(relp_frame_parser *parser);

/* Reads octets from input until a frame ends, an error is found or the
 * input is used up; *used gets how many it read. After RELP_PARSE_FRAME,
 * call again with the rest of the input: the next frame starts. After
 * RELP_PARSE_ERROR the parser stays in error until it is reset. */
relp_parse_result shim__relp_parse(relp_frame_parser *parser, const char *input, size_t length, size_t *used);

#endif
