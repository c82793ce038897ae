/* `shimgen report`'s reading and arithmetic: the JSON reader on good and
 * broken lines (every prefix of a record, under the sanitizers), timestamps,
 * percentiles by nearest rank, export order, and what is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "json_reader.h"
#include "trace_summary.h"

static const char typed_line[] =
    "{\"ts\":\"2024-05-01T12:34:56.123456Z\",\"seq\":7,\"thread\":36,\"export\":\"gpg_strerror\",\"ordinal\":"
    "1,"
    "\"args\":{\"err\":1,\"name\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\"},\"result\":\"General error\","
    "\"last_error\":3,\"duration_ns\":1500,\"return_address\":\"0x1400088fa\"}";

static const char observed_line[] =
    "{\"ts\":\"2024-05-01T12:34:57.000000Z\",\"thread\":40,\"export\":\"gpgrt_log\",\"ordinal\":9,"
    "\"last_error\":0,\"registers\":[\"0x1\",\"0x2\"],\"return_address\":\"0x1\",\"possible_repeat\":true}";

/* Writes `text` to a temporary file and reads it as a trace. */
static int read_text(const char *text, trace *read, error_message *error)
{
    static char path[] = "test_trace_report.jsonl";
    FILE *out = fopen(path, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, strlen(text), out), strlen(text));
    assert_int_equal(fclose(out), 0);
    return trace_read(path, read, error);
}

static void the_reader_decodes_strings_and_skips_what_it_does_not_want(void **state)
{
    json_cursor cursor;
    char key[32];
    char name[64];
    unsigned long long number;
    const char *start;
    const char *end;

    (void)state;
    json_begin(&cursor,
               "{\"n\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\ud800x\",\"skip\":[1,{\"x\":[true,null]},-2.5e3],"
               "\"k\":18446744073709551615}",
               strlen("{\"n\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\ud800x\",\"skip\":[1,{\"x\":[true,null]},-"
                      "2.5e3],"
                      "\"k\":18446744073709551615}"));
    assert_true(json_enter_object(&cursor));
    assert_true(json_next_key(&cursor, key, sizeof key));
    assert_string_equal(key, "n");
    assert_true(json_read_string(&cursor, name, sizeof name));
    /* é, U+1F600 from its surrogate pair, a lone surrogate as U+FFFD. */
    assert_string_equal(name, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
    assert_true(json_next_key(&cursor, key, sizeof key));
    assert_true(json_skip_value(&cursor, &start, &end));
    assert_int_equal(end - start, strlen("[1,{\"x\":[true,null]},-2.5e3]"));
    assert_true(json_next_key(&cursor, key, sizeof key));
    assert_true(json_read_unsigned(&cursor, &number));
    assert_true(number == 18446744073709551615ull);
    assert_false(json_next_key(&cursor, key, sizeof key));
    assert_false(cursor.failed);
    assert_true(json_at_end(&cursor));
}

static void broken_values_fail_cleanly(void **state)
{
    static const char *const broken[] = {
        "{\"a\":18446744073709551616}",
        "{\"a\":1.5}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":[1,]}",
        "{\"a\":tru}",
        "{\"a\" 1}",
        "{\"a\":\"\n\"}",
    };

    (void)state;
    for (size_t index = 0; index < sizeof broken / sizeof broken[0]; index++) {
        json_cursor cursor;
        char key[8];
        unsigned long long number;
        bool read;

        json_begin(&cursor, broken[index], strlen(broken[index]));
        assert_true(json_enter_object(&cursor));
        read = json_next_key(&cursor, key, sizeof key) && json_read_unsigned(&cursor, &number);
        if (read) {
            json_begin(&cursor, broken[index], strlen(broken[index]));
            read = json_enter_object(&cursor) && json_next_key(&cursor, key, sizeof key) &&
                   json_skip_value(&cursor, NULL, NULL) && !json_next_key(&cursor, key, sizeof key) &&
                   !cursor.failed;
        }
        if (read)
            fail_msg("\"%s\" was read as good JSON", broken[index]);
    }
}

/* Every prefix of a record (a line cut by a crash) is either a record or
 * skipped, never read past its end: the sanitizers watch. */
static void every_prefix_of_a_line_is_read_or_skipped(void **state)
{
    size_t length = strlen(typed_line);

    (void)state;
    for (size_t cut = 0; cut <= length; cut++) {
        char *text = malloc(cut + 2);
        trace read;
        error_message error = { "" };
        int rc;

        assert_non_null(text);
        memcpy(text, typed_line, cut);
        text[cut] = '\n';
        text[cut + 1] = '\0';
        rc = read_text(text, &read, &error);
        if (cut == length) {
            assert_int_equal(rc, 0);
            assert_int_equal(read.call_count, 1);
        } else if (cut > 0) {
            assert_int_equal(rc, SHIMGEN_EXIT_MALFORMED);
            assert_int_equal(read.call_count, 0);
        }
        trace_free(&read);
        free(text);
    }
}

static void timestamps_are_rfc_3339_utc(void **state)
{
    unsigned long long microseconds;

    (void)state;
    assert_true(trace_parse_time("1970-01-01T00:00:00.000001Z", &microseconds));
    assert_true(microseconds == 1);
    assert_true(trace_parse_time("2024-02-29T23:59:59.999999Z", &microseconds));
    assert_true(microseconds == 1709251199999999ull);
    assert_true(trace_parse_time("2000-03-01T00:00:00.000000Z", &microseconds));
    assert_true(microseconds == 951868800000000ull);
    assert_false(trace_parse_time("2024-02-29 23:59:59.999999Z", &microseconds));
    assert_false(trace_parse_time("2024-13-01T00:00:00.000000Z", &microseconds));
    assert_false(trace_parse_time("2024-02-29T23:59:59Z", &microseconds));
}

/* 100 durations 1..100 us of one export (p50 = 50 us, p99 = 99 us by
 * nearest rank), 3 of another with more total time, an observed call of a
 * third, a line that is no record and a cut last line. */
static void the_summary_counts_ranks_and_orders(void **state)
{
    size_t capacity = 64 * 1024;
    char *text = malloc(capacity);
    size_t used = 0;
    trace read;
    trace_summary summary;
    error_message error = { "" };

    (void)state;
    assert_non_null(text);
    for (int call = 100; call >= 1; call--)
        used += (size_t)snprintf(text + used, capacity - used,
                                 "{\"ts\":\"2024-05-01T12:00:00.%06dZ\",\"thread\":%d,\"export\":\"many\","
                                 "\"ordinal\":1,\"args\":{},\"last_error\":%d,\"duration_ns\":%d000,"
                                 "\"return_address\":\"0x1\"}\n",
                                 call, call % 2 + 1, call % 10 == 0 ? 5 : 0, call);
    for (int call = 0; call < 3; call++)
        used +=
            (size_t)snprintf(text + used, capacity - used,
                             "{\"ts\":\"2024-05-01T12:00:01.000000Z\",\"thread\":3,\"export\":\"slow\","
                             "\"ordinal\":2,\"args\":{\"x\":%d},\"last_error\":0,\"duration_ns\":%d000000,"
                             "\"return_address\":\"0x1\"}\n",
                             call, call + 1);
    used +=
        (size_t)snprintf(text + used, capacity - used, "%s\nnot a record\n%.40s", observed_line, typed_line);
    assert_int_equal(read_text(text, &read, &error), 0);
    assert_int_equal(trace_summarize(&read, &summary), 0);
    assert_int_equal(read.call_count, 104);
    assert_int_equal(read.malformed_count, 2);
    assert_int_equal(read.first_malformed_line, 105);
    assert_int_equal(summary.threads, 4);
    assert_string_equal(read.exports[summary.exports[0].export_index].name, "slow");
    assert_true(summary.exports[0].total_ns == 6000000);
    assert_string_equal(read.exports[summary.exports[1].export_index].name, "many");
    assert_int_equal(summary.exports[1].calls, 100);
    assert_int_equal(summary.exports[1].failed, 10);
    assert_true(summary.exports[1].p50_ns == 50000);
    assert_true(summary.exports[1].p99_ns == 99000);
    assert_true(summary.exports[1].max_ns == 100000);
    assert_true(summary.exports[1].total_ns == 5050000);
    assert_string_equal(read.exports[summary.exports[2].export_index].name, "gpgrt_log");
    assert_int_equal(summary.exports[2].timed, 0);
    /* The slowest first, with its arguments. */
    assert_int_equal(read.slowest_count, TRACE_SLOWEST_MAX);
    assert_true(read.slowest[0].call.duration_ns == 3000000);
    assert_string_equal(read.slowest[0].detail, "{\"x\":2}");
    trace_summary_free(&summary);
    trace_free(&read);
    free(text);
}

static void what_is_no_trace_is_refused(void **state)
{
    trace read;
    error_message error = { "" };

    (void)state;
    assert_int_equal(read_text("hello\nworld\n", &read, &error), SHIMGEN_EXIT_MALFORMED);
    trace_free(&read);
    assert_int_equal(trace_read("no/such/trace.jsonl", &read, &error), SHIMGEN_EXIT_UNREADABLE);
    trace_free(&read);
    assert_int_equal(read_text("", &read, &error), 0);
    assert_int_equal(read.call_count, 0);
    trace_free(&read);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_reader_decodes_strings_and_skips_what_it_does_not_want),
        cmocka_unit_test(broken_values_fail_cleanly),
        cmocka_unit_test(every_prefix_of_a_line_is_read_or_skipped),
        cmocka_unit_test(timestamps_are_rfc_3339_utc),
        cmocka_unit_test(the_summary_counts_ranks_and_orders),
        cmocka_unit_test(what_is_no_trace_is_refused),
    };
    return cmocka_run_group_tests_name("trace_report", tests, NULL, NULL);
}
