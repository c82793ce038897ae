#include <string.h>

#include <windows.h>

#include "decimal.h"
#include "syslog_message.h"

#define LARGEST_FACILITY 23u
#define LARGEST_SEVERITY 7u

/* PRINTUSASCII (%d33-126), at most `most` of them; "-" when empty. */
static void copy_field(char *field, const char *text, size_t most)
{
    size_t length = 0;

    while (text != NULL && text[length] != '\0' && length < most) {
        char c = text[length]; /* above 126 fails the test, signed or not */

        field[length++] = '_';
        if (c >= 33 && c <= 126)
            field[length - 1] = c;
    }
    if (length == 0)
        field[length++] = '-';
    field[length] = '\0';
}

void shim__syslog_origin_init(syslog_origin *origin, const char *hostname, const char *app_name,
                              unsigned facility, unsigned severity)
{
    if (facility > LARGEST_FACILITY)
        facility = LARGEST_FACILITY;
    if (severity > LARGEST_SEVERITY)
        severity = LARGEST_SEVERITY;
    origin->priority = facility * 8u + severity;
    copy_field(origin->hostname, hostname, SHIM__SYSLOG_HOSTNAME_MAX);
    copy_field(origin->app_name, app_name, SHIM__SYSLOG_APP_NAME_MAX);
}

static size_t append_text(char *out, const char *text)
{
    size_t length = strlen(text);

    /* The header is octets, not a string: no terminator. */
    memcpy(out, text, length); // NOLINT(bugprone-not-null-terminated-result)
    return length;
}

/* "2024-05-01T12:34:56.123456Z", or "-" for 0 or a time Windows cannot
 * convert. */
static size_t append_timestamp(char *out, unsigned long long utc_time)
{
    FILETIME file_time = { .dwLowDateTime = (DWORD)utc_time, .dwHighDateTime = (DWORD)(utc_time >> 32) };
    SYSTEMTIME time;
    size_t length = 0;

    if (utc_time == 0 || !FileTimeToSystemTime(&file_time, &time))
        return append_text(out, "-");
    length += shim__decimal(out + length, time.wYear, 4);
    out[length++] = '-';
    length += shim__decimal(out + length, time.wMonth, 2);
    out[length++] = '-';
    length += shim__decimal(out + length, time.wDay, 2);
    out[length++] = 'T';
    length += shim__decimal(out + length, time.wHour, 2);
    out[length++] = ':';
    length += shim__decimal(out + length, time.wMinute, 2);
    out[length++] = ':';
    length += shim__decimal(out + length, time.wSecond, 2);
    out[length++] = '.';
    length += shim__decimal(out + length, utc_time / 10u % 1000000u, 6);
    out[length++] = 'Z';
    return length;
}

size_t shim__syslog_header(char *header, const syslog_origin *origin, unsigned long process_id,
                           unsigned long long utc_time)
{
    size_t length = 0;

    header[length++] = '<';
    length += shim__decimal(header + length, origin->priority, 1);
    length += append_text(header + length, ">1 ");
    length += append_timestamp(header + length, utc_time);
    header[length++] = ' ';
    length += append_text(header + length, origin->hostname);
    header[length++] = ' ';
    length += append_text(header + length, origin->app_name);
    header[length++] = ' ';
    length += shim__decimal(header + length, process_id, 1);
    length += append_text(header + length, " - - ");
    return length;
}
