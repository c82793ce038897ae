#include <string.h>

#include "decimal.h"
#include "relp_frame.h"

#define MAX_DIGITS 9u
#define MAX_DATA_LENGTH 999999999u

enum parser_state {
    IN_TXNR = 0, /* the first octet too: a digit */
    IN_COMMAND,
    IN_DATA_LENGTH,
    IN_DATA,
    IN_TRAILER,
    HANDED_OUT, /* a whole frame was returned: the next octet starts another */
    FAILED
};

unsigned shim__relp_next_txnr(unsigned txnr)
{
    return txnr >= SHIM__RELP_TXNR_MAX ? 1u : txnr + 1u;
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

size_t shim__relp_frame_header(char *header, unsigned txnr, const char *command, size_t data_length)
{
    size_t command_length = command != NULL ? strlen(command) : 0;
    size_t length;

    if (command_length == 0 || command_length > SHIM__RELP_COMMAND_CAPACITY || txnr > SHIM__RELP_TXNR_MAX ||
        data_length > MAX_DATA_LENGTH)
        return 0;
    for (size_t at = 0; at < command_length; at++) {
        if (!is_letter(command[at]))
            return 0;
    }
    length = shim__decimal(header, txnr, 0);
    header[length++] = ' ';
    /* A frame header is octets, not a string: no terminator. */
    memcpy(header + length, command, command_length); // NOLINT(bugprone-not-null-terminated-result)
    length += command_length;
    header[length++] = ' ';
    length += shim__decimal(header + length, data_length, 0);
    if (data_length > 0)
        header[length++] = ' ';
    return length;
}

void shim__relp_parser_reset(relp_frame_parser *parser)
{
    parser->state = IN_TXNR;
    parser->digits = 0;
    parser->txnr = 0;
    parser->command_length = 0;
    parser->command[0] = '\0';
    parser->data_length = 0;
    parser->data_received = 0;
    parser->error = NULL;
}

static relp_parse_result fail(relp_frame_parser *parser, const char *why)
{
    parser->state = FAILED;
    parser->error = why;
    return RELP_PARSE_ERROR;
}

/* One octet of the header; RELP_PARSE_MORE while the frame goes on. */
static relp_parse_result header_octet(relp_frame_parser *parser, char c)
{
    switch (parser->state) {
    case IN_TXNR:
        if (is_digit(c) && parser->digits < MAX_DIGITS) {
            parser->txnr = parser->txnr * 10u + (unsigned)(c - '0');
            parser->digits++;
            return RELP_PARSE_MORE;
        }
        if (c == ' ' && parser->digits > 0) {
            parser->state = IN_COMMAND;
            parser->digits = 0;
            return RELP_PARSE_MORE;
        }
        return fail(parser, "a frame does not begin with a transaction number of 1 to 9 digits");
    case IN_COMMAND:
        if (is_letter(c) && parser->command_length < SHIM__RELP_COMMAND_CAPACITY) {
            parser->command[parser->command_length++] = c;
            parser->command[parser->command_length] = '\0';
            return RELP_PARSE_MORE;
        }
        if (c == ' ' && parser->command_length > 0) {
            parser->state = IN_DATA_LENGTH;
            return RELP_PARSE_MORE;
        }
        return fail(parser, "a frame's command is not 1 to 32 letters");
    default: /* IN_DATA_LENGTH */
        if (is_digit(c) && parser->digits < MAX_DIGITS) {
            parser->data_length = parser->data_length * 10u + (size_t)(c - '0');
            parser->digits++;
            return RELP_PARSE_MORE;
        }
        if (parser->digits == 0)
            return fail(parser, "a frame's data length is not 1 to 9 digits");
        if (parser->data_length == 0) {
            if (c != '\n')
                return fail(parser, "a frame without data does not end with a line feed");
            return RELP_PARSE_FRAME;
        }
        if (c != ' ')
            return fail(parser, "a frame's data length is not followed by a space");
        if (parser->data_length > SHIM__RELP_RESPONSE_CAPACITY)
            return fail(parser, "a response frame is longer than 4096 octets");
        parser->state = IN_DATA;
        return RELP_PARSE_MORE;
    }
}

relp_parse_result shim__relp_parse(relp_frame_parser *parser, const char *input, size_t length, size_t *used)
{
    size_t at = 0;
    relp_parse_result result = RELP_PARSE_MORE;

    if (parser->state == FAILED) {
        *used = 0;
        return RELP_PARSE_ERROR;
    }
    if (parser->state == HANDED_OUT)
        shim__relp_parser_reset(parser);
    while (at < length && result == RELP_PARSE_MORE) {
        char c = input[at++];

        if (parser->state == IN_DATA) {
            parser->data[parser->data_received++] = c;
            if (parser->data_received == parser->data_length)
                parser->state = IN_TRAILER;
        } else if (parser->state == IN_TRAILER) {
            result =
                c == '\n' ? RELP_PARSE_FRAME : fail(parser, "a frame's data is not followed by a line feed");
        } else {
            result = header_octet(parser, c);
        }
    }
    if (result == RELP_PARSE_FRAME)
        parser->state = HANDED_OUT;
    *used = at;
    return result;
}
