#include <stdio.h>
#include <string.h>

#include "test_image.h"

void test_put16(uint8_t *image, size_t offset, uint16_t value)
{
    image[offset] = (uint8_t)value;
    image[offset + 1] = (uint8_t)(value >> 8);
}

void test_put32(uint8_t *image, size_t offset, uint32_t value)
{
    for (int shift = 0; shift < 32; shift += 8)
        image[offset++] = (uint8_t)(value >> shift);
}

static size_t optional_header_size(bool pe32_plus)
{
    return pe32_plus ? 240 : 224;
}

size_t test_image_export_entry(bool pe32_plus)
{
    return TEST_OPTIONAL_HEADER + (pe32_plus ? 112 : 96);
}

size_t test_image_section_table(bool pe32_plus)
{
    return TEST_OPTIONAL_HEADER + optional_header_size(pe32_plus);
}

static void put_section(uint8_t *image, size_t header, const char *name, uint32_t address, uint32_t flags)
{
    memcpy(image + header, name, strlen(name));
    test_put32(image, header + 8, 0x200); /* virtual size */
    test_put32(image, header + 12, address);
    test_put32(image, header + 16, 0x200);   /* raw size */
    test_put32(image, header + 20, address); /* raw offset: RVAs equal offsets */
    test_put32(image, header + 36, flags);
}

static void put_text(uint8_t *image, size_t offset, const char *text)
{
    memcpy(image + offset, text, strlen(text) + 1);
}

void test_image_build(uint8_t *image, bool pe32_plus)
{
    const size_t directory = TEST_EXPORT_DIRECTORY;

    memset(image, 0, TEST_IMAGE_SIZE);
    image[0] = 'M';
    image[1] = 'Z';
    test_put32(image, 0x3c, TEST_NEW_HEADER);
    memcpy(image + TEST_NEW_HEADER, "PE\0\0", 4);
    test_put16(image, TEST_FILE_HEADER, pe32_plus ? 0x8664 : 0x014c);
    test_put16(image, TEST_FILE_HEADER + 2, 2);
    test_put16(image, TEST_FILE_HEADER + 16, (uint16_t)optional_header_size(pe32_plus));
    test_put16(image, TEST_FILE_HEADER + 18, 0x2002); /* DLL, executable image */

    test_put16(image, TEST_OPTIONAL_HEADER, pe32_plus ? 0x20b : 0x10b);
    test_put32(image, TEST_OPTIONAL_HEADER + 56, TEST_IMAGE_SIZE);
    test_put32(image, TEST_OPTIONAL_HEADER + 60, 0x200);
    test_put32(image, TEST_OPTIONAL_HEADER + (pe32_plus ? 108 : 92), 16);
    test_put32(image, test_image_export_entry(pe32_plus), TEST_EXPORT_DIRECTORY);
    test_put32(image, test_image_export_entry(pe32_plus) + 4, TEST_EXPORT_DIRECTORY_SIZE);

    put_section(image, test_image_section_table(pe32_plus), ".text", 0x200, 0x60000020);
    put_section(image, test_image_section_table(pe32_plus) + 40, ".rdata", 0x400, 0x40000040);

    test_put32(image, directory + EXPORT_FIELD_NAME, TEST_DLL_NAME);
    test_put32(image, directory + EXPORT_FIELD_BASE, TEST_ORDINAL_BASE);
    test_put32(image, directory + EXPORT_FIELD_FUNCTION_COUNT, 5);
    test_put32(image, directory + EXPORT_FIELD_NAME_COUNT, 3);
    test_put32(image, directory + EXPORT_FIELD_FUNCTIONS, TEST_FUNCTIONS);
    test_put32(image, directory + EXPORT_FIELD_NAMES, TEST_NAMES);
    test_put32(image, directory + EXPORT_FIELD_NAME_ORDINALS, TEST_NAME_ORDINALS);

    test_put32(image, TEST_FUNCTIONS + 0, 0x210);
    test_put32(image, TEST_FUNCTIONS + 4, TEST_DATA);
    test_put32(image, TEST_FUNCTIONS + 8, TEST_FORWARDER);
    test_put32(image, TEST_FUNCTIONS + 12, 0);
    test_put32(image, TEST_FUNCTIONS + 16, 0x220);

    test_put32(image, TEST_NAMES + 0, TEST_NAME_ALPHA);
    test_put32(image, TEST_NAMES + 4, TEST_NAME_BETA);
    test_put32(image, TEST_NAMES + 8, TEST_NAME_GAMMA);
    test_put16(image, TEST_NAME_ORDINALS + 0, 0);
    test_put16(image, TEST_NAME_ORDINALS + 2, 1);
    test_put16(image, TEST_NAME_ORDINALS + 4, 2);

    put_text(image, TEST_NAME_ALPHA, "alpha");
    put_text(image, TEST_NAME_BETA, "beta_data");
    put_text(image, TEST_NAME_GAMMA, "gamma");
    put_text(image, TEST_DLL_NAME, "test.dll");
    put_text(image, TEST_FORWARDER, "KERNEL32.Sleep");
}

int test_image_read(uint8_t *bytes, pe_image *image, pe_export_table *table)
{
    error_message error = { "" };

    test_image_build(bytes, true);
    if (pe_image_open(image, bytes, TEST_IMAGE_SIZE, &error) != 0 ||
        pe_read_exports(image, table, &error) != 0) {
        fprintf(stderr, "test image: %s\n", error.text);
        return -1;
    }
    return 0;
}
