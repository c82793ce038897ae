/* Reads a sink's target: "relp://HOST:PORT" or a file's path. */
#include <wchar.h>

#include "sink_internal.h"

#define RELP_PREFIX_LENGTH (sizeof SHIM_SINK_RELP_PREFIX / sizeof(wchar_t) - 1)

static int is_relp(const wchar_t *text)
{
    return _wcsnicmp(text, SHIM_SINK_RELP_PREFIX, RELP_PREFIX_LENGTH) == 0;
}

/* "1" to "65535", nothing else. */
static int read_port(const wchar_t *text, unsigned short *port)
{
    unsigned long value = 0;

    if (*text == L'\0')
        return 0;
    for (; *text != L'\0'; text++) {
        if (*text < L'0' || *text > L'9')
            return 0;
        value = value * 10u + (unsigned long)(*text - L'0');
        if (value > 65535u)
            return 0;
    }
    *port = (unsigned short)value;
    return value > 0;
}

/* Copies [start, end) into host, which holds only printable ASCII. */
static int copy_host(const wchar_t *start, const wchar_t *end, char *host, size_t capacity)
{
    size_t length = 0;

    if (end <= start || (size_t)(end - start) >= capacity)
        return 0;
    for (const wchar_t *at = start; at < end; at++) {
        if (*at <= L' ' || *at >= 127 || *at == L'/' || *at == L'[' || *at == L']')
            return 0;
        host[length++] = (char)*at;
    }
    host[length] = '\0';
    return 1;
}

static int read_relp(const wchar_t *text, sink_target *target)
{
    const wchar_t *host = text + RELP_PREFIX_LENGTH;
    const wchar_t *host_end;
    const wchar_t *colon;

    if (*host == L'[') { /* [IPv6]:port */
        host++;
        host_end = wcschr(host, L']');
        if (host_end == NULL || host_end[1] != L':')
            return 0;
        colon = host_end + 1;
    } else {
        colon = wcsrchr(host, L':');
        if (colon == NULL || wcschr(host, L':') != colon)
            return 0;
        host_end = colon;
    }
    return copy_host(host, host_end, target->host, sizeof target->host) &&
           read_port(colon + 1, &target->port);
}

int shim__sink_read_target(const wchar_t *text, sink_target *target, const char **problem)
{
    *target = (sink_target){ 0 };
    *problem = NULL;
    if (text == NULL || *text == L'\0') {
        *problem = "no target: give a file's path or relp://HOST:PORT";
        return SHIM_E_INVALID_ARGUMENT;
    }
    if (!is_relp(text)) {
        target->path = text;
        return SHIM_OK;
    }
    target->is_relp = 1;
    if (!read_relp(text, target)) {
        *problem =
            "a RELP target is relp://HOST:PORT (an IPv6 address in brackets), with a port of 1 to 65535";
        return SHIM_E_INVALID_ARGUMENT;
    }
    return SHIM_OK;
}
