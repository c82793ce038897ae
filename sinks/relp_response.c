#include <string.h>

#include "relp_response.h"

/* The name, then the version, as relp_software asks; no address to give. */
#define SOFTWARE_OFFER "relp_software=twinshim,0.1.0"

size_t shim__relp_open_offers(char *offers, int offer_syslog)
{
    static const char version[] = "relp_version=0\n" SOFTWARE_OFFER;
    static const char commands[] = "\ncommands=syslog";
    size_t length = sizeof version - 1;

    memcpy(offers, version, length);
    if (offer_syslog) {
        memcpy(offers + length, commands, sizeof commands - 1);
        length += sizeof commands - 1;
    }
    return length;
}

relp_response shim__relp_read_response(const char *data, size_t length)
{
    relp_response response = { .status = -1 };
    const char *line_end = memchr(data, '\n', length);
    size_t line_length = line_end != NULL ? (size_t)(line_end - data) : length;

    if (line_length < 3)
        return response;
    for (size_t at = 0; at < 3; at++) {
        if (data[at] < '0' || data[at] > '9')
            return response;
    }
    if (line_length > 3 && data[3] != ' ')
        return response;
    response.status = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
    response.text = line_length > 3 ? data + 4 : data + 3;
    response.text_length = line_length > 3 ? line_length - 4 : 0;
    if (line_end != NULL) {
        response.offers = line_end + 1;
        response.offers_length = length - line_length - 1;
    }
    return response;
}

/* True when one of the offer's comma-separated values is `value`. */
static int has_value(const char *values, size_t length, const char *value)
{
    size_t value_length = strlen(value);
    size_t start = 0;

    while (start <= length) {
        const char *comma = memchr(values + start, ',', length - start);
        size_t end = comma != NULL ? (size_t)(comma - values) : length;

        if (end - start == value_length && memcmp(values + start, value, value_length) == 0)
            return 1;
        start = end + 1;
    }
    return 0;
}

const char *shim__relp_offers_problem(const char *offers, size_t length)
{
    int has_version = 0;
    int has_syslog = 0;
    size_t start = 0;

    while (offers != NULL && start < length) {
        const char *line_end = memchr(offers + start, '\n', length - start);
        size_t end = line_end != NULL ? (size_t)(line_end - offers) : length;
        const char *line = offers + start;
        size_t line_length = end - start;
        const char *equals = memchr(line, '=', line_length);
        size_t name_length = equals != NULL ? (size_t)(equals - line) : line_length;
        const char *values = equals != NULL ? equals + 1 : line + line_length;
        size_t values_length = line_length - (size_t)(values - line);

        if (name_length == 12 && memcmp(line, "relp_version", 12) == 0 && values_length > 0)
            has_version = 1;
        if (name_length == 8 && memcmp(line, "commands", 8) == 0 &&
            has_value(values, values_length, "syslog"))
            has_syslog = 1;
        start = end + 1;
    }
    if (!has_version)
        return "the server's answer to the open has no relp_version";
    if (!has_syslog)
        return "the server does not accept the syslog command";
    return NULL;
}
