/* The sink's protocol pieces, each alone: RELP frames written and read back
 * (whole, octet by octet, and malformed), the open's offers and the
 * server's responses, the transaction window across a lost connection, the
 * backoff, the RFC 5424 header, and the targets. No socket, no rsyslog:
 * test_relp_rsyslog.sh runs the sink against a real one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relp_frame.h"
#include "relp_response.h"
#include "relp_retry.h"
#include "relp_window.h"
#include "sink_internal.h"
#include "syslog_message.h"

/* ---- Frames ---------------------------------------------------------------- */

static void frame_header_has_the_spec_layout(void **state)
{
    char header[SHIM__RELP_HEADER_CAPACITY];
    size_t length;

    (void)state;
    length = shim__relp_frame_header(header, 1, "open", 85);
    assert_int_equal(length, strlen("1 open 85 "));
    assert_memory_equal(header, "1 open 85 ", length);
    /* No data: no space after the length. */
    length = shim__relp_frame_header(header, 999999999, "close", 0);
    assert_memory_equal(header, "999999999 close 0", length);
    assert_int_equal(length, strlen("999999999 close 0"));
    assert_int_equal(shim__relp_frame_header(header, 1000000000u, "syslog", 1), 0);
    assert_int_equal(shim__relp_frame_header(header, 1, "sys log", 1), 0);
    assert_int_equal(shim__relp_frame_header(header, 1, "", 1), 0);
    assert_int_equal(shim__relp_frame_header(header, 1, "abcdefghijklmnopqrstuvwxyzabcdefg", 1), 0);
}

static void transaction_numbers_wrap_to_one(void **state)
{
    (void)state;
    assert_int_equal(shim__relp_next_txnr(1), 2);
    assert_int_equal(shim__relp_next_txnr(SHIM__RELP_TXNR_MAX), 1);
}

static relp_parse_result parse_text(relp_frame_parser *parser, const char *text, size_t *used)
{
    return shim__relp_parse(parser, text, strlen(text), used);
}

static void parser_reads_consecutive_frames(void **state)
{
    static const char stream[] = "1 rsp 6 200 OK\n0 serverclose 0\n2 rsp 6 200 OK\n";
    relp_frame_parser parser;
    size_t at = 0;
    size_t used = 0;

    (void)state;
    shim__relp_parser_reset(&parser);
    assert_int_equal(shim__relp_parse(&parser, stream, sizeof stream - 1, &used), RELP_PARSE_FRAME);
    assert_int_equal(parser.txnr, 1);
    assert_string_equal(parser.command, "rsp");
    assert_int_equal(parser.data_length, 6);
    assert_memory_equal(parser.data, "200 OK", 6);
    at += used;
    assert_int_equal(shim__relp_parse(&parser, stream + at, sizeof stream - 1 - at, &used), RELP_PARSE_FRAME);
    assert_int_equal(parser.txnr, 0);
    assert_string_equal(parser.command, "serverclose");
    assert_int_equal(parser.data_length, 0);
    at += used;
    assert_int_equal(shim__relp_parse(&parser, stream + at, sizeof stream - 1 - at, &used), RELP_PARSE_FRAME);
    assert_int_equal(parser.txnr, 2);
    at += used;
    assert_int_equal(at, sizeof stream - 1);
}

/* TCP cuts a stream anywhere: one octet at a time gives the same frame. */
static void parser_reads_a_frame_split_at_every_octet(void **state)
{
    static const char stream[] = "17 rsp 20 500 command disabled\n";
    relp_frame_parser parser;
    size_t used = 0;

    (void)state;
    shim__relp_parser_reset(&parser);
    for (size_t at = 0; at + 1 < sizeof stream - 1; at++) {
        assert_int_equal(shim__relp_parse(&parser, stream + at, 1, &used), RELP_PARSE_MORE);
        assert_int_equal(used, 1);
    }
    assert_int_equal(shim__relp_parse(&parser, stream + sizeof stream - 2, 1, &used), RELP_PARSE_FRAME);
    assert_int_equal(parser.txnr, 17);
    assert_memory_equal(parser.data, "500 command disabled", 20);
}

static void parser_refuses_what_is_not_relp(void **state)
{
    static const char *const not_relp[] = {
        "HTTP/1.1 400 Bad Request\r\n", /* another protocol */
        "1 rsp -1\n",                   /* a sign in the length */
        "1234567890 rsp 0\n",           /* a txnr of 10 digits */
        "1 r5p 0\n",                    /* a digit in the command */
        "1 rsp x\n",                    /* no length */
        "1 rsp 0 \n",                   /* no data, yet a space */
        "1 rsp 2 OKX\n",                /* no LF after the data */
        "1 rsp 99999 x",                /* longer than a response may be */
        " 1 rsp 0\n",                   /* a space first */
    };

    (void)state;
    for (size_t index = 0; index < sizeof not_relp / sizeof not_relp[0]; index++) {
        relp_frame_parser parser;
        relp_parse_result result = RELP_PARSE_MORE;
        size_t used = 0;
        size_t at = 0;
        size_t length = strlen(not_relp[index]);

        shim__relp_parser_reset(&parser);
        while (at < length && result != RELP_PARSE_ERROR) {
            result = shim__relp_parse(&parser, not_relp[index] + at, length - at, &used);
            at += used;
        }
        if (result != RELP_PARSE_ERROR)
            fail_msg("accepted as RELP: \"%s\"", not_relp[index]);
        assert_non_null(parser.error);
        /* It stays in error: nothing more is read. */
        assert_int_equal(parse_text(&parser, "1 rsp 0\n", &used), RELP_PARSE_ERROR);
        assert_int_equal(used, 0);
    }
}

/* ---- Offers and responses ---------------------------------------------------- */

static void open_offers_name_the_version_and_syslog(void **state)
{
    char offers[SHIM__RELP_OFFERS_CAPACITY];
    size_t length = shim__relp_open_offers(offers, 1);

    (void)state;
    assert_true(length < sizeof offers);
    offers[length] = '\0';
    assert_non_null(strstr(offers, "relp_version=0\n"));
    assert_non_null(strstr(offers, "\ncommands=syslog"));
    length = shim__relp_open_offers(offers, 0);
    offers[length] = '\0';
    assert_null(strstr(offers, "commands"));
}

static void responses_split_into_status_text_and_offers(void **state)
{
    static const char open_answer[] =
        "200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon."
        "com\ncommands=syslog";
    relp_response response;

    (void)state;
    response = shim__relp_read_response(open_answer, sizeof open_answer - 1);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.text_length, 2);
    assert_memory_equal(response.text, "OK", 2);
    assert_non_null(response.offers);
    assert_null(shim__relp_offers_problem(response.offers, response.offers_length));

    response = shim__relp_read_response("500 required command not supported by client", 45);
    assert_int_equal(response.status, 500);
    assert_memory_equal(response.text, "required command", 16);
    assert_null(response.offers);

    response = shim__relp_read_response("200", 3);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.text_length, 0);

    assert_int_equal(shim__relp_read_response("OK", 2).status, -1);
    assert_int_equal(shim__relp_read_response("20x OK", 6).status, -1);
    assert_int_equal(shim__relp_read_response("2000 OK", 7).status, -1);
}

static void offers_without_syslog_or_version_are_a_problem(void **state)
{
    static const char no_syslog[] = "relp_version=0\ncommands=eventlog";
    static const char syslog_among_others[] = "relp_version=1\ncommands=eventlog,syslog";
    static const char no_version[] = "commands=syslog";
    static const char prefix_only[] = "relp_version=0\ncommands=syslogx";

    (void)state;
    assert_non_null(shim__relp_offers_problem(no_syslog, sizeof no_syslog - 1));
    assert_null(shim__relp_offers_problem(syslog_among_others, sizeof syslog_among_others - 1));
    assert_non_null(shim__relp_offers_problem(no_version, sizeof no_version - 1));
    assert_non_null(shim__relp_offers_problem(prefix_only, sizeof prefix_only - 1));
    assert_non_null(shim__relp_offers_problem(NULL, 0));
}

/* ---- The window ---------------------------------------------------------------- */

static relp_entry *new_entry(unsigned long long ticket)
{
    relp_entry *entry = calloc(1, sizeof *entry);

    assert_non_null(entry);
    entry->ticket = ticket;
    entry->sequence = ticket;
    return entry;
}

static void free_all(relp_window *window)
{
    relp_entry *entry = shim__relp_window_take_all(window);

    while (entry != NULL) {
        relp_entry *next = entry->next;

        free(entry);
        entry = next;
    }
}

/* Sends what the window allows and returns how many went. */
static unsigned send_all(relp_window *window)
{
    unsigned count = 0;

    while (shim__relp_window_next(window) != NULL) {
        shim__relp_window_sent(window);
        count++;
    }
    return count;
}

static void window_limits_what_is_in_flight(void **state)
{
    relp_window window;
    relp_entry *entry = NULL;

    (void)state;
    shim__relp_window_init(&window, 3);
    assert_int_equal(shim__relp_window_take_txnr(&window), 1); /* the open's */
    for (unsigned long long ticket = 1; ticket <= 5; ticket++)
        shim__relp_window_add(&window, new_entry(ticket));
    assert_int_equal(send_all(&window), 3);
    assert_int_equal(window.in_flight.count, 3);
    assert_int_equal(shim__relp_window_held(&window), 5);
    /* Responses come in order: the oldest first, by its number. */
    assert_int_equal(shim__relp_window_acknowledge(&window, 3, &entry), RELP_ACK_UNEXPECTED);
    assert_null(entry);
    assert_int_equal(shim__relp_window_acknowledge(&window, 2, &entry), RELP_ACK_OK);
    assert_int_equal(entry->ticket, 1);
    free(entry);
    assert_int_equal(send_all(&window), 1); /* one place came free */
    assert_int_equal(shim__relp_window_oldest_in_flight(&window)->txnr, 3);
    free_all(&window);
}

/* A lost connection: what was in flight goes back before the unsent ones,
 * in order, to be sent again under new numbers from 2 (after the open). */
static void restart_resends_in_flight_records_first_in_order(void **state)
{
    relp_window window;
    relp_entry *entry = NULL;
    unsigned long long expected = 2;

    (void)state;
    shim__relp_window_init(&window, 2);
    shim__relp_window_take_txnr(&window);
    for (unsigned long long ticket = 1; ticket <= 4; ticket++)
        shim__relp_window_add(&window, new_entry(ticket));
    assert_int_equal(send_all(&window), 2);                                 /* 1 and 2 in flight */
    assert_int_equal(shim__relp_window_acknowledge(&window, 2, &entry), 0); /* 1 durable */
    free(entry);
    send_all(&window); /* 3 in flight as well */
    assert_int_equal(shim__relp_window_restart(&window), 2);
    assert_int_equal(window.in_flight.count, 0);
    assert_int_equal(shim__relp_window_held(&window), 3);
    assert_int_equal(shim__relp_window_take_txnr(&window), 1); /* the new open */
    send_all(&window);
    for (const relp_entry *sent = window.in_flight.head; sent != NULL; sent = sent->next) {
        assert_int_equal(sent->ticket, expected);
        assert_int_equal(sent->txnr, expected); /* 2 and 3 on the new connection */
        assert_int_equal(sent->times_sent, 2);
        expected++;
    }
    assert_int_equal(window.unsent.head->ticket, 4);
    assert_int_equal(window.unsent.head->times_sent, 0);
    /* Taking all keeps the order: 2, 3, then 4. */
    entry = shim__relp_window_take_all(&window);
    for (unsigned long long ticket = 2; ticket <= 4; ticket++) {
        relp_entry *next = entry->next;

        assert_int_equal(entry->ticket, ticket);
        free(entry);
        entry = next;
    }
    assert_null(entry);
}

/* ---- Backoff ---------------------------------------------------------------------- */

static void backoff_doubles_with_jitter_up_to_the_most(void **state)
{
    relp_retry retry;
    unsigned base = 100;

    (void)state;
    shim__relp_retry_init(&retry, 100, 1000, 12345);
    for (int failure = 0; failure < 10; failure++) {
        unsigned delay = shim__relp_retry_failed(&retry);

        /* Between half the base and the base, the base doubling to 1000. */
        if (delay < base / 2 || delay > base)
            fail_msg("failure %d: delay %u outside [%u, %u]", failure, delay, base / 2, base);
        base = base * 2 > 1000 ? 1000 : base * 2;
    }
    shim__relp_retry_succeeded(&retry);
    assert_true(shim__relp_retry_failed(&retry) <= 100);
}

/* Two hosts cut off together do not retry in step. */
static void backoff_jitter_differs_between_seeds(void **state)
{
    relp_retry first;
    relp_retry second;
    int differ = 0;

    (void)state;
    shim__relp_retry_init(&first, 1000, 60000, 1);
    shim__relp_retry_init(&second, 1000, 60000, 2);
    for (int failure = 0; failure < 6; failure++)
        differ += shim__relp_retry_failed(&first) != shim__relp_retry_failed(&second);
    assert_true(differ >= 4);
}

/* ---- RFC 5424 ------------------------------------------------------------------------- */

static void syslog_header_has_every_field(void **state)
{
    /* 2024-05-01T12:34:56.123456Z as a FILETIME: days since 1601 to 2024-05-01. */
    SYSTEMTIME time = { .wYear = 2024, .wMonth = 5, .wDay = 1, .wHour = 12, .wMinute = 34, .wSecond = 56 };
    FILETIME file_time;
    unsigned long long utc;
    syslog_origin origin;
    char header[SHIM__SYSLOG_HEADER_CAPACITY + 1];
    size_t length;

    (void)state;
    assert_true(SystemTimeToFileTime(&time, &file_time));
    utc = (((unsigned long long)file_time.dwHighDateTime << 32) | file_time.dwLowDateTime) + 1234560u;
    shim__syslog_origin_init(&origin, "host.example", "legacy.dll", 16, 6);
    length = shim__syslog_header(header, &origin, 4242, utc);
    header[length] = '\0';
    assert_string_equal(header, "<134>1 2024-05-01T12:34:56.123456Z host.example legacy.dll 4242 - - ");
    length = shim__syslog_header(header, &origin, 1, 0);
    header[length] = '\0';
    assert_string_equal(header, "<134>1 - host.example legacy.dll 1 - - ");
}

static void syslog_fields_hold_only_what_rfc_5424_allows(void **state)
{
    char long_name[100];
    syslog_origin origin;

    (void)state;
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    shim__syslog_origin_init(&origin, "", "my app\xe9.dll", 99, 99);
    assert_string_equal(origin.hostname, "-");
    assert_string_equal(origin.app_name, "my_app_.dll");
    assert_int_equal(origin.priority, 23 * 8 + 7);
    shim__syslog_origin_init(&origin, NULL, long_name, 1, 6);
    assert_int_equal(strlen(origin.app_name), SHIM__SYSLOG_APP_NAME_MAX);
    assert_string_equal(origin.hostname, "-");
}

/* ---- Targets --------------------------------------------------------------------------- */

static void targets_choose_relp_or_a_file(void **state)
{
    sink_target target;
    const char *problem = NULL;

    (void)state;
    assert_int_equal(shim__sink_read_target(L"relp://127.0.0.1:2514", &target, &problem), SHIM_OK);
    assert_true(target.is_relp);
    assert_string_equal(target.host, "127.0.0.1");
    assert_int_equal(target.port, 2514);
    assert_int_equal(shim__sink_read_target(L"RELP://logs.example.com:65535", &target, &problem), SHIM_OK);
    assert_string_equal(target.host, "logs.example.com");
    assert_int_equal(target.port, 65535);
    assert_int_equal(shim__sink_read_target(L"relp://[::1]:514", &target, &problem), SHIM_OK);
    assert_string_equal(target.host, "::1");
    assert_int_equal(shim__sink_read_target(L"C:\\logs\\trace.jsonl", &target, &problem), SHIM_OK);
    assert_false(target.is_relp);
    assert_memory_equal(target.path, L"C:\\logs\\trace.jsonl", sizeof L"C:\\logs\\trace.jsonl");
}

static void malformed_relp_targets_are_refused_with_a_reason(void **state)
{
    static const wchar_t *const malformed[] = {
        L"relp://",           L"relp://host",          L"relp://host:",    L"relp://host:0",
        L"relp://host:65536", L"relp://:514",          L"relp://host:51x", L"relp://::1:514",
        L"relp://[::1]514",   L"relp://h\x00e9st:514", L"relp://a b:514",
    };
    sink_target target;
    const char *problem = NULL;

    (void)state;
    for (size_t index = 0; index < sizeof malformed / sizeof malformed[0]; index++) {
        if (shim__sink_read_target(malformed[index], &target, &problem) != SHIM_E_INVALID_ARGUMENT)
            fail_msg("accepted: %ls", malformed[index]);
        assert_non_null(problem);
    }
    assert_int_equal(shim__sink_read_target(L"", &target, &problem), SHIM_E_INVALID_ARGUMENT);
    assert_int_equal(shim__sink_read_target(NULL, &target, &problem), SHIM_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_header_has_the_spec_layout),
        cmocka_unit_test(transaction_numbers_wrap_to_one),
        cmocka_unit_test(parser_reads_consecutive_frames),
        cmocka_unit_test(parser_reads_a_frame_split_at_every_octet),
        cmocka_unit_test(parser_refuses_what_is_not_relp),
        cmocka_unit_test(open_offers_name_the_version_and_syslog),
        cmocka_unit_test(responses_split_into_status_text_and_offers),
        cmocka_unit_test(offers_without_syslog_or_version_are_a_problem),
        cmocka_unit_test(window_limits_what_is_in_flight),
        cmocka_unit_test(restart_resends_in_flight_records_first_in_order),
        cmocka_unit_test(backoff_doubles_with_jitter_up_to_the_most),
        cmocka_unit_test(backoff_jitter_differs_between_seeds),
        cmocka_unit_test(syslog_header_has_every_field),
        cmocka_unit_test(syslog_fields_hold_only_what_rfc_5424_allows),
        cmocka_unit_test(targets_choose_relp_or_a_file),
        cmocka_unit_test(malformed_relp_targets_are_refused_with_a_reason),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
