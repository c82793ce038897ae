/* One test per class of malformed input: each must give one error and
 * SHIMGEN_EXIT_MALFORMED (or UNREADABLE for what is no file), never a crash
 * or a read outside the buffer. The sanitizer build (run-tests.sh) turns any
 * out-of-bounds read here into a failure. */
/* mkstemp, close and unlink are POSIX; -std=c11 hides them unless asked for. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "file_bytes.h"
#include "pe_exports.h"
#include "test_image.h"

static uint8_t image_bytes[TEST_IMAGE_SIZE];

/* Reads a copy of the first `size` bytes, in a buffer of exactly that size,
 * so AddressSanitizer sees any read past the end. Returns the exit code. */
static int read_prefix(size_t size, error_message *error)
{
    uint8_t *copy = malloc(size > 0 ? size : 1);
    pe_image image;
    pe_export_table table;
    int rc;

    assert_non_null(copy);
    memcpy(copy, image_bytes, size);
    memset(&table, 0, sizeof table);
    rc = pe_image_open(&image, copy, size, error);
    if (rc == 0)
        rc = pe_read_exports(&image, &table, error);
    pe_export_table_free(&table);
    free(copy);
    return rc;
}

/* Expects the whole image to be rejected, with `reason` in the message. */
static void expect_rejected(const char *reason)
{
    error_message error = { "" };

    assert_int_equal(read_prefix(sizeof image_bytes, &error), SHIMGEN_EXIT_MALFORMED);
    if (strstr(error.text, reason) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", error.text, reason);
    assert_null(strchr(error.text, '\n'));
}

static int fresh(void **state)
{
    (void)state;
    test_image_build(image_bytes, true);
    return 0;
}

static void empty_input(void **state)
{
    error_message error = { "" };

    (void)state;
    assert_int_equal(read_prefix(0, &error), SHIMGEN_EXIT_MALFORMED);
    assert_non_null(strstr(error.text, "empty"));
}

static void every_truncation_is_rejected_or_complete(void **state)
{
    (void)state;
    for (size_t size = 0; size < sizeof image_bytes; size++) {
        error_message error = { "" };
        int rc = read_prefix(size, &error);

        /* The last byte read, the forwarder's terminator, is at 0x4de: any
         * shorter file loses part of the export table. */
        if (size <= 0x4de && rc != SHIMGEN_EXIT_MALFORMED)
            fail_msg("a file cut to %zu bytes was accepted", size);
        if (rc != 0 && rc != SHIMGEN_EXIT_MALFORMED)
            fail_msg("a file cut to %zu bytes gave exit code %d", size, rc);
    }
}

static void not_a_pe_file(void **state)
{
    (void)state;
    memset(image_bytes, 'x', sizeof image_bytes);
    expect_rejected("no MZ header");
}

static void missing_pe_signature(void **state)
{
    (void)state;
    image_bytes[TEST_NEW_HEADER] = 'N';
    expect_rejected("no PE signature");
}

static void pe_header_offset_outside_the_file(void **state)
{
    (void)state;
    test_put32(image_bytes, 0x3c, 0xfffffff0u);
    expect_rejected("outside the file");
}

static void unknown_optional_header_magic(void **state)
{
    (void)state;
    test_put16(image_bytes, TEST_OPTIONAL_HEADER, 0x107);
    expect_rejected("magic");
}

static void optional_header_larger_than_the_file(void **state)
{
    (void)state;
    test_put16(image_bytes, TEST_FILE_HEADER + 16, 0xffff);
    expect_rejected("truncated");
}

static void optional_header_too_small_for_its_directories(void **state)
{
    (void)state;
    test_put16(image_bytes, TEST_FILE_HEADER + 16, 112);
    expect_rejected("past the optional header");
}

static void huge_section_count(void **state)
{
    (void)state;
    test_put16(image_bytes, TEST_FILE_HEADER + 2, 0xffff);
    expect_rejected("section table");
}

static void export_directory_outside_the_file(void **state)
{
    (void)state;
    test_put32(image_bytes, test_image_export_entry(true), 0x7ffffff0u);
    expect_rejected("export directory");
}

static void huge_function_count(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_FUNCTION_COUNT, 0xffffffffu);
    expect_rejected("16-bit");
}

static void function_table_running_past_the_file(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_FUNCTION_COUNT, 1000);
    expect_rejected("export address table");
}

static void ordinals_past_sixteen_bits(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_BASE, 0xfffe);
    expect_rejected("16-bit");
}

static void huge_name_count(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_NAME_COUNT, 0x40000000u);
    expect_rejected("name tables");
}

static void name_table_outside_the_file(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_NAMES, 0x10000);
    expect_rejected("name tables");
}

static void name_outside_the_file(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_NAMES + 4, 0x900000);
    expect_rejected("export name 1");
}

static void unterminated_name_at_the_end_of_the_file(void **state)
{
    (void)state;
    memset(image_bytes + TEST_IMAGE_SIZE - 16, 'z', 16);
    test_put32(image_bytes, TEST_NAMES + 4, TEST_IMAGE_SIZE - 16);
    expect_rejected("unterminated");
}

static void name_pointing_at_a_missing_function(void **state)
{
    (void)state;
    test_put16(image_bytes, TEST_NAME_ORDINALS + 2, 7);
    expect_rejected("refers to function 7");
}

static void unterminated_forwarder(void **state)
{
    (void)state;
    /* The forwarder now starts 8 bytes before the end of a file full of 'z';
     * the directory grows to hold it, so the data export moves to .text. */
    test_put32(image_bytes, TEST_FUNCTIONS + 4, 0x230);
    memset(image_bytes + TEST_IMAGE_SIZE - 8, 'z', 8);
    test_put32(image_bytes, test_image_export_entry(true) + 4, TEST_IMAGE_SIZE - TEST_EXPORT_DIRECTORY);
    test_put32(image_bytes, TEST_FUNCTIONS + 8, TEST_IMAGE_SIZE - 8);
    expect_rejected("forwarder");
}

static void export_outside_the_image(void **state)
{
    (void)state;
    test_put32(image_bytes, TEST_FUNCTIONS + 16, 0x123456);
    expect_rejected("outside the image");
}

/* The reader follows no chain, so tables that point into each other, or a
 * forwarder that names its own DLL, cannot make it loop: it reads each
 * table once, bounded by counts checked against the file. */
static void tables_that_overlap_each_other(void **state)
{
    error_message error = { "" };
    int rc;

    (void)state;
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_NAMES, TEST_EXPORT_DIRECTORY);
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_NAME_ORDINALS, TEST_EXPORT_DIRECTORY);
    test_put32(image_bytes, TEST_EXPORT_DIRECTORY + EXPORT_FIELD_FUNCTIONS, TEST_EXPORT_DIRECTORY);
    rc = read_prefix(sizeof image_bytes, &error);
    assert_true(rc == 0 || rc == SHIMGEN_EXIT_MALFORMED);
}

static void forwarder_to_itself_is_listed_not_followed(void **state)
{
    error_message error = { "" };

    (void)state;
    memcpy(image_bytes + TEST_FORWARDER, "test.gamma", 11);
    assert_int_equal(read_prefix(sizeof image_bytes, &error), 0);
}

static void directory_is_not_read_as_a_file(void **state)
{
    file_bytes file;
    error_message error = { "" };

    (void)state;
    assert_int_equal(file_bytes_read("/", &file, &error), SHIMGEN_EXIT_UNREADABLE);
    assert_non_null(strstr(error.text, "directory"));
}

/* An empty file was read: it is malformed input (4), like every other
 * truncation, not unreadable input (3). */
static void empty_file_is_malformed(void **state)
{
    char path[] = "/tmp/shimgen-empty-XXXXXX";
    int descriptor = mkstemp(path);
    file_bytes file;
    error_message error = { "" };

    (void)state;
    assert_true(descriptor >= 0);
    close(descriptor);
    assert_int_equal(file_bytes_read(path, &file, &error), SHIMGEN_EXIT_MALFORMED);
    assert_non_null(strstr(error.text, "empty"));
    assert_null(file.data);
    unlink(path);
}

static void missing_file(void **state)
{
    file_bytes file;
    error_message error = { "" };

    (void)state;
    assert_int_equal(file_bytes_read("/nonexistent/shimgen/test.dll", &file, &error),
                     SHIMGEN_EXIT_UNREADABLE);
}

#define MALFORMED_TEST(name) cmocka_unit_test_setup(name, fresh)

int main(void)
{
    const struct CMUnitTest tests[] = {
        MALFORMED_TEST(empty_input),
        MALFORMED_TEST(empty_file_is_malformed),
        MALFORMED_TEST(every_truncation_is_rejected_or_complete),
        MALFORMED_TEST(not_a_pe_file),
        MALFORMED_TEST(missing_pe_signature),
        MALFORMED_TEST(pe_header_offset_outside_the_file),
        MALFORMED_TEST(unknown_optional_header_magic),
        MALFORMED_TEST(optional_header_larger_than_the_file),
        MALFORMED_TEST(optional_header_too_small_for_its_directories),
        MALFORMED_TEST(huge_section_count),
        MALFORMED_TEST(export_directory_outside_the_file),
        MALFORMED_TEST(huge_function_count),
        MALFORMED_TEST(function_table_running_past_the_file),
        MALFORMED_TEST(ordinals_past_sixteen_bits),
        MALFORMED_TEST(huge_name_count),
        MALFORMED_TEST(name_table_outside_the_file),
        MALFORMED_TEST(name_outside_the_file),
        MALFORMED_TEST(unterminated_name_at_the_end_of_the_file),
        MALFORMED_TEST(name_pointing_at_a_missing_function),
        MALFORMED_TEST(unterminated_forwarder),
        MALFORMED_TEST(export_outside_the_image),
        MALFORMED_TEST(tables_that_overlap_each_other),
        MALFORMED_TEST(forwarder_to_itself_is_listed_not_followed),
        MALFORMED_TEST(directory_is_not_read_as_a_file),
        MALFORMED_TEST(missing_file),
    };

    return cmocka_run_group_tests_name("pe_malformed", tests, NULL, NULL);
}
