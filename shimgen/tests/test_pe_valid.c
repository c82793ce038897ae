/* The reader on well-formed images: every kind of export, in PE32 and PE32+. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "exports_output.h"
#include "pe_exports.h"
#include "test_capture.h"
#include "test_image.h"

static uint8_t image_bytes[TEST_IMAGE_SIZE];

static void read_table(bool pe32_plus, pe_image *image, pe_export_table *table)
{
    error_message error = { "" };
    int rc;

    test_image_build(image_bytes, pe32_plus);
    rc = pe_image_open(image, image_bytes, sizeof image_bytes, &error);
    if (rc == 0)
        rc = pe_read_exports(image, table, &error);
    if (rc != 0)
        fail_msg("reading the test image failed: %s", error.text);
}

static void check_test_exports(bool pe32_plus)
{
    pe_image image;
    pe_export_table table;

    read_table(pe32_plus, &image, &table);
    assert_int_equal(image.is_pe32_plus, pe32_plus);
    assert_int_equal(table.ordinal_base, TEST_ORDINAL_BASE);
    assert_string_equal(table.dll_name, "test.dll");
    assert_int_equal(table.count, 4);

    assert_int_equal(table.entries[0].ordinal, 10);
    assert_string_equal(table.entries[0].name, "alpha");
    assert_int_equal(table.entries[0].rva, 0x210);
    assert_false(table.entries[0].is_data);
    assert_null(table.entries[0].forwarder);

    assert_int_equal(table.entries[1].ordinal, 11);
    assert_string_equal(table.entries[1].name, "beta_data");
    assert_true(table.entries[1].is_data);

    assert_int_equal(table.entries[2].ordinal, 12);
    assert_string_equal(table.entries[2].name, "gamma");
    assert_string_equal(table.entries[2].forwarder, "KERNEL32.Sleep");
    assert_int_equal(table.entries[2].rva, TEST_FORWARDER);

    /* Ordinal 13 is an empty slot: not listed. */
    assert_int_equal(table.entries[3].ordinal, 14);
    assert_null(table.entries[3].name);
    assert_false(table.entries[3].is_data);
    pe_export_table_free(&table);
}

static void reads_pe32_plus(void **state)
{
    (void)state;
    check_test_exports(true);
}

static void reads_pe32(void **state)
{
    (void)state;
    check_test_exports(false);
}

static void two_names_for_one_ordinal_give_two_entries(void **state)
{
    pe_image image;
    pe_export_table table;
    error_message error = { "" };

    (void)state;
    test_image_build(image_bytes, true);
    /* "gamma" now names function 0 too: an alias of alpha. */
    test_put16(image_bytes, TEST_NAME_ORDINALS + 4, 0);
    assert_int_equal(pe_image_open(&image, image_bytes, sizeof image_bytes, &error), 0);
    assert_int_equal(pe_read_exports(&image, &table, &error), 0);
    /* alpha, gamma (both 10), beta_data (11), then 12 and 14 without names. */
    assert_int_equal(table.count, 5);
    assert_string_equal(table.entries[0].name, "alpha");
    assert_string_equal(table.entries[1].name, "gamma");
    assert_int_equal(table.entries[1].ordinal, 10);
    assert_int_equal(table.entries[3].ordinal, 12);
    assert_null(table.entries[3].name);
    assert_string_equal(table.entries[3].forwarder, "KERNEL32.Sleep");
    pe_export_table_free(&table);
}

static void no_export_directory_gives_an_empty_table(void **state)
{
    pe_image image;
    pe_export_table table;
    error_message error = { "" };

    (void)state;
    test_image_build(image_bytes, true);
    test_put32(image_bytes, test_image_export_entry(true), 0);
    test_put32(image_bytes, test_image_export_entry(true) + 4, 0);
    assert_int_equal(pe_image_open(&image, image_bytes, sizeof image_bytes, &error), 0);
    assert_int_equal(pe_read_exports(&image, &table, &error), 0);
    assert_int_equal(table.count, 0);
    pe_export_table_free(&table);
}

/* Reads back what a printer wrote into a temporary file. */
static void printed(void (*print)(FILE *, const pe_image *, const pe_export_table *), char *buffer,
                    size_t capacity)
{
    pe_image image;
    pe_export_table table;
    FILE *out = tmpfile();

    assert_non_null(out);
    read_table(true, &image, &table);
    print(out, &image, &table);
    assert_true(test_capture_text(out, buffer, capacity));
    pe_export_table_free(&table);
}

static void print_json(FILE *out, const pe_image *image, const pe_export_table *table)
{
    (void)image;
    exports_print_json(out, table);
}

static void print_table(FILE *out, const pe_image *image, const pe_export_table *table)
{
    exports_print_table(out, "test.dll", image, table);
}

static void json_has_the_documented_keys(void **state)
{
    char text[2048];

    (void)state;
    printed(print_json, text, sizeof text);
    assert_non_null(
        strstr(text,
               "{\"ordinal\": 10, \"name\": \"alpha\", \"rva\": 528, \"data\": false, \"forwarder\": null}"));
    assert_non_null(strstr(text, "{\"ordinal\": 11, \"name\": \"beta_data\", \"rva\": 1408, \"data\": true, "
                                 "\"forwarder\": null}"));
    assert_non_null(
        strstr(text,
               "\"name\": \"gamma\", \"rva\": 1232, \"data\": false, \"forwarder\": \"KERNEL32.Sleep\"}"));
    assert_non_null(
        strstr(text,
               "{\"ordinal\": 14, \"name\": null, \"rva\": 544, \"data\": false, \"forwarder\": null}"));
    assert_int_equal(text[0], '[');
}

static void table_lists_each_export_on_one_line(void **state)
{
    char text[2048];

    (void)state;
    printed(print_table, text, sizeof text);
    assert_non_null(strstr(text, "PE32+, x86-64"));
    assert_non_null(strstr(text, "      10  00000210  code       alpha\n"));
    assert_non_null(strstr(text, "      11  00000580  data       beta_data\n"));
    assert_non_null(strstr(text, "      12  000004d0  forwarder  gamma -> KERNEL32.Sleep\n"));
    assert_non_null(strstr(text, "      14  00000220  code       [NONAME]\n"));
}

/* The count in the header line is English: "1 export", "0 exports". */
static void the_count_agrees_with_its_noun(void **state)
{
    static const size_t counts[] = { 0, 1, 2 };
    static const char *const expected[] = { ", 0 exports\n", ", 1 export\n", ", 2 exports\n" };
    pe_image image;
    pe_export_table table;

    (void)state;
    read_table(true, &image, &table);
    for (size_t index = 0; index < sizeof counts / sizeof counts[0]; index++) {
        const pe_export_table counted = { .dll_name = "test.dll",
                                          .count = counts[index],
                                          .entries = table.entries };
        char text[2048];
        FILE *out = tmpfile();

        assert_non_null(out);
        exports_print_table(out, "test.dll", &image, &counted);
        assert_true(test_capture_text(out, text, sizeof text));
        if (strstr(text, expected[index]) == NULL)
            fail_msg("\"%s\" lacks \"%s\"", text, expected[index]);
    }
    pe_export_table_free(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_pe32_plus),
        cmocka_unit_test(reads_pe32),
        cmocka_unit_test(two_names_for_one_ordinal_give_two_entries),
        cmocka_unit_test(no_export_directory_gives_an_empty_table),
        cmocka_unit_test(json_has_the_documented_keys),
        cmocka_unit_test(table_lists_each_export_on_one_line),
        cmocka_unit_test(the_count_agrees_with_its_noun),
    };

    return cmocka_run_group_tests_name("pe_valid", tests, NULL, NULL);
}
