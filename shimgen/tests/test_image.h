/* A small, valid DLL image built in memory, for tests that corrupt one field
 * at a time. RVAs equal file offsets, so tests can patch either.
 *
 *   0x000  headers (DOS, PE, optional, two section headers)
 *   0x200  .text   (executable)
 *   0x400  .rdata  (read-only): the export directory (0x400..0x500), then data
 *
 * Exports, ordinal base 10:
 *   10 alpha      code  0x210
 *   11 beta_data  data  0x580
 *   12 gamma      forwarder "KERNEL32.Sleep"
 *   13 (empty slot, RVA 0: not an export)
 *   14 [NONAME]   code  0x220
 */
#ifndef SHIMGEN_TEST_IMAGE_H
#define SHIMGEN_TEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pe_exports.h"
#include "pe_image.h"

enum {
    TEST_IMAGE_SIZE = 0x600,
    TEST_NEW_HEADER = 0x40,
    TEST_FILE_HEADER = 0x44,
    TEST_OPTIONAL_HEADER = 0x58,
    TEST_EXPORT_DIRECTORY = 0x400,
    TEST_EXPORT_DIRECTORY_SIZE = 0x100,
    TEST_FUNCTIONS = 0x428,
    TEST_NAMES = 0x43c,
    TEST_NAME_ORDINALS = 0x448,
    TEST_NAME_ALPHA = 0x460,
    TEST_NAME_BETA = 0x468,
    TEST_NAME_GAMMA = 0x478,
    TEST_DLL_NAME = 0x4c0,
    TEST_FORWARDER = 0x4d0,
    TEST_DATA = 0x580,
    TEST_ORDINAL_BASE = 10
};

/* Offsets of export directory fields. */
enum {
    EXPORT_FIELD_NAME = 12,
    EXPORT_FIELD_BASE = 16,
    EXPORT_FIELD_FUNCTION_COUNT = 20,
    EXPORT_FIELD_NAME_COUNT = 24,
    EXPORT_FIELD_FUNCTIONS = 28,
    EXPORT_FIELD_NAMES = 32,
    EXPORT_FIELD_NAME_ORDINALS = 36
};

void test_image_build(uint8_t *image, bool pe32_plus);

/* Builds the PE32+ image into `bytes` (TEST_IMAGE_SIZE of them) and reads
 * it and its export table, for a cmocka group setup. Returns 0, or -1 after
 * printing why. Free the table with pe_export_table_free. */
int test_image_read(uint8_t *bytes, pe_image *image, pe_export_table *table);

/* File offset of the optional header's export data directory (RVA, size). */
size_t test_image_export_entry(bool pe32_plus);

/* File offset of the section table. */
size_t test_image_section_table(bool pe32_plus);

void test_put16(uint8_t *image, size_t offset, uint16_t value);
void test_put32(uint8_t *image, size_t offset, uint32_t value);

#endif
